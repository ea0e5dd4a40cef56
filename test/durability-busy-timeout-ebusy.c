/* busy_timeout_ms = 200 and another connection holding the write lock
 * throughout: a set fails NANA_EBUSY (with a message) after waiting about
 * the timeout, so do ten more queued behind it; nothing is stored and the
 * cache did not change.  Once the lock is gone, writes work again. */
#include <sqlite3.h>

#include "harness.h"

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 200;
    nana_db_t *db = t_open("db", &opts);
    json_t *old = json_string("old"), *new_value = json_string("new");
    CHECK_ST(t_wait(nana_set(db, "k", old)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "\"old\"");
    const char *path = t_path("db");

    sqlite3 *gate = t_gate_lock(path);
    int64_t t0 = t_now_ms();
    nana_future_t *f = nana_set(db, "k", new_value);
    CHECK_ST(nana_future_await(f), NANA_EBUSY);
    int64_t waited = t_now_ms() - t0;
    if (waited < 150)
        t_fail(__FILE__, __LINE__, "EBUSY after %lld ms, before the 200 ms busy timeout",
               (long long)waited);
    CHECK(*nana_future_errmsg(f));
    nana_future_free(f);

    nana_future_t *more[10];
    char key[32];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "m%d", i);
        more[i] = nana_set(db, key, new_value);
    }
    for (int i = 0; i < 10; i++) {
        if (nana_future_await(more[i]) != NANA_EBUSY)
            t_fail(__FILE__, __LINE__, "queued set %d: %s, want NANA_EBUSY", i,
                   t_status_name(nana_future_status(more[i])));
        CHECK(*nana_future_errmsg(more[i]));
        nana_future_free(more[i]);
    }

    /* Nothing landed, and the cache still has the old value. */
    t_expect(nana_get(db, "k", NULL), "\"old\"");
    CHECK_ST(t_wait(nana_get(db, "m0", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(db)), 1);
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "\"old\"");
    free(raw);
    t_gate_release(gate, false);

    CHECK_ST(t_wait(nana_set(db, "k", new_value)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "\"new\"");
    t_expect(nana_get_fresh(db, "k", NULL), "\"new\"");
    CHECK_ST(nana_close(db), NANA_OK);
    raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "\"new\"");
    free(raw);
    json_decref(old);
    json_decref(new_value);
    return 0;
}
