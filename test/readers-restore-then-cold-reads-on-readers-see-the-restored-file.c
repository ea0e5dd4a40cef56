/*
 * nana_restore with reader connections on: readers that served reads of
 * state A before the restore are reopened after it, and four threads'
 * uncached gets (on readers) then read state B -- the restored backup --
 * exactly: changed values back, deleted keys back, added keys absent.
 * Reads submitted right after the unawaited restore see it too.
 */
#include <pthread.h>

#include "harness.h"

#define KEYS 64

static nana_db_t *db;

static void *read_back(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int round = 0; round < 20; round++) {
        for (int k = id; k < KEYS; k += 4) {
            char key[32];
            snprintf(key, sizeof key, "k%d", k);
            json_t *v = TAKE(nana_get(db, key, NULL));
            CHECK(json_integer_value(v) == k);
            nana_json_release(v);
            snprintf(key, sizeof key, "new%d", k);
            CHECK(!BOOL(nana_contains(db, key)));
        }
    }
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    for (int k = 0; k < KEYS; k++) {
        char key[32], val[32];
        snprintf(key, sizeof key, "k%d", k);
        snprintf(val, sizeof val, "%d", k);
        t_set_json(db, key, val);
    }
    EXPECT(nana_backup(db, t_path("b.db"), NULL), NANA_OK);
    /* State A: every key changed or deleted, others added. */
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", k);
        if (k % 3 == 0)
            EXPECT(nana_delete(db, key), NANA_OK);
        else
            t_set_json(db, key, "\"changed\"");
        snprintf(key, sizeof key, "new%d", k);
        t_set_json(db, key, "true");
    }
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("db", NULL);
    CHECK_ST(nana_set_read_connections(db, 2), NANA_OK);
    /* The readers read state A (and stay open). */
    SAME(nana_get(db, "k1", NULL), "\"changed\"");
    EXPECT(nana_get(db, "k0", NULL), NANA_ENOTFOUND);
    EXPECT(nana_refresh(db, NULL), NANA_OK);

    nana_future_t *r = nana_restore(db, t_path("b.db"));
    nana_future_t *g = nana_get(db, "k3", NULL);
    nana_future_t *c = nana_contains(db, "new5");
    EXPECT(r, NANA_OK);
    SAME(g, "3");
    CHECK(!BOOL(c));

    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, read_back, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
