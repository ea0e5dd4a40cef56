/*
 * Transactions serialise: eight threads each run 150 transactions that
 * read a shared counter and a per-thread counter and write both back plus
 * one (a read-modify-write that would lose updates without isolation),
 * some through savepoints that they roll back, some rolled back whole;
 * meanwhile plain writes of other keys and cached reads go on from the
 * same threads outside the transactions.  Every committed transaction
 * counts exactly once: the shared counter is the number of commits, each
 * thread's counter its own, in the cache, in the file and in a fresh root.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#define TXNS 150

static nana_db_t *db;
static atomic_int commits;
static int mine[THREADS];

static int64_t read_int(nana_db_t *v, const char *key)
{
    json_t *zero = json_integer(0);
    nana_future_t *f = nana_get(v, key, zero);
    json_decref(zero);
    CHECK_ST(nana_future_await(f), NANA_OK);
    int64_t n = -1;
    CHECK_ST(nana_future_int(f, &n), NANA_OK);
    nana_future_free(f);
    return n;
}

static void write_int(nana_db_t *v, const char *key, int64_t n)
{
    json_t *j = json_integer(n);
    nana_future_t *f = nana_set(v, key, j);
    json_decref(j);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char own[16], side[16];
    snprintf(own, sizeof own, "own%d", id);
    snprintf(side, sizeof side, "side%d", id);
    for (int i = 0; i < TXNS; i++) {
        nana_txn_t *txn = NULL;
        nana_future_t *b = nana_txn_begin(db, NULL, &txn);
        CHECK_ST(nana_future_await(b), NANA_OK);
        nana_future_free(b);
        nana_db_t *in = nana_txn_db(txn, db);
        int64_t shared = read_int(in, "shared"), n = read_int(in, own);
        if (i % 5 == 1) {
            CHECK_ST(t_wait(nana_txn_savepoint(txn)), NANA_OK);
            write_int(in, "shared", -1000);
            CHECK_ST(t_wait(nana_txn_rollback_to(txn)), NANA_OK);
            CHECK_INT(read_int(in, "shared"), shared);
        }
        write_int(in, "shared", shared + 1);
        write_int(in, own, n + 1);
        if (i % 7 == 3) {
            CHECK_ST(t_wait(nana_txn_rollback(txn)), NANA_OK);
        } else {
            CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
            atomic_fetch_add(&commits, 1);
            mine[id]++;
        }
        nana_txn_free(txn);
        /* Outside: a plain write and a cached read. */
        write_int(db, side, i);
        CHECK_INT(read_int(db, side), i);
    }
    return NULL;
}

int main(void)
{
    db = t_open("t.db", NULL);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(read_int(db, "shared"), atomic_load(&commits));
    for (int i = 0; i < THREADS; i++) {
        char own[16];
        snprintf(own, sizeof own, "own%d", i);
        CHECK_INT(read_int(db, own), mine[i]);
    }
    CHECK_ST(nana_close(db), NANA_OK);
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT value FROM data WHERE key = 'shared'");
    CHECK_INT(t_raw_int(t_path("t.db"), sql), atomic_load(&commits));
    db = t_open("t.db", NULL);
    CHECK_INT(read_int(db, "shared"), atomic_load(&commits));
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
