/*
 * nana_get_table_schema returns, per column, exactly the members cid, name,
 * type, notnull, default_value, pk, in that order, as NanaSQLite's
 * get_table_schema does: notnull and pk are JSON booleans (pk true for every
 * column of a composite key), and the default's SQL text is under
 * "default_value" (JSON null when there is none).  A view is described too.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("schema.db", NULL);
    EXPECT(nana_execute(db,
                        "CREATE TABLE t (a INTEGER NOT NULL, b TEXT DEFAULT 'x', "
                        "c REAL, PRIMARY KEY (a, c))",
                        NULL),
           NANA_OK);

    json_t *schema = TAKE(nana_get_table_schema(db, "t"));
    CHECK_JSON(schema,
               "[{\"cid\":0,\"name\":\"a\",\"type\":\"INTEGER\",\"notnull\":true,"
               "\"default_value\":null,\"pk\":true},"
               "{\"cid\":1,\"name\":\"b\",\"type\":\"TEXT\",\"notnull\":false,"
               "\"default_value\":\"'x'\",\"pk\":false},"
               "{\"cid\":2,\"name\":\"c\",\"type\":\"REAL\",\"notnull\":false,"
               "\"default_value\":null,\"pk\":true}]");
    /* The members, in order, and nothing else. */
    static const char *const members[] = {"cid", "name", "type", "notnull", "default_value", "pk"};
    size_t i;
    json_t *column;
    json_array_foreach(schema, i, column) {
        const char *k;
        json_t *v;
        size_t m = 0;
        json_object_foreach(column, k, v) {
            CHECK(m < 6);
            CHECK_STR(k, members[m]);
            m++;
        }
        CHECK_INT(m, 6);
        CHECK(json_is_boolean(json_object_get(column, "notnull")));
        CHECK(json_is_boolean(json_object_get(column, "pk")));
        CHECK(!json_object_get(column, "default"));
    }
    nana_json_release(schema);

    /* The dict table: key TEXT PRIMARY KEY, value TEXT. */
    SAME(nana_get_table_schema(db, "data"),
         "[{\"cid\":0,\"name\":\"key\",\"type\":\"TEXT\",\"notnull\":false,"
         "\"default_value\":null,\"pk\":true},"
         "{\"cid\":1,\"name\":\"value\",\"type\":\"TEXT\",\"notnull\":false,"
         "\"default_value\":null,\"pk\":false}]");

    EXPECT(nana_execute(db, "CREATE VIEW v AS SELECT b FROM t", NULL), NANA_OK);
    SAME(nana_get_table_schema(db, "v"),
         "[{\"cid\":0,\"name\":\"b\",\"type\":\"TEXT\",\"notnull\":false,"
         "\"default_value\":null,\"pk\":false}]");
    EXPECT(nana_get_table_schema(db, "nope"), NANA_ENOTFOUND);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
