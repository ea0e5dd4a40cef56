/* nana_future_await() returns the job's status; afterwards poll is true,
 * status repeats it, and errmsg is "" on success and a non-empty message on
 * failure.  Awaiting a resolved future again returns the same status. */
#include "harness.h"

static void check_ok(nana_future_t *f)
{
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_OK);
    CHECK_STR(nana_future_errmsg(f), "");
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_ST(nana_future_await_for(f, 0), NANA_OK);
}

static void check_failed(nana_future_t *f, nana_status_t want)
{
    CHECK_ST(nana_future_await(f), want);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), want);
    const char *msg = nana_future_errmsg(f);
    CHECK(msg != NULL);
    if (!*msg)
        t_fail(__FILE__, __LINE__, "failed future (%s) has an empty message",
               t_status_name(want));
    CHECK(nana_future_json(f) == NULL);
    /* Awaiting again neither blocks nor changes anything. */
    CHECK_ST(nana_future_await(f), want);
    CHECK_ST(nana_future_await_for(f, 0), want);
    CHECK_STR(nana_future_errmsg(f), msg);
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    json_t *v = t_json("{\"a\":1}");

    nana_future_t *f = nana_set(db, "k", v);
    check_ok(f);
    CHECK(nana_future_json(f) == NULL); /* set has no value */
    nana_future_free(f);

    f = nana_get(db, "k", NULL);
    check_ok(f);
    CHECK_JSON(nana_future_json(f), "{\"a\":1}");
    nana_future_free(f);

    f = nana_contains(db, "k");
    check_ok(f);
    nana_future_free(f);

    f = nana_get(db, "missing", NULL);
    check_failed(f, NANA_ENOTFOUND);
    nana_future_free(f);

    f = nana_delete(db, "missing");
    check_failed(f, NANA_ENOTFOUND);
    nana_future_free(f);

    f = nana_pop(db, "missing", NULL);
    check_failed(f, NANA_ENOTFOUND);
    nana_future_free(f);

    f = nana_get(NULL, "k", NULL);
    CHECK(f != NULL);
    check_failed(f, NANA_EINVAL);
    nana_future_free(f);

    f = nana_set(db, NULL, v);
    CHECK(f != NULL);
    check_failed(f, NANA_EINVAL);
    nana_future_free(f);

    f = nana_update(db, v);
    check_ok(f);
    nana_future_free(f);

    /* A failure leaves the handle working. */
    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "k", NULL), "{\"a\":1}");

    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
