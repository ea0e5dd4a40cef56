/*
 * nana_contains: a boolean -- true for stored keys including one holding
 * JSON null or false, false for missing and deleted keys, true again after a
 * later set; NULL db or key is NANA_EINVAL; nana_future_int on its result is
 * NANA_ETYPE (it is a boolean, not an integer).
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("contains.db", NULL);

    json_t *v = json_integer(5);
    CHECK_ST(t_wait(nana_set(db, "five", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "null", json_null())), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "false", json_false())), NANA_OK);

    CHECK(t_bool(nana_contains(db, "five")));
    CHECK(t_bool(nana_contains(db, "null")));
    CHECK(t_bool(nana_contains(db, "false")));
    CHECK(!t_bool(nana_contains(db, "missing")));
    CHECK(!t_bool(nana_contains(db, "Five"))); /* keys are case-sensitive */

    /* result is a boolean, not an integer, and carries a JSON true/false */
    nana_future_t *f = nana_contains(db, "five");
    CHECK_ST(nana_future_await(f), NANA_OK);
    int64_t n = 0;
    CHECK_ST(nana_future_int(f, &n), NANA_ETYPE);
    bool b = false;
    CHECK_ST(nana_future_bool(f, &b), NANA_OK);
    CHECK(b);
    nana_future_free(f);

    CHECK_ST(t_wait(nana_delete(db, "five")), NANA_OK);
    CHECK(!t_bool(nana_contains(db, "five")));

    /* missing (and cached as absent) becomes present after a set */
    CHECK(!t_bool(nana_contains(db, "later")));
    CHECK_ST(t_wait(nana_set(db, "later", v)), NANA_OK);
    CHECK(t_bool(nana_contains(db, "later")));
    json_decref(v);

    /* unawaited set then contains: sees the set */
    json_t *w = json_true();
    nana_future_t *s = nana_set(db, "quick", w);
    nana_future_t *c = nana_contains(db, "quick");
    CHECK(t_bool(c));
    CHECK_ST(t_wait(s), NANA_OK);

    CHECK_ST(t_wait(nana_contains(NULL, "null")), NANA_EINVAL);
    f = nana_contains(db, NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK_ST(nana_future_bool(f, &b), NANA_EINVAL);
    nana_future_free(f);

    t_expect(nana_get(db, "null", NULL), "null");
    t_expect(nana_get(db, "false", NULL), "false");
    CHECK_INT(t_int(nana_len(db)), 4);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
