/*
 * Schema helpers:
 *  - nana_create_table: columns in declared order (not sorted), types as
 *    given (upper-cased), the primary_key column marked pk, NOT NULL and
 *    DEFAULT reflected by nana_get_table_schema; a second create fails
 *    NANA_ESQL without if_not_exists and is NANA_OK with it (table unchanged);
 *    a primary key that is not a column, empty or non-object columns refused.
 *  - nana_get_table_schema: {"cid","name","type","notnull","default_value",
 *    "pk"} objects, notnull and pk booleans; NANA_ENOTFOUND for a missing
 *    table.
 *  - nana_create_index: unique flag enforced (duplicate insert fails, count
 *    unchanged), plain index allows duplicates; if_not_exists; listed by
 *    nana_list_indexes(table) and (NULL) with name, table, unique, sql --
 *    SQLite's automatic index of a UNIQUE column left out.
 *  - nana_drop_index / nana_drop_table: gone from the lists, duplicates
 *    allowed again; a second drop fails NANA_ESQL, with if_exists NANA_OK.
 *  - nana_table_exists (views too), nana_list_tables (sorted, views and
 *    SQLite's own tables excluded).
 *  - nana_alter_table_add_column: appended last, its DEFAULT applies to
 *    existing and new rows; missing table / duplicate column NANA_ESQL.
 *  - a column type with AUTOINCREMENT works in a file that has no
 *    sqlite_sequence table yet.
 */
#include "harness.h"

static nana_future_t *create(nana_db_t *db, const char *table, const char *cols, const char *pk,
                             bool ine)
{
    json_t *c = t_json(cols);
    nana_future_t *f = nana_create_table(db, table, c, pk, ine);
    json_decref(c);
    return f;
}

static nana_future_t *index_(nana_db_t *db, const char *name, const char *table, const char *cols,
                             bool unique, bool ine)
{
    json_t *c = t_json(cols);
    nana_future_t *f = nana_create_index(db, name, table, c, unique, ine);
    json_decref(c);
    return f;
}

static nana_future_t *insert(nana_db_t *db, const char *table, const char *row)
{
    json_t *r = t_json(row);
    nana_future_t *f = nana_sql_insert(db, table, r);
    json_decref(r);
    return f;
}

/* The index objects of list whose name is name (NULL when absent). */
static json_t *find_index(json_t *list, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
            return o;
    }
    return NULL;
}

static const char *const PEOPLE_SCHEMA =
    "[{\"cid\":0,\"name\":\"zeta\",\"type\":\"TEXT\",\"notnull\":true,\"default_value\":null,\"pk\":false},"
    " {\"cid\":1,\"name\":\"id\",\"type\":\"INTEGER\",\"notnull\":false,\"default_value\":null,\"pk\":true},"
    " {\"cid\":2,\"name\":\"alpha\",\"type\":\"REAL\",\"notnull\":false,\"default_value\":\"0.5\",\"pk\":false},"
    " {\"cid\":3,\"name\":\"email\",\"type\":\"TEXT\",\"notnull\":false,\"default_value\":null,\"pk\":false},"
    " {\"cid\":4,\"name\":\"mid\",\"type\":\"VARCHAR(20)\",\"notnull\":false,"
    "  \"default_value\":\"'x'\",\"pk\":false}]";

