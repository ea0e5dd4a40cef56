/*
 * Eight threads share an encrypted root (AES-GCM) and one of its
 * sub-tables: each sets keys of its own and reads every one back from the
 * cache and from the file (get_fresh decrypts), reads its keys in bulk
 * (batch_get), and increments one counter all of them share (each
 * increment decrypts the current value and seals the next).  Every result
 * is checked as it comes; at the end the counters hold every increment,
 * every row in the file is sealed, and a new root with the key reads
 * every value as written.
 */
#include <pthread.h>

#include "crypt.h"

#define THREADS 8
#define ROUNDS 150

static nana_db_t *db, *sub;
static unsigned char key[32];

static json_t *value_of(int t, int i)
{
    return json_pack("{s:i,s:i,s:s}", "t", t, "i", i, "s", "SECRET ナナ");
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    nana_db_t *h = t % 2 ? sub : db;
    char k[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(k, sizeof k, "t%d-%d", t, i);
        json_t *v = value_of(t, i);
        nana_future_t *set = nana_set(h, k, v);
        nana_future_t *get = nana_get(h, k, NULL); /* sees the set */
        nana_future_t *inc = nana_increment(db, "shared", NULL, 1);
        CHECK_ST(nana_future_await(set), NANA_OK);
        nana_future_t *fresh = nana_get_fresh(h, k, NULL);
        CHECK_ST(nana_future_await(get), NANA_OK);
        CHECK_ST(nana_future_await(fresh), NANA_OK);
        if (!json_equal(nana_future_json(get), v) || !json_equal(nana_future_json(fresh), v))
            t_fail(__FILE__, __LINE__, "thread %d: %s read back wrong", t, k);
        if (nana_future_await(inc) != NANA_OK)
            t_fail(__FILE__, __LINE__, "thread %d: increment: %s", t, nana_future_errmsg(inc));
        nana_future_free(set);
        nana_future_free(get);
        nana_future_free(fresh);
        nana_future_free(inc);
        json_decref(v);
        if (i % 10 == 9) {
            const char *keys[10];
            char names[10][32];
            for (int j = 0; j < 10; j++) {
                snprintf(names[j], sizeof names[j], "t%d-%d", t, i - j);
                keys[j] = names[j];
            }
            json_t *got = TAKE(nana_batch_get(h, keys, 10));
            CHECK_INT(json_object_size(got), 10);
            for (int j = 0; j < 10; j++) {
                json_t *want = value_of(t, i - j);
                CHECK(json_equal(json_object_get(got, names[j]), want));
                json_decref(want);
            }
            nana_json_release(got);
        }
    }
    return NULL;
}

static void check_table(nana_db_t *h, int parity)
{
    json_t *all = TAKE(nana_to_dict(h));
    char k[32];
    for (int t = parity; t < THREADS; t += 2)
        for (int i = 0; i < ROUNDS; i++) {
            snprintf(k, sizeof k, "t%d-%d", t, i);
            json_t *want = value_of(t, i);
            if (!json_equal(json_object_get(all, k), want))
                t_fail(__FILE__, __LINE__, "%s missing or wrong after reopen", k);
            json_decref(want);
        }
    nana_json_release(all);
}

int main(void)
{
    json_object_seed(0);
    t_key(key, sizeof key, 8);
    const char *path = t_path("threads.db");
    db = t_open_encrypted("threads.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    CHECK_ST(nana_table(db, "side", &sub), NANA_OK);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    SAME(nana_get_fresh(db, "shared", NULL), "1200");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM data WHERE typeof(value) = 'blob'"),
              THREADS / 2 * ROUNDS + 1);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM side WHERE typeof(value) = 'blob'"),
              THREADS / 2 * ROUNDS);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM data WHERE typeof(value) != 'blob'"), 0);

    db = t_open_encrypted("threads.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    CHECK_ST(nana_table(db, "side", &sub), NANA_OK);
    check_table(db, 0);
    check_table(sub, 1);
    SAME(nana_get(db, "shared", NULL), "1200");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
