/*
 * Hostile where clauses -- ';' and a second statement, '--' and '/ *'
 * comments, UNION / INTERSECT / EXCEPT SELECT, subqueries (also EXISTS, IN,
 * scalar), VALUES, WITH, ATTACH, PRAGMA, DROP / DELETE / INSERT / UPDATE /
 * CREATE / ALTER / VACUUM / BEGIN keywords, unbalanced parentheses
 * ("1) OR (1", "1)) OR ((1", "((1)"), load_extension (plain, upper case,
 * and as a quoted identifier), sqlite_master / sqlite_schema /
 * sqlite_temp_master (plain and quoted), another table reached through
 * "x IN table" (plain, quoted, schema-qualified) or a table-valued PRAGMA
 * function, backticks and brackets, quoted-identifier tricks, an
 * unterminated string, control characters, unicode lookalikes, TCL-style
 * $var(...) parameters, empty / blank clauses and a 5000-byte clause --
 * through EVERY helper that takes a where clause (query,
 * query_with_pagination, count, exists, sql_update, sql_delete), on the
 * victim table and on the dict table.  None contains a parameter marker, so
 * a parameter count cannot be what refuses it.  Each call must be
 * NANA_EINVAL, and the main database file (optimize = false: no WAL) must
 * have the same FNV-64 checksum after the whole corpus; the rows and the
 * dict cache are intact.  Every failing input is listed before the test
 * fails.
 */
#include "harness.h"

#include <sys/stat.h>

static struct t_tally tally;

