/*
 * nana_query and nana_query_with_pagination take expressions as columns,
 * as NanaSQLite users write them (its tests test_query_with_as_clauses,
 * test_query_with_aggregate_functions, test_complex_column_aliases_metadata):
 * "name AS username", "age AS user_age"; "COUNT(*) as total", "MAX(age) as
 * max_age", "MIN(age) as min_age", "AVG(age) as avg_age" (30.0, a real);
 * 'name as "user_name"', "val + 100 as total", "'prefix as ' || name as
 * complex_label" on a row whose name is "Alice as Bob" (an " as " inside a
 * string is not an alias).  Also: a call alone is named by its text as
 * written ("SUM(val)", "COUNT (*)", a string holding a double quote);
 * operators bind as SQLite's (|| before * before +, left to right,
 * prefix minus twice); DISTINCT, ROUND(AVG(..), 1), MIN(a, b) scalar;
 * quoted keyword column names inside expressions and as aliases; literals
 * with an alias; UTF-8 in string literals; a plain column list and NULL
 * columns as before; an unknown column in an expression is NANA_ESQL; the
 * paginated form of an aggregate query counts the one row it gives; the
 * same through a sub-table handle; nothing is written.
 */
#include "harness.h"

static nana_db_t *db;

static void query_(const char *file, int line, nana_db_t *h, const char *table,
                   const char *cols, const char *want)
{
    json_t *c = cols ? t_json(cols) : NULL;
    json_t *v =
        t_take_at(file, line, cols, nana_query(h, table, c, NULL, NULL, NULL, INT64_MAX, 0));
    t_check_json(file, line, cols, v, want);
    nana_json_release(v);
    json_decref(c);
}
#define QUERY(cols, want) query_(__FILE__, __LINE__, db, "users", cols, want)

