/*
 * nana_get: returns the stored value; a missing key with a default resolves
 * to a copy of the default (the caller's default may change right after the
 * call without affecting the result); a missing key without a default is
 * NANA_ENOTFOUND with a non-empty message; a stored JSON null is a value, not
 * absence; NULL db or key is NANA_EINVAL and leaves the data intact.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("get.db", NULL);

    json_t *v = t_json("{\"name\":\"ann\",\"tags\":[1,2,3],\"n\":null}");
    CHECK_ST(t_wait(nana_set(db, "present", v)), NANA_OK);
    json_decref(v);
    CHECK_ST(t_wait(nana_set(db, "nullval", json_null())), NANA_OK);
    json_t *zero = json_integer(0);
    CHECK_ST(t_wait(nana_set(db, "zero", zero)), NANA_OK);
    json_decref(zero);

    /* success */
    t_expect(nana_get(db, "present", NULL), "{\"name\":\"ann\",\"tags\":[1,2,3],\"n\":null}");
    t_expect(nana_get(db, "zero", NULL), "0");

    /* a default is ignored when the key exists */
    json_t *dflt = t_json("{\"default\":true}");
    t_expect(nana_get(db, "present", dflt), "{\"name\":\"ann\",\"tags\":[1,2,3],\"n\":null}");

    /* stored null is a value: returned as null, not the default, not ENOTFOUND */
    t_expect(nana_get(db, "nullval", NULL), "null");
    t_expect(nana_get(db, "nullval", dflt), "null");

    /* missing without default: ENOTFOUND, no value, message not empty */
    nana_future_t *f = nana_get(db, "missing", NULL);
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK_ST(nana_future_status(f), NANA_ENOTFOUND);
    CHECK(nana_future_json(f) == NULL);
    CHECK(nana_future_errmsg(f) != NULL && nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    /* missing (never asked, so not cached) with default: a copy of it */
    json_t *dflt2 = t_json("{\"list\":[1]}");
    f = nana_get(db, "never-asked", dflt2);
    json_array_append_new(json_object_get(dflt2, "list"), json_integer(2));
    json_object_set_new(dflt2, "more", json_true());
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) != dflt2);
    CHECK_JSON(nana_future_json(f), "{\"list\":[1]}");
    nana_future_free(f);
    json_decref(dflt2);

    /* missing (cached as absent) with default: the value is a copy of it */
    f = nana_get(db, "missing", dflt);
    /* the caller may change its default right after the call */
    json_object_set_new(dflt, "default", json_false());
    json_object_set_new(dflt, "extra", json_integer(7));
    CHECK_ST(nana_future_await(f), NANA_OK);
    json_t *got = nana_future_json(f);
    CHECK(got != NULL);
    CHECK(got != dflt);
    CHECK_JSON(got, "{\"default\":true}");
    nana_future_free(f);
    json_decref(dflt);

    /* the default was not stored */
    CHECK(!t_bool(nana_contains(db, "missing")));
    CHECK_ST(t_wait(nana_get(db, "missing", NULL)), NANA_ENOTFOUND);

    /* a scalar default */
    json_t *sd = json_string("fallback");
    t_expect(nana_get(db, "other-missing", sd), "\"fallback\"");
    json_decref(sd);

    /* take_json hands over a new reference */
    json_t *taken = t_take(nana_get(db, "present", NULL), NANA_OK);
    CHECK(taken != NULL);
    CHECK_JSON(json_object_get(taken, "tags"), "[1,2,3]");
    nana_json_release(taken);

    /* bad arguments */
    CHECK_ST(t_wait(nana_get(NULL, "present", NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_get(db, NULL, NULL)), NANA_EINVAL);
    json_t *d2 = json_integer(1);
    CHECK_ST(t_wait(nana_get(NULL, "present", d2)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_get(db, NULL, d2)), NANA_EINVAL);
    json_decref(d2);
    f = nana_get(db, NULL, NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    /* data intact after the refused calls */
    t_expect(nana_get(db, "present", NULL), "{\"name\":\"ann\",\"tags\":[1,2,3],\"n\":null}");
    t_expect(nana_get(db, "nullval", NULL), "null");
    CHECK_INT(t_int(nana_len(db)), 3);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
