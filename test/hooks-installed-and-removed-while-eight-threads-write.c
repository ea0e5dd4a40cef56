/*
 * Installing, replacing and removing a table's hooks from one thread while
 * eight threads write it: a write uses the hooks installed when it ran --
 * their arg is still alive while it does (each set's arg is checked, and
 * freed in its release), and every write is stamped by one set or none;
 * a write submitted after nana_set_hooks() returned uses those hooks;
 * release runs exactly once per installed set, the last at nana_close; a
 * set of no hooks installs nothing and is never released.  Meant for
 * ThreadSanitizer and AddressSanitizer as much as for the checks.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define WRITERS 8
#define WRITES 400
#define SWAPS 300
#define LIVE 0x5e7a11edu

struct hook_arg {
    unsigned magic;
    int id;
    atomic_int used;
};

static atomic_int installed, released;
static nana_db_t *db;
static atomic_bool writers_done;

static nana_status_t stamp(void *arg, const char *key, json_t *value, json_t **repl, char *msg,
                           size_t size)
{
    (void)key;
    (void)msg;
    (void)size;
    struct hook_arg *a = arg;
    CHECK(a->magic == LIVE);
    atomic_fetch_add(&a->used, 1);
    *repl = json_pack("{s:O,s:i}", "v", value, "by", a->id);
    return NANA_OK;
}

static void committed(void *arg, const char *const *keys, const bool *deleted, size_t n)
{
    (void)keys;
    (void)deleted;
    (void)n;
    struct hook_arg *a = arg;
    CHECK(a->magic == LIVE);
}

static void release(void *arg)
{
    struct hook_arg *a = arg;
    CHECK(a->magic == LIVE);
    a->magic = 0;
    free(a);
    atomic_fetch_add(&released, 1);
}

static void *writer(void *arg)
{
    int t = (int)(uintptr_t)arg;
    for (int i = 0; i < WRITES; i += 4) {
        nana_future_t *fs[4];
        for (int j = 0; j < 4; j++) {
            char key[32];
            snprintf(key, sizeof key, "t%d_%d", t, (i + j) % 50);
            json_t *v = json_integer(i + j);
            fs[j] = nana_set(db, key, v);
            json_decref(v);
        }
        for (int j = 0; j < 4; j++) {
            CHECK_ST(nana_future_await(fs[j]), NANA_OK);
            nana_future_free(fs[j]);
        }
    }
    return NULL;
}

static void *swapper(void *unused)
{
    (void)unused;
    int id = 0;
    for (int i = 0; i < SWAPS || !atomic_load(&writers_done); i++) {
        if (i % 3 == 2) {
            CHECK_ST(nana_set_hooks(db, NULL), NANA_OK);
            continue;
        }
        struct hook_arg *a = malloc(sizeof *a);
        CHECK(a != NULL);
        a->magic = LIVE;
        a->id = ++id;
        atomic_init(&a->used, 0);
        nana_hooks_t h = {.before_write = stamp, .after_commit = committed,
                          .release = release, .arg = a};
        CHECK_ST(nana_set_hooks(db, &h), NANA_OK);
        atomic_fetch_add(&installed, 1);
        if (i % 10 == 0) {
            /* Submitted after the call returned: these hooks (nobody
             * else swaps). */
            json_t *v = json_integer(i);
            CHECK_ST(t_wait(nana_set(db, "probe", v)), NANA_OK);
            json_decref(v);
            json_t *got = t_take(nana_get(db, "probe", NULL), NANA_OK);
            CHECK_INT(json_integer_value(json_object_get(got, "by")), id);
            CHECK_INT(json_integer_value(json_object_get(got, "v")), i);
            json_decref(got);
        }
        if (i > 100000)
            break; /* a writer stuck: the checks below will say */
    }
    return NULL;
}

int main(void)
{
    db = t_open("swap.db", NULL);
    pthread_t w[WRITERS], s;
    CHECK(pthread_create(&s, NULL, swapper, NULL) == 0);
    for (uintptr_t i = 0; i < WRITERS; i++)
        CHECK(pthread_create(&w[i], NULL, writer, (void *)i) == 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    atomic_store(&writers_done, true);
    pthread_join(s, NULL);

    /* Every value is a plain number (no hooks when it ran) or stamped by a
     * set that was installed. */
    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    const char *key;
    json_t *value;
    int stamped = 0, plain = 0;
    json_object_foreach(all, key, value) {
        if (json_is_integer(value)) {
            plain++;
            continue;
        }
        int by = (int)json_integer_value(json_object_get(value, "by"));
        CHECK(by >= 1 && by <= atomic_load(&installed));
        CHECK(json_is_integer(json_object_get(value, "v")));
        stamped++;
    }
    json_decref(all);
    printf("%d sets installed, %d released before close; %d values stamped, %d plain\n",
           atomic_load(&installed), atomic_load(&released), stamped, plain);
    CHECK(stamped > 0);

    /* A set of no hooks removes what is installed (every write is over,
     * so each set installed is released now) and is never released itself
     * (its release would crash on arg NULL). */
    nana_hooks_t none = {.release = release, .arg = NULL};
    CHECK_ST(nana_set_hooks(db, &none), NANA_OK);
    CHECK_INT(atomic_load(&released), atomic_load(&installed));
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(atomic_load(&released), atomic_load(&installed));

    /* The last set installed is released by nana_close, on its thread. */
    db = t_open("swap.db", NULL);
    struct hook_arg *a = malloc(sizeof *a);
    a->magic = LIVE;
    a->id = 1;
    atomic_init(&a->used, 0);
    nana_hooks_t h = {.before_write = stamp, .release = release, .arg = a};
    CHECK_ST(nana_set_hooks(db, &h), NANA_OK);
    atomic_fetch_add(&installed, 1);
    CHECK_INT(atomic_load(&released), atomic_load(&installed) - 1);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(atomic_load(&released), atomic_load(&installed));
    return 0;
}
