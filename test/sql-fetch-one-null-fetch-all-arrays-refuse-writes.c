/*
 * nana_fetch_one resolves to the first row as an array (in column order), or
 * to JSON null -- a value, not NULL -- when there is no row; nana_fetch_all to
 * an array of every row as arrays ([] when none), each column in its JSON
 * type.  Both refuse a statement that writes (INSERT, UPDATE, DELETE,
 * REPLACE, INSERT ... RETURNING, a CTE feeding an INSERT, CREATE, DROP,
 * ALTER, a PRAGMA that sets) with NANA_EINVAL, a message, and nothing changed
 * -- including the dict table.  NULL db or SQL is NANA_EINVAL.
 */
#include "harness.h"

static const char *const TABLE_F = "[[1,\"one\",1.5],[2,\"two\",null],[3,\"three\",-2.0]]";

int main(void)
{
    nana_db_t *db = t_open("fetch.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE f (a INTEGER, b TEXT, c REAL)", NULL)));
    json_decref(TAKE(nana_execute(
        db, "INSERT INTO f VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, 'three', -2)", NULL)));
    json_t *v = t_json("{\"x\": [1, 2]}");
    CHECK_ST(t_wait(nana_set(db, "keep", v)), NANA_OK);
    json_decref(v);

    /* fetch_one */
    SAME(nana_fetch_one(db, "SELECT a, b, c FROM f ORDER BY a", NULL), "[1,\"one\",1.5]");
    SAME(nana_fetch_one(db, "SELECT b, a FROM f ORDER BY a DESC", NULL), "[\"three\",3]");
    nana_future_t *f = nana_fetch_one(db, "SELECT * FROM f WHERE a = 99", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) != NULL);
    CHECK(json_is_null(nana_future_json(f)));
    nana_future_free(f);
    json_t *params = t_json("[42]");
    SAME(nana_fetch_one(db, "SELECT b FROM f WHERE a = ?", params), "null");
    json_decref(params);
    SAME(nana_fetch_one(db, "SELECT 1, 2.5, 'x', NULL, x'01'", NULL),
         "[1,2.5,\"x\",null,{\"$blob\":\"AQ==\"}]");

    /* fetch_all */
    SAME(nana_fetch_all(db, "SELECT a, b, c FROM f ORDER BY a", NULL), TABLE_F);
    SAME(nana_fetch_all(db, "SELECT a FROM f WHERE a > 5", NULL), "[]");
    params = t_json("{\"lo\": 2}");
    SAME(nana_fetch_all(db, "SELECT a, upper(b) FROM f WHERE a >= :lo ORDER BY a", params),
         "[[2,\"TWO\"],[3,\"THREE\"]]");
    json_decref(params);
    SAME(nana_fetch_all(db, "SELECT key, value FROM data", NULL),
         "[[\"keep\",\"{\\\"x\\\":[1,2]}\"]]");
    SAME(nana_fetch_all(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 4) SELECT i FROM n",
                        NULL),
         "[[1],[2],[3],[4]]");

    /* writes refused */
    const char *writes[] = {
        "INSERT INTO f VALUES (4, 'four', 4)",
        "INSERT INTO f VALUES (5, 'five', 5) RETURNING a",
        "UPDATE f SET b = 'changed'",
        "UPDATE f SET b = 'changed' WHERE a = 1 RETURNING b",
        "DELETE FROM f",
        "DELETE FROM f WHERE a = 1 RETURNING *",
        "REPLACE INTO f VALUES (1, 'replaced', 0)",
        "WITH x AS (SELECT 9 AS a) INSERT INTO f (a) SELECT a FROM x",
        "CREATE TABLE g (x)",
        "CREATE INDEX fi ON f (a)",
        "CREATE VIEW fv AS SELECT a FROM f",
        "DROP TABLE f",
        "ALTER TABLE f ADD COLUMN d TEXT",
        "ALTER TABLE f RENAME TO f2",
        "DELETE FROM data",
        "INSERT INTO data (key, value) VALUES ('evil', '1')",
        "PRAGMA user_version = 7",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        for (int all = 0; all < 2; all++) {
            f = all ? nana_fetch_all(db, writes[i], NULL) : nana_fetch_one(db, writes[i], NULL);
            nana_status_t st = nana_future_await(f);
            if (st != NANA_EINVAL || nana_future_errmsg(f)[0] == '\0')
                t_fail(__FILE__, __LINE__, "%s(\"%s\"): got %s (%s), want NANA_EINVAL",
                       all ? "fetch_all" : "fetch_one", writes[i], t_status_name(st),
                       nana_future_errmsg(f));
            CHECK(nana_future_json(f) == NULL);
            nana_future_free(f);
        }
    }

    /* nothing changed */
    SAME(nana_fetch_all(db, "SELECT a, b, c FROM f ORDER BY a", NULL), TABLE_F);
    SAME(nana_fetch_all(db, "SELECT name FROM sqlite_master ORDER BY name", NULL),
         "[[\"data\"],[\"f\"],[\"sqlite_autoindex_data_1\"]]");
    SAME(nana_fetch_one(db, "PRAGMA user_version", NULL), "[0]");
    SAME(nana_fetch_all(db, "SELECT key FROM data", NULL), "[[\"keep\"]]");
    SAME(nana_get(db, "evil", json_false()), "false");
    SAME(nana_get(db, "keep", NULL), "{\"x\":[1,2]}");
    CHECK_INT(t_int(nana_len(db)), 1);

    EXPECT(nana_fetch_one(NULL, "SELECT 1", NULL), NANA_EINVAL);
    EXPECT(nana_fetch_all(NULL, "SELECT 1", NULL), NANA_EINVAL);
    EXPECT(nana_fetch_one(db, NULL, NULL), NANA_EINVAL);
    EXPECT(nana_fetch_all(db, NULL, NULL), NANA_EINVAL);
    EXPECT(nana_fetch_all(db, "SELECT * FROM nowhere", NULL), NANA_ESQL);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
