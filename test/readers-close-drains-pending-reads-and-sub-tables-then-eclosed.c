/*
 * Closing a root with reader connections on and reads still queued for
 * them (a burst of uncached gets nobody awaited, from four threads): every
 * future resolves with the value -- the queue drains before the
 * connections close -- and later calls on a sub-table handle answer
 * NANA_ECLOSED.  Repeated, so that close meets readers busy and idle.
 */
#include <pthread.h>

#include "harness.h"

#define KEYS 200
#define PER 100

static nana_db_t *db;
static nana_future_t *futs[4][PER];

static void *burst(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < PER; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", (i * 7 + id) % KEYS);
        futs[id][i] = nana_get(db, key, NULL);
    }
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    json_t *all = json_object();
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", k);
        json_object_set_new(all, key, json_integer(k));
    }
    EXPECT(nana_update(db, all), NANA_OK);
    json_decref(all);
    CHECK_ST(nana_close(db), NANA_OK);

    for (int round = 0; round < 10; round++) {
        db = t_open("db", NULL);
        nana_db_t *sub = NULL;
        CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
        CHECK_ST(nana_set_read_connections(db, 1 + round % 3), NANA_OK);
        pthread_t th[4];
        for (int i = 0; i < 4; i++)
            CHECK(pthread_create(&th[i], NULL, burst, (void *)(intptr_t)i) == 0);
        for (int i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        CHECK_ST(nana_close(db), NANA_OK);
        for (int id = 0; id < 4; id++) {
            for (int i = 0; i < PER; i++) {
                json_t *v = TAKE(futs[id][i]);
                CHECK(json_integer_value(v) == (i * 7 + id) % KEYS);
                nana_json_release(v);
            }
        }
        EXPECT(nana_get(sub, "x", NULL), NANA_ECLOSED);
        CHECK_ST(nana_set_read_connections(sub, 2), NANA_ECLOSED);
        CHECK_ST(nana_close(sub), NANA_OK);
    }
    return 0;
}
