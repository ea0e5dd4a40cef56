/*
 * Submission order per key with reader connections on and footprint
 * routing, from eight threads: a read of key K submitted before an
 * unawaited write of K never sees that write, and a read of K submitted
 * right after it always does -- while each thread also keeps writes of
 * other keys queued between them (which leave the first read on the
 * readers).  Every key starts in the file and out of the cache, so the
 * first read goes to a reader unless the write moves it to the writer.
 */
#include <pthread.h>

#include "harness.h"

#define THREADS 8
#define ROUNDS 200

static nana_db_t *db;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[32], side[32], want[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(key, sizeof key, "t%d-k%d", id, i);
        snprintf(side, sizeof side, "t%d-side%d", id, i % 5);
        nana_future_t *first = i % 4 == 1 ? nana_contains(db, key) : nana_get(db, key, NULL);
        nana_future_t *s1 = t_set_async(db, side, "1");
        snprintf(want, sizeof want, "{\"new\":%d}", i);
        nana_future_t *w = i % 4 == 3 ? nana_delete(db, key) : t_set_async(db, key, want);
        nana_future_t *s2 = t_set_async(db, side, "2");
        nana_future_t *after = nana_get(db, key, NULL);

        if (i % 4 == 1) {
            CHECK(BOOL(first));
        } else {
            SAME(first, "\"old\"");
        }
        if (i % 4 == 3) {
            EXPECT(after, NANA_ENOTFOUND);
        } else {
            SAME(after, want);
        }
        EXPECT(w, NANA_OK);
        EXPECT(s1, NANA_OK);
        EXPECT(s2, NANA_OK);
    }
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    char key[32];
    static nana_future_t *fill[THREADS * ROUNDS];
    for (int id = 0; id < THREADS; id++)
        for (int i = 0; i < ROUNDS; i++) {
            snprintf(key, sizeof key, "t%d-k%d", id, i);
            fill[id * ROUNDS + i] = t_set_async(db, key, "\"old\"");
        }
    for (int i = 0; i < THREADS * ROUNDS; i++)
        EXPECT(fill[i], NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("db", NULL); /* nothing cached */
    CHECK_ST(nana_set_read_connections(db, 3), NANA_OK);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    nana_stats_t st;
    CHECK_ST(nana_stats(db, &st), NANA_OK);
    /* Every first read went to a reader lane: it ran there or was moved. */
    CHECK(st.reads_on_readers + st.reads_moved >= THREADS * ROUNDS);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
