/*
 * nana_open creates the file and its table ("data" by default, opts.table
 * otherwise) and nana_table creates a missing table, before any write: a raw
 * connection sees the empty tables with the (key TEXT PRIMARY KEY, value TEXT)
 * layout right after the calls returned.  nana_table on an existing table
 * keeps its rows.
 */
#include "harness.h"

#include <sqlite3.h>

static int table_rows(const char *path, const char *table)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    int exists = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int rows = -1;
    if (exists) {
        char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
        CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        rows = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_free(sql);
        /* layout */
        sql = sqlite3_mprintf("SELECT key, value FROM \"%w\" LIMIT 0", table);
        CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
        CHECK_STR(sqlite3_column_decltype(st, 0), "TEXT");
        CHECK_STR(sqlite3_column_decltype(st, 1), "TEXT");
        sqlite3_finalize(st);
        sqlite3_free(sql);
    }
    sqlite3_close(c);
    return rows;
}

int main(void)
{
    const char *path = t_path("create.db");
    nana_db_t *db = t_open("create.db", NULL);
    CHECK_INT(table_rows(path, "data"), 0);
    CHECK_INT(table_rows(path, "later"), -1);

    nana_db_t *later = NULL;
    CHECK_ST(nana_table(db, "later", &later), NANA_OK);
    CHECK_INT(table_rows(path, "later"), 0);

    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(later, "k", v)), NANA_OK);
    json_decref(v);
    CHECK_ST(nana_close(later), NANA_OK);
    /* a second handle on the existing table keeps its rows */
    CHECK_ST(nana_table(db, "later", &later), NANA_OK);
    CHECK_INT(table_rows(path, "later"), 1);
    t_expect(nana_get(later, "k", NULL), "1");
    CHECK_ST(nana_close(later), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    /* opts.table names the root's table */
    nana_options_t opts;
    nana_options_init(&opts);
    CHECK_STR(opts.table, "data");
    opts.table = "_custom_Table9";
    db = t_open("create.db", &opts);
    CHECK_INT(table_rows(path, "_custom_Table9"), 0);
    CHECK_INT(t_int(nana_len(db)), 0);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(table_rows(path, "later"), 1);
    return 0;
}
