/*
 * Text the Python library writes (", " / ": " separators, \u escapes from
 * ensure_ascii, escaped slashes, exponent reals, nested spacing) is read as
 * the JSON it denotes: inserted with a raw sqlite3 connection before the
 * library opens the file and also while it is open (for an uncached key),
 * read through get; rewriting such a key with set stores compact text.
 */
#include "harness.h"

#include <sqlite3.h>

static void raw_insert(const char *path, const char *key, const char *text)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open(path, &c) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    CHECK(sqlite3_exec(c, "CREATE TABLE IF NOT EXISTS \"data\" (key TEXT PRIMARY KEY, value TEXT)",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)", -1, &st,
                             NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(c);
}

int main(void)
{
    const char *path = t_path("python.db");
    raw_insert(path, "spaced", "{\"a\": 1, \"b\": [1, 2]}");
    raw_insert(path, "nested", "{\"outer\": {\"inner\": [true, false, null], \"s\": \"a, b: c\"}}");
    raw_insert(path, "ascii", "\"\\u65e5\\u672c \\u043a \\ud83d\\ude00\"");
    raw_insert(path, "slash", "\"a\\/b\"");
    raw_insert(path, "real", "1e+16");
    raw_insert(path, "neg-real", "-2.5e-3");
    raw_insert(path, "ws", "  [ 1 ,\n 2 ]  ");

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
    raw_insert(path, "late", "{\"x\": [1, {\"y\": \"z\"}], \"n\": null}");
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
