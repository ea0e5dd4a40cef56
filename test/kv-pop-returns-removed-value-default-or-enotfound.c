/*
 * nana_pop: resolves to the removed value and the key is gone (also from the
 * file once resolved); a stored JSON null pops as null (not the default); a
 * missing key resolves to a copy of the default without storing it, or
 * NANA_ENOTFOUND without one; NULL db or key is NANA_EINVAL and removes
 * nothing.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("pop.db");
    nana_db_t *db = t_open("pop.db", NULL);

    json_t *v = t_json("{\"deep\":{\"list\":[1,2,3]}}");
    CHECK_ST(t_wait(nana_set(db, "obj", v)), NANA_OK);
    json_decref(v);
    v = json_integer(77);
    CHECK_ST(t_wait(nana_set(db, "num", v)), NANA_OK);
    json_decref(v);
    CHECK_ST(t_wait(nana_set(db, "nul", json_null())), NANA_OK);

    /* pop an existing key */
    json_t *got = t_take(nana_pop(db, "obj", NULL), NANA_OK);
    CHECK_JSON(got, "{\"deep\":{\"list\":[1,2,3]}}");
    nana_json_release(got);
    CHECK(!t_bool(nana_contains(db, "obj")));
    CHECK_ST(t_wait(nana_get(db, "obj", NULL)), NANA_ENOTFOUND);
    CHECK(t_raw_value(path, "data", "obj") == NULL);

    /* a default is ignored when the key exists */
    json_t *dflt = t_json("[\"dflt\"]");
    t_expect(nana_pop(db, "num", dflt), "77");
    CHECK(!t_bool(nana_contains(db, "num")));

    /* stored null pops as null */
    t_expect(nana_pop(db, "nul", dflt), "null");
    CHECK(!t_bool(nana_contains(db, "nul")));

    /* missing without default */
    nana_future_t *f = nana_pop(db, "obj", NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK(nana_future_json(f) == NULL);
    CHECK(nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    /* missing with default: a copy, unaffected by later changes, not stored */
    f = nana_pop(db, "absent", dflt);
    json_array_append_new(dflt, json_integer(1));
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) != dflt);
    CHECK_JSON(nana_future_json(f), "[\"dflt\"]");
    nana_future_free(f);
    json_decref(dflt);
    CHECK(!t_bool(nana_contains(db, "absent")));
    CHECK_INT(t_int(nana_len(db)), 0);

    /* set and pop without awaiting in between */
    v = json_string("quick");
    nana_future_t *s = nana_set(db, "q", v);
    nana_future_t *p = nana_pop(db, "q", NULL);
    nana_future_t *g = nana_get(db, "q", NULL);
    json_decref(v);
    t_expect(p, "\"quick\"");
    CHECK_ST(t_wait(g), NANA_ENOTFOUND);
    CHECK_ST(t_wait(s), NANA_OK);

    /* bad arguments remove nothing */
    v = json_true();
    CHECK_ST(t_wait(nana_set(db, "keep", v)), NANA_OK);
    CHECK_ST(t_wait(nana_pop(NULL, "keep", NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_pop(db, NULL, NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_pop(db, NULL, v)), NANA_EINVAL);
    t_expect(nana_get(db, "keep", NULL), "true");
    char *raw = t_raw_value(path, "data", "keep");
    CHECK(raw != NULL);
    free(raw);

    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("pop.db", NULL);
    t_expect(nana_keys(db), "[\"keep\"]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
