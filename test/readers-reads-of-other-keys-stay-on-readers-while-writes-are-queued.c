/*
 * Footprint routing: a job queued for the writer moves to the writer only
 * the waiting reads it could affect.  With the writer stuck in the busy
 * handler on another process's lock, and a write of some other key
 * submitted right after every cold read -- plus a clear of another table
 * and writes of other keys of the same table -- each read still completes
 * (so it ran on a reader: the writer cannot run anything), none was moved
 * (reads_moved stays 0), and reads_on_readers counts them all.  A read of
 * a key with a write queued goes behind that write and sees it.
 */
#include <sqlite3.h>

#include "harness.h"

#define COLD 40

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    char key[32];
    for (int i = 0; i < COLD; i++) {
        snprintf(key, sizeof key, "cold-%d", i);
        t_set_json(db, key, "{\"n\":1}");
    }
    CHECK_ST(nana_close(db), NANA_OK);

    /* Reopened: nothing cached. */
    db = t_open("db", &opts);
    nana_db_t *other = NULL;
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);
    t_set_json(other, "x", "1");
    CHECK_ST(nana_set_read_connections(db, 2), NANA_OK);
    nana_stats_t before;
    CHECK_ST(nana_stats(db, &before), NANA_OK);

    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *w[COLD + 1];
    w[COLD] = t_set_async(db, "w-first", "0");
    /* The writer is stuck on the gate: what it would run stays queued. */
    CHECK_ST(nana_future_await_for(w[COLD], 50), NANA_ETIMEDOUT);
    nana_future_t *cleared = nana_clear(other);

    nana_future_t *r[COLD];
    for (int i = 0; i < COLD; i++) {
        snprintf(key, sizeof key, "cold-%d", i);
        r[i] = i % 3 ? nana_get(db, key, NULL) : nana_contains(db, key);
        snprintf(key, sizeof key, "w-%d", i);
        w[i] = t_set_async(db, key, "1");
    }
    nana_future_t *behind = nana_get(db, "w-7", NULL); /* pinned: after w[7] */
    for (int i = 0; i < COLD; i++) {
        CHECK_ST(nana_future_await_for(r[i], 30000), NANA_OK);
        if (i % 3)
            CHECK_JSON(nana_future_json(r[i]), "{\"n\":1}");
        else
            CHECK(json_is_true(nana_future_json(r[i])));
        nana_future_free(r[i]);
    }
    nana_stats_t during;
    CHECK_ST(nana_stats(db, &during), NANA_OK);
    CHECK_INT((long long)(during.reads_moved - before.reads_moved), 0);
    CHECK_INT((long long)(during.reads_on_readers - before.reads_on_readers), COLD);
    for (int i = 0; i <= COLD; i++)
        CHECK(!nana_future_poll(w[i]));
    CHECK(!nana_future_poll(cleared));
    CHECK(!nana_future_poll(behind));

    t_gate_release(gate, true);
    for (int i = 0; i <= COLD; i++)
        EXPECT(w[i], NANA_OK);
    EXPECT(cleared, NANA_OK);
    SAME(behind, "1");
    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
