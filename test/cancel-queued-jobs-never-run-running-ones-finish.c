/*
 * nana_future_cancel takes a job that is still queued off the queue: its
 * future resolves NANA_ECANCELED at once, and the job never runs -- a
 * cancelled set writes nothing, a cancelled get caches nothing.  Jobs
 * around it are untouched.  A write already taken to run is not stopped:
 * cancel says NANA_PENDING and the write completes.  Cancelling a resolved
 * future, NULL, or a transaction's control step is NANA_EINVAL; a
 * then-chain whose upstream is cancelled fails NANA_ECANCELED too, and
 * cancelling the chain's own future cancels what it waits for.
 *
 * Determinism: another connection holds the write lock, so the first job
 * (a SQL write, which runs as a batch of its own) waits in SQLite's busy
 * handler, and everything submitted after it stays queued until the lock
 * is released.
 */
#include <sqlite3.h>

#include "harness.h"

static nana_future_t *keep_going(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    return NULL;
}

int main(void)
{
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = 30000;
    nana_db_t *db = t_open("t.db", &o);
    t_set_json(db, "old", "1");
    sqlite3 *gate = t_gate_lock(t_path("t.db"));

    nana_future_t *first = t_execute(db, "INSERT INTO data(key, value) VALUES ('first', '0')", NULL);
    nana_future_t *a = t_set_async(db, "a", "1");
    nana_future_t *b = t_set_async(db, "b", "2");
    nana_future_t *c = t_set_async(db, "c", "3");
    nana_future_t *g = nana_get(db, "uncached", NULL);
    nana_future_t *chained = nana_future_then(t_set_async(db, "d", "4"), keep_going, NULL);
    nana_future_t *chained2 = nana_future_then(t_set_async(db, "e", "5"), keep_going, NULL);
    nana_txn_t *txn = NULL;
    nana_future_t *begun = nana_txn_begin(db, NULL, &txn);

    CHECK_ST(nana_future_cancel(b), NANA_OK);
    CHECK(nana_future_poll(b));
    CHECK_ST(nana_future_status(b), NANA_ECANCELED);
    CHECK(strstr(nana_future_errmsg(b), "cancelled") != NULL);
    CHECK_ST(nana_future_cancel(b), NANA_EINVAL); /* resolved */
    CHECK_ST(nana_future_cancel(g), NANA_OK);
    CHECK_ST(nana_future_status(g), NANA_ECANCELED);
    CHECK_ST(nana_future_cancel(chained), NANA_OK); /* passed on to d's set */
    CHECK_ST(nana_future_await(chained), NANA_ECANCELED);
    CHECK_ST(nana_future_cancel(begun), NANA_EINVAL);
    CHECK_ST(nana_future_cancel(NULL), NANA_EINVAL);
    nana_status_t st_first = nana_future_cancel(first); /* queued, or waiting for the lock */
    CHECK(st_first == NANA_OK || st_first == NANA_PENDING);

    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.cancelled >= 3);

    t_gate_release(gate, false);
    if (st_first == NANA_OK)
        EXPECT(first, NANA_ECANCELED);
    else
        EXPECT(first, NANA_OK);
    EXPECT(a, NANA_OK);
    EXPECT(b, NANA_ECANCELED);
    EXPECT(c, NANA_OK);
    EXPECT(g, NANA_ECANCELED);
    CHECK_ST(nana_future_await(chained2), NANA_OK);
    nana_future_free(chained);
    nana_future_free(chained2);
    EXPECT(begun, NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);

    CHECK(t_raw_value(t_path("t.db"), "data", "b") == NULL);
    CHECK(t_raw_value(t_path("t.db"), "data", "d") == NULL);
    char *raw = t_raw_value(t_path("t.db"), "data", "e");
    CHECK_STR(raw, "5");
    free(raw);
    CHECK(!BOOL(nana_is_cached(db, "uncached")));
    CHECK(BOOL(nana_is_cached(db, "a")));
    SAME(nana_get(db, "c", NULL), "3");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
