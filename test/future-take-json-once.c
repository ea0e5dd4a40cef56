/* nana_future_json() lends the result until free; nana_future_take_json()
 * hands over a new reference exactly once, after which both accessors return
 * NULL.  The taken value outlives the future and the handle. */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    json_t *v = t_json("{\"a\":[1,2,3],\"b\":\"x\"}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);

    nana_future_t *f = nana_get(db, "k", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    json_t *lent = nana_future_json(f);
    CHECK_JSON(lent, "{\"a\":[1,2,3],\"b\":\"x\"}");
    CHECK(nana_future_json(f) == lent); /* the same borrowed value each time */
    json_t *taken = nana_future_take_json(f);
    CHECK(taken != NULL);
    CHECK_JSON(taken, "{\"a\":[1,2,3],\"b\":\"x\"}");
    CHECK(nana_future_json(f) == NULL);
    CHECK(nana_future_take_json(f) == NULL);
    CHECK(nana_future_json(f) == NULL);
    /* The future itself is still resolved OK. */
    CHECK_ST(nana_future_status(f), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);

    /* A second get hands out its own reference; taking one does not disturb
     * the other holder. */
    nana_future_t *g1 = nana_get(db, "k", NULL);
    nana_future_t *g2 = nana_get(db, "k", NULL);
    CHECK_ST(nana_future_await(g1), NANA_OK);
    CHECK_ST(nana_future_await(g2), NANA_OK);
    json_t *t1 = nana_future_take_json(g1);
    nana_future_free(g1);
    CHECK_JSON(nana_future_json(g2), "{\"a\":[1,2,3],\"b\":\"x\"}");
    nana_future_free(g2);
    CHECK_JSON(t1, "{\"a\":[1,2,3],\"b\":\"x\"}");

    /* Futures with no value: NULL from both, and take stays NULL. */
    nana_future_t *s = nana_set(db, "k2", v);
    CHECK_ST(nana_future_await(s), NANA_OK);
    CHECK(nana_future_json(s) == NULL);
    CHECK(nana_future_take_json(s) == NULL);
    nana_future_free(s);
    nana_future_t *m = nana_get(db, "missing", NULL);
    CHECK_ST(nana_future_await(m), NANA_ENOTFOUND);
    CHECK(nana_future_json(m) == NULL);
    CHECK(nana_future_take_json(m) == NULL);
    nana_future_free(m);

    /* Default values are taken the same way. */
    json_t *dflt = t_json("[\"d\"]");
    nana_future_t *d = nana_get(db, "missing", dflt);
    CHECK_ST(nana_future_await(d), NANA_OK);
    json_t *td = nana_future_take_json(d);
    CHECK_JSON(td, "[\"d\"]");
    CHECK(nana_future_take_json(d) == NULL);
    nana_future_free(d);

    /* Resolved futures too. */
    nana_future_t *r = nana_future_resolved(v);
    json_t *tr = nana_future_take_json(r);
    CHECK_JSON(tr, "{\"a\":[1,2,3],\"b\":\"x\"}");
    CHECK(nana_future_json(r) == NULL);
    CHECK(nana_future_take_json(r) == NULL);
    nana_future_free(r);

    CHECK_ST(nana_close(db), NANA_OK);
    /* Taken values are ours: still intact after the handle is gone. */
    CHECK_JSON(taken, "{\"a\":[1,2,3],\"b\":\"x\"}");
    CHECK_JSON(t1, "{\"a\":[1,2,3],\"b\":\"x\"}");
    nana_json_release(taken);
    nana_json_release(t1);
    nana_json_release(td);
    nana_json_release(tr);
    json_decref(dflt);
    json_decref(v);
    return 0;
}
