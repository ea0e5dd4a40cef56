/*
 * Parameters of direct SQL: a JSON array binds ?, and ?NNN by number; a JSON
 * object binds :name, @name and $name, its members written with the prefix or
 * without it, in any order, a parameter used twice bound once.  Integers
 * (64-bit extremes), reals, strings (UTF-8), null bind as themselves; true /
 * false bind as the integers 1 / 0 (also when stored).  A parameter count
 * that does not match (too few, too many, none given, a member the statement
 * does not have) is NANA_EINVAL; an array or non-blob object as a value, or
 * params that are neither array nor object, is NANA_ETYPE -- and in every
 * such case nothing was written.  JSON null as params means none.  Params
 * are borrowed: changing them after the call changes nothing.
 */
#include "harness.h"

static nana_future_t *one(nana_db_t *db, const char *sql, const char *params)
{
    json_t *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_fetch_one(db, sql, p);
    json_decref(p);
    return f;
}

int main(void)
{
    nana_db_t *db = t_open("params.db", NULL);
    json_decref(TAKE(t_execute(db, "CREATE TABLE p (a, b, c)", NULL)));

    /* positional */
    SAME(one(db, "SELECT ?, ?, ?", "[1, \"two\", 3.5]"), "[1,\"two\",3.5]");
    SAME(one(db, "SELECT ?2, ?1, ?3", "[\"x\", \"y\", \"z\"]"), "[\"y\",\"x\",\"z\"]");
    SAME(one(db, "SELECT ?1 || ?1", "[\"ab\"]"), "[\"abab\"]");
    SAME(one(db, "SELECT ?, ?", "[9223372036854775807, -9223372036854775808]"),
         "[9223372036854775807,-9223372036854775808]");
    SAME(one(db, "SELECT ?, length(?)", "[\"h\u00e9llo \u65e5\u672c\", \"\u65e5\u672c\"]"),
         "[\"h\u00e9llo \u65e5\u672c\",2]");
    SAME(one(db, "SELECT 1", "[]"), "[1]");
    SAME(one(db, "SELECT 1", "null"), "[1]");

    /* named: each prefix, with and without the prefix in the member name */
    SAME(one(db, "SELECT :a, @b, $c", "{\"a\": 1, \"b\": 2, \"c\": 3}"), "[1,2,3]");
    SAME(one(db, "SELECT :a, @b, $c", "{\":a\": 1, \"@b\": 2, \"$c\": 3}"), "[1,2,3]");
    SAME(one(db, "SELECT :a, @b, $c", "{\"$c\": 3, \"a\": 1, \"@b\": 2}"), "[1,2,3]");
    SAME(one(db, "SELECT :x, :y", "{\"y\": \"Y\", \"x\": \"X\"}"), "[\"X\",\"Y\"]");
    SAME(one(db, "SELECT :n + :n * 10", "{\"n\": 2}"), "[22]");
    SAME(one(db, "SELECT @only", "{\"only\": null}"), "[null]");

    /* value types */
    SAME(one(db, "SELECT ?, ?, typeof(?), typeof(?)", "[true, false, true, false]"),
         "[1,0,\"integer\",\"integer\"]");
    SAME(one(db, "SELECT ? IS NULL, typeof(?)", "[null, null]"), "[1,\"null\"]");
    SAME(one(db, "SELECT typeof(?), ?", "[2.5, -0.125]"), "[\"real\",-0.125]");
    SAME(one(db, "SELECT typeof(:t)", "{\"t\": \"text\"}"), "[\"text\"]");

    /* stored booleans are 1 / 0 */
    SAME(t_execute(db, "INSERT INTO p VALUES (?, ?, ?)", "[true, false, null]"),
         "{\"columns\":[],\"rows\":[],\"changes\":1,\"last_insert_rowid\":1}");
    SAME(t_execute(db, "INSERT INTO p VALUES (:a, :b, :c)", "{\"a\": 1, \"b\": \"s\", \"c\": 0.5}"),
         "{\"columns\":[],\"rows\":[],\"changes\":1,\"last_insert_rowid\":2}");
    SAME(nana_fetch_all(db, "SELECT a, b, c, typeof(a) FROM p ORDER BY rowid", NULL),
         "[[1,0,null,\"integer\"],[1,\"s\",0.5,\"integer\"]]");

    /* count mismatches: NANA_EINVAL */
    EXPECT(one(db, "SELECT ?, ?", "[1]"), NANA_EINVAL);
    EXPECT(one(db, "SELECT ?, ?", "[1, 2, 3]"), NANA_EINVAL);
    EXPECT(one(db, "SELECT ?", NULL), NANA_EINVAL);
    EXPECT(one(db, "SELECT ?", "null"), NANA_EINVAL);
    EXPECT(one(db, "SELECT 1", "[1]"), NANA_EINVAL);
    EXPECT(one(db, "SELECT 1", "{\"a\": 1}"), NANA_EINVAL);
    EXPECT(one(db, "SELECT :a, :b", "{\"a\": 1}"), NANA_EINVAL);
    EXPECT(one(db, "SELECT :a, :b", "{\"a\": 1, \"b\": 2, \"c\": 3}"), NANA_EINVAL);
    EXPECT(one(db, "SELECT :a", "{\"zz\": 1}"), NANA_EINVAL);
    EXPECT(one(db, "SELECT ?3", "[1, 2]"), NANA_EINVAL);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (?, ?, ?)", "[1, 2]"), NANA_EINVAL);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (?, ?, ?)", "[1, 2, 3, 4]"), NANA_EINVAL);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (:a, :b, :c)", "{\"a\": 1, \"b\": 2}"), NANA_EINVAL);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (:a, :b, :c)", "{\"a\": 1, \"b\": 2, \"d\": 3}"),
           NANA_EINVAL);

    /* wrong value types: NANA_ETYPE */
    EXPECT(one(db, "SELECT ?", "[[1]]"), NANA_ETYPE);
    EXPECT(one(db, "SELECT ?", "[[]]"), NANA_ETYPE);
    EXPECT(one(db, "SELECT ?", "[{\"x\": 1}]"), NANA_ETYPE);
    EXPECT(one(db, "SELECT ?", "[{}]"), NANA_ETYPE);
    EXPECT(one(db, "SELECT :a", "{\"a\": [1, 2]}"), NANA_ETYPE);
    EXPECT(one(db, "SELECT :a", "{\"a\": {\"k\": \"v\"}}"), NANA_ETYPE);
    EXPECT(one(db, "SELECT ?", "[{\"$blob\": \"AA==\", \"x\": 1}]"), NANA_ETYPE);
    EXPECT(one(db, "SELECT ?", "[{\"$blob\": 5}]"), NANA_ETYPE);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (?, ?, ?)", "[1, [2], 3]"), NANA_ETYPE);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (:a, :b, :c)", "{\"a\": 1, \"b\": {}, \"c\": 3}"),
           NANA_ETYPE);
    EXPECT(one(db, "SELECT 1", "\"not params\""), NANA_ETYPE);
    EXPECT(one(db, "SELECT 1", "5"), NANA_ETYPE);
    EXPECT(one(db, "SELECT 1", "true"), NANA_ETYPE);
    EXPECT(t_execute(db, "INSERT INTO p VALUES (1, 2, 3)", "2.5"), NANA_ETYPE);

    /* nothing refused was written */
    SAME(one(db, "SELECT count(*) FROM p", NULL), "[2]");

    /* params are borrowed */
    json_t *p = t_json("[\"before\"]");
    nana_future_t *f = nana_execute(db, "INSERT INTO p (a) VALUES (?)", p);
    json_array_set_new(p, 0, json_string("after"));
    json_array_append_new(p, json_integer(1));
    json_decref(TAKE(f));
    json_decref(p);
    SAME(one(db, "SELECT a FROM p WHERE rowid = 3", NULL), "[\"before\"]");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
