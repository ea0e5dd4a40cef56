/*
 * Hostile table / column / index names -- SQL injection ("x; DROP TABLE
 * victim; --", "victim\"; DROP ..."), quoting tricks (double quotes, single
 * quotes, backticks, brackets), comments, qualified names, whitespace and
 * control characters, parameter markers, wildcards, unicode lookalikes
 * (fullwidth, Cyrillic, zero-width space, NBSP), bytes that are not UTF-8,
 * empty, 129 and 5000 bytes -- through EVERY helper that takes a name, in
 * every position it takes one (table, column as object member or array
 * element, primary key, index, conflict column, PRAGMA argument and PRAGMA
 * name), plus nana_table.  Each call must be NANA_EINVAL.  The database is
 * opened with optimize = false (no WAL: every commit lands in the main file)
 * and the main file's FNV-64 checksum must be the same after the whole corpus
 * as before it; the victim table, its index and the dict rows are intact.
 * Every failing input is listed before the test fails.
 */
#include "harness.h"

#include <sys/stat.h>

static struct t_tally tally;

static const char *shown(const char *s)
{
    static char buf[4][128];
    static int next;
    char *b = buf[next++ % 4];
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && o < 100; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            b[o++] = (char)c;
        else
            o += (size_t)snprintf(b + o, sizeof buf[0] - o, "\\x%02x", c);
    }
    if (n > 40 && o >= 100)
        o += (size_t)snprintf(b + o, sizeof buf[0] - o, "...(%zu bytes)", n);
    b[o] = '\0';
    return b;
}

