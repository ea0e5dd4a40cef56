/*
 * A UniqueHook (NanaSQLite's: a member of the value must be unique across
 * the table) written as before_write / before_delete keeping an index of
 * email -> key, under eight threads writing at once in group-commit
 * batches with set, patch and delete over shared keys and emails: the
 * hooks of a root never run at the same time (the hook checks), so the
 * index needs no lock; at the end every email in the file is unique, and
 * the file is exactly the index.  Every write that passes its hooks
 * commits here (no trigger, no other connection), so an index kept by the
 * before hooks is the table's; after_commit, which sees every committed
 * key, agrees with it each time.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 8
#define OPS 300
#define KEYS 48
#define EMAILS 16
#define WINDOW 8

/* Touched only by the hooks, which never overlap. */
static int owner_of[EMAILS];  /* key index + 1, or 0 */
static int email_of[KEYS];    /* email index + 1, or 0 */
static atomic_int inside;     /* hooks running now */
static atomic_int refused, commits;

static int key_index(const char *key)
{
    CHECK(key[0] == 'u');
    return atoi(key + 1);
}

static int email_index(json_t *value)
{
    const char *e = json_string_value(json_object_get(value, "email"));
    CHECK(e && e[0] == 'e');
    return atoi(e + 1);
}

static void enter(void)
{
    CHECK_INT(atomic_fetch_add(&inside, 1), 0);
}

static void leave(void)
{
    atomic_fetch_sub(&inside, 1);
}

static nana_status_t unique_write(void *arg, const char *key, json_t *value, json_t **repl,
                                  char *msg, size_t size)
{
    (void)arg;
    (void)repl;
    enter();
    int k = key_index(key), e = email_index(value);
    nana_status_t st = NANA_OK;
    if (owner_of[e] && owner_of[e] != k + 1) {
        snprintf(msg, size, "email e%d is already used by u%d", e, owner_of[e] - 1);
        atomic_fetch_add(&refused, 1);
        st = NANA_ETYPE;
    } else {
        if (email_of[k])
            owner_of[email_of[k] - 1] = 0;
        email_of[k] = e + 1;
        owner_of[e] = k + 1;
    }
    leave();
    return st;
}

static nana_status_t unique_delete(void *arg, const char *key, char *msg, size_t size)
{
    (void)arg;
    (void)msg;
    (void)size;
    enter();
    int k = key_index(key);
    CHECK(email_of[k] != 0); /* asked only for a stored key */
    owner_of[email_of[k] - 1] = 0;
    email_of[k] = 0;
    leave();
    return NANA_OK;
}

static void check_commit(void *arg, const char *const *keys, const bool *deleted, size_t n)
{
    (void)arg;
    enter();
    for (size_t i = 0; i < n; i++)
        CHECK((email_of[key_index(keys[i])] == 0) == deleted[i]);
    atomic_fetch_add(&commits, 1);
    leave();
}

static nana_db_t *db;

static void *writer(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (int done = 0; done < OPS; done += WINDOW) {
        nana_future_t *fs[WINDOW];
        int kind[WINDOW];
        for (int i = 0; i < WINDOW; i++) {
            char key[16], email[16];
            snprintf(key, sizeof key, "u%d", rand_r(&seed) % KEYS);
            snprintf(email, sizeof email, "e%d", rand_r(&seed) % EMAILS);
            int r = rand_r(&seed) % 10;
            kind[i] = r;
            json_t *v = json_pack("{s:s,s:i}", "email", email, "by", (int)(uintptr_t)arg);
            if (r < 6)
                fs[i] = nana_set(db, key, v);
            else if (r < 8)
                fs[i] = nana_patch(db, key, v, true);
            else
                fs[i] = nana_delete(db, key);
            json_decref(v);
        }
        for (int i = 0; i < WINDOW; i++) {
            nana_status_t st = nana_future_await(fs[i]);
            if (kind[i] < 8)
                CHECK(st == NANA_OK || (st == NANA_ETYPE &&
                                        strstr(nana_future_errmsg(fs[i]), "already used")));
            else
                CHECK(st == NANA_OK || st == NANA_ENOTFOUND);
            nana_future_free(fs[i]);
        }
    }
    return NULL;
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 4;
    db = t_open("unique.db", &opts);
    nana_hooks_t hooks = {.before_write = unique_write,
                          .before_delete = unique_delete,
                          .after_commit = check_commit};
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);

    pthread_t th[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, writer, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    bool seen[EMAILS] = {0};
    const char *key;
    json_t *value;
    int stored = 0;
    json_object_foreach(all, key, value) {
        int k = key_index(key), e = email_index(value);
        CHECK(!seen[e]);
        seen[e] = true;
        CHECK_INT(email_of[k], e + 1);
        CHECK_INT(owner_of[e], k + 1);
        stored++;
    }
    json_decref(all);
    int indexed = 0;
    for (int k = 0; k < KEYS; k++)
        indexed += email_of[k] != 0;
    CHECK_INT(indexed, stored);
    /* The validation had something to refuse, and commits were seen. */
    CHECK(atomic_load(&refused) > 0);
    CHECK(atomic_load(&commits) > 0);
    printf("%d keys stored, %d writes refused, %d after_commit calls\n", stored,
           atomic_load(&refused), atomic_load(&commits));
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
