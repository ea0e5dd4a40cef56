/*
 * A read that is already running is stopped by its cancel at its next
 * step -- through a progress handler scoped to that job, so the
 * connection goes on: a query that would count to ten billion resolves
 * NANA_ECANCELED within moments, and the writes queued behind it, and a
 * read in the same batch, run as usual.  Cancelling in a loop while a
 * worker takes the job exercises both outcomes (taken off the queue, or
 * stopped while it runs): exactly one resolution each time.
 */
#include <sched.h>

#include "harness.h"

#define LONG_QUERY                                                                             \
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "  \
    "SELECT count(*) FROM c"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    t_set_json(db, "k", "1");

    /* Wait (without sleeping) until the worker took the query. */
    nana_future_t *q = nana_fetch_one(db, LONG_QUERY, NULL);
    nana_stats_t s;
    do {
        CHECK_ST(nana_stats(db, &s), NANA_OK);
        sched_yield();
    } while (s.queued > 0);
    int64_t t0 = t_now_ms();
    CHECK_ST(nana_future_cancel(q), NANA_PENDING);
    nana_future_t *w = t_set_async(db, "after", "2");
    CHECK_ST(nana_future_await(q), NANA_ECANCELED);
    CHECK(t_now_ms() - t0 < 20000);
    CHECK(nana_future_json(q) == NULL);
    nana_future_free(q);
    EXPECT(w, NANA_OK);
    SAME(nana_get(db, "after", NULL), "2");

    int at_once = 0, stopped = 0;
    for (int i = 0; i < 40; i++) {
        q = nana_fetch_one(db, LONG_QUERY, NULL);
        nana_status_t st = nana_future_cancel(q);
        CHECK(st == NANA_OK || st == NANA_PENDING);
        CHECK_ST(nana_future_await(q), NANA_ECANCELED);
        at_once += st == NANA_OK;
        stopped += st == NANA_PENDING;
        CHECK_ST(nana_future_cancel(q), NANA_EINVAL);
        nana_future_free(q);
    }
    CHECK(at_once + stopped == 40);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM data", NULL), "[2]");
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.cancelled >= 41);
    printf("cancelled: %d off the queue, %d while running\n", at_once, stopped);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
