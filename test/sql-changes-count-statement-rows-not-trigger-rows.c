/*
 * The change counts are the statement's own rows -- what sqlite3_changes()
 * and Python's cursor.rowcount report -- not the rows its triggers touched:
 *   - nana_execute INSERT of 1 row whose AFTER INSERT trigger writes 2 audit
 *     rows: "changes" 1 (and last_insert_rowid the row's, not the audit's);
 *     INSERT of 2 rows: 2; DELETE of 1 row whose trigger updates every other
 *     row: 1;
 *   - nana_execute_many of 2 single-row inserts: 2;
 *   - nana_sql_delete of 1 row ("the number of rows deleted"): 1, although
 *     its trigger updated the remaining rows of the same table;
 *   - nana_sql_update of 1 row whose AFTER UPDATE trigger updates every row
 *     of the same table: 1;
 *   - a SELECT afterwards: 0.
 * The triggers really ran (the audit rows and the updated counters are
 * checked).  Every expected number is what Python's sqlite3 reports for the
 * same statements.
 */
#include "harness.h"

static nana_db_t *db;

static void ddl(const char *sql)
{
    json_decref(TAKE(nana_execute(db, sql, NULL)));
}

int main(void)
{
    db = t_open("changes.db", NULL);
    ddl("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT 0, m INTEGER DEFAULT 0)");
    ddl("CREATE TABLE audit (x INTEGER)");
    ddl("CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN "
        "INSERT INTO audit VALUES (NEW.id); INSERT INTO audit VALUES (-NEW.id); END");
    ddl("CREATE TRIGGER t_del AFTER DELETE ON t BEGIN UPDATE t SET n = n + 1; END");
    ddl("CREATE TRIGGER t_upd AFTER UPDATE OF n ON t BEGIN UPDATE t SET m = m + 1; END");

    /* execute: INSERT of one row, then of two */
    SAME(nana_execute(db, "INSERT INTO t (id) VALUES (1)", NULL),
         "{\"columns\":[],\"rows\":[],\"changes\":1,\"last_insert_rowid\":1}");
    SAME(nana_fetch_all(db, "SELECT x FROM audit ORDER BY rowid", NULL), "[[1],[-1]]");
    SAME(nana_execute(db, "INSERT INTO t (id) VALUES (2), (3)", NULL),
         "{\"columns\":[],\"rows\":[],\"changes\":2,\"last_insert_rowid\":3}");

    /* execute_many: two single-row inserts */
    json_t *sets = t_json("[[4], [5]]");
    nana_future_t *f = nana_execute_many(db, "INSERT INTO t (id) VALUES (?)", sets);
    json_decref(sets);
    json_t *total = TAKE(f);
    CHECK_JSON(total, "2");
    nana_json_release(total);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM audit", NULL), "[10]");

    /* sql_delete: one row deleted, its trigger updates the other four */
    json_t *p = t_json("[5]");
    json_t *n = TAKE(nana_sql_delete(db, "t", "id = ?", p));
    json_decref(p);
    CHECK_JSON(n, "1");
    nana_json_release(n);
    SAME(nana_fetch_all(db, "SELECT id, n FROM t ORDER BY id", NULL),
         "[[1,1],[2,1],[3,1],[4,1]]");

    /* sql_update: one row updated, its trigger updates m of all four */
    json_t *set = t_json("{\"n\": 100}");
    p = t_json("[1]");
    n = TAKE(nana_sql_update(db, "t", set, "id = ?", p));
    json_decref(set);
    json_decref(p);
    CHECK_JSON(n, "1");
    nana_json_release(n);
    SAME(nana_fetch_all(db, "SELECT id, n, m FROM t ORDER BY id", NULL),
         "[[1,100,5],[2,1,5],[3,1,5],[4,1,5]]");

    /* execute: DELETE of one row */
    json_t *r = TAKE(nana_execute(db, "DELETE FROM t WHERE id = 4", NULL));
    CHECK_JSON(json_object_get(r, "changes"), "1");
    nana_json_release(r);

    /* a SELECT changes nothing */
    r = TAKE(nana_execute(db, "SELECT count(*) FROM t", NULL));
    CHECK_JSON(json_object_get(r, "rows"), "[[3]]");
    CHECK_JSON(json_object_get(r, "changes"), "0");
    nana_json_release(r);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
