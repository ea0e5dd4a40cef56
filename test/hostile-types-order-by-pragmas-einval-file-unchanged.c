/*
 * Hostile column types, ORDER BY lists and PRAGMAs:
 *  - types such as "TEXT); DROP TABLE victim; --", "TEXT, evil TEXT", CHECK,
 *    REFERENCES, DEFAULT (expr), GENERATED / AS, unknown COLLATE, ON CONFLICT,
 *    CONSTRAINT, four-word names, bad (n,m), comments, quotes, unicode,
 *    5000 bytes -- through nana_create_table (a new table and, with
 *    if_not_exists, the existing victim) and nana_alter_table_add_column;
 *  - order_by with subqueries, functions (random(), abs(), load_extension),
 *    CASE, expressions, COLLATE, NULLS FIRST, numbers, quotes, backticks,
 *    brackets, comments, ';', empty items, LIMIT / UNION tails, unicode,
 *    5000 bytes -- through nana_query and nana_query_with_pagination;
 *  - PRAGMA names outside the list or carrying SQL, writes of read-only
 *    PRAGMAs, values that are not integers / booleans / identifiers.
 * Each call must be NANA_EINVAL; the main database file (optimize = false:
 * no WAL) keeps its FNV-64 checksum over the whole corpus, and the schema,
 * rows and PRAGMA values are as before.  Every failing input is listed
 * before the test fails.
 */
#include "harness.h"

#include <sys/stat.h>

static struct t_tally tally;

