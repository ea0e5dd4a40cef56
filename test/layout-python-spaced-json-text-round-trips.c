/*
 * Text the Python library writes (", " / ": " separators, \u escapes from
 * ensure_ascii, escaped slashes, exponent reals, nested spacing) is read as
 * the JSON it denotes: inserted with a raw sqlite3 connection before the
 * library opens the file and also while it is open (for an uncached key),
 * read through get; rewriting such a key with set stores compact text.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("python.db");
    t_raw_put(path, "spaced", "{\"a\": 1, \"b\": [1, 2]}");
    t_raw_put(path, "nested", "{\"outer\": {\"inner\": [true, false, null], \"s\": \"a, b: c\"}}");
    t_raw_put(path, "ascii", "\"\\u65e5\\u672c \\u043a \\ud83d\\ude00\"");
    t_raw_put(path, "slash", "\"a\\/b\"");
    t_raw_put(path, "real", "1e+16");
    t_raw_put(path, "neg-real", "-2.5e-3");
    t_raw_put(path, "ws", "  [ 1 ,\n 2 ]  ");

    nana_db_t *db = t_open("python.db", NULL);
    t_expect(nana_get(db, "spaced", NULL), "{\"a\":1,\"b\":[1,2]}");
    t_expect(nana_get(db, "nested", NULL),
             "{\"outer\":{\"inner\":[true,false,null],\"s\":\"a, b: c\"}}");
    t_expect(nana_get(db, "ascii", NULL),
             "\"\xe6\x97\xa5\xe6\x9c\xac \xd0\xba \xf0\x9f\x98\x80\"");
    t_expect(nana_get(db, "slash", NULL), "\"a/b\"");
    t_expect(nana_get(db, "real", NULL), "1e16");
    t_expect(nana_get(db, "neg-real", NULL), "-0.0025");
    t_expect(nana_get(db, "ws", NULL), "[1,2]");

    /* the exact value types: a is an integer, not a real */
    json_t *got = t_take(nana_get(db, "spaced", NULL), NANA_OK);
    CHECK(json_is_integer(json_object_get(got, "a")));
    nana_json_release(got);
    got = t_take(nana_get(db, "real", NULL), NANA_OK);
    CHECK(json_is_real(got));
    nana_json_release(got);

    /* written by "Python" while the library has the file open, key not cached */
    t_raw_put(path, "late", "{\"x\": [1, {\"y\": \"z\"}], \"n\": null}");
    t_expect(nana_get(db, "late", NULL), "{\"x\":[1,{\"y\":\"z\"}],\"n\":null}");

    /* the library rewrites a key compactly */
    got = t_take(nana_get(db, "spaced", NULL), NANA_OK);
    json_t *copy = json_deep_copy(got);
    nana_json_release(got);
    json_object_set_new(copy, "c", json_string("\xe6\x97\xa5"));
    CHECK_ST(t_wait(nana_set(db, "spaced", copy)), NANA_OK);
    json_decref(copy);
    char *raw = t_raw_value(path, "data", "spaced");
    CHECK_STR(raw, "{\"a\":1,\"b\":[1,2],\"c\":\"\xe6\x97\xa5\"}");
    free(raw);

    CHECK_INT(t_int(nana_len(db)), 8);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
