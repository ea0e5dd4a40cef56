/*
 * Values the library is given but does not store -- the default of get,
 * get_fresh and pop, the value of nana_future_resolved -- come back as
 * given: an object whose member names hold NUL bytes ("a\0b", "a\0c", which
 * jansson's own json_deep_copy() would merge into one member "a") keeps
 * every member.
 */
#include "harness.h"

#if JANSSON_VERSION_HEX >= 0x020e00
static void check_same(const json_t *got)
{
    CHECK(got != NULL);
    CHECK_INT(json_object_size(got), 3);
    const json_t *ab = json_object_getn(got, "a\0b", 3);
    const json_t *ac = json_object_getn(got, "a\0c", 3);
    CHECK(ab && json_integer_value(ab) == 1);
    CHECK(ac && json_integer_value(ac) == 2);
    const json_t *nested = json_object_get(got, "n");
    CHECK(nested && json_array_size(nested) == 1);
    CHECK_INT(json_object_size(json_array_get(nested, 0)), 2);
}
#endif

int main(void)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    nana_db_t *db = t_open("nul.db", NULL);
    json_t *inner = json_object();
    json_object_setn_new(inner, "x\0y", 3, json_true());
    json_object_setn_new(inner, "x\0z", 3, json_false());
    json_t *v = json_object();
    json_object_setn_new(v, "a\0b", 3, json_integer(1));
    json_object_setn_new(v, "a\0c", 3, json_integer(2));
    json_object_set_new(v, "n", json_pack("[o]", inner));

    nana_future_t *fs[] = {nana_get(db, "missing", v), nana_get_fresh(db, "missing", v),
                           nana_pop(db, "missing", v), nana_future_resolved(v)};
    for (size_t i = 0; i < 4; i++) {
        CHECK_ST(nana_future_await(fs[i]), NANA_OK);
        check_same(nana_future_json(fs[i]));
        nana_future_free(fs[i]);
    }
    /* Answered from the cache (the key is cached as absent now). */
    nana_future_t *f = nana_get(db, "missing", v);
    CHECK_ST(nana_future_await(f), NANA_OK);
    check_same(nana_future_json(f));
    nana_future_free(f);
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
#endif
    return 0;
}
