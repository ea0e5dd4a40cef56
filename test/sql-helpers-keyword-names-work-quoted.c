/*
 * Identifiers are always double-quoted in the SQL the helpers build, so
 * names that are SQL keywords work everywhere a name is taken: a table
 * "order" with columns "select", "from", "group", "values", primary key
 * "select"; an index "where" on ("from", "group"); sql_insert, upsert on the
 * "select" key, query with those columns and order_by "from DESC, group",
 * pagination, count, sql_update and sql_delete -- with where clauses that
 * name such columns as quoted identifiers ("from", "group" and, last,
 * "select" and "values": a quoted identifier is a name, not a keyword);
 * alter_table_add_column "limit"; get_table_schema; drop_index; drop_table.
 */
#include "harness.h"

/* OK and no value */
static void done_(const char *file, int line, const char *expr, nana_future_t *f)
{
    json_t *v = t_take_at(file, line, expr, f);
    if (v)
        t_fail(file, line, "%s: has a value", expr);
}
#define DONE(f) done_(__FILE__, __LINE__, #f, (f))

static json_t *pool[64];
static size_t npool;

static json_t *J(const char *text)
{
    CHECK(npool < 64);
    return pool[npool++] = t_json(text);
}

int main(void)
{
    nana_db_t *db = t_open("keywords.db", NULL);

    DONE(nana_create_table(db, "order",
                           J("{\"select\": \"TEXT\", \"from\": \"INTEGER\", \"group\": \"REAL\", "
                             "\"values\": \"TEXT\"}"),
                           "select", false));
    DONE(nana_create_index(db, "where", "order", J("[\"from\", \"group\"]"), false, false));
    SAME(nana_sql_insert(db, "order", J("{\"select\": \"a\", \"from\": 1, \"group\": 0.5, "
                                        "\"values\": \"v1\"}")),
         "1");
    SAME(nana_sql_insert(db, "order", J("{\"select\": \"b\", \"from\": 2, \"group\": 1.5, "
                                        "\"values\": \"v2\"}")),
         "2");
    SAME(nana_upsert(db, "order", J("{\"select\": \"a\", \"from\": 3}"), J("[\"select\"]")), "1");
    SAME(nana_query(db, "order", J("[\"select\", \"from\"]"), NULL, NULL, "from DESC, group", INT64_MAX,
                    0),
         "[{\"select\":\"a\",\"from\":3},{\"select\":\"b\",\"from\":2}]");
    SAME(nana_query_with_pagination(db, "order", J("[\"select\"]"), "\"from\" > ?", J("[1]"),
                                    "select", 1, 1),
         "{\"rows\":[{\"select\":\"b\"}],\"total\":2,\"limit\":1,\"offset\":1}");
    SAME(nana_count(db, "order", "\"group\" >= ?", J("[1]")), "1");
    SAME(nana_exists(db, "order", "\"from\" = :f", J("{\"f\": 3}")), "true");
    SAME(nana_sql_update(db, "order", J("{\"group\": 9.5}"), "\"from\" = ?", J("[2]")), "1");
    DONE(nana_alter_table_add_column(db, "order", "limit", "INTEGER DEFAULT 7"));
    SAME(nana_query(db, "order", J("[\"select\", \"group\", \"limit\"]"), NULL, NULL, "select", INT64_MAX,
                    0),
         "[{\"select\":\"a\",\"group\":0.5,\"limit\":7},{\"select\":\"b\",\"group\":9.5,"
         "\"limit\":7}]");
    json_t *schema = TAKE(nana_get_table_schema(db, "order"));
    CHECK_INT(json_array_size(schema), 5);
    CHECK_JSON(json_object_get(json_array_get(schema, 0), "name"), "\"select\"");
    CHECK_JSON(json_object_get(json_array_get(schema, 0), "pk"), "true");
    nana_json_release(schema);
    SAME(nana_sql_delete(db, "order", "\"from\" = ?", J("[3]")), "1");
    SAME(nana_count(db, "order", NULL, NULL), "1");
    DONE(nana_drop_index(db, "where", false));
    SAME(nana_list_indexes(db, "order"), "[]"); /* only the automatic one is left */

    /* columns named select / values in a where clause, as quoted names */
    SAME(nana_count(db, "order", "\"select\" = ?", J("[\"b\"]")), "1");
    SAME(nana_sql_update(db, "order", J("{\"values\": \"v3\"}"), "\"values\" = ?", J("[\"v2\"]")),
         "1");
    DONE(nana_drop_table(db, "order", false));
    SAME(nana_list_tables(db), "[\"data\"]");

    CHECK_ST(nana_close(db), NANA_OK);
    for (size_t i = 0; i < npool; i++)
        json_decref(pool[i]);
    return 0;
}