int main(void)
{
    const char *path = t_path("hostile-types.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);

    json_t *cols = t_json("{\"a\": \"TEXT\", \"b\": \"INTEGER\"}");
    CHECK_ST(t_wait(nana_create_table(db, "victim", cols, NULL, false)), NANA_OK);
    json_decref(cols);
    json_t *sets = t_json("[[\"one\", 1], [\"two\", 2], [\"three\", 3]]");
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO victim VALUES (?, ?)", sets)), NANA_OK);
    json_decref(sets);
    json_t *uv = json_integer(5);
    CHECK_ST(t_wait(nana_pragma(db, "user_version", uv)), NANA_OK);
    json_decref(uv);
    json_t *schema_before = t_take(nana_get_table_schema(db, "victim"), NANA_OK);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    const off_t size_before = sb.st_size;
    const uint64_t sum_before = t_fnv_file(path);

    static char long_type[5001], long_order[5001];
    memcpy(long_type, "TEXT", 4);
    for (size_t i = 4; i + 5 <= 5000; i += 5)
        memcpy(long_type + i, " NULL", 5);
    for (size_t i = 0; i + 5 <= 5000; i += 5)
        memcpy(long_order + i, "a, b,", 5);
    long_order[4999] = 'b';

    /* ------------------------------------------------------ column types */
    const char *types[] = {
        "TEXT); DROP TABLE victim; --",
        "TEXT) ; DROP TABLE victim",
        "TEXT, evil TEXT",
        "TEXT; DROP TABLE victim",
        "TEXT -- comment",
        "TEXT /* comment */",
        "TEXT CHECK (1)",
        "TEXT CHECK (length(a) < (SELECT count(*) FROM sqlite_master))",
        "TEXT REFERENCES victim(a)",
        "TEXT DEFAULT (randomblob(8))",
        "TEXT DEFAULT (load_extension('x'))",
        "TEXT DEFAULT 'a'); DROP TABLE victim; --",
        "TEXT DEFAULT ''); ATTACH 'evil.db' AS evil; --",
        "TEXT DEFAULT",
        "TEXT DEFAULT x'00'",
        "TEXT DEFAULT -'a'",
        "TEXT DEFAULT 'unterminated",
        "TEXT DEFAULT abs(1)",
        "TEXT AS (1)",
        "TEXT GENERATED ALWAYS AS (1) VIRTUAL",
        "TEXT COLLATE evil",
        "TEXT COLLATE \"NOCASE\"",
        "TEXT UNIQUE ON CONFLICT REPLACE",
        "TEXT CONSTRAINT c UNIQUE",
        "TEXT NOT",
        "TEXT PRIMARY",
        "TEXT PRIMARY KEY KEY",
        "A B C D",
        "VARCHAR(1,2,3)",
        "VARCHAR(10",
        "VARCHAR(x)",
        "VARCHAR(1)(2)",
        "",
        "   ",
        "\"TEXT\"",
        "`TEXT`",
        "[TEXT]",
        "'TEXT'",
        "TEXT\x01",
        "TEXT\n; DROP TABLE victim",
        "\xef\xbc\xb4\xef\xbc\xa5\xef\xbc\xb8\xef\xbc\xb4", /* fullwidth TEXT */
        "T\xd0\x95XT",                                     /* Cyrillic E */
        "INT8",
        long_type,
    };
    const size_t ntypes = sizeof types / sizeof types[0];
    for (size_t i = 0; i < ntypes; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "c", json_string(types[i]));
        if (json_object_get(c, "c") == NULL)
            t_fail(__FILE__, __LINE__, "type #%zu is not UTF-8", i);
        t_want_einval(&tally, nana_create_table(db, "new_t", c, NULL, false), "create_table(type)",
                      types[i]);
        t_want_einval(&tally, nana_create_table(db, "victim", c, NULL, true),
                    "create_table(victim, ine, type)", types[i]);
        t_want_einval(&tally, nana_alter_table_add_column(db, "victim", "c", types[i]),
                      "alter(type)", types[i]);
        json_decref(c);
    }
    /* a type that is not a string */
    json_t *c = t_json("{\"c\": 5}");
    t_want_einval(&tally, nana_create_table(db, "new_t", c, NULL, false), "create_table(type 5)",
                  "5");
    json_decref(c);
    c = t_json("{\"c\": [\"TEXT\"]}");
    t_want_einval(&tally, nana_create_table(db, "new_t", c, NULL, false), "create_table(type [])",
                  "[]");
    json_decref(c);
    t_want_einval(&tally, nana_alter_table_add_column(db, "victim", "c", NULL), "alter(NULL type)",
                  "NULL");

    /* --------------------------------------------------------- order_by */
    const char *orders[] = {
        "(SELECT 1)",
        "(SELECT a FROM victim)",
        "a, (SELECT name FROM sqlite_master)",
        "a; DROP TABLE victim",
        "a DESC; DROP TABLE victim",
        ";",
        "a -- x",
        "a /* x */",
        "a /*",
        "abs(b)",
        "random()",
        "load_extension('x')",
        "CASE WHEN b = 1 THEN 0 ELSE 1 END",
        "a COLLATE NOCASE",
        "a NULLS FIRST",
        "a ASC NULLS LAST",
        "1",
        "2 DESC",
        "a ASC DESC",
        "a DESC ASC",
        "a,",
        ",a",
        "a,,b",
        "a b",
        "a + 1",
        "a || b",
        "-b",
        "(a)",
        "\"a\"",
        "\"a\" DESC",
        "'a'",
        "`a`",
        "[a]",
        "victim.a",
        "main.victim.a",
        "a LIMIT 1",
        "a UNION SELECT 1",
        "a) UNION SELECT (1",
        "a DESC)",
        "?",
        ":a",
        "",
        " ",
        "\xef\xbd\x81",     /* fullwidth a */
        "a\xe2\x80\x8b",    /* zero-width space */
        "a\x01",
        long_order,
    };
    const size_t norders = sizeof orders / sizeof orders[0];
    for (size_t i = 0; i < norders; i++) {
        t_want_einval(&tally, nana_query(db, "victim", NULL, NULL, NULL, orders[i], -1, 0),
                      "query(order_by)", orders[i]);
        t_want_einval(&tally, nana_query(db, "victim", NULL, "b > 0", NULL, orders[i], 2, 1),
                    "query(where, order_by, limit)", orders[i]);
        t_want_einval(&tally,
                      nana_query_with_pagination(db, "victim", NULL, NULL, NULL, orders[i], 10, 0),
                      "query_with_pagination(order_by)", orders[i]);
    }

    /* ----------------------------------------------------------- pragmas */
    struct {
        const char *name, *value;
    } pragmas[] = {
        {"writable_schema", NULL},
        {"writable_schema", "true"},
        {"writable_schema", "1"},
        {"journal_mode", "\"OFF\""},
        {"journal_mode", "\"MEMORY\""},
        {"journal_mode = OFF", NULL},
        {"journal_mode; DROP TABLE victim", NULL},
        {"user_version = 1", NULL},
        {"user_version; DROP TABLE victim", NULL},
        {"user_version", "\"1; DROP TABLE victim\""},
        {"user_version", "\"1) ; DROP TABLE victim; --\""},
        {"user_version", "\"'7'\""},
        {"user_version", "\"7 7\""},
        {"user_version", "\"\""},
        {"user_version", "1.5"},
        {"user_version", "[1]"},
        {"user_version", "{\"v\": 1}"},
        {"user_version", "null"},
        {"application_id", "\"x'00'\""},
        {"main.user_version", "1"},
        {"schema_version", "1"},
        {"page_size", "512"},
        {"auto_vacuum", "1"},
        {"mmap_size", "1"},
        {"wal_autocheckpoint", "1"},
        {"locking_mode", "\"EXCLUSIVE\""},
        {"query_only", "true"},
        {"trusted_schema", "true"},
        {"legacy_alter_table", "true"},
        {"cell_size_check", "true"},
        {"temp_store_directory", "\"tmp\""},
        {"data_store_directory", "\"tmp\""},
        {"key", "\"k\""},
        {"rekey", "\"k\""},
        {"recursive_triggers", "true"},
        {"defer_foreign_keys", "true"},
        {"reverse_unordered_selects", "true"},
        {"shrink_memory", NULL},
        {"table_info", NULL},
        {"table_info", "1"},
        {"table_info", "\"victim\\\"); DROP TABLE victim; --\""},
        {"table_info", "\"victim') UNION SELECT 1 --\""},
        {"index_list", "\"victim victim\""},
        {"index_info", "true"},
        {"integrity_check", "\"victim\""},
        {"", NULL},
        {" ", NULL},
        {"USER_VERSION ", NULL},
        {"\xef\xbd\x95ser_version", NULL}, /* fullwidth u */
    };
    const size_t npragmas = sizeof pragmas / sizeof pragmas[0];
    for (size_t i = 0; i < npragmas; i++) {
        json_t *val = pragmas[i].value ? t_json(pragmas[i].value) : NULL;
        char what[200];
        snprintf(what, sizeof what, "%s = %s", pragmas[i].name,
                 pragmas[i].value ? pragmas[i].value : "(read)");
        t_want_einval(&tally, nana_pragma(db, pragmas[i].name, val), "pragma", what);
        json_decref(val);
    }

    const uint64_t sum_after = t_fnv_file(path);
    CHECK(stat(path, &sb) == 0);
    fprintf(stderr, "%d types, %d order_by, %d pragmas: %d tally.calls, %d not NANA_EINVAL; "
                    "checksum %016llx -> %016llx\n",
            (int)ntypes, (int)norders, (int)npragmas, tally.calls, tally.failures,
            (unsigned long long)sum_before, (unsigned long long)sum_after);
    CHECK(ntypes + norders + npragmas >= 60);
    CHECK(sum_after == sum_before);
    CHECK(sb.st_size == size_before);
    json_t *schema = t_take(nana_get_table_schema(db, "victim"), NANA_OK);
    CHECK(json_equal(schema, schema_before));
    nana_json_release(schema);
    nana_json_release(schema_before);
    CHECK(!t_bool(nana_table_exists(db, "new_t")));
    t_expect(nana_fetch_all(db, "SELECT a, b FROM victim ORDER BY b", NULL),
             "[[\"one\",1],[\"two\",2],[\"three\",3]]");
    t_expect(nana_pragma(db, "user_version", NULL), "[[5]]");
    t_expect(nana_pragma(db, "journal_mode", NULL), "[[\"delete\"]]");
    t_expect(nana_fetch_one(db, "PRAGMA writable_schema", NULL), "[0]");
    CHECK_INT(tally.failures, 0);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(t_fnv_file(path) == sum_before);
    return 0;
}
