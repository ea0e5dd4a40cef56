/*
 * Bug: a get_fresh that shared a group commit with a write did not refresh
 * the cache, so a get queued right behind it returned the old value; and an
 * uncached get sharing a batch with any write was never cached.  Reads are
 * made to share a batch with a write by queueing them while another
 * connection holds the write lock (the batch before them waits in SQLite's
 * busy handler); the outcome must not depend on how jobs were batched.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("fresh.db");
    nana_db_t *db = t_open("fresh.db", NULL);

    for (int round = 0; round < 20; round++) {
        char val[32];
        CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK); /* u not cached */
        t_set_json(db, "k", "1");
        snprintf(val, sizeof val, "%d", 100 + round);
        t_raw_put(path, "k", val); /* another connection: the cache still says 1 */
        t_raw_put(path, "u", val); /* not cached */

        sqlite3 *gate = t_gate_lock(path);
        json_t *one = json_integer(1);
        nana_future_t *w0 = nana_set(db, "w", one);
        nana_future_t *fresh = nana_get_fresh(db, "k", NULL);
        nana_future_t *plain = nana_get(db, "u", NULL);
        nana_future_t *w1 = nana_set(db, "x", one);
        nana_future_t *after = nana_get(db, "k", NULL);
        nana_future_t *cached = nana_is_cached(db, "u");
        json_decref(one);
        t_gate_release(gate, true);

        CHECK_ST(t_wait(w0), NANA_OK);
        t_expect(fresh, val);
        t_expect(plain, val);
        CHECK_ST(t_wait(w1), NANA_OK);
        t_expect(after, val);
        CHECK(t_bool(cached));
        /* And afterwards, answered from the cache. */
        t_expect(nana_get(db, "k", NULL), val);
        CHECK(t_bool(nana_is_cached(db, "u")));
        t_expect(nana_get(db, "u", NULL), val);
    }
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
