/*
 * A statement that returns no row resolves to a row set all the same: zero
 * rows, its columns counted and named, nana_rows_json "[]", no row as JSON,
 * every cell NULL.  A statement without result columns (a read-only PRAGMA
 * that returns nothing: shrink_memory) has zero columns too.  Several
 * empty sets in a row, and a set after them, are whole.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("empty.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE e (a INTEGER, b TEXT)", NULL)));

    for (int round = 0; round < 3; round++) {
        nana_future_t *f = nana_fetch_rows(db, "SELECT a, b AS bee FROM e", NULL);
        CHECK_ST(nana_future_await(f), NANA_OK);
        const nana_rows_t *rows = nana_future_rows(f);
        CHECK(rows != NULL);
        CHECK_INT(nana_rows_count(rows), 0);
        CHECK_INT(nana_rows_columns(rows), 2);
        CHECK_STR(nana_rows_column_name(rows, 0), "a");
        CHECK_STR(nana_rows_column_name(rows, 1), "bee");
        CHECK(nana_rows_column_name(rows, 2) == NULL);
        CHECK_INT(nana_rows_type(rows, 0, 0), NANA_CELL_NULL);
        CHECK(nana_rows_text(rows, 0, 1, NULL) == NULL);
        CHECK(nana_rows_row_json(rows, 0) == NULL);
        json_t *all = nana_rows_json(rows);
        CHECK_JSON(all, "[]");
        json_decref(all);
        nana_future_free(f);
    }

    /* WHERE that matches nothing, with a parameter. */
    json_t *params = t_json("[42]");
    nana_future_t *f = nana_fetch_rows(db, "SELECT * FROM e WHERE a = ?", params);
    json_decref(params);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_INT(nana_rows_count(nana_future_rows(f)), 0);
    CHECK_INT(nana_rows_columns(nana_future_rows(f)), 2);
    nana_future_free(f);

    /* No result columns at all. */
    f = nana_fetch_rows(db, "PRAGMA shrink_memory", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK(rows != NULL);
    CHECK_INT(nana_rows_columns(rows), 0);
    CHECK_INT(nana_rows_count(rows), 0);
    CHECK(nana_rows_column_name(rows, 0) == NULL);
    nana_future_free(f);

    /* And a set with rows after the empty ones. */
    json_decref(TAKE(nana_execute(db, "INSERT INTO e VALUES (1, 'one')", NULL)));
    f = nana_fetch_rows(db, "SELECT a, b FROM e", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 1);
    CHECK_STR(nana_rows_text(rows, 0, 1, NULL), "one");
    json_t *all = nana_rows_json(rows);
    CHECK_JSON(all, "[[1,\"one\"]]");
    json_decref(all);
    nana_future_free(f);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
