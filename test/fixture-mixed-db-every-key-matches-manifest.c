/*
 * mixed.db, written by the Python NanaSQLite: every key listed in the
 * manifest (UTF-8, tabs, quotes, backslashes, emoji in keys; nested values,
 * nulls, reals, 64-bit integers, empty strings and containers) reads back
 * through nana_get equal to the manifest's value; all gets are submitted
 * before any is awaited; len equals the manifest's count; contains is true for
 * each key.
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
    CHECK(n > 200);

    nana_db_t *db = NULL;
    CHECK_ST(nana_open(t_fixture("nanasqlite-py/mixed.db"), NULL, &db), NANA_OK);

    nana_future_t **fs = calloc(n, sizeof *fs);
    const char **keys = calloc(n, sizeof *keys);
    CHECK(fs && keys);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(want, key, value) {
        keys[i] = key;
        fs[i] = nana_get(db, key, NULL);
        i++;
    }
    CHECK_INT(i, n);
    for (i = 0; i < n; i++) {
        nana_status_t st = nana_future_await(fs[i]);
        if (st != NANA_OK)
            t_fail(__FILE__, __LINE__, "get(%s): %s (%s)", keys[i], t_status_name(st),
                   nana_future_errmsg(fs[i]));
        json_t *got = nana_future_json(fs[i]);
        json_t *exp = json_object_get(want, keys[i]);
        if (!got || !json_equal(got, exp)) {
            char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
            char *e = json_dumps(exp, JSON_ENCODE_ANY);
            t_fail(__FILE__, __LINE__, "key %s: got %s, want %s", keys[i], g ? g : "(null)", e);
        }
        nana_future_free(fs[i]);
    }
    for (i = 0; i < n; i++)
        if (!t_bool(nana_contains(db, keys[i])))
            t_fail(__FILE__, __LINE__, "contains(%s) false", keys[i]);
    CHECK_INT(t_int(nana_len(db)), n);

    free(fs);
    free(keys);
    json_decref(manifest);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
