/*
 * The sqlite_ prefix, in any case, is reserved for every identifier the SQL
 * helpers take, not only table names: column names (object keys, array
 * elements, primary_key, conflict columns, order_by columns, added columns),
 * index names, and the identifier of an argument-taking PRAGMA are
 * NANA_EINVAL, and nothing runs.  Names that merely contain "sqlite"
 * ("sqlitex", "my_sqlite_") still work.
 */
#include "harness.h"

static nana_db_t *db;

static json_t *one_column(const char *name, const char *type)
{
    json_t *o = json_object();
    json_object_set_new(o, name, json_string(type));
    return o;
}

static void refused_(const char *file, int line, const char *what, const char *name,
                     nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EINVAL || !*nana_future_errmsg(f))
        t_fail(file, line, "%s(%s): got %s (%s), want NANA_EINVAL", what, name,
               t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
}
#define REFUSED(what, name, f) refused_(__FILE__, __LINE__, (what), (name), (f))

int main(void)
{
    db = t_open("prefix.db", NULL);
    EXPECT(nana_execute(db, "CREATE TABLE t (a TEXT UNIQUE, b INTEGER)", NULL), NANA_OK);
    EXPECT(nana_execute(db, "CREATE INDEX t_b ON t (b)", NULL), NANA_OK);
    json_t *schema_before = TAKE(nana_fetch_all(db, "SELECT type, name, sql FROM sqlite_master "
                                                    "ORDER BY name", NULL));

    static const char *const names[] = {"sqlite_x", "SQLITE_x", "Sqlite_autoindex_t_1",
                                        "sqlite_", "sQlItE_master"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *n = names[i];
        json_t *cols = one_column(n, "TEXT");
        json_t *list = json_pack("[s]", n);
        json_t *row = json_pack("{s:i}", n, 1);
        json_t *value = json_string(n);
        json_t *a_list = json_pack("[s]", "a");
        json_t *a_row = json_pack("{s:s}", "a", "z");
        char order[64];
        snprintf(order, sizeof order, "a, %s DESC", n);

        REFUSED("create_table column", n, nana_create_table(db, "fresh", cols, NULL, false));
        REFUSED("create_table primary_key", n, nana_create_table(db, "fresh", cols, n, false));
        REFUSED("create_index name", n, nana_create_index(db, n, "t", a_list, false, false));
        REFUSED("create_index column", n, nana_create_index(db, "t_new", "t", list, false, true));
        REFUSED("drop_index", n, nana_drop_index(db, n, false));
        REFUSED("drop_index if_exists", n, nana_drop_index(db, n, true));
        REFUSED("alter_table_add_column", n, nana_alter_table_add_column(db, "t", n, "TEXT"));
        REFUSED("query columns", n, nana_query(db, "t", list, NULL, NULL, NULL, 10, 0));
        REFUSED("query order_by", n, nana_query(db, "t", NULL, NULL, NULL, order, 10, 0));
        REFUSED("pagination columns", n,
                nana_query_with_pagination(db, "t", list, NULL, NULL, NULL, 10, 0));
        REFUSED("sql_insert column", n, nana_sql_insert(db, "t", row));
        REFUSED("sql_update column", n, nana_sql_update(db, "t", row, NULL, NULL));
        REFUSED("upsert column", n, nana_upsert(db, "t", row, NULL));
        REFUSED("upsert conflict column", n, nana_upsert(db, "t", a_row, list));
        REFUSED("pragma table_info", n, nana_pragma(db, "table_info", value));
        REFUSED("pragma index_list", n, nana_pragma(db, "index_list", value));
        REFUSED("pragma index_info", n, nana_pragma(db, "index_info", value));

        json_decref(cols);
        json_decref(list);
        json_decref(row);
        json_decref(value);
        json_decref(a_list);
        json_decref(a_row);
    }
    /* The automatic index of the dict table, by its real name. */
    REFUSED("drop_index", "sqlite_autoindex_data_1",
            nana_drop_index(db, "sqlite_autoindex_data_1", false));

    /* Nothing ran. */
    json_t *schema_after = TAKE(nana_fetch_all(db, "SELECT type, name, sql FROM sqlite_master "
                                                   "ORDER BY name", NULL));
    CHECK(json_equal(schema_before, schema_after));
    nana_json_release(schema_before);
    nana_json_release(schema_after);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM t", NULL), "[0]");

    /* "sqlite" elsewhere in a name is an ordinary name. */
    json_t *cols = t_json("{\"sqlitex\": \"TEXT\", \"my_sqlite_\": \"INTEGER\"}");
    EXPECT(nana_create_table(db, "u", cols, "sqlitex", false), NANA_OK);
    json_decref(cols);
    json_t *list = t_json("[\"my_sqlite_\"]");
    EXPECT(nana_create_index(db, "sqlitex_ix", "u", list, false, false), NANA_OK);
    json_t *row = t_json("{\"sqlitex\": \"k\", \"my_sqlite_\": 3}");
    CHECK_INT(INT(nana_sql_insert(db, "u", row)), 1);
    json_decref(row);
    SAME(nana_query(db, "u", list, NULL, NULL, "my_sqlite_ DESC", 10, 0),
         "[{\"my_sqlite_\": 3}]");
    json_decref(list);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
