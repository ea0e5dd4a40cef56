/*
 * A cell outside the row set reads as a NULL cell, never a crash: a row at
 * or past the count, a column at or past the column count (also huge
 * indexes, SIZE_MAX), and every getter of a NULL set -- type
 * NANA_CELL_NULL, int 0, double 0.0, text and blob NULL with length 0,
 * column name NULL, counts 0, JSON NULL.  Cells just inside the edges read
 * their values.
 */
#include "harness.h"

static void check_outside(const nana_rows_t *rows, size_t r, size_t c)
{
    size_t len = 99;
    CHECK_INT(nana_rows_type(rows, r, c), NANA_CELL_NULL);
    CHECK(nana_rows_int(rows, r, c) == 0);
    CHECK(nana_rows_double(rows, r, c) == 0.0);
    CHECK(nana_rows_text(rows, r, c, &len) == NULL);
    CHECK_INT(len, 0);
    len = 99;
    CHECK(nana_rows_blob(rows, r, c, &len) == NULL);
    CHECK_INT(len, 0);
    CHECK(nana_rows_text(rows, r, c, NULL) == NULL);
    CHECK(nana_rows_blob(rows, r, c, NULL) == NULL);
}

int main(void)
{
    nana_db_t *db = t_open("range.db", NULL);
    nana_future_t *f = nana_fetch_rows(
        db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
            "SELECT i, 'r' || i, x'0102' FROM n",
        NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 3);
    CHECK_INT(nana_rows_columns(rows), 3);

    /* The edges, inside. */
    CHECK(nana_rows_int(rows, 0, 0) == 1);
    CHECK(nana_rows_int(rows, 2, 0) == 3);
    CHECK_STR(nana_rows_text(rows, 2, 1, NULL), "r3");
    size_t len = 0;
    CHECK(nana_rows_blob(rows, 2, 2, &len) != NULL);
    CHECK_INT(len, 2);

    const size_t far[] = {3, 4, 1000, (size_t)1 << 40, SIZE_MAX / 2, SIZE_MAX - 1, SIZE_MAX};
    for (size_t k = 0; k < sizeof far / sizeof far[0]; k++) {
        for (size_t c = 0; c < 3; c++)
            check_outside(rows, far[k], c);   /* row out of range */
        for (size_t r = 0; r < 3; r++)
            check_outside(rows, r, far[k]);   /* column out of range */
        check_outside(rows, far[k], far[k]);
        CHECK(nana_rows_column_name(rows, far[k]) == NULL);
        CHECK(nana_rows_row_json(rows, far[k]) == NULL);
    }
    json_t *last = nana_rows_row_json(rows, 2);
    CHECK_JSON(last, "[3,\"r3\",{\"$blob\":\"AQI=\"}]");
    json_decref(last);

    /* A NULL set. */
    CHECK_INT(nana_rows_count(NULL), 0);
    CHECK_INT(nana_rows_columns(NULL), 0);
    CHECK(nana_rows_column_name(NULL, 0) == NULL);
    check_outside(NULL, 0, 0);
    check_outside(NULL, SIZE_MAX, SIZE_MAX);
    CHECK(nana_rows_row_json(NULL, 0) == NULL);
    CHECK(nana_rows_json(NULL) == NULL);
    CHECK(nana_future_rows(NULL) == NULL);

    nana_future_free(f);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
