/* While a job is blocked (another connection holds the write lock), its
 * future reports pending through every accessor -- poll false, status
 * NANA_PENDING, errmsg "", json NULL, int/bool NANA_PENDING, await_for(0)
 * NANA_ETIMEDOUT -- and none of those calls block or change it. */
#include <sqlite3.h>

#include "harness.h"

/*
 * A second connection holding the write lock (BEGIN IMMEDIATE plus a write),
 * so that the root's next write stays blocked in SQLite's busy handler --
 * a future that is pending for as long as the test wants.
 */
static sqlite3 *gate_lock(const char *path)
{
    sqlite3 *conn = NULL;
    if (sqlite3_open(path, &conn) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw open %s: %s", path, sqlite3_errmsg(conn));
    sqlite3_busy_timeout(conn, 10000);
    char *err = NULL;
    if (sqlite3_exec(conn,
                     "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS gate(x);"
                     " INSERT INTO gate VALUES (1);",
                     NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw lock: %s", err ? err : "?");
    return conn;
}

static void gate_release(sqlite3 *conn, bool commit)
{
    char *err = NULL;
    if (sqlite3_exec(conn, commit ? "COMMIT" : "ROLLBACK", NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw %s: %s", commit ? "commit" : "rollback",
               err ? err : "?");
    sqlite3_close(conn);
}

static void check_pending(nana_future_t *f)
{
    CHECK(!nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_PENDING);
    CHECK(nana_future_errmsg(f) != NULL);
    CHECK_STR(nana_future_errmsg(f), "");
    CHECK(nana_future_json(f) == NULL);
    int64_t i = 12345;
    bool b = true;
    CHECK_ST(nana_future_int(f, &i), NANA_PENDING);
    CHECK_ST(nana_future_bool(f, &b), NANA_PENDING);
    CHECK_ST(nana_future_await_for(f, 0), NANA_ETIMEDOUT);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *one = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "warm", one)), NANA_OK);

    sqlite3 *gate = gate_lock(t_path("db"));
    nana_future_t *f = nana_set(db, "k", one);
    nana_future_t *g = nana_get(db, "k", NULL);
    check_pending(f);
    CHECK(nana_future_take_json(f) == NULL);
    check_pending(f);
    /* Time passes; the blocked job is still blocked. */
    CHECK_ST(nana_future_await_for(f, 30), NANA_ETIMEDOUT);
    check_pending(f);

    gate_release(gate, true);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_OK);
    CHECK_STR(nana_future_errmsg(f), "");
    CHECK_ST(nana_future_await_for(f, 0), NANA_OK);
    nana_future_free(f);

    /* The get submitted after the blocked set saw it. */
    CHECK_ST(nana_future_await(g), NANA_OK);
    CHECK_JSON(nana_future_json(g), "1");
    nana_future_free(g);

    json_decref(one);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
