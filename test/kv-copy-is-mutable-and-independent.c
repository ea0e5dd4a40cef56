/*
 * nana_copy: an object of every key -> value that the caller may change
 * freely: changing its members, nested arrays and objects alters neither the
 * stored data, nor cached gets, nor later to_dict / copy results, and its
 * containers are not the ones a get returns; {} on an empty table; NULL db is
 * NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("copy.db");
    nana_db_t *db = t_open("copy.db", NULL);

    t_expect(nana_copy(db), "{}");

    json_t *obj = t_json("{\"list\":[1,2,{\"x\":1}],\"map\":{\"k\":\"v\"},\"n\":5}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);

    /* cache everything, so that a shallow implementation would share */
    CHECK_INT(t_int(nana_load_all(db)), 3);
    nana_future_t *g = nana_get(db, "list", NULL);
    CHECK_ST(nana_future_await(g), NANA_OK);
    json_t *cached_list = nana_future_json(g);

    json_t *c = t_take(nana_copy(db), NANA_OK);
    CHECK_JSON(c, "{\"list\":[1,2,{\"x\":1}],\"map\":{\"k\":\"v\"},\"n\":5}");
    CHECK(json_object_get(c, "list") != cached_list);
    CHECK(json_array_get(json_object_get(c, "list"), 2) != json_array_get(cached_list, 2));

    /* change it freely */
    json_t *list = json_object_get(c, "list");
    CHECK(json_array_append_new(list, json_integer(3)) == 0);
    CHECK(json_object_set_new(json_array_get(list, 2), "x", json_string("changed")) == 0);
    CHECK(json_object_set_new(json_object_get(c, "map"), "k2", json_true()) == 0);
    CHECK(json_object_set_new(c, "n", json_integer(6)) == 0);
    CHECK(json_object_set_new(c, "added", json_null()) == 0);
    CHECK(json_object_del(c, "map") == 0);
    json_decref(c);

    /* the cached value the get returned is untouched */
    CHECK_JSON(cached_list, "[1,2,{\"x\":1}]");
    nana_future_free(g);

    t_expect(nana_get(db, "list", NULL), "[1,2,{\"x\":1}]");
    t_expect(nana_get(db, "map", NULL), "{\"k\":\"v\"}");
    t_expect(nana_get(db, "n", NULL), "5");
    CHECK_ST(t_wait(nana_get(db, "added", NULL)), NANA_ENOTFOUND);
    t_expect(nana_to_dict(db), "{\"list\":[1,2,{\"x\":1}],\"map\":{\"k\":\"v\"},\"n\":5}");
    t_expect(nana_copy(db), "{\"list\":[1,2,{\"x\":1}],\"map\":{\"k\":\"v\"},\"n\":5}");
    char *raw = t_raw_value(path, "data", "list");
    CHECK_STR(raw, "[1,2,{\"x\":1}]");
    free(raw);

    /* two copies are independent of each other */
    json_t *c1 = t_take(nana_copy(db), NANA_OK);
    json_t *c2 = t_take(nana_copy(db), NANA_OK);
    CHECK(c1 != c2);
    json_array_clear(json_object_get(c1, "list"));
    CHECK_JSON(json_object_get(c2, "list"), "[1,2,{\"x\":1}]");
    json_decref(c1);
    json_decref(c2);

    CHECK_ST(t_wait(nana_copy(NULL)), NANA_EINVAL);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
