/*
 * JSON strings are read with their length, never as C strings cut at a NUL.
 * A name that comes from JSON -- a column name as an object key or an array
 * element, a column type, a PRAGMA identifier, a named parameter's key --
 * holding a NUL byte ("a\u0000b", "TEXT\u0000 DROP") is NANA_EINVAL and
 * nothing runs: the prefix before the NUL would pass the checks, and what
 * was validated would not be what was given.  An object value whose member
 * name holds one ({"$blob\u0000x": ...}) is not a BLOB object: NANA_ETYPE,
 * also once the job has copied it.  A string *value* with a NUL is
 * bound whole: "a\u0000b" goes through nana_execute, nana_sql_insert and a
 * where parameter and comes back from nana_fetch_one / nana_query as the
 * same three bytes.
 */
#include "harness.h"

static nana_db_t *db;

static void refused_(const char *file, int line, const char *what, nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EINVAL || !*nana_future_errmsg(f))
        t_fail(file, line, "%s: got %s (%s), want NANA_EINVAL", what, t_status_name(st),
               nana_future_errmsg(f));
    nana_future_free(f);
}
#define REFUSED(what, f) refused_(__FILE__, __LINE__, (what), (f))

/* v must be the JSON string of the three bytes a, NUL, b. */
static void check_anb_(const char *file, int line, const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) != 3 ||
        memcmp(json_string_value(v), "a\0b", 3) != 0)
        t_fail(file, line, "not the string \"a\\u0000b\" (length %zu)",
               json_is_string(v) ? json_string_length(v) : 0);
}
#define CHECK_ANB(v) check_anb_(__FILE__, __LINE__, (v))

static json_t *object1(const char *key, size_t key_len, json_t *value)
{
    json_t *o = json_object();
#if JANSSON_VERSION_HEX >= 0x020e00
    json_object_setn_new(o, key, key_len, value);
#else
    (void)key_len;
    json_object_set_new(o, key, value);
#endif
    return o;
}

