/*
 * nana_fetch_rows gives every cell its SQLite storage class and its value
 * whole: INTEGER (int64 extremes), REAL, TEXT and BLOB with NUL bytes inside
 * (the length counts them; a NUL follows, uncounted), empty TEXT and an
 * empty BLOB (a non-NULL pointer, length 0), NULL; TEXT that is not UTF-8
 * as the bytes SQLite holds.  Column names are the result's (AS names).
 * Getters of another type read 0, 0.0, NULL with length 0, except that
 * nana_rows_double reads an INTEGER too.  Values come from a table and from
 * bound parameters alike.
 */
#include "harness.h"

#include <math.h>

static void check_bytes(const char *got, size_t got_len, const char *want, size_t want_len)
{
    CHECK(got != NULL);
    CHECK_INT(got_len, want_len);
    CHECK(memcmp(got, want, want_len) == 0);
    CHECK(got[want_len] == '\0');
}

/* The TEXT / BLOB cell (r, c) holds exactly want_len bytes of want. */
static void check_text(const nana_rows_t *rows, size_t r, size_t c, const char *want,
                       size_t want_len)
{
    size_t len = 99;
    const char *got = nana_rows_text(rows, r, c, &len);
    check_bytes(got, len, want, want_len);
}

static void check_blob(const nana_rows_t *rows, size_t r, size_t c, const char *want,
                       size_t want_len)
{
    size_t len = 99;
    const char *got = nana_rows_blob(rows, r, c, &len);
    check_bytes(got, len, want, want_len);
}

