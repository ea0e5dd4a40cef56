/*
 * A file whose dict table is "data" (NanaSQLite's default), opened with
 * options.table = "DATA": the root caches the table SQLite knows as "data"
 * (table names compare without regard to ASCII case).  A write through the
 * SQL surface -- nana_execute's UPDATE, INSERT and DELETE, a helper -- is a
 * write to that dict table whatever the spelling: when it commits it
 * empties the root's cache, and nana_get reads the new value instead of the
 * cached one.  (SQLite reports the write under the schema's spelling,
 * "data", which used to be compared byte for byte with "DATA".)
 */
#include "harness.h"

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "DATA";
    t_raw_exec(t_path("upper.db"), "CREATE TABLE data (key TEXT PRIMARY KEY, value TEXT)");
    nana_db_t *db = t_open("upper.db", &opts);

    t_set_json(db, "k", "1");
    t_expect(nana_get(db, "k", NULL), "1"); /* now cached */
    CHECK(BOOL(nana_is_cached(db, "k")));

    nana_future_t *f = nana_execute(db, "UPDATE data SET value = '2' WHERE key = 'k'", NULL);
    json_t *done = TAKE(f);
    CHECK_INT(json_integer_value(json_object_get(done, "changes")), 1);
    nana_json_release(done);
    t_expect(nana_get(db, "k", NULL), "2");

    /* An absent key cached as absent, then inserted under another spelling. */
    CHECK_ST(t_wait(nana_get(db, "m", NULL)), NANA_ENOTFOUND);
    EXPECT(t_execute(db, "INSERT INTO Data (key, value) VALUES ('m', '5')", NULL), NANA_OK);
    t_expect(nana_get(db, "m", NULL), "5");

    EXPECT(t_execute(db, "DELETE FROM data WHERE key = 'k'", NULL), NANA_OK);
    CHECK_ST(t_wait(nana_get(db, "k", NULL)), NANA_ENOTFOUND);

    /* Helpers, in either spelling. */
    json_t *set = t_json("{\"value\": \"6\"}");
    CHECK_INT(INT(nana_sql_update(db, "data", set, "key = 'm'", NULL)), 1);
    json_decref(set);
    t_expect(nana_get(db, "m", NULL), "6");
    set = t_json("{\"value\": \"7\"}");
    CHECK_INT(INT(nana_sql_update(db, "DATA", set, "key = 'm'", NULL)), 1);
    json_decref(set);
    t_expect(nana_get(db, "m", NULL), "7");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