int main(void)
{
    nana_db_t *db = t_open("schema.db", NULL);

    EXPECT(create(db, "people",
                  "{\"zeta\": \"text not null\", \"id\": \"INTEGER\", "
                  "\"alpha\": \"REAL DEFAULT 0.5\", \"email\": \"TEXT COLLATE NOCASE UNIQUE\", "
                  "\"mid\": \"varchar(20) DEFAULT 'x'\"}",
                  "id", false),
           NANA_OK);
    SAME(nana_get_table_schema(db, "people"), PEOPLE_SCHEMA);
    EXPECT(create(db, "people", "{\"other\": \"TEXT\"}", NULL, false), NANA_ESQL);
    EXPECT(create(db, "people", "{\"other\": \"TEXT\"}", NULL, true), NANA_OK);
    SAME(nana_get_table_schema(db, "people"), PEOPLE_SCHEMA);
    EXPECT(create(db, "bad_pk", "{\"a\": \"TEXT\"}", "b", false), NANA_EINVAL);
    /* empty or non-object columns: refused (the code is not specified) */
    nana_future_t *f = create(db, "bad_cols", "{}", NULL, false);
    CHECK(nana_future_await(f) != NANA_OK);
    nana_future_free(f);
    f = create(db, "bad_cols", "[\"a\"]", NULL, false);
    CHECK(nana_future_await(f) != NANA_OK);
    nana_future_free(f);
    EXPECT(nana_create_table(db, "bad_cols", NULL, NULL, false), NANA_EINVAL);
    EXPECT(create(db, "bad_cols", "{\"a\": 5}", NULL, false), NANA_EINVAL);
    CHECK(!BOOL(nana_table_exists(db, "bad_pk")));
    CHECK(!BOOL(nana_table_exists(db, "bad_cols")));

    /* rows: NOT NULL, DEFAULT, INTEGER primary key as rowid */
    CHECK_INT(INT(insert(db, "people", "{\"zeta\": \"z1\", \"email\": \"A@x\"}")), 1);
    CHECK_INT(INT(insert(db, "people", "{\"zeta\": \"z2\", \"id\": 50, \"email\": \"b@x\", \"mid\": \"y\"}")), 50);
    EXPECT(insert(db, "people", "{\"email\": \"c@x\"}"), NANA_ESQL); /* zeta NOT NULL */
    EXPECT(insert(db, "people", "{\"zeta\": \"z3\", \"email\": \"a@X\"}"), NANA_ESQL); /* NOCASE UNIQUE */
    SAME(nana_query(db, "people", NULL, NULL, NULL, "id", INT64_MAX, 0),
         "[{\"zeta\":\"z1\",\"id\":1,\"alpha\":0.5,\"email\":\"A@x\",\"mid\":\"x\"},"
         " {\"zeta\":\"z2\",\"id\":50,\"alpha\":0.5,\"email\":\"b@x\",\"mid\":\"y\"}]");

    /* indexes */
    EXPECT(index_(db, "ix_mid", "people", "[\"mid\"]", true, false), NANA_OK);
    EXPECT(insert(db, "people", "{\"zeta\": \"z3\", \"email\": \"c@x\"}"), NANA_ESQL); /* mid 'x' */
    CHECK_INT(INT(nana_count(db, "people", NULL, NULL)), 2);
    EXPECT(index_(db, "ix_zeta_alpha", "people", "[\"zeta\", \"alpha\"]", false, false), NANA_OK);
    EXPECT(index_(db, "ix_mid", "people", "[\"mid\"]", true, false), NANA_ESQL);
    EXPECT(index_(db, "ix_mid", "people", "[\"mid\"]", true, true), NANA_OK);
    EXPECT(index_(db, "ix_bad", "nowhere", "[\"a\"]", false, false), NANA_ESQL);
    f = index_(db, "ix_bad", "people", "[]", false, false);
    CHECK(nana_future_await(f) != NANA_OK);
    nana_future_free(f);
    EXPECT(nana_create_index(db, "ix_bad", "people", NULL, false, false), NANA_EINVAL);

    json_t *list = TAKE(nana_list_indexes(db, "people"));
    CHECK_INT(json_array_size(list), 2);
    json_t *ix = find_index(list, "ix_mid");
    CHECK(ix != NULL);
    CHECK_JSON(json_object_get(ix, "table"), "\"people\"");
    CHECK_JSON(json_object_get(ix, "unique"), "1");
    CHECK(strstr(json_string_value(json_object_get(ix, "sql")), "ix_mid") != NULL);
    ix = find_index(list, "ix_zeta_alpha");
    CHECK(ix != NULL);
    CHECK_JSON(json_object_get(ix, "unique"), "0");
    CHECK(find_index(list, "sqlite_autoindex_people_1") == NULL); /* email UNIQUE */
    nana_json_release(list);
    list = TAKE(nana_list_indexes(db, NULL));
    CHECK(find_index(list, "ix_mid") && !find_index(list, "sqlite_autoindex_data_1"));
    CHECK_INT(json_array_size(list), 2);
    nana_json_release(list);
    SAME(nana_list_indexes(db, "data"), "[]");

    EXPECT(nana_drop_index(db, "ix_mid", false), NANA_OK);
    CHECK_INT(INT(insert(db, "people", "{\"zeta\": \"z3\", \"email\": \"c@x\"}")), 51);
    EXPECT(nana_drop_index(db, "ix_mid", false), NANA_ESQL);
    EXPECT(nana_drop_index(db, "ix_mid", true), NANA_OK);
    list = TAKE(nana_list_indexes(db, "people"));
    CHECK(find_index(list, "ix_mid") == NULL);
    CHECK_INT(json_array_size(list), 1);
    nana_json_release(list);

    /* tables, views, lists */
    EXPECT(create(db, "zz", "{\"a\": \"INTEGER\"}", NULL, false), NANA_OK);
    EXPECT(create(db, "aa", "{\"a\": \"INTEGER PRIMARY KEY\"}", NULL, false), NANA_OK);
    json_decref(TAKE(nana_execute(db, "CREATE VIEW vv AS SELECT 1 AS one", NULL)));
    CHECK(BOOL(nana_table_exists(db, "people")));
    CHECK(BOOL(nana_table_exists(db, "data")));
    CHECK(BOOL(nana_table_exists(db, "vv")));
    CHECK(!BOOL(nana_table_exists(db, "nope")));
    CHECK(!BOOL(nana_table_exists(db, "ix_zeta_alpha"))); /* an index is not a table */
    CHECK_INT(INT(insert(db, "aa", "{}")), 1); /* DEFAULT VALUES */
    SAME(nana_list_tables(db), "[\"aa\",\"data\",\"people\",\"zz\"]");

    /* alter table */
    EXPECT(nana_alter_table_add_column(db, "people", "age", "integer default 18"), NANA_OK);
    json_t *schema = TAKE(nana_get_table_schema(db, "people"));
    CHECK_INT(json_array_size(schema), 6);
    CHECK_JSON(json_array_get(schema, 5),
               "{\"cid\":5,\"name\":\"age\",\"type\":\"INTEGER\",\"notnull\":false,"
               "\"default_value\":\"18\",\"pk\":false}");
    nana_json_release(schema);
    CHECK_INT(INT(insert(db, "people", "{\"zeta\": \"z4\", \"email\": \"d@x\", \"age\": 40}")), 52);
    json_t *cols = t_json("[\"id\", \"age\"]");
    SAME(nana_query(db, "people", cols, NULL, NULL, "id", INT64_MAX, 0),
         "[{\"id\":1,\"age\":18},{\"id\":50,\"age\":18},{\"id\":51,\"age\":18},"
         "{\"id\":52,\"age\":40}]");
    json_decref(cols);
    EXPECT(nana_alter_table_add_column(db, "people", "age", "TEXT"), NANA_ESQL);
    EXPECT(nana_alter_table_add_column(db, "nowhere", "age", "TEXT"), NANA_ESQL);

    /* drop table */
    EXPECT(nana_drop_table(db, "zz", false), NANA_OK);
    CHECK(!BOOL(nana_table_exists(db, "zz")));
    EXPECT(nana_drop_table(db, "zz", false), NANA_ESQL);
    EXPECT(nana_drop_table(db, "zz", true), NANA_OK);
    EXPECT(nana_get_table_schema(db, "zz"), NANA_ENOTFOUND);
    EXPECT(nana_get_table_schema(db, "never_was"), NANA_ENOTFOUND);
    EXPECT(nana_drop_table(db, "people", false), NANA_OK);
    list = TAKE(nana_list_indexes(db, NULL));
    CHECK(find_index(list, "ix_zeta_alpha") == NULL); /* dropped with its table */
    nana_json_release(list);
    SAME(nana_list_tables(db), "[\"aa\",\"data\"]");

    /* and it all persists */
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("schema.db", NULL);
    SAME(nana_list_tables(db), "[\"aa\",\"data\"]");
    SAME(nana_get_table_schema(db, "aa"),
         "[{\"cid\":0,\"name\":\"a\",\"type\":\"INTEGER\",\"notnull\":false,\"default_value\":null,"
         "\"pk\":true}]");
    CHECK(BOOL(nana_table_exists(db, "vv")));
    CHECK_ST(nana_close(db), NANA_OK);

    /* AUTOINCREMENT (in the header's list) in a file that has no
     * sqlite_sequence table yet: SQLite creates it along with the table */
    db = t_open("autoinc.db", NULL);
    EXPECT(create(db, "ai", "{\"id\": \"INTEGER PRIMARY KEY AUTOINCREMENT\", \"v\": \"TEXT\"}",
                  NULL, false),
           NANA_OK);
    CHECK_INT(INT(insert(db, "ai", "{\"v\": \"a\"}")), 1);
    CHECK_INT(INT(insert(db, "ai", "{\"v\": \"b\"}")), 2);
    SAME(nana_list_tables(db), "[\"ai\",\"data\"]"); /* sqlite_sequence excluded */
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