int main(void)
{
    nana_db_t *db = t_open("cells.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE c (i INTEGER, r REAL, t TEXT, b BLOB, n)",
                                  NULL)));
    /* 'a' NUL 'b' NUL, and bytes 00 ff 00 01 */
    json_decref(TAKE(nana_execute(db,
        "INSERT INTO c VALUES (9223372036854775807, 1.5, 'a' || char(0) || 'b' || char(0), "
        "x'00ff0001', NULL), (-9223372036854775808, -0.25, '', x'', NULL), "
        "(0, 4096.0625, 'caf' || char(233), zeroblob(3), NULL)", NULL)));

    nana_future_t *f = nana_fetch_rows(db, "SELECT i, r, t, b, n AS absent FROM c ORDER BY rowid",
                                       NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK(rows != NULL);
    CHECK(nana_future_rows(f) == rows);
    CHECK_INT(nana_rows_count(rows), 3);
    CHECK_INT(nana_rows_columns(rows), 5);
    const char *names[] = {"i", "r", "t", "b", "absent"};
    for (size_t c = 0; c < 5; c++)
        CHECK_STR(nana_rows_column_name(rows, c), names[c]);

    for (size_t r = 0; r < 3; r++) {
        CHECK_INT(nana_rows_type(rows, r, 0), NANA_CELL_INTEGER);
        CHECK_INT(nana_rows_type(rows, r, 1), NANA_CELL_REAL);
        CHECK_INT(nana_rows_type(rows, r, 2), NANA_CELL_TEXT);
        CHECK_INT(nana_rows_type(rows, r, 3), NANA_CELL_BLOB);
        CHECK_INT(nana_rows_type(rows, r, 4), NANA_CELL_NULL);
    }
    CHECK(nana_rows_int(rows, 0, 0) == INT64_MAX);
    CHECK(nana_rows_int(rows, 1, 0) == INT64_MIN);
    CHECK(nana_rows_int(rows, 2, 0) == 0);
    CHECK(nana_rows_double(rows, 0, 1) == 1.5);
    CHECK(nana_rows_double(rows, 1, 1) == -0.25);
    CHECK(nana_rows_double(rows, 2, 1) == 4096.0625);
    /* double reads an INTEGER too, converted */
    CHECK(nana_rows_double(rows, 0, 0) == (double)INT64_MAX);
    CHECK(nana_rows_double(rows, 1, 0) == (double)INT64_MIN);

    size_t len = 99;
    const char *t = nana_rows_text(rows, 0, 2, &len);
    check_bytes(t, len, "a\0b\0", 4);
    CHECK(strlen(t) == 1); /* a C string stops at the first NUL; len does not */
    t = nana_rows_text(rows, 1, 2, &len);
    check_bytes(t, len, "", 0);
    t = nana_rows_text(rows, 2, 2, &len);
    check_bytes(t, len, "caf\xc3\xa9", 5); /* char(233) is UTF-8 é */
    CHECK(nana_rows_text(rows, 0, 2, NULL) == nana_rows_text(rows, 0, 2, &len));

    const unsigned char *b = nana_rows_blob(rows, 0, 3, &len);
    check_bytes((const char *)b, len, "\x00\xff\x00\x01", 4);
    b = nana_rows_blob(rows, 1, 3, &len);
    check_bytes((const char *)b, len, "", 0); /* empty BLOB: not NULL */
    b = nana_rows_blob(rows, 2, 3, &len);
    check_bytes((const char *)b, len, "\0\0\0", 3);

    /* Getters of another type. */
    for (size_t r = 0; r < 3; r++) {
        for (size_t c = 0; c < 5; c++) {
            nana_cell_type_t type = nana_rows_type(rows, r, c);
            len = 99;
            if (type != NANA_CELL_INTEGER)
                CHECK(nana_rows_int(rows, r, c) == 0);
            if (type != NANA_CELL_INTEGER && type != NANA_CELL_REAL)
                CHECK(nana_rows_double(rows, r, c) == 0.0);
            if (type != NANA_CELL_TEXT) {
                CHECK(nana_rows_text(rows, r, c, &len) == NULL);
                CHECK_INT(len, 0);
            }
            len = 99;
            if (type != NANA_CELL_BLOB) {
                CHECK(nana_rows_blob(rows, r, c, &len) == NULL);
                CHECK_INT(len, 0);
            }
        }
    }
    nana_future_free(f);

    /* Values bound as parameters come back as bound; a TEXT that is not
     * UTF-8, made with CAST, comes back as its bytes. */
    json_t *s = json_stringn("x\0y", 3);
    json_t *params = json_pack("[I, f, o, {s:s}, n, b]", (json_int_t)-7, 2.5, s, "$blob", "AAEC",
                               1);
    f = nana_fetch_rows(db, "SELECT ?, ?, ?, ?, ?, ?, CAST(x'ff00fe' AS TEXT), 1.0, -0.0",
                        params);
    json_decref(params);
    CHECK_ST(nana_future_await(f), NANA_OK);
    rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 1);
    CHECK_INT(nana_rows_columns(rows), 9);
    CHECK_STR(nana_rows_column_name(rows, 0), "?");
    CHECK(nana_rows_int(rows, 0, 0) == -7);
    CHECK(nana_rows_double(rows, 0, 1) == 2.5);
    check_text(rows, 0, 2, "x\0y", 3);
    CHECK_INT(nana_rows_type(rows, 0, 3), NANA_CELL_BLOB);
    check_blob(rows, 0, 3, "\x00\x01\x02", 3);
    CHECK_INT(nana_rows_type(rows, 0, 4), NANA_CELL_NULL);
    CHECK_INT(nana_rows_type(rows, 0, 5), NANA_CELL_INTEGER); /* true binds as 1 */
    CHECK(nana_rows_int(rows, 0, 5) == 1);
    CHECK_INT(nana_rows_type(rows, 0, 6), NANA_CELL_TEXT);
    check_text(rows, 0, 6, "\xff\x00\xfe", 3);
    CHECK_INT(nana_rows_type(rows, 0, 7), NANA_CELL_REAL);
    CHECK(nana_rows_double(rows, 0, 7) == 1.0);
    CHECK(nana_rows_double(rows, 0, 8) == 0.0 && signbit(nana_rows_double(rows, 0, 8)));
    nana_future_free(f);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
