/*
 * SQLite compares table names without regard to ASCII case, and so do the
 * helpers: on a file whose dict table is "data", nana_sql_insert,
 * nana_query, nana_query_with_pagination, nana_count, nana_exists,
 * nana_sql_update, nana_upsert and nana_sql_delete on "DATA" (or "Data")
 * work on that table -- the authorizer used to compare the helper's name
 * with SQLite's spelling byte for byte and refuse the statement as one
 * reaching "another table" (NANA_EINVAL).  Each write empties the dict
 * cache of "data", which then reads the new rows.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("case.db", NULL); /* table "data" */
    t_set_json(db, "k", "1");
    t_expect(nana_get(db, "k", NULL), "1"); /* cached */

    json_t *row = t_json("{\"key\": \"n\", \"value\": \"10\"}");
    int64_t rowid = INT(nana_sql_insert(db, "DATA", row));
    CHECK(rowid > 0);
    json_decref(row);
    t_expect(nana_get(db, "n", NULL), "10");

    json_t *cols = t_json("[\"key\", \"value\"]");
    SAME(nana_query(db, "DATA", cols, NULL, NULL, "key", 10, 0),
         "[{\"key\":\"k\",\"value\":\"1\"},{\"key\":\"n\",\"value\":\"10\"}]");
    json_t *n_key = t_json("[\"n\"]");
    SAME(nana_query_with_pagination(db, "Data", cols, "key = ?", n_key, NULL, 5, 0),
         "{\"rows\":[{\"key\":\"n\",\"value\":\"10\"}],\"total\":1,\"limit\":5,\"offset\":0}");
    json_decref(n_key);
    json_decref(cols);
    CHECK_INT(INT(nana_count(db, "DATA", NULL, NULL)), 2);
    CHECK(BOOL(nana_exists(db, "dAtA", "key = 'k'", NULL)));

    json_t *set = t_json("{\"value\": \"2\"}");
    json_t *params = t_json("[\"k\"]");
    CHECK_INT(INT(nana_sql_update(db, "DATA", set, "key = ?", params)), 1);
    json_decref(set);
    json_decref(params);
    t_expect(nana_get(db, "k", NULL), "2");

    json_t *up = t_json("{\"key\": \"k\", \"value\": \"3\"}");
    json_t *keys = t_json("[\"key\"]");
    CHECK(INT(nana_upsert(db, "DATA", up, keys)) > 0);
    json_decref(up);
    json_decref(keys);
    t_expect(nana_get(db, "k", NULL), "3");

    CHECK_INT(INT(nana_sql_delete(db, "DATA", "key = 'n'", NULL)), 1);
    CHECK_ST(t_wait(nana_get(db, "n", NULL)), NANA_ENOTFOUND);

    json_t *schema = TAKE(nana_get_table_schema(db, "DATA"));
    CHECK_INT(json_array_size(schema), 2);
    nana_json_release(schema);
    CHECK(BOOL(nana_table_exists(db, "DATA")));

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
