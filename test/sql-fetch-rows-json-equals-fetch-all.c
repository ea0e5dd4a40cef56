/*
 * A row set's JSON is what nana_fetch_all gives for the same query:
 * nana_rows_json equals the fetch_all array, and nana_rows_row_json(r) its
 * element r, for every storage class -- extreme integers, reals, text with
 * NUL bytes and non-ASCII UTF-8, TEXT that is not UTF-8 (a BLOB object in
 * both), BLOBs (empty too), NULL -- with positional and named parameters,
 * over the dict table, joins, aggregates and a thousand generated rows.
 * The JSON is new and the caller's: changing it changes neither the set
 * nor a second copy.
 */
#include "harness.h"

static void same(nana_db_t *db, const char *sql, const char *params_text)
{
    json_t *params = params_text ? t_json(params_text) : NULL;
    json_t *want = TAKE(nana_fetch_all(db, sql, params));
    nana_future_t *f = nana_fetch_rows(db, sql, params);
    json_decref(params);
    if (nana_future_await(f) != NANA_OK)
        t_fail(__FILE__, __LINE__, "fetch_rows(\"%s\"): %s", sql, nana_future_errmsg(f));
    const nana_rows_t *rows = nana_future_rows(f);
    json_t *got = nana_rows_json(rows);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY), *w = json_dumps(want, JSON_ENCODE_ANY);
        t_fail(__FILE__, __LINE__, "%s:\n  rows_json %s\n  fetch_all %s", sql, g, w);
    }
    CHECK_INT(nana_rows_count(rows), json_array_size(want));
    for (size_t r = 0; r < json_array_size(want); r++) {
        json_t *row = nana_rows_row_json(rows, r);
        CHECK(json_equal(row, json_array_get(want, r)));
        CHECK_INT(json_array_size(row), nana_rows_columns(rows));
        json_decref(row);
    }
    /* The caller's to change. */
    if (json_array_size(got) > 0) {
        json_array_clear(json_array_get(got, 0));
        json_t *again = nana_rows_json(rows);
        CHECK(json_equal(again, want));
        json_decref(again);
    }
    json_decref(got);
    json_decref(want);
    nana_future_free(f);
}

int main(void)
{
    nana_db_t *db = t_open("equal.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE m (id INTEGER PRIMARY KEY, i, r, t, b)",
                                  NULL)));
    json_decref(TAKE(nana_execute(db,
        "INSERT INTO m (i, r, t, b) VALUES "
        "(9223372036854775807, 0.1, 'plain', x''), "
        "(-9223372036854775808, -1e-300, 'nul' || char(0) || 'in', x'00'), "
        "(0, 123456789.125, 'ユニコード ✓', x'00ff10'), "
        "(NULL, NULL, NULL, NULL), "
        "(42, 2.0, CAST(x'c3' AS TEXT), randomblob(64)), "
        "(7, -0.0, '', zeroblob(5))", NULL)));
    t_set_json(db, "a", "{\"x\": [1, 2.5, \"s\"]}");
    t_set_json(db, "b", "\"text\"");
    t_set_json(db, "c", "null");

    same(db, "SELECT * FROM m ORDER BY id", NULL);
    same(db, "SELECT t, b, i, r, id FROM m ORDER BY id DESC", NULL);
    same(db, "SELECT key, value FROM data ORDER BY key", NULL);
    same(db, "SELECT key, value FROM data", NULL);
    same(db, "SELECT * FROM m WHERE id > ? AND id < ?", "[1, 5]");
    same(db, "SELECT t FROM m WHERE id = :id", "{\"id\": 3}");
    same(db, "SELECT ?, ?, ?, ?, ?", "[1, 2.5, \"s t\", null, {\"$blob\": \"AAE=\"}]");
    same(db, "SELECT count(*), sum(i), avg(r), group_concat(t) FROM m WHERE id < 4", NULL);
    same(db, "SELECT m.id, d.key FROM m JOIN data d ON d.rowid = m.id ORDER BY m.id", NULL);
    same(db, "SELECT * FROM m WHERE 0", NULL);
    same(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
             "SELECT i, i * 0.5, printf('row %d', i), CASE WHEN i % 3 = 0 THEN NULL "
             "ELSE zeroblob(i % 7) END FROM n",
         NULL);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
