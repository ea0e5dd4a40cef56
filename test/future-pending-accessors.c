/* While a job is blocked (another connection holds the write lock), its
 * future reports pending through every accessor -- poll false, status
 * NANA_PENDING, errmsg "", json NULL, int/bool NANA_PENDING, await_for(0)
 * NANA_ETIMEDOUT -- and none of those calls block or change it. */
#include <sqlite3.h>

#include "harness.h"

static void check_pending(nana_future_t *f)
{
    CHECK(!nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_PENDING);
    CHECK(nana_future_errmsg(f) != NULL);
    CHECK_STR(nana_future_errmsg(f), "");
    CHECK(nana_future_json(f) == NULL);
    int64_t i = 12345;
    bool b = true;
    CHECK_ST(nana_future_int(f, &i), NANA_PENDING);
    CHECK_ST(nana_future_bool(f, &b), NANA_PENDING);
    CHECK_ST(nana_future_await_for(f, 0), NANA_ETIMEDOUT);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *one = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "warm", one)), NANA_OK);

    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *f = nana_set(db, "k", one);
    nana_future_t *g = nana_get(db, "k", NULL);
    check_pending(f);
    CHECK(nana_future_take_json(f) == NULL);
    check_pending(f);
    /* Time passes; the blocked job is still blocked. */
    CHECK_ST(nana_future_await_for(f, 30), NANA_ETIMEDOUT);
    check_pending(f);

    t_gate_release(gate, true);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_OK);
    CHECK_STR(nana_future_errmsg(f), "");
    CHECK_ST(nana_future_await_for(f, 0), NANA_OK);
    nana_future_free(f);

    /* The get submitted after the blocked set saw it. */
    CHECK_ST(nana_future_await(g), NANA_OK);
    CHECK_JSON(nana_future_json(g), "1");
    nana_future_free(g);

    json_decref(one);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
