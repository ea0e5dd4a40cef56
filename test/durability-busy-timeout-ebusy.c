/* busy_timeout_ms = 200 and another connection holding the write lock
 * throughout: a set fails NANA_EBUSY (with a message) after waiting about
 * the timeout, so do ten more queued behind it; nothing is stored and the
 * cache did not change.  Once the lock is gone, writes work again. */
#include <sqlite3.h>
#include <time.h>

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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 200;
    nana_db_t *db = t_open("db", &opts);
    json_t *old = json_string("old"), *new_value = json_string("new");
    CHECK_ST(t_wait(nana_set(db, "k", old)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "\"old\"");
    const char *path = t_path("db");

    sqlite3 *gate = gate_lock(path);
    int64_t t0 = now_ms();
    nana_future_t *f = nana_set(db, "k", new_value);
    CHECK_ST(nana_future_await(f), NANA_EBUSY);
    int64_t waited = now_ms() - t0;
    if (waited < 150)
        t_fail(__FILE__, __LINE__, "EBUSY after %lld ms, before the 200 ms busy timeout",
               (long long)waited);
    CHECK(*nana_future_errmsg(f));
    nana_future_free(f);

    nana_future_t *more[10];
    char key[32];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "m%d", i);
        more[i] = nana_set(db, key, new_value);
    }
    for (int i = 0; i < 10; i++) {
        if (nana_future_await(more[i]) != NANA_EBUSY)
            t_fail(__FILE__, __LINE__, "queued set %d: %s, want NANA_EBUSY", i,
                   t_status_name(nana_future_status(more[i])));
        CHECK(*nana_future_errmsg(more[i]));
        nana_future_free(more[i]);
    }

    /* Nothing landed, and the cache still has the old value. */
    t_expect(nana_get(db, "k", NULL), "\"old\"");
    CHECK_ST(t_wait(nana_get(db, "m0", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(db)), 1);
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "\"old\"");
    free(raw);
    gate_release(gate, false);

    CHECK_ST(t_wait(nana_set(db, "k", new_value)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "\"new\"");
    t_expect(nana_get_fresh(db, "k", NULL), "\"new\"");
    CHECK_ST(nana_close(db), NANA_OK);
    raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "\"new\"");
    free(raw);
    json_decref(old);
    json_decref(new_value);
    return 0;
}
