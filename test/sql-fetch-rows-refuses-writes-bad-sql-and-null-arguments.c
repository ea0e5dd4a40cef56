/*
 * nana_fetch_rows fails as nana_fetch_all does, with a message and no row
 * set: a statement that writes (INSERT, UPDATE ... RETURNING, DELETE, DDL,
 * a PRAGMA that sets a stored value) is NANA_EINVAL and changes nothing;
 * bad SQL and a missing table NANA_ESQL with "fetch_rows:" and SQLite's
 * message; two statements and transaction control NANA_EINVAL; wrong
 * parameter counts NANA_EINVAL; unbindable parameters NANA_ETYPE; NULL db
 * or SQL NANA_EINVAL; a closed root NANA_ECLOSED.  On every failure
 * nana_future_rows and nana_future_json give NULL; so do they while the
 * future is pending.
 */
#include "harness.h"

/* fetch_rows(sql, params text) fails with want, a message, and no rows. */
static void refused(nana_db_t *db, const char *sql, const char *params_text, nana_status_t want,
                    const char *msg_start)
{
    json_t *params = params_text ? t_json(params_text) : NULL;
    nana_future_t *f = nana_fetch_rows(db, sql, params);
    json_decref(params);
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != want || msg[0] == '\0' || (msg_start && strncmp(msg, msg_start, strlen(msg_start))))
        t_fail(__FILE__, __LINE__, "fetch_rows(\"%s\"): got %s (\"%s\"), want %s", sql ? sql : "NULL",
               t_status_name(st), msg, t_status_name(want));
    CHECK(nana_future_rows(f) == NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

int main(void)
{
    nana_db_t *db = t_open("refuse.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE f (a INTEGER, b TEXT)", NULL)));
    json_decref(TAKE(nana_execute(db, "INSERT INTO f VALUES (1, 'one')", NULL)));
    t_set_json(db, "keep", "[1]");

    const char *writes[] = {
        "INSERT INTO f VALUES (2, 'two')",
        "INSERT INTO f VALUES (3, 'three') RETURNING a",
        "UPDATE f SET b = 'changed' RETURNING b",
        "DELETE FROM f",
        "DELETE FROM data",
        "REPLACE INTO f VALUES (1, 'x')",
        "CREATE TABLE g (x)",
        "DROP TABLE f",
        "ALTER TABLE f ADD COLUMN c",
        "PRAGMA user_version = 3",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        refused(db, writes[i], NULL, NANA_EINVAL, "fetch_rows");
    refused(db, "SELECT a FROM f; DELETE FROM f", NULL, NANA_EINVAL, "fetch_rows");
    refused(db, "BEGIN", NULL, NANA_EINVAL, NULL);
    refused(db, "", NULL, NANA_EINVAL, NULL);
    refused(db, "SELEKT 1", NULL, NANA_ESQL, "fetch_rows: ");
    refused(db, "SELECT * FROM nowhere", NULL, NANA_ESQL, "fetch_rows: no such table");
    refused(db, "SELECT nocolumn FROM f", NULL, NANA_ESQL, "fetch_rows: ");
    refused(db, "SELECT ?", NULL, NANA_EINVAL, "fetch_rows: ");
    refused(db, "SELECT ?", "[1, 2]", NANA_EINVAL, "fetch_rows: ");
    refused(db, "SELECT :x", "{\"y\": 1}", NANA_EINVAL, "fetch_rows: ");
    refused(db, "SELECT ?", "[[1]]", NANA_ETYPE, "fetch_rows: ");
    refused(db, "SELECT ?", "[{\"$blob\": \"***\"}]", NANA_ETYPE, "fetch_rows: ");
    refused(db, "SELECT 1", "5", NANA_ETYPE, NULL);
    refused(NULL, "SELECT 1", NULL, NANA_EINVAL, NULL);
    refused(db, NULL, NULL, NANA_EINVAL, NULL);

    /* Nothing changed. */
    SAME(nana_fetch_all(db, "SELECT a, b FROM f", NULL), "[[1,\"one\"]]");
    SAME(nana_fetch_all(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                        NULL),
         "[[\"data\"],[\"f\"]]");
    SAME(nana_fetch_one(db, "PRAGMA user_version", NULL), "[0]");
    SAME(nana_get(db, "keep", NULL), "[1]");

    /* Pending: no rows yet.  A write holding the lock keeps a write queued
     * ahead of the fetch, so the fetch stays pending too. */
    struct sqlite3 *gate = t_gate_lock(t_path("refuse.db"));
    json_t *v = json_integer(2);
    nana_future_t *w = nana_set(db, "blocked", v);
    json_decref(v);
    nana_future_t *f = nana_fetch_rows(db, "SELECT a FROM f", NULL);
    CHECK_ST(nana_future_await_for(f, 50), NANA_ETIMEDOUT);
    CHECK(nana_future_rows(f) == NULL);
    CHECK(nana_future_json(f) == NULL);
    t_gate_release(gate, false);
    CHECK_ST(nana_future_await(w), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_INT(nana_rows_count(nana_future_rows(f)), 1);
    nana_future_free(w);
    nana_future_free(f);

    /* Futures of other kinds have no row set. */
    f = nana_fetch_all(db, "SELECT a FROM f", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_rows(f) == NULL);
    nana_future_free(f);
    f = nana_future_resolved(NULL);
    CHECK(nana_future_rows(f) == NULL);
    nana_future_free(f);

    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    refused(sub, "SELECT 1", NULL, NANA_ECLOSED, NULL);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
