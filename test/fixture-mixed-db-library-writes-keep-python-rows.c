/*
 * Writing into a file made by the Python library: after a set of a new key,
 * an overwrite and a delete of Python-written keys, and a reopen, every other
 * manifest key still reads back equal, the overwritten key has its new value
 * (stored as compact JSON text), the deleted one is gone, and len is the
 * manifest count + 1 - 1.
 */
#include "harness.h"

int main(void)
{
    json_error_t err;
    json_t *manifest = json_load_file(t_fixture_path("nanasqlite-py/manifest.json"), 0, &err);
    if (!manifest)
        t_fail(__FILE__, __LINE__, "manifest: %s", err.text);
    json_t *want = json_object_get(json_object_get(manifest, "mixed.db"), "data");
    size_t n = json_object_size(want);
    CHECK(n >= 3);

    /* pick two existing keys (first two in manifest order) */
    void *it = json_object_iter(want);
    const char *k_over = json_object_iter_key(it);
    it = json_object_iter_next(want, it);
    const char *k_del = json_object_iter_key(it);

    const char *path = t_fixture("nanasqlite-py/mixed.db");
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, NULL, &db), NANA_OK);
    json_t *v = t_json("{\"written by\":\"C\",\"list\":[1,2]}");
    CHECK_ST(t_wait(nana_set(db, "c-new-key", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, k_over, v)), NANA_OK);
    json_decref(v);
    CHECK_ST(t_wait(nana_delete(db, k_del)), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    char *raw = t_raw_value(path, "data", k_over);
    CHECK_STR(raw, "{\"written by\":\"C\",\"list\":[1,2]}");
    free(raw);
    CHECK(t_raw_value(path, "data", k_del) == NULL);

    CHECK_ST(nana_open(path, NULL, &db), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), n);
    const char *key;
    json_t *value;
    json_object_foreach(want, key, value) {
        if (strcmp(key, k_del) == 0) {
            CHECK_ST(t_wait(nana_get(db, key, NULL)), NANA_ENOTFOUND);
        } else if (strcmp(key, k_over) == 0) {
            t_expect(nana_get(db, key, NULL), "{\"written by\":\"C\",\"list\":[1,2]}");
        } else {
            json_t *got = t_take(nana_get(db, key, NULL), NANA_OK);
            if (!json_equal(got, value))
                t_fail(__FILE__, __LINE__, "key %s changed", key);
            nana_json_release(got);
        }
    }
    t_expect(nana_get(db, "c-new-key", NULL), "{\"written by\":\"C\",\"list\":[1,2]}");
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(manifest);
    return 0;
}
