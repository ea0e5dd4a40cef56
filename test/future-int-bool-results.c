/* nana_future_int() / nana_future_bool() read integer and boolean results,
 * return NANA_ETYPE when the result has another type (or no value), and the
 * job's own status when the job failed. */
#include "harness.h"

static nana_future_t *done(nana_future_t *f, nana_status_t want)
{
    CHECK_ST(nana_future_await(f), want);
    return f;
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    json_t *str = json_string("text");
    json_t *num = json_integer(42);
    json_t *tru = json_true();
    json_t *big = json_integer(INT64_MIN);
    CHECK_ST(t_wait(nana_set(db, "s", str)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "n", num)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "t", tru)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "big", big)), NANA_OK);

    int64_t i;
    bool b;

    /* len: an integer, not a boolean. */
    nana_future_t *f = done(nana_len(db), NANA_OK);
    i = -1;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 4);
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    /* Reading does not consume: read it again. */
    i = -1;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 4);
    nana_future_free(f);

    /* contains: a boolean, not an integer. */
    f = done(nana_contains(db, "s"), NANA_OK);
    b = false;
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK(b);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    nana_future_free(f);
    f = done(nana_contains(db, "nope"), NANA_OK);
    b = true;
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK(!b);
    nana_future_free(f);

    /* is_cached is a boolean too; load_all counts rows. */
    f = done(nana_is_cached(db, "s"), NANA_OK);
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    nana_future_free(f);
    f = done(nana_load_all(db), NANA_OK);
    i = -1;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 4);
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    nana_future_free(f);

    /* Values from get: typed by what is stored. */
    f = done(nana_get(db, "s", NULL), NANA_OK);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    nana_future_free(f);
    f = done(nana_get(db, "n", NULL), NANA_OK);
    i = -1;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 42);
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    nana_future_free(f);
    f = done(nana_get(db, "big", NULL), NANA_OK);
    i = 0;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK(i == INT64_MIN);
    nana_future_free(f);
    f = done(nana_get(db, "t", NULL), NANA_OK);
    b = false;
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK(b);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    nana_future_free(f);

    /* No value at all. */
    f = done(nana_set(db, "x", num), NANA_OK);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    nana_future_free(f);

    /* Failed futures report the job's status, not ETYPE. */
    f = done(nana_get(db, "nope", NULL), NANA_ENOTFOUND);
    CHECK_ST(nana_future_int(f, &i), NANA_ENOTFOUND);
    CHECK_ST(nana_future_bool(f, &b), NANA_ENOTFOUND);
    nana_future_free(f);
    f = done(nana_len(NULL), NANA_EINVAL);
    CHECK_ST(nana_future_int(f, &i), NANA_EINVAL);
    nana_future_free(f);
    f = done(nana_future_failed(NANA_ESQL, "boom"), NANA_ESQL);
    CHECK_ST(nana_future_int(f, &i), NANA_ESQL);
    CHECK_ST(nana_future_bool(f, &b), NANA_ESQL);
    nana_future_free(f);

    /* Resolved futures are typed by their value. */
    json_t *seven = json_integer(7);
    f = nana_future_resolved(seven);
    i = 0;
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 7);
    nana_future_free(f);
    json_t *fls = json_false();
    f = nana_future_resolved(fls);
    b = true;
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK(!b);
    CHECK_ST(nana_future_int(f, &i), NANA_ETYPE);
    nana_future_free(f);

    json_decref(seven);
    json_decref(fls);
    json_decref(str);
    json_decref(num);
    json_decref(tru);
    json_decref(big);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