int main(void)
{
    const char *path = t_path("hostile-where.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);

    json_t *cols = t_json("{\"a\": \"TEXT\", \"b\": \"INTEGER\"}");
    CHECK_ST(t_wait(nana_create_table(db, "victim", cols, NULL, false)), NANA_OK);
    CHECK_ST(t_wait(nana_create_table(db, "other", cols, NULL, false)), NANA_OK);
    json_decref(cols);
    json_t *sets = t_json("[[\"one\", 1], [\"two\", 2], [\"three\", 3]]");
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO victim VALUES (?, ?)", sets)), NANA_OK);
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO other VALUES (?, ?)", sets)), NANA_OK);
    json_decref(sets);
    json_t *v = t_json("{\"secret\": true}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "k", NULL), "{\"secret\":true}"); /* cached */
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    const off_t size_before = sb.st_size;
    const uint64_t sum_before = t_fnv_file(path);

    static char long_where[5001];
    for (size_t i = 0; i + 8 <= 5000; i += 8)
        memcpy(long_where + i, "b = 1 OR", 8);
    memcpy(long_where + 4992, "b = 1   ", 8);

    const char *wheres[] = {
        /* statements and comments */
        "1; DROP TABLE victim",
        "1; DELETE FROM victim",
        "b = 1; --",
        ";",
        "1 -- ",
        "1 --\n",
        "b = 1 -- AND 0",
        "1 /* x */",
        "1 /*",
        "1 */",
        "b = 1 /* ) OR (1 */",
        /* compound selects and subqueries */
        "1 UNION SELECT a FROM victim",
        "1) UNION SELECT name FROM sqlite_master --",
        "1 INTERSECT SELECT 1",
        "1 EXCEPT SELECT 1",
        "a IN (SELECT a FROM victim)",
        "a IN (SELECT a FROM other)",
        "(SELECT 1)",
        "EXISTS (SELECT 1)",
        "b = (SELECT max(b) FROM victim)",
        "a = (VALUES('one'))",
        "VALUES(1)",
        "b IN (WITH x AS (SELECT 1) SELECT * FROM x)",
        "sElEcT",
        /* statement keywords */
        "ATTACH 'evil.db' AS evil",
        "1 OR ATTACH",
        "PRAGMA writable_schema",
        "b = 1 OR PRAGMA",
        "DROP",
        "DELETE",
        "INSERT",
        "UPDATE",
        "CREATE",
        "ALTER",
        "VACUUM",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "DETACH",
        /* unbalanced parentheses */
        "1) OR (1",
        "1)) OR ((1",
        "((1)",
        "1)",
        "(1",
        "b = 1) OR (b > 0",
        /* functions and tables that must not be reached */
        "load_extension('/tmp/evil.so')",
        "LOAD_EXTENSION('x')",
        "\"load_extension\"('/tmp/evil.so')",
        "b IN sqlite_master",
        "a IN \"sqlite_master\"",
        "a IN \"sqlite_schema\"",
        "a IN sqlite_temp_master",
        "a IN other",
        "a IN \"other\"",
        "a IN main.other",
        "a IN \"main\".\"other\"",
        "a IN data",
        "a IN pragma_table_info('victim')",
        "sqlite_master",
        /* quoting tricks */
        "`a` = 'one'",
        "[a] = 'one'",
        "a = \"one two\"",
        "\"a\"\" = 1",
        "\"\" = 1",
        "\"a",
        "a = 'unterminated",
        "a = 'x''",
        "a = 'x' \\",
        "a = '{' OR {b}",
        /* odd characters */
        "b = 1\x01",
        "b\x0b= 1",
        "b = 1\f",
        "a = '\xef\xbd\x8f\xef\xbd\x8e\xef\xbd\x85' OR \xef\xbd\x82 = 1", /* fullwidth b */
        "\xd0\xb0 = 'one'",                                             /* Cyrillic a */
        "b = 1 \xe2\x80\x8b",                                           /* zero-width space */
        "b = 1\xff",
        /* TCL-style variables hiding punctuation */
        "b = $x(;DROP)",
        "b = $x(--)",
        /* empty, blank, overlong */
        "",
        "   ",
        "\n\t",
        long_where,
    };
    const size_t nwheres = sizeof wheres / sizeof wheres[0];

    json_t *set = t_json("{\"a\": \"pwned\"}");
    json_t *set_data = t_json("{\"value\": \"\\\"pwned\\\"\"}");
    for (size_t i = 0; i < nwheres; i++) {
        const char *w = wheres[i];
        t_want_einval(&tally, nana_query(db, "victim", NULL, w, NULL, NULL, -1, 0), "query", w);
        t_want_einval(&tally, nana_query(db, "victim", NULL, w, NULL, "b", 10, 0),
                      "query(order, limit)", w);
        t_want_einval(&tally, nana_query_with_pagination(db, "victim", NULL, w, NULL, NULL, 10, 0),
                    "query_with_pagination", w);
        t_want_einval(&tally, nana_count(db, "victim", w, NULL), "count", w);
        t_want_einval(&tally, nana_exists(db, "victim", w, NULL), "exists", w);
        t_want_einval(&tally, nana_sql_update(db, "victim", set, w, NULL), "sql_update", w);
        t_want_einval(&tally, nana_sql_delete(db, "victim", w, NULL), "sql_delete", w);
        /* "a IN data" reads the dict table: hostile for victim only (on data
         * itself it names a column data does not have) */
        if (strcmp(w, "a IN data") == 0)
            continue;
        t_want_einval(&tally, nana_sql_update(db, "data", set_data, w, NULL), "sql_update(data)",
                      w);
        t_want_einval(&tally, nana_sql_delete(db, "data", w, NULL), "sql_delete(data)", w);
        t_want_einval(&tally, nana_count(db, "data", w, NULL), "count(data)", w);
    }
    json_decref(set);
    json_decref(set_data);

    const uint64_t sum_after = t_fnv_file(path);
    CHECK(stat(path, &sb) == 0);
    fprintf(stderr, "%d hostile where clauses, %d tally.calls, %d not NANA_EINVAL; "
                    "checksum %016llx -> %016llx\n",
            (int)nwheres, tally.calls, tally.failures, (unsigned long long)sum_before,
            (unsigned long long)sum_after);
    CHECK(nwheres >= 60);
    CHECK(sum_after == sum_before);
    CHECK(sb.st_size == size_before);
    t_expect(nana_fetch_all(db, "SELECT a, b FROM victim ORDER BY b", NULL),
             "[[\"one\",1],[\"two\",2],[\"three\",3]]");
    t_expect(nana_fetch_all(db, "SELECT a, b FROM other ORDER BY b", NULL),
             "[[\"one\",1],[\"two\",2],[\"three\",3]]");
    t_expect(nana_get(db, "k", NULL), "{\"secret\":true}");
    t_expect(nana_get_fresh(db, "k", NULL), "{\"secret\":true}");
    t_expect(nana_list_tables(db), "[\"data\",\"other\",\"victim\"]");
    CHECK_INT(tally.failures, 0);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(t_fnv_file(path) == sum_before);
    return 0;
}
