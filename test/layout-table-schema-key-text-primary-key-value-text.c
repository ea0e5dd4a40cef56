/*
 * The file the library writes has NanaSQLite's layout: the default table is
 * named "data", and it and every sub-table (including "order" and "main",
 * which need quoting) have exactly two columns, key TEXT PRIMARY KEY and
 * value TEXT (PRAGMA table_info), with the rows stored as text.
 */
#include "harness.h"

#include <sqlite3.h>

static void check_schema(sqlite3 *c, const char *table)
{
    char *sql = sqlite3_mprintf("PRAGMA table_info(\"%w\")", table);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    int ncols = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        int pk = sqlite3_column_int(st, 5);
        if (ncols == 0) {
            CHECK_STR(name, "key");
            CHECK(strcasecmp(type, "TEXT") == 0);
            CHECK_INT(pk, 1);
        } else if (ncols == 1) {
            CHECK_STR(name, "value");
            CHECK(strcasecmp(type, "TEXT") == 0);
            CHECK_INT(pk, 0);
        }
        ncols++;
    }
    if (ncols != 2)
        t_fail(__FILE__, __LINE__, "table %s has %d columns, want 2", table, ncols);
    sqlite3_finalize(st);
    sqlite3_free(sql);

    /* rows are stored as text */
    sql = sqlite3_mprintf("SELECT typeof(key), typeof(value) FROM \"%w\"", table);
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        CHECK_STR((const char *)sqlite3_column_text(st, 0), "text");
        CHECK_STR((const char *)sqlite3_column_text(st, 1), "text");
        rows++;
    }
    CHECK(rows > 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
}

int main(void)
{
    const char *path = t_path("layout.db");
    nana_db_t *db = t_open("layout.db", NULL);
    nana_db_t *order = NULL, *mainh = NULL;
    CHECK_ST(nana_table(db, "order", &order), NANA_OK);
    CHECK_ST(nana_table(db, "main", &mainh), NANA_OK);
    json_t *v = t_json("{\"n\":1}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(order, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(mainh, "k", v)), NANA_OK);
    json_t *num = json_integer(5);
    CHECK_ST(t_wait(nana_set(db, "12345", num)), NANA_OK); /* numeric-looking key and value */
    json_decref(num);
    json_decref(v);
    CHECK_ST(nana_close(order), NANA_OK);
    CHECK_ST(nana_close(mainh), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    check_schema(c, "data");
    check_schema(c, "order");
    check_schema(c, "main");

    /* the tables exist under exactly these names */
    const char *want[] = {"data", "main", "order"};
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = NULL;
        CHECK(sqlite3_prepare_v2(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                    "AND name = ?", -1, &st, NULL) == SQLITE_OK);
        sqlite3_bind_text(st, 1, want[i], -1, SQLITE_STATIC);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        if (sqlite3_column_int(st, 0) != 1)
            t_fail(__FILE__, __LINE__, "no table named %s", want[i]);
        sqlite3_finalize(st);
    }
    sqlite3_close(c);

    char *raw = t_raw_value(path, "data", "12345");
    CHECK_STR(raw, "5");
    free(raw);
    return 0;
}
