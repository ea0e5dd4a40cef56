/*
 * nana_execute resolves to exactly {"columns", "rows", "changes",
 * "last_insert_rowid"}: a DDL statement has no columns and no rows; a
 * multi-row INSERT reports its change count and the rowid of its last row; an
 * explicit rowid is reported; UPDATE/DELETE report the rows they touched; a
 * SELECT gives its column names (aliases included) and rows as arrays in
 * column order; INSERT ... RETURNING gives both rows and changes.  The counts
 * belong to the statement itself even when other jobs are queued right behind
 * it (captured while it held the connection), and a SELECT changes nothing
 * (changes 0, whatever the connection did before).  A failing statement
 * resolves NANA_ESQL with a message and no value; NULL db or SQL is
 * NANA_EINVAL.
 */
#include "harness.h"

/* r must be an object with exactly the four members. */
static void check_shape(const char *file, int line, json_t *r)
{
    if (!json_is_object(r) || json_object_size(r) != 4 ||
        !json_is_array(json_object_get(r, "columns")) ||
        !json_is_array(json_object_get(r, "rows")) ||
        !json_is_integer(json_object_get(r, "changes")) ||
        !json_is_integer(json_object_get(r, "last_insert_rowid")))
        t_fail(file, line, "execute result has the wrong shape");
}
#define SHAPE(r) check_shape(__FILE__, __LINE__, (r))

int main(void)
{
    nana_db_t *db = t_open("exec.db", NULL);

    /* DDL */
    json_t *r = TAKE(t_execute(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)",
                              NULL));
    SHAPE(r);
    CHECK_JSON(json_object_get(r, "columns"), "[]");
    CHECK_JSON(json_object_get(r, "rows"), "[]");
    CHECK_JSON(json_object_get(r, "changes"), "0");
    nana_json_release(r);

    /* multi-row INSERT: 3 changes, rowid of the last row */
    r = TAKE(t_execute(db, "INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', 2.5), ('c', NULL)",
                      NULL));
    SHAPE(r);
    CHECK_JSON(r, "{\"columns\":[],\"rows\":[],\"changes\":3,\"last_insert_rowid\":3}");
    nana_json_release(r);

    /* explicit rowid */
    r = TAKE(t_execute(db, "INSERT INTO t (id, name) VALUES (?, ?)", "[100, \"x\"]"));
    CHECK_JSON(r, "{\"columns\":[],\"rows\":[],\"changes\":1,\"last_insert_rowid\":100}");
    nana_json_release(r);

    /* UPDATE touching 2 rows, DELETE touching 1 */
    r = TAKE(t_execute(db, "UPDATE t SET score = 9 WHERE id < 3", NULL));
    SHAPE(r);
    CHECK_JSON(json_object_get(r, "changes"), "2");
    CHECK_JSON(json_object_get(r, "rows"), "[]");
    nana_json_release(r);
    r = TAKE(t_execute(db, "DELETE FROM t WHERE name = :n", "{\"n\": \"x\"}"));
    CHECK_JSON(json_object_get(r, "changes"), "1");
    nana_json_release(r);
    r = TAKE(t_execute(db, "DELETE FROM t WHERE 0", NULL));
    CHECK_JSON(json_object_get(r, "changes"), "0");
    nana_json_release(r);

    /* SELECT: column names in order, rows as arrays in column order */
    r = TAKE(t_execute(db, "SELECT id, name, score FROM t ORDER BY id", NULL));
    SHAPE(r);
    CHECK_JSON(json_object_get(r, "columns"), "[\"id\",\"name\",\"score\"]");
    CHECK_JSON(json_object_get(r, "rows"), "[[1,\"a\",9.0],[2,\"b\",9.0],[3,\"c\",null]]");
    nana_json_release(r);
    r = TAKE(t_execute(db, "SELECT count(*) AS n, 'lit' AS \"weird name\", 2.5 * 2 FROM t", NULL));
    CHECK_JSON(json_object_get(r, "columns"), "[\"n\",\"weird name\",\"2.5 * 2\"]");
    CHECK_JSON(json_object_get(r, "rows"), "[[3,\"lit\",5.0]]");
    nana_json_release(r);

    /* RETURNING: rows and changes together */
    r = TAKE(t_execute(db, "INSERT INTO t (name) VALUES ('r1'), ('r2') RETURNING id, name", NULL));
    SHAPE(r);
    CHECK_JSON(r, "{\"columns\":[\"id\",\"name\"],\"rows\":[[4,\"r1\"],[5,\"r2\"]],"
                  "\"changes\":2,\"last_insert_rowid\":5}");
    nana_json_release(r);
    r = TAKE(t_execute(db, "DELETE FROM t WHERE id > 3 RETURNING name", NULL));
    CHECK_JSON(json_object_get(r, "rows"), "[[\"r1\"],[\"r2\"]]");
    CHECK_JSON(json_object_get(r, "changes"), "2");
    nana_json_release(r);

    /* counts captured per statement, with other jobs queued behind it */
    json_t *v = json_integer(1);
    nana_future_t *f1 = t_execute(db, "INSERT INTO t (id, name) VALUES (200, 'q1'), (201, 'q2')", NULL);
    nana_future_t *f2 = nana_set(db, "k", v);
    nana_future_t *f3 = t_execute(db, "INSERT INTO t (id, name) VALUES (300, 'q3')", NULL);
    nana_future_t *f4 = t_execute(db, "UPDATE t SET score = 0", NULL); /* every row: 6 */
    nana_future_t *f5 = nana_set(db, "k2", v);
    json_decref(v);
    r = TAKE(f4);
    CHECK_JSON(json_object_get(r, "changes"), "6");
    nana_json_release(r);
    r = TAKE(f3);
    CHECK_JSON(json_object_get(r, "changes"), "1");
    CHECK_JSON(json_object_get(r, "last_insert_rowid"), "300");
    nana_json_release(r);
    EXPECT(f2, NANA_OK);
    r = TAKE(f1);
    CHECK_JSON(json_object_get(r, "changes"), "2");
    CHECK_JSON(json_object_get(r, "last_insert_rowid"), "201");
    nana_json_release(r);
    EXPECT(f5, NANA_OK);

    /* failures */
    EXPECT(t_execute(db, "SELEKT 1", NULL), NANA_ESQL);
    EXPECT(t_execute(db, "INSERT INTO t (id) VALUES (1)", NULL), NANA_ESQL); /* duplicate id */
    EXPECT(t_execute(db, "SELECT * FROM no_such_table", NULL), NANA_ESQL);
    EXPECT(nana_execute(NULL, "SELECT 1", NULL), NANA_EINVAL);
    EXPECT(nana_execute(db, NULL, NULL), NANA_EINVAL);
    r = TAKE(t_execute(db, "SELECT count(*) FROM t", NULL));
    CHECK_JSON(json_object_get(r, "rows"), "[[6]]");
    nana_json_release(r);

    /* a SELECT changes no row, even right after a write changed several */
    r = TAKE(t_execute(db, "UPDATE t SET score = 1", NULL));
    CHECK_JSON(json_object_get(r, "changes"), "6");
    nana_json_release(r);
    r = TAKE(t_execute(db, "SELECT id FROM t WHERE id = 1", NULL));
    CHECK_JSON(json_object_get(r, "rows"), "[[1]]");
    CHECK_JSON(json_object_get(r, "changes"), "0");
    nana_json_release(r);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
