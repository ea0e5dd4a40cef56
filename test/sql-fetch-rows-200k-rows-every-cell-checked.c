/*
 * A large result, 200,000 rows, the benchmark's shape ({"index": i, "data":
 * "<100 x>"} under "key_<i>") plus an integer, a BLOB and a length column:
 * every cell of every row is read back and compared with what was written,
 * in order, through a block that grew many times while the statement
 * stepped (so the rows written before each growth are checked too).  The
 * dict API reads the same rows.
 */
#include "harness.h"

#define N 200000

int main(void)
{
    nana_db_t *db = t_open("big.db", NULL);
    json_t *sets = t_json("[[200000]]");
    int64_t changed = INT(nana_execute_many(db,
        "INSERT INTO data (key, value) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL "
        "SELECT i + 1 FROM n WHERE i < ? - 1) SELECT 'key_' || i, "
        "json_object('index', i, 'data', printf('%.*c', 100, 'x')) FROM n",
        sets));
    json_decref(sets);
    CHECK_INT(changed, N);

    nana_future_t *f = nana_fetch_rows(
        db, "SELECT key, value, rowid, CAST(value AS BLOB), length(value) FROM data ORDER BY rowid",
        NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), N);
    CHECK_INT(nana_rows_columns(rows), 5);
    CHECK_STR(nana_rows_column_name(rows, 3), "CAST(value AS BLOB)");

    char xs[101];
    memset(xs, 'x', 100);
    xs[100] = '\0';
    int64_t first_rowid = nana_rows_int(rows, 0, 2);
    for (size_t r = 0; r < N; r++) {
        char key[32], value[160];
        int key_len = snprintf(key, sizeof key, "key_%zu", r);
        int value_len = snprintf(value, sizeof value, "{\"index\":%zu,\"data\":\"%s\"}", r, xs);
        size_t len = 0;
        const char *k = nana_rows_text(rows, r, 0, &len);
        if (!k || len != (size_t)key_len || strcmp(k, key) != 0)
            t_fail(__FILE__, __LINE__, "row %zu: key %s, want %s", r, t_shown(k), key);
        const char *v = nana_rows_text(rows, r, 1, &len);
        if (!v || len != (size_t)value_len || strcmp(v, value) != 0)
            t_fail(__FILE__, __LINE__, "row %zu: value %s, want %s", r, t_shown(v), value);
        CHECK(nana_rows_int(rows, r, 2) == first_rowid + (int64_t)r);
        const void *b = nana_rows_blob(rows, r, 3, &len);
        CHECK(b && len == (size_t)value_len && memcmp(b, value, len) == 0);
        CHECK(nana_rows_int(rows, r, 4) == value_len);
    }
    /* One row as JSON, from the end. */
    json_t *last = nana_rows_row_json(rows, N - 1);
    CHECK(json_is_array(last) && json_array_size(last) == 5);
    CHECK_STR(json_string_value(json_array_get(last, 0)), "key_199999");
    json_decref(last);
    nana_future_free(f);

    /* The dict API sees the same rows. */
    SAME(nana_get(db, "key_123456", NULL), "{\"index\":123456,\"data\":\"xxxxxxxxxxxxxxxxxxxxxxxx"
                                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                          "xxxxxxxxxxxxxxxxxxxxxx\"}");
    CHECK_INT(t_int(nana_len(db)), N);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
