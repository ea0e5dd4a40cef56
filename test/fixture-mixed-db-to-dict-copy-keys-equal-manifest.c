/*
 * mixed.db as a whole: to_dict and copy each equal the manifest's object
 * exactly (same key set, same values); keys, values and items agree with it
 * pairwise and in the same (rowid) order; load_all reports the manifest's
 * count; a get_fresh of every key agrees too.
 */
#include "harness.h"

int main(void)
{
    json_error_t err;
    json_t *manifest = json_load_file(t_fixture_path("nanasqlite-py/manifest.json"), 0, &err);
    if (!manifest)
        t_fail(__FILE__, __LINE__, "manifest: %s", err.text);
    json_t *want = json_object_get(json_object_get(manifest, "mixed.db"), "data");
    CHECK(json_is_object(want));
    size_t n = json_object_size(want);

    nana_db_t *db = NULL;
    CHECK_ST(nana_open(t_fixture("nanasqlite-py/mixed.db"), NULL, &db), NANA_OK);

    json_t *d = t_take(nana_to_dict(db), NANA_OK);
    CHECK(json_equal(d, want));
    nana_json_release(d);
    json_t *c = t_take(nana_copy(db), NANA_OK);
    CHECK(json_equal(c, want));
    json_decref(c);

    json_t *keys = t_take(nana_keys(db), NANA_OK);
    json_t *vals = t_take(nana_values(db), NANA_OK);
    json_t *items = t_take(nana_items(db), NANA_OK);
    CHECK_INT(json_array_size(keys), n);
    CHECK_INT(json_array_size(vals), n);
    CHECK_INT(json_array_size(items), n);
    for (size_t i = 0; i < n; i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        CHECK(k != NULL);
        json_t *exp = json_object_get(want, k);
        if (!exp)
            t_fail(__FILE__, __LINE__, "keys[%zu] = %s is not in the manifest", i, k);
        CHECK(json_equal(json_array_get(vals, i), exp));
        json_t *it = json_array_get(items, i);
        CHECK_STR(json_string_value(json_array_get(it, 0)), k);
        CHECK(json_equal(json_array_get(it, 1), exp));
    }
    nana_json_release(keys);
    nana_json_release(vals);
    nana_json_release(items);

    CHECK_INT(t_int(nana_load_all(db)), n);

    const char *key;
    json_t *value;
    json_object_foreach(want, key, value) {
        nana_future_t *f = nana_get_fresh(db, key, NULL);
        if (nana_future_await(f) != NANA_OK || !json_equal(nana_future_json(f), value))
            t_fail(__FILE__, __LINE__, "get_fresh(%s) differs", key);
        nana_future_free(f);
    }

    json_decref(manifest);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
