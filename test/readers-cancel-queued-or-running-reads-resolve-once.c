/*
 * Cancelling reads routed to reader connections: a slow helper query
 * (nana_count over 300k rows) cancelled in a loop resolves exactly once
 * each time -- NANA_ECANCELED when taken off the reader queue or stopped
 * at its next step on the reader by its progress handler, or NANA_OK when
 * it had finished -- and cancelled gets queued behind busy readers never
 * run.  The readers go on answering afterwards; nothing is lost.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    t_make_big_table(db, 300000);
    t_set_json(db, "k", "\"kept\"");
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("db", NULL);
    CHECK_ST(nana_set_read_connections(db, 2), NANA_OK);
    json_t *params = t_json("[\"%ab%\"]");

    int cancelled = 0, finished = 0, running = 0;
    for (int i = 0; i < 30; i++) {
        nana_future_t *q = nana_count(db, "big", "v LIKE ?", params);
        nana_future_t *g = nana_get(db, "k", NULL);
        if (i % 2) {
            /* Until a worker runs it on a reader (or it is done). */
            nana_stats_t s;
            do
                CHECK_ST(nana_stats(db, &s), NANA_OK);
            while (s.readers_busy == 0 && !nana_future_poll(q));
            running += s.readers_busy > 0;
        }
        nana_status_t st = nana_future_cancel(q);
        CHECK(st == NANA_OK || st == NANA_PENDING || st == NANA_EINVAL);
        nana_status_t got = nana_future_await(q);
        CHECK(got == NANA_ECANCELED || got == NANA_OK);
        cancelled += got == NANA_ECANCELED;
        finished += got == NANA_OK;
        nana_future_free(q);
        /* A get cancelled at once: off the queue, or it had already run. */
        nana_status_t gs = nana_future_cancel(g);
        nana_status_t gr = nana_future_await(g);
        CHECK(gs == NANA_OK ? gr == NANA_ECANCELED : gr == NANA_OK || gr == NANA_ECANCELED);
        if (gr == NANA_OK)
            CHECK_JSON(nana_future_json(g), "\"kept\"");
        nana_future_free(g);
    }
    CHECK(cancelled + finished == 30);
    CHECK(cancelled > 0);
    json_t *n = TAKE(nana_count(db, "big", NULL, NULL));
    CHECK(json_integer_value(n) == 300000);
    json_decref(n);
    SAME(nana_get(db, "k", NULL), "\"kept\"");
    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.cancelled >= (uint64_t)cancelled);
    CHECK(running > 0);
    printf("%d cancelled (%d while running on a reader), %d finished first\n", cancelled,
           running, finished);
    json_decref(params);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