int main(void)
{
    db = t_open("expr.db", NULL);
    json_t *schema = t_json("{\"id\": \"INTEGER PRIMARY KEY\", \"name\": \"TEXT\", "
                            "\"age\": \"INTEGER\", \"order\": \"INTEGER\"}");
    EXPECT(nana_create_table(db, "users", schema, NULL, false), NANA_OK);
    json_decref(schema);
    const char *rows[] = {"{\"id\": 1, \"name\": \"Alice\", \"age\": 30, \"order\": 3}",
                          "{\"id\": 2, \"name\": \"Bob\", \"age\": 25, \"order\": 1}",
                          "{\"id\": 3, \"name\": \"Charlie\", \"age\": 35, \"order\": 2}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *r = t_json(rows[i]);
        CHECK_INT(INT(nana_sql_insert(db, "users", r)), (int64_t)i + 1);
        json_decref(r);
    }

    /* test_query_with_as_clauses */
    QUERY("[\"name AS username\", \"age AS user_age\"]",
          "[{\"username\": \"Alice\", \"user_age\": 30}, {\"username\": \"Bob\", \"user_age\": 25},"
          " {\"username\": \"Charlie\", \"user_age\": 35}]");
    /* test_query_with_aggregate_functions */
    QUERY("[\"COUNT(*) as total\"]", "[{\"total\": 3}]");
    QUERY("[\"MAX(age) as max_age\", \"MIN(age) as min_age\"]",
          "[{\"max_age\": 35, \"min_age\": 25}]");
    QUERY("[\"AVG(age) as avg_age\"]", "[{\"avg_age\": 30.0}]");
    json_t *c = t_json("[\"AVG(age) as avg_age\"]");
    json_t *avg = TAKE(nana_query(db, "users", c, NULL, NULL, NULL, INT64_MAX, 0));
    CHECK(json_is_real(json_object_get(json_array_get(avg, 0), "avg_age")));
    nana_json_release(avg);
    json_decref(c);

    /* test_complex_column_aliases_metadata, on a table of its own */
    json_t *tcols = t_json("{\"name\": \"TEXT\", \"val\": \"INTEGER\"}");
    EXPECT(nana_create_table(db, "test", tcols, NULL, false), NANA_OK);
    json_decref(tcols);
    json_t *trow = t_json("{\"name\": \"Alice as Bob\", \"val\": 10}");
    INT(nana_sql_insert(db, "test", trow));
    json_decref(trow);
    query_(__FILE__, __LINE__, db, "test",
           "[\"name as \\\"user_name\\\"\", \"val + 100 as total\", "
           "\"'prefix as ' || name as complex_label\"]",
           "[{\"user_name\": \"Alice as Bob\", \"total\": 110, "
           "\"complex_label\": \"prefix as Alice as Bob\"}]");

    /* A call alone: named by its text, as written. */
    QUERY("[\"SUM(age)\", \"COUNT (*)\", \"max(id)\"]",
          "[{\"SUM(age)\": 90, \"COUNT (*)\": 3, \"max(id)\": 3}]");
    QUERY("[\"id\", \"COALESCE(NULL, 'x\\\"y')\"]",
          "[{\"id\": 1, \"COALESCE(NULL, 'x\\\"y')\": \"x\\\"y\"},"
          " {\"id\": 2, \"COALESCE(NULL, 'x\\\"y')\": \"x\\\"y\"},"
          " {\"id\": 3, \"COALESCE(NULL, 'x\\\"y')\": \"x\\\"y\"}]");
    QUERY("[\"UPPER(SUBSTR(name, 1, 3))\", \"LENGTH(name) AS n\"]",
          "[{\"UPPER(SUBSTR(name, 1, 3))\": \"ALI\", \"n\": 5},"
          " {\"UPPER(SUBSTR(name, 1, 3))\": \"BOB\", \"n\": 3},"
          " {\"UPPER(SUBSTR(name, 1, 3))\": \"CHA\", \"n\": 7}]");

    /* Precedence and associativity as SQLite's: the tree checked is the
     * tree that runs. */
    c = t_json("[\"1 + 2 * 3 AS a\", \"(1 + 2) * 3 AS b\", \"'a' || 1 + 2 AS c\", "
               "\"- 2 || 3 AS d\", \"10 - 2 - 3 AS e\", \"2 * 3 % 4 AS f\", \"7 / 2 AS g\", "
               "\"7 / 2.0 AS h\", \"1e3 AS i\", \".5 AS j\"]");
    SAME(nana_query(db, "users", c, "id = 1", NULL, NULL, INT64_MAX, 0),
         "[{\"a\": 7, \"b\": 9, \"c\": 2, \"d\": \"-23\", \"e\": 5, \"f\": 2, \"g\": 3, "
         "\"h\": 3.5, \"i\": 1000.0, \"j\": 0.5}]");
    json_decref(c);
    QUERY("[\"id\", \"-age AS neg\", \"- -age AS pos\", \"+age AS plus\", \"age * -1 AS m\"]",
          "[{\"id\": 1, \"neg\": -30, \"pos\": 30, \"plus\": 30, \"m\": -30},"
          " {\"id\": 2, \"neg\": -25, \"pos\": 25, \"plus\": 25, \"m\": -25},"
          " {\"id\": 3, \"neg\": -35, \"pos\": 35, \"plus\": 35, \"m\": -35}]");

    /* DISTINCT, nesting, MIN/MAX as scalars. */
    QUERY("[\"COUNT(DISTINCT age / 10) AS decades\", \"ROUND(AVG(age) / 7, 1) AS r\", "
          "\"TOTAL(age) AS t\", \"GROUP_CONCAT(name, '+') AS names\"]",
          "[{\"decades\": 2, \"r\": 4.3, \"t\": 90.0, \"names\": \"Alice+Bob+Charlie\"}]");
    QUERY("[\"id\", \"MIN(age, 28) AS capped\", \"MAX(age, 28, id) AS floor\", "
          "\"ABS(25 - age) AS d\", \"IFNULL(NULL, id) AS i\", \"NULLIF(age, 25) AS nz\"]",
          "[{\"id\": 1, \"capped\": 28, \"floor\": 30, \"d\": 5, \"i\": 1, \"nz\": 30},"
          " {\"id\": 2, \"capped\": 25, \"floor\": 28, \"d\": 0, \"i\": 2, \"nz\": null},"
          " {\"id\": 3, \"capped\": 28, \"floor\": 35, \"d\": 10, \"i\": 3, \"nz\": 35}]");

    /* A keyword-named column: alone bare, inside an expression quoted;
     * a keyword alias in double quotes. */
    QUERY("[\"order\"]", "[{\"order\": 3}, {\"order\": 1}, {\"order\": 2}]");
    QUERY("[\"SUM(\\\"order\\\") AS \\\"select\\\"\", \"\\\"order\\\" * 10 AS o\"]",
          "[{\"select\": 6, \"o\": 30}]");
    QUERY("[\"id\", \"\\\"order\\\" + 0 AS \\\"group\\\"\"]",
          "[{\"id\": 1, \"group\": 3}, {\"id\": 2, \"group\": 1}, {\"id\": 3, \"group\": 2}]");

    /* Literals need an alias; UTF-8 in a string literal. */
    QUERY("[\"id\", \"NULL AS n\", \"TRUE AS t\", \"'\xc3\xa9t\xc3\xa9' || id AS s\"]",
          "[{\"id\": 1, \"n\": null, \"t\": 1, \"s\": \"\xc3\xa9t\xc3\xa9" "1\"},"
          " {\"id\": 2, \"n\": null, \"t\": 1, \"s\": \"\xc3\xa9t\xc3\xa9" "2\"},"
          " {\"id\": 3, \"n\": null, \"t\": 1, \"s\": \"\xc3\xa9t\xc3\xa9" "3\"}]");

    /* As before: names alone, NULL columns. */
    QUERY("[\"id\", \"name\"]",
          "[{\"id\": 1, \"name\": \"Alice\"}, {\"id\": 2, \"name\": \"Bob\"},"
          " {\"id\": 3, \"name\": \"Charlie\"}]");
    json_t *p = t_json("[2]");
    SAME(nana_query(db, "users", NULL, "id = ?", p, NULL, INT64_MAX, 0),
         "[{\"id\": 2, \"name\": \"Bob\", \"age\": 25, \"order\": 1}]");
    json_decref(p);

    /* Ordered by an alias; limits and where apply as before. */
    c = t_json("[\"name\", \"age * 2 AS twice\"]");
    p = t_json("[26]");
    SAME(nana_query(db, "users", c, "age >= ?", p, "twice DESC", 1, 0),
         "[{\"name\": \"Charlie\", \"twice\": 70}]");
    SAME(nana_query_with_pagination(db, "users", c, "age >= ?", p, "twice DESC", 1, 1),
         "{\"rows\": [{\"name\": \"Alice\", \"twice\": 60}], \"total\": 2, \"limit\": 1,"
         " \"offset\": 1}");
    json_decref(c);
    json_decref(p);

    /* An aggregate query gives one row: the page's total says 1. */
    c = t_json("[\"COUNT(*) AS n\", \"MAX(age) AS oldest\"]");
    SAME(nana_query_with_pagination(db, "users", c, NULL, NULL, NULL, 10, 0),
         "{\"rows\": [{\"n\": 3, \"oldest\": 35}], \"total\": 1, \"limit\": 10, \"offset\": 0}");
    json_decref(c);

    /* An unknown column is SQLite's error, never a string. */
    c = t_json("[\"nope + 1 AS x\"]");
    EXPECT(nana_query(db, "users", c, NULL, NULL, NULL, INT64_MAX, 0), NANA_ESQL);
    json_decref(c);
    c = t_json("[\"SUM(nope)\"]");
    EXPECT(nana_query_with_pagination(db, "users", c, NULL, NULL, NULL, 5, 0), NANA_ESQL);
    json_decref(c);

    /* Through a sub-table handle, on the same file. */
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    query_(__FILE__, __LINE__, sub, "users", "[\"COUNT(*) AS n\", \"SUM(age) + 1 AS s\"]",
           "[{\"n\": 3, \"s\": 91}]");
    CHECK_ST(nana_close(sub), NANA_OK);

    /* The rows are as they were. */
    SAME(nana_fetch_all(db, "SELECT id, name, age, \"order\" FROM users ORDER BY id", NULL),
         "[[1, \"Alice\", 30, 3], [2, \"Bob\", 25, 1], [3, \"Charlie\", 35, 2]]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
