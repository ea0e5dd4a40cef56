/*
 * nana_stats reports what the root did, from any thread while it works:
 * eight threads write 500 keys each (every future awaited, so commits hold
 * several writes) and read them back through the cache -- afterwards jobs
 * committed count every write, batches are fewer than writes, the mean per
 * commit is their quotient, nothing is queued or in flight, the table's
 * cache holds an entry per key and its hits count the cached reads; a
 * sub-table reports its own cache; a write that waits for another
 * connection's lock counts busy retries; transactions count commits and
 * rollbacks.  A monitoring thread reads the stats all along and sees
 * counters that never go down.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#define PER 500

static nana_db_t *db;
static atomic_bool done;

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[32];
    for (int i = 0; i < PER; i++) {
        snprintf(key, sizeof key, "t%d-%d", id, i);
        CHECK_ST(t_wait(t_set_async(db, key, "true")), NANA_OK);
    }
    for (int i = 0; i < PER; i++) {
        snprintf(key, sizeof key, "t%d-%d", id, i);
        SAME(nana_get(db, key, NULL), "true");
    }
    return NULL;
}

static void *monitor(void *arg)
{
    (void)arg;
    uint64_t last_jobs = 0, last_hits = 0;
    while (!atomic_load(&done)) {
        nana_stats_t s;
        CHECK_ST(nana_stats(db, &s), NANA_OK);
        CHECK(s.jobs_committed >= last_jobs);
        CHECK(s.cache_hits >= last_hits);
        last_jobs = s.jobs_committed;
        last_hits = s.cache_hits;
    }
    return NULL;
}

int main(void)
{
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = 200;
    db = t_open("t.db", &o);
    nana_stats_t s;
    CHECK_ST(nana_stats(NULL, &s), NANA_EINVAL);
    CHECK_ST(nana_stats(db, NULL), NANA_EINVAL);
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK_INT(s.jobs_committed, 0);

    pthread_t th[THREADS], mon;
    CHECK(pthread_create(&mon, NULL, monitor, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&done, true);
    pthread_join(mon, NULL);

    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK_INT(s.jobs_committed, THREADS * PER);
    CHECK(s.batches_committed >= 1 && s.batches_committed <= s.jobs_committed);
    CHECK(s.mean_jobs_per_commit >= 1.0);
    CHECK(s.mean_jobs_per_commit * (double)s.batches_committed > s.jobs_committed - 0.5);
    CHECK_INT(s.queued, 0);
    CHECK_INT(s.in_flight, 0);
    CHECK(s.submitted >= THREADS * PER);
    CHECK_INT(s.cache_entries, THREADS * PER);
    CHECK(s.cache_hits >= THREADS * PER);
    CHECK_INT(s.busy_retries, 0);

    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    nana_stats_t ss;
    CHECK_ST(nana_stats(sub, &ss), NANA_OK);
    CHECK_INT(ss.cache_entries, 0);
    CHECK(ss.jobs_committed >= s.jobs_committed); /* the root's */

    /* Busy waits. */
    sqlite3 *gate = t_gate_lock(t_path("t.db"));
    EXPECT(t_set_async(db, "blocked", "1"), NANA_EBUSY);
    t_gate_release(gate, false);
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.busy_retries >= 3);
    CHECK(s.batches_failed >= 1);

    /* Transactions. */
    nana_txn_t *txn;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_txn_free(txn);
    EXPECT(t_set_async(db, "sync", "0"), NANA_OK); /* after the rollback */
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK_INT(s.txns_committed, 1);
    CHECK_INT(s.txns_rolled_back, 1);

    nana_close(sub);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