/* {key: value-of-json-text}; NULL when key is not valid UTF-8 for jansson. */
static json_t *obj1(const char *key, json_t *value)
{
    json_t *o = json_object();
    if (json_object_set_new(o, key, value) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int main(void)
{
    const char *path = t_path("hostile-names.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);

    /* what an attack would damage */
    json_t *cols = t_json("{\"a\": \"TEXT\", \"b\": \"INTEGER\"}");
    CHECK_ST(t_wait(nana_create_table(db, "victim", cols, NULL, false)), NANA_OK);
    json_decref(cols);
    json_t *sets = t_json("[[\"one\", 1], [\"two\", 2], [\"three\", 3]]");
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO victim VALUES (?, ?)", sets)), NANA_OK);
    json_decref(sets);
    json_t *ixcols = t_json("[\"a\"]");
    CHECK_ST(t_wait(nana_create_index(db, "victim_ix", "victim", ixcols, false, false)), NANA_OK);
    json_t *v = t_json("{\"secret\": [1, 2, 3]}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);
    json_t *tables_before = t_take(nana_list_tables(db), NANA_OK);
    json_t *indexes_before = t_take(nana_list_indexes(db, NULL), NANA_OK);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    const uint64_t sum_before = t_fnv_file(path);
    const off_t size_before = sb.st_size;

    static char n129[130], n5000[5001], quoted5000[5003];
    memset(n129, 'a', 129);
    memset(n5000, 'v', 5000);
    quoted5000[0] = '"';
    memset(quoted5000 + 1, 'v', 5000);
    quoted5000[5001] = '"';
    const char *names[] = {
        "",
        "victim; DROP TABLE victim; --",
        "x; DROP TABLE victim",
        "victim\"; DROP TABLE victim; --",
        "victim\" --",
        "\"victim\"",
        "\"victim",
        "vic\"\"tim",
        "victim'",
        "'victim'",
        "victim'; DELETE FROM victim; --",
        "`victim`",
        "[victim]",
        "victim]",
        "victim--",
        "victim/*",
        "victim/**/",
        "victim)",
        "victim(",
        "victim) ; DROP TABLE victim; --",
        "main.victim",
        "temp.victim",
        "\"main\".\"victim\"",
        "victim victim",
        " victim",
        "victim ",
        "victim\t",
        "victim\n",
        "victim\r\nDROP TABLE victim",
        "vic\x01tim",
        "1victim",
        "vic-tim",
        "vic.tim",
        "victim,data",
        "a, b",
        "*",
        "?",
        "?1",
        ":victim",
        "$victim",
        "@victim",
        "victim%",
        "victim\\",
        "victim=1",
        "vi\xc3\xaf" "ctim",              /* i with diaeresis */
        "\xef\xbd\x96\xef\xbd\x89\xef\xbd\x83\xef\xbd\x94\xef\xbd\x89\xef\xbd\x8d", /* fullwidth */
        "vict\xd1\x96m",                    /* Cyrillic i */
        "victim\xe2\x80\x8b",               /* zero-width space */
        "victim\xc2\xa0",                   /* NBSP */
        "\xe2\x80\xae" "mitciv",            /* right-to-left override */
        "victim\xff",                       /* not UTF-8 */
        "\xc0\xa2victim",                   /* overlong quote */
        n129,
        n5000,
        quoted5000,
    };
    const size_t nnames = sizeof names / sizeof names[0];

    for (size_t i = 0; i < nnames; i++) {
        const char *n = names[i];
        json_t *one_col = t_json("{\"a\": \"TEXT\"}");
        json_t *as_member = obj1(n, json_string("TEXT"));     /* {n: "TEXT"} */
        json_t *as_row = obj1(n, json_string("pwned"));       /* {n: "pwned"} */
        json_t *utf8_probe = json_string(n); /* NULL: not UTF-8 */
        json_t *as_elem = utf8_probe ? json_pack("[s]", n) : NULL;
        json_decref(utf8_probe);
        json_t *ok_row = t_json("{\"a\": \"pwned\"}");
        json_t *a_list = t_json("[\"a\"]");

        /* create_table: table, column, primary key */
        t_want_einval(&tally, nana_create_table(db, n, one_col, NULL, false), "create_table(table)",
                      n);
        t_want_einval(&tally, nana_create_table(db, n, one_col, NULL, true),
                      "create_table(table, ine)", n);
        if (as_member)
            t_want_einval(&tally, nana_create_table(db, "ok_t", as_member, NULL, false),
                        "create_table(column)", n);
        t_want_einval(&tally, nana_create_table(db, "ok_t", one_col, n, false), "create_table(pk)",
                      n);
        /* create_index: index, table, column */
        t_want_einval(&tally, nana_create_index(db, n, "victim", a_list, false, false),
                    "create_index(index)", n);
        t_want_einval(&tally, nana_create_index(db, n, "victim", a_list, true, true),
                    "create_index(index, unique, ine)", n);
        t_want_einval(&tally, nana_create_index(db, "ok_ix", n, a_list, false, false),
                    "create_index(table)", n);
        if (as_elem)
            t_want_einval(&tally, nana_create_index(db, "ok_ix", "victim", as_elem, false, false),
                        "create_index(column)", n);
        /* query, pagination: table, column */
        t_want_einval(&tally, nana_query(db, n, NULL, NULL, NULL, NULL, INT64_MAX, 0),
                      "query(table)", n);
        if (as_elem)
            t_want_einval(&tally, nana_query(db, "victim", as_elem, NULL, NULL, NULL, INT64_MAX, 0),
                        "query(column)", n);
        t_want_einval(&tally, nana_query_with_pagination(db, n, NULL, NULL, NULL, NULL, 10, 0),
                    "query_with_pagination(table)", n);
        if (as_elem)
            t_want_einval(
                &tally, nana_query_with_pagination(db, "victim", as_elem, NULL, NULL, NULL, 10, 0),
                "query_with_pagination(column)", n);
        /* count, exists */
        t_want_einval(&tally, nana_count(db, n, NULL, NULL), "count(table)", n);
        t_want_einval(&tally, nana_exists(db, n, NULL, NULL), "exists(table)", n);
        /* sql_update, sql_delete, sql_insert, upsert */
        t_want_einval(&tally, nana_sql_update(db, n, ok_row, NULL, NULL), "sql_update(table)", n);
        if (as_row)
            t_want_einval(&tally, nana_sql_update(db, "victim", as_row, NULL, NULL),
                          "sql_update(column)", n);
        t_want_einval(&tally, nana_sql_delete(db, n, NULL, NULL), "sql_delete(table)", n);
        t_want_einval(&tally, nana_sql_insert(db, n, ok_row), "sql_insert(table)", n);
        if (as_row)
            t_want_einval(&tally, nana_sql_insert(db, "victim", as_row), "sql_insert(column)", n);
        t_want_einval(&tally, nana_upsert(db, n, ok_row, NULL), "upsert(table)", n);
        t_want_einval(&tally, nana_upsert(db, n, ok_row, a_list), "upsert(table, conflict)", n);
        if (as_row)
            t_want_einval(&tally, nana_upsert(db, "victim", as_row, NULL), "upsert(column)", n);
        if (as_elem)
            t_want_einval(&tally, nana_upsert(db, "victim", ok_row, as_elem),
                          "upsert(conflict column)", n);
        /* alter_table_add_column: table, column */
        t_want_einval(&tally, nana_alter_table_add_column(db, n, "c", "TEXT"), "alter(table)", n);
        t_want_einval(&tally, nana_alter_table_add_column(db, "victim", n, "TEXT"), "alter(column)",
                      n);
        /* drop_table, drop_index, table_exists, get_table_schema, list_indexes */
        t_want_einval(&tally, nana_drop_table(db, n, false), "drop_table", n);
        t_want_einval(&tally, nana_drop_table(db, n, true), "drop_table(if_exists)", n);
        t_want_einval(&tally, nana_drop_index(db, n, false), "drop_index", n);
        t_want_einval(&tally, nana_drop_index(db, n, true), "drop_index(if_exists)", n);
        t_want_einval(&tally, nana_table_exists(db, n), "table_exists", n);
        t_want_einval(&tally, nana_get_table_schema(db, n), "get_table_schema", n);
        t_want_einval(&tally, nana_list_indexes(db, n), "list_indexes", n);
        /* pragma: as the argument of table_info / index_list, as the name */
        json_t *sv = json_string(n);
        if (sv) {
            t_want_einval(&tally, nana_pragma(db, "table_info", sv), "pragma(table_info, name)", n);
            t_want_einval(&tally, nana_pragma(db, "index_list", sv), "pragma(index_list, name)", n);
            t_want_einval(&tally, nana_pragma(db, "index_info", sv), "pragma(index_info, name)", n);
            json_decref(sv);
        }
        t_want_einval(&tally, nana_pragma(db, n, NULL), "pragma(name)", n);
        /* nana_table (synchronous) */
        nana_db_t *sub = db;
        tally.calls++;
        nana_status_t st = nana_table(db, n, &sub);
        if (st != NANA_EINVAL || sub != NULL) {
            fprintf(stderr, "  nana_table [%s]: got %s\n", shown(n), t_status_name(st));
            tally.failures++;
            if (sub)
                nana_close(sub);
        }

        json_decref(one_col);
        json_decref(as_member);
        json_decref(as_row);
        json_decref(as_elem);
        json_decref(ok_row);
        json_decref(a_list);
    }

    /* the file and the data are untouched */
    const uint64_t sum_after = t_fnv_file(path);
    CHECK(stat(path, &sb) == 0);
    fprintf(stderr,
            "%d hostile names, %d tally.calls, %d not NANA_EINVAL; checksum %016llx -> %016llx\n",
            (int)nnames, tally.calls, tally.failures, (unsigned long long)sum_before,
            (unsigned long long)sum_after);
    CHECK(nnames >= 50);
    CHECK_INT(tally.failures, 0);
    CHECK(sum_after == sum_before);
    CHECK(sb.st_size == size_before);
    json_t *tables = t_take(nana_list_tables(db), NANA_OK);
    CHECK(json_equal(tables, tables_before));
    json_t *indexes = t_take(nana_list_indexes(db, NULL), NANA_OK);
    CHECK(json_equal(indexes, indexes_before));
    nana_json_release(tables);
    nana_json_release(indexes);
    nana_json_release(tables_before);
    nana_json_release(indexes_before);
    t_expect(nana_fetch_all(db, "SELECT a, b FROM victim ORDER BY b", NULL),
             "[[\"one\",1],[\"two\",2],[\"three\",3]]");
    t_expect(nana_get_table_schema(db, "victim"),
             "[{\"cid\":0,\"name\":\"a\",\"type\":\"TEXT\",\"notnull\":false,"
             "\"default_value\":null,\"pk\":false},"
             "{\"cid\":1,\"name\":\"b\",\"type\":\"INTEGER\",\"notnull\":false,"
             "\"default_value\":null,\"pk\":false}]");
    t_expect(nana_get(db, "k", NULL), "{\"secret\":[1,2,3]}");
    CHECK_INT(t_int(nana_len(db)), 1);
    json_decref(ixcols);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(t_fnv_file(path) == sum_before);
    return 0;
}
