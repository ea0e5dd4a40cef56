/*
 * With reader connections, a get the cache cannot answer reads the file
 * on a reader: it resolves while a write of the same root waits in the
 * busy handler for another process's lock (a raw connection holding
 * BEGIN IMMEDIATE).  A read of the key that write touches still waits for
 * it and sees it; once the lock is released the write lands.
 */
#include <sqlite3.h>

#include "harness.h"

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof key, "cold-%d", i);
        t_set_json(db, key, "{\"n\":1}");
    }
    CHECK_ST(nana_close(db), NANA_OK);

    /* Reopened: nothing cached. */
    db = t_open("db", &opts);
    CHECK_ST(nana_set_read_connections(db, 2), NANA_OK);
    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *w = t_set_async(db, "w", "\"written\"");
    nana_future_t *after = nana_get(db, "w", NULL); /* behind the write */
    CHECK_ST(nana_future_await_for(w, 50), NANA_ETIMEDOUT);

    /* Uncached reads complete while the write waits: awaited first. */
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof key, "cold-%d", i);
        nana_future_t *r = i % 2 ? nana_get(db, key, NULL) : nana_contains(db, key);
        CHECK_ST(nana_future_await_for(r, 30000), NANA_OK);
        if (i % 2)
            CHECK_JSON(nana_future_json(r), "{\"n\":1}");
        else
            CHECK(json_is_true(nana_future_json(r)));
        nana_future_free(r);
    }
    /* A missing key too, with a default. */
    json_t *dflt = json_string("none");
    nana_future_t *r = nana_get(db, "missing", dflt);
    CHECK_ST(nana_future_await_for(r, 30000), NANA_OK);
    CHECK_JSON(nana_future_json(r), "\"none\"");
    nana_future_free(r);
    json_decref(dflt);
    CHECK(!nana_future_poll(w));
    CHECK(!nana_future_poll(after));

    t_gate_release(gate, true);
    EXPECT(w, NANA_OK);
    SAME(after, "\"written\"");
    /* The reads filled the cache. */
    CHECK(BOOL(nana_is_cached(db, "cold-3")));
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
