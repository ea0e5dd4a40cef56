/*
 * Read-your-writes with reader connections on: eight threads each write
 * their own keys without awaiting and read them right after (get,
 * contains, get of a deleted key, after update and batch_delete too),
 * while every thread also reads cold keys of a table nobody writes --
 * which go to the readers.  Every answer is the last write submitted
 * before it on that thread; the file agrees at the end.
 */
#include <pthread.h>

#include "harness.h"

#define THREADS 8
#define ROUNDS 300
#define COLD 400

static nana_db_t *db;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    nana_db_t *cold = NULL;
    CHECK_ST(nana_table(db, "cold", &cold), NANA_OK);
    char key[32], ck[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(key, sizeof key, "t%d-k%d", id, i % 7);
        json_t *v = json_integer(i);
        nana_future_t *w = nana_set(db, key, v);
        nana_future_t *g = nana_get(db, key, NULL);
        nana_future_t *c = nana_contains(db, key);
        snprintf(ck, sizeof ck, "c%d", (i * 13 + id) % COLD);
        nana_future_t *cg = nana_get(cold, ck, NULL);
        nana_future_t *d = NULL, *gd = NULL, *cd = NULL;
        if (i % 5 == 0) {
            d = nana_delete(db, key);
            gd = nana_get(db, key, NULL);
            cd = nana_contains(db, key);
        }
        nana_future_t *u = NULL, *gu = NULL;
        if (i % 11 == 0) {
            char obj[96];
            snprintf(obj, sizeof obj, "{\"%s-u\": %d}", key, i);
            json_t *o = t_json(obj);
            u = nana_update(db, o);
            json_decref(o);
            char uk[48];
            snprintf(uk, sizeof uk, "%s-u", key);
            gu = nana_get(db, uk, NULL);
        }
        EXPECT(w, NANA_OK);
        json_t *got = TAKE(g);
        CHECK(json_integer_value(got) == i);
        nana_json_release(got);
        CHECK(BOOL(c));
        got = TAKE(cg);
        CHECK(json_integer_value(got) == (i * 13 + id) % COLD);
        nana_json_release(got);
        if (d) {
            EXPECT(d, NANA_OK);
            EXPECT(gd, NANA_ENOTFOUND);
            CHECK(!BOOL(cd));
        }
        if (u) {
            EXPECT(u, NANA_OK);
            got = TAKE(gu);
            CHECK(json_integer_value(got) == i);
            nana_json_release(got);
        }
        json_decref(v);
    }
    CHECK_ST(nana_close(cold), NANA_OK);
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    nana_db_t *cold = NULL;
    CHECK_ST(nana_table(db, "cold", &cold), NANA_OK);
    json_t *all = json_object();
    for (int i = 0; i < COLD; i++) {
        char k[32];
        snprintf(k, sizeof k, "c%d", i);
        json_object_set_new(all, k, json_integer(i));
    }
    EXPECT(nana_update(cold, all), NANA_OK); /* written, not cached */
    json_decref(all);
    CHECK_ST(nana_close(cold), NANA_OK);
    CHECK_ST(nana_set_read_connections(db, 3), NANA_OK);

    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    /* The file: each thread's last value of each key (deleted when the
     * last round on it deleted it). */
    for (int id = 0; id < THREADS; id++) {
        for (int k = 0; k < 7; k++) {
            int last = -1;
            for (int i = 0; i < ROUNDS; i++)
                if (i % 7 == k)
                    last = i;
            char key[32];
            snprintf(key, sizeof key, "t%d-k%d", id, k);
            char *raw = t_raw_value(t_path("db"), "data", key);
            if (last % 5 == 0) {
                CHECK(raw == NULL);
            } else {
                char want[16];
                snprintf(want, sizeof want, "%d", last);
                CHECK_STR(raw, want);
            }
            free(raw);
        }
    }
    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK_INT(s.readers_busy, 0);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
