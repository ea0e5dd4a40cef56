/*
 * nana_list_indexes lists the indexes made with CREATE INDEX only: SQLite's
 * internal sqlite_autoindex_* indexes (behind UNIQUE and PRIMARY KEY
 * constraints, such as every dict table's key) are left out, for one table
 * and for all of them, as NanaSQLite's list_indexes does.  A table whose
 * only indexes are automatic lists none.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("indexes.db", NULL);
    EXPECT(nana_execute(db, "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT UNIQUE, "
                            "nick TEXT, code TEXT, UNIQUE (nick, code))", NULL),
           NANA_OK);
    EXPECT(nana_execute(db, "CREATE INDEX people_nick ON people (nick)", NULL), NANA_OK);
    /* SQLite made two automatic indexes: they are there, but not listed. */
    SAME(nana_fetch_all(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                            "AND name LIKE 'sqlite_autoindex_%'", NULL),
         "[[3]]");

    json_t *list = TAKE(nana_list_indexes(db, "people"));
    CHECK_INT(json_array_size(list), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "name")),
              "people_nick");
    nana_json_release(list);

    list = TAKE(nana_list_indexes(db, NULL));
    size_t i;
    json_t *ix;
    json_array_foreach(list, i, ix) {
        const char *name = json_string_value(json_object_get(ix, "name"));
        CHECK(name && strncmp(name, "sqlite_", 7) != 0);
        CHECK(!json_is_null(json_object_get(ix, "sql")));
    }
    CHECK_INT(json_array_size(list), 1);
    nana_json_release(list);

    /* The dict table: only its automatic key index. */
    SAME(nana_list_indexes(db, "data"), "[]");
    SAME(nana_list_indexes(db, "DATA"), "[]");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
