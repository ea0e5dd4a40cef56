/* nana_future_await_for(): 0 on a pending future returns NANA_ETIMEDOUT at
 * once; a timeout that expires returns NANA_ETIMEDOUT no earlier than asked
 * and leaves the future pending and usable; once the job can run, a negative
 * timeout waits for it and a long timeout returns as soon as it resolves. */
#include <sqlite3.h>

#include "harness.h"

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *v = json_string("v");
    CHECK_ST(t_wait(nana_set(db, "warm", v)), NANA_OK);

    /* Resolved futures: any timeout returns the status at once. */
    nana_future_t *done = nana_get(db, "warm", NULL);
    CHECK_ST(nana_future_await(done), NANA_OK);
    CHECK_ST(nana_future_await_for(done, 0), NANA_OK);
    CHECK_ST(nana_future_await_for(done, 100000), NANA_OK);
    CHECK_ST(nana_future_await_for(done, -1), NANA_OK);
    nana_future_free(done);
    nana_future_t *failed = nana_get(db, "nope", NULL);
    CHECK_ST(nana_future_await(failed), NANA_ENOTFOUND);
    CHECK_ST(nana_future_await_for(failed, 0), NANA_ENOTFOUND);
    nana_future_free(failed);

    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *f = nana_set(db, "k", v);

    CHECK_ST(nana_future_await_for(f, 0), NANA_ETIMEDOUT);
    CHECK(!nana_future_poll(f));

    int64_t t0 = t_now_ms();
    CHECK_ST(nana_future_await_for(f, 100), NANA_ETIMEDOUT);
    int64_t waited = t_now_ms() - t0;
    if (waited < 90)
        t_fail(__FILE__, __LINE__, "await_for(100) gave up after %lld ms",
               (long long)waited);
    CHECK(!nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_PENDING);

    t0 = t_now_ms();
    CHECK_ST(nana_future_await_for(f, 150), NANA_ETIMEDOUT);
    waited = t_now_ms() - t0;
    if (waited < 140)
        t_fail(__FILE__, __LINE__, "await_for(150) gave up after %lld ms",
               (long long)waited);
    CHECK_ST(nana_future_status(f), NANA_PENDING);

    t_gate_release(gate, true);
    CHECK_ST(nana_future_await_for(f, -1), NANA_OK);
    CHECK(nana_future_poll(f));
    nana_future_free(f);

    /* A long timeout does not make a quick job wait for it. */
    t0 = t_now_ms();
    nana_future_t *g = nana_get(db, "k", NULL);
    CHECK_ST(nana_future_await_for(g, 60000), NANA_OK);
    CHECK(t_now_ms() - t0 < 30000);
    CHECK_JSON(nana_future_json(g), "\"v\"");
    nana_future_free(g);

    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
