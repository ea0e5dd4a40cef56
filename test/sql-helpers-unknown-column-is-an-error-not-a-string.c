/*
 * Helpers double-quote every identifier they build in.  A name that is not a
 * column of the table must then be an error, never silently read as the
 * string literal "nope" (SQLite's legacy double-quoted-string rule): query
 * and query_with_pagination with columns ["nope"] must not return rows whose
 * value is the text "nope"; order_by "nope" must not sort by a constant;
 * count / exists / query with where "\"nope\" = 'nope'" must not match every
 * row; create_index on column "nope" must not create an index on a constant.
 * Each must resolve to a failure (the exact code is not pinned here), and
 * nothing may be created.  For contrast, the helpers that already refuse an
 * unknown column (sql_insert, sql_update's SET, upsert's conflict columns)
 * and a valid query on real columns are checked too.  Every failing case is
 * listed before the test fails.
 */
#include "harness.h"

static int failures;

static void must_fail(nana_future_t *f, const char *what)
{
    nana_status_t st = nana_future_await(f);
    if (st == NANA_OK) {
        json_t *v = nana_future_json(f);
        char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        fprintf(stderr, "  %s: resolved NANA_OK with %s, want a failure\n", what,
                text ? text : "(no value)");
        free(text);
        failures++;
    }
    nana_future_free(f);
}

int main(void)
{
    nana_db_t *db = t_open("dqs.db", NULL);
    json_t *cols = t_json("{\"id\": \"INTEGER\", \"a\": \"TEXT\"}");
    CHECK_ST(t_wait(nana_create_table(db, "t", cols, "id", false)), NANA_OK);
    json_decref(cols);
    json_t *sets = t_json("[[1, \"x\"], [2, \"y\"]]");
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO t VALUES (?, ?)", sets)), NANA_OK);
    json_decref(sets);

    /* contrast: real columns work */
    json_t *real = t_json("[\"a\"]");
    t_expect(nana_query(db, "t", real, "\"a\" = 'y'", NULL, "id DESC", INT64_MAX, 0), "[{\"a\":\"y\"}]");

    json_t *nope = t_json("[\"nope\"]");
    must_fail(nana_query(db, "t", nope, NULL, NULL, NULL, INT64_MAX, 0), "query(columns [\"nope\"])");
    must_fail(nana_query_with_pagination(db, "t", nope, NULL, NULL, NULL, 10, 0),
              "query_with_pagination(columns [\"nope\"])");
    must_fail(nana_query(db, "t", NULL, NULL, NULL, "nope", INT64_MAX, 0), "query(order_by \"nope\")");
    must_fail(nana_query(db, "t", NULL, NULL, NULL, "id, nope DESC", INT64_MAX, 0),
              "query(order_by \"id, nope DESC\")");
    must_fail(nana_query(db, "t", NULL, "\"nope\" = 'nope'", NULL, NULL, INT64_MAX, 0),
              "query(where \"nope\" = 'nope')");
    must_fail(nana_count(db, "t", "\"nope\" = 'nope'", NULL), "count(where \"nope\" = 'nope')");
    must_fail(nana_exists(db, "t", "\"nope\" = 'nope'", NULL), "exists(where \"nope\" = 'nope')");
    must_fail(nana_create_index(db, "ix_nope", "t", nope, false, false),
              "create_index(columns [\"nope\"])");
    json_t *mixed = t_json("[\"a\", \"nope\"]");
    must_fail(nana_create_index(db, "ix_mixed", "t", mixed, true, false),
              "create_index(columns [\"a\", \"nope\"])");
    json_decref(mixed);

    /* contrast: these already refuse */
    json_t *row = t_json("{\"nope\": 1}");
    must_fail(nana_sql_insert(db, "t", row), "sql_insert({\"nope\": 1})");
    must_fail(nana_sql_update(db, "t", row, NULL, NULL), "sql_update(set {\"nope\": 1})");
    json_t *ok_row = t_json("{\"id\": 1, \"a\": \"z\"}");
    must_fail(nana_upsert(db, "t", ok_row, nope), "upsert(conflict [\"nope\"])");
    json_decref(ok_row);
    json_decref(row);

    /* nothing created, nothing changed */
    json_t *ix = t_take(nana_list_indexes(db, "t"), NANA_OK);
    if (json_array_size(ix) != 0) {
        char *text = json_dumps(ix, JSON_COMPACT);
        fprintf(stderr, "  indexes of t: %s, want []\n", text);
        free(text);
        failures++;
    }
    nana_json_release(ix);
    t_expect(nana_fetch_all(db, "SELECT id, a FROM t ORDER BY id", NULL), "[[1,\"x\"],[2,\"y\"]]");

    json_decref(nope);
    json_decref(real);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(failures, 0);
    return 0;
}
