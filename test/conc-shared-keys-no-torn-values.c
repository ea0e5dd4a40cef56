/* Concurrent gets (cached and fresh) and sets on shared keys: every value a
 * reader gets is one that some writer wrote, whole -- never torn, mixed or
 * unknown -- and, since operations take effect in submission order, a reader
 * never sees a writer's writes to a key go backwards. */
#include <pthread.h>

#include "harness.h"

#define KEYS 8
#define WRITERS 3
#define READERS 3
#define ROUNDS 300
#define BATCH 30
#define PAD 20
#define INITIAL_WRITER 99

static nana_db_t *db;

static json_t *make_value(int w, int n)
{
    json_int_t check = (json_int_t)w * 100000 + n;
    json_t *pad = json_array();
    for (int i = 0; i < PAD; i++)
        json_array_append_new(pad, json_integer(check));
    char tag[32];
    snprintf(tag, sizeof tag, "w%d-n%d", w, n);
    return json_pack("{s:i,s:i,s:I,s:o,s:s}", "w", w, "n", n, "check", check, "pad", pad,
                     "tag", tag);
}

/* Returns false when v is not exactly make_value(w, n) for some writer. */
static bool valid_value(const json_t *v, int *w_out, int *n_out)
{
    if (!json_is_object(v) || json_object_size(v) != 5)
        return false;
    json_t *jw = json_object_get(v, "w"), *jn = json_object_get(v, "n");
    json_t *jc = json_object_get(v, "check"), *pad = json_object_get(v, "pad");
    json_t *tag = json_object_get(v, "tag");
    if (!json_is_integer(jw) || !json_is_integer(jn) || !json_is_integer(jc) ||
        !json_is_array(pad) || !json_is_string(tag))
        return false;
    int w = (int)json_integer_value(jw), n = (int)json_integer_value(jn);
    if (!(w == INITIAL_WRITER || (w >= 0 && w < WRITERS)) || n < 0)
        return false;
    json_int_t check = (json_int_t)w * 100000 + n;
    if (json_integer_value(jc) != check || json_array_size(pad) != PAD)
        return false;
    for (size_t i = 0; i < PAD; i++)
        if (json_integer_value(json_array_get(pad, i)) != check)
            return false;
    char want[32];
    snprintf(want, sizeof want, "w%d-n%d", w, n);
    if (strcmp(json_string_value(tag), want) != 0)
        return false;
    *w_out = w;
    *n_out = n;
    return true;
}

static void key_name(char *buf, size_t size, int k)
{
    snprintf(buf, size, "shared%d", k);
}

static void *writer(void *arg)
{
    int w = (int)(intptr_t)arg, n = 0;
    nana_future_t *fs[BATCH];
    char key[32];
    for (int r = 0; r < ROUNDS; r += BATCH) {
        for (int b = 0; b < BATCH; b++) {
            key_name(key, sizeof key, (r + b + w) % KEYS);
            json_t *v = make_value(w, ++n);
            fs[b] = nana_set(db, key, v);
            json_decref(v);
        }
        for (int b = 0; b < BATCH; b++) {
            CHECK_ST(nana_future_await(fs[b]), NANA_OK);
            nana_future_free(fs[b]);
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    /* Highest n seen per key per writer. */
    int seen[KEYS][WRITERS];
    memset(seen, 0, sizeof seen);
    nana_future_t *fs[BATCH];
    int keys[BATCH];
    char key[32];
    for (int r = 0; r < ROUNDS; r += BATCH) {
        for (int b = 0; b < BATCH; b++) {
            keys[b] = (r + b * 3 + id) % KEYS;
            key_name(key, sizeof key, keys[b]);
            fs[b] = (b + id) % 3 == 0 ? nana_get_fresh(db, key, NULL) : nana_get(db, key, NULL);
        }
        for (int b = 0; b < BATCH; b++) {
            CHECK_ST(nana_future_await(fs[b]), NANA_OK);
            int w = -1, n = -1;
            if (!valid_value(nana_future_json(fs[b]), &w, &n)) {
                char *text = json_dumps(nana_future_json(fs[b]), JSON_ENCODE_ANY | JSON_COMPACT);
                t_fail(__FILE__, __LINE__, "reader %d: torn or unknown value %s", id,
                       text ? text : "(null)");
            }
            if (w != INITIAL_WRITER) {
                if (n < seen[keys[b]][w])
                    t_fail(__FILE__, __LINE__,
                           "reader %d: key %d went back from writer %d's write %d to %d", id,
                           keys[b], w, seen[keys[b]][w], n);
                seen[keys[b]][w] = n;
            }
            nana_future_free(fs[b]);
        }
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    db = t_open("db", NULL);
    char key[32];
    for (int k = 0; k < KEYS; k++) {
        key_name(key, sizeof key, k);
        json_t *v = make_value(INITIAL_WRITER, 0);
        CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
        json_decref(v);
    }

    pthread_t th[WRITERS + READERS];
    for (int i = 0; i < WRITERS; i++)
        CHECK(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_create(&th[WRITERS + i], NULL, reader, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < WRITERS + READERS; i++)
        pthread_join(th[i], NULL);

    /* Each key ends with a whole value from one of the writers, the same in
     * the cache and in SQLite. */
    for (int k = 0; k < KEYS; k++) {
        key_name(key, sizeof key, k);
        json_t *cached = t_take(nana_get(db, key, NULL), NANA_OK);
        json_t *fresh = t_take(nana_get_fresh(db, key, NULL), NANA_OK);
        int w, n;
        CHECK(valid_value(cached, &w, &n));
        CHECK(w != INITIAL_WRITER);
        CHECK(json_equal(cached, fresh));
        nana_json_release(cached);
        nana_json_release(fresh);
    }
    CHECK_INT(t_int(nana_len(db)), KEYS);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
