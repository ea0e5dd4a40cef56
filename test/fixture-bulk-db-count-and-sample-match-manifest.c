/*
 * bulk.db (5000 rows written by the Python NanaSQLite): len, keys and
 * load_all report the manifest's count, every sample key reads back equal,
 * key_<i> holds index i for a spread of rows, and opening with bulk_load
 * caches every key at open and serves the same values.
 */
#include "harness.h"

int main(void)
{
    json_error_t err;
    json_t *manifest = json_load_file(t_fixture_path("nanasqlite-py/manifest.json"), 0, &err);
    if (!manifest)
        t_fail(__FILE__, __LINE__, "manifest: %s", err.text);
    json_t *bulk = json_object_get(json_object_get(manifest, "bulk.db"), "data");
    json_int_t count = json_integer_value(json_object_get(bulk, "count"));
    json_t *sample = json_object_get(bulk, "sample");
    CHECK(count == 5000);
    CHECK(json_object_size(sample) >= 1);

    const char *path = t_fixture("nanasqlite-py/bulk.db");
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, NULL, &db), NANA_OK);

    CHECK_INT(t_int(nana_len(db)), count);
    json_t *keys = t_take(nana_keys(db), NANA_OK);
    CHECK_INT(json_array_size(keys), count);
    nana_json_release(keys);

    const char *key;
    json_t *value;
    json_object_foreach(sample, key, value) {
        json_t *got = t_take(nana_get(db, key, NULL), NANA_OK);
        if (!json_equal(got, value))
            t_fail(__FILE__, __LINE__, "sample %s differs", key);
        nana_json_release(got);
    }
    char k[32];
    for (int i = 0; i < count; i += 97) {
        snprintf(k, sizeof k, "key_%d", i);
        json_t *got = t_take(nana_get(db, k, NULL), NANA_OK);
        CHECK_INT(json_integer_value(json_object_get(got, "index")), i);
        nana_json_release(got);
    }
    CHECK_ST(t_wait(nana_get(db, "key_5000", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_load_all(db)), count);
    CHECK_ST(nana_close(db), NANA_OK);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.bulk_load = true;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);
    for (int i = 0; i < count; i += 499) {
        snprintf(k, sizeof k, "key_%d", i);
        CHECK(t_bool(nana_is_cached(db, k)));
    }
    json_object_foreach(sample, key, value) {
        CHECK(t_bool(nana_is_cached(db, key)));
        json_t *got = t_take(nana_get(db, key, NULL), NANA_OK);
        CHECK(json_equal(got, value));
        nana_json_release(got);
    }
    CHECK_INT(t_int(nana_len(db)), count);
    CHECK_ST(nana_close(db), NANA_OK);

    json_decref(manifest);
    return 0;
}