int main(void)
{
    db = t_open("nul.db", NULL);
    EXPECT(nana_execute(db, "CREATE TABLE s (id INTEGER PRIMARY KEY, a TEXT, v TEXT)", NULL),
           NANA_OK);
    json_t *schema_before = TAKE(nana_fetch_all(db, "SELECT sql FROM sqlite_master", NULL));

    /* ---------------------------------------------- names: refused */
    json_t *nul_name = json_stringn("a\0b", 3);
    json_t *nul_list = json_array();
    json_array_append(nul_list, nul_name);

    /* A column type is a JSON string value: its NUL hides " DROP". */
    json_t *cols = object1("x", 1, json_stringn("TEXT\0 DROP", 10));
    REFUSED("create_table type", nana_create_table(db, "fresh", cols, NULL, false));
    json_decref(cols);
    cols = object1("x", 1, json_stringn("TEXT\0", 5));
    REFUSED("create_table type, trailing NUL", nana_create_table(db, "fresh", cols, NULL, false));
    json_decref(cols);

    REFUSED("query columns", nana_query(db, "s", nul_list, NULL, NULL, NULL, 10, 0));
    REFUSED("pagination columns",
            nana_query_with_pagination(db, "s", nul_list, NULL, NULL, NULL, 10, 0));
    REFUSED("create_index columns", nana_create_index(db, "ix", "s", nul_list, false, false));
    json_t *a_row = t_json("{\"a\": \"x\"}");
    REFUSED("upsert conflict column", nana_upsert(db, "s", a_row, nul_list));
    json_decref(a_row);
    json_t *name = json_stringn("s\0x", 3);
    REFUSED("pragma table_info", nana_pragma(db, "table_info", name));
    REFUSED("pragma index_list", nana_pragma(db, "index_list", name));
    json_decref(name);
    name = json_stringn("NORMAL\0", 7);
    REFUSED("pragma synchronous", nana_pragma(db, "synchronous", name));
    json_decref(name);

#if JANSSON_VERSION_HEX >= 0x020e00
    /* Object keys with a NUL (jansson >= 2.14 stores them whole). */
    cols = object1("a\0b", 3, json_string("TEXT"));
    REFUSED("create_table column key", nana_create_table(db, "fresh", cols, NULL, false));
    REFUSED("create_table column key, primary key",
            nana_create_table(db, "fresh", cols, "a", false));
    json_decref(cols);
    json_t *row = object1("a\0b", 3, json_string("x"));
    REFUSED("sql_insert column key", nana_sql_insert(db, "s", row));
    REFUSED("sql_update column key", nana_sql_update(db, "s", row, NULL, NULL));
    REFUSED("upsert column key", nana_upsert(db, "s", row, NULL));
    json_t *keys = t_json("[\"a\"]");
    REFUSED("upsert column key with conflict", nana_upsert(db, "s", row, keys));
    json_decref(keys);
    json_decref(row);
    /* A named parameter's key: ":v\0x" is not ":v". */
    json_t *params = object1("v\0x", 3, json_string("x"));
    REFUSED("execute named parameter", nana_execute(db, "INSERT INTO s (v) VALUES (:v)", params));
    REFUSED("fetch_all named parameter", nana_fetch_all(db, "SELECT * FROM s WHERE v = :v", params));
    REFUSED("query named parameter", nana_query(db, "s", NULL, "v = :v", params, NULL, 10, 0));
    REFUSED("sql_delete named parameter", nana_sql_delete(db, "s", "v = :v", params));
    json_t *set = t_json("{\"a\": \"y\"}");
    REFUSED("sql_update named parameter", nana_sql_update(db, "s", set, "v = :v", params));
    json_decref(set);
    json_t *sets = json_pack("[O]", params);
    REFUSED("execute_many named parameter",
            nana_execute_many(db, "INSERT INTO s (v) VALUES (:v)", sets));
    json_decref(sets);
    json_decref(params);
    /* {"$blob\u0000x": ...} is not a BLOB object, even once copied. */
    json_t *blob = object1("$blob\0x", 7, json_string("YQ=="));
    params = json_pack("[O]", blob);
    EXPECT(nana_execute(db, "INSERT INTO s (v) VALUES (?)", params), NANA_ETYPE);
    json_decref(params);
    row = json_pack("{s:O}", "v", blob);
    EXPECT(nana_sql_insert(db, "s", row), NANA_ETYPE);
    EXPECT(nana_sql_update(db, "s", row, NULL, NULL), NANA_ETYPE);
    json_decref(row);
    json_decref(blob);
#endif
    json_decref(nul_list);

    /* Nothing ran. */
    json_t *schema_after = TAKE(nana_fetch_all(db, "SELECT sql FROM sqlite_master", NULL));
    CHECK(json_equal(schema_before, schema_after));
    nana_json_release(schema_before);
    nana_json_release(schema_after);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM s", NULL), "[0]");

    /* ---------------------------------------- values: bound whole */
    json_t *params1 = json_pack("[O]", nul_name);
    json_t *done = TAKE(nana_execute(db, "INSERT INTO s (id, v) VALUES (1, ?)", params1));
    CHECK_INT(json_integer_value(json_object_get(done, "changes")), 1);
    nana_json_release(done);
    json_t *got = TAKE(nana_fetch_one(db, "SELECT v, hex(v) FROM s WHERE id = 1", NULL));
    CHECK_ANB(json_array_get(got, 0));
    CHECK_STR(json_string_value(json_array_get(got, 1)), "610062");
    nana_json_release(got);

    json_t *named = json_pack("{s:O}", "v", nul_name);
    EXPECT(nana_execute(db, "INSERT INTO s (id, v) VALUES (2, :v)", named), NANA_OK);
    json_decref(named);
    json_t *row2 = json_pack("{s:i, s:O}", "id", 3, "v", nul_name);
    CHECK_INT(INT(nana_sql_insert(db, "s", row2)), 3);
    json_decref(row2);
    SAME(nana_fetch_all(db, "SELECT id, hex(v) FROM s ORDER BY id", NULL),
         "[[1,\"610062\"],[2,\"610062\"],[3,\"610062\"]]");

    /* As a where parameter: it matches the whole value, not its prefix. */
    json_t *v_only = t_json("[\"v\", \"id\"]");
    json_t *rows = TAKE(nana_query(db, "s", v_only, "v = ?", params1, "id", 10, 0));
    CHECK_INT(json_array_size(rows), 3);
    CHECK_ANB(json_object_get(json_array_get(rows, 0), "v"));
    nana_json_release(rows);
    json_t *prefix = t_json("[\"a\"]");
    SAME(nana_query(db, "s", v_only, "v = ?", prefix, "id", 10, 0), "[]");
    json_decref(prefix);
    json_decref(v_only);
    json_decref(params1);
    json_decref(nul_name);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
