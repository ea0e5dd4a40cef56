/* A write whose statement aborts fails alone; a write that rolls the whole
 * transaction back (a trigger doing RAISE(ROLLBACK)) must not leave other
 * writes that shared the transaction reported OK but lost: for every write
 * in flight around it, the future is OK exactly when the key is in the file
 * and in the cache.  The handle works normally afterwards. */
#include <sqlite3.h>

#include "harness.h"

#define AROUND 60

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *conn = NULL;
    if (sqlite3_open(path, &conn) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw open: %s", sqlite3_errmsg(conn));
    sqlite3_busy_timeout(conn, 10000);
    char *err = NULL;
    if (sqlite3_exec(conn, sql, NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw exec %s: %s", sql, err ? err : "?");
    sqlite3_close(conn);
}

/* Submits AROUND writes, the poison key, AROUND more; checks the poison
 * failed with NANA_ESQL and returns how many of the others failed, after
 * checking each one's outcome against the file and the cache. */
static int run_round(nana_db_t *db, const char *path, const char *prefix, const char *poison)
{
    nana_future_t *fs[2 * AROUND + 1];
    char key[64];
    json_t *v = json_string(prefix);
    for (int i = 0; i < 2 * AROUND + 1; i++) {
        if (i == AROUND) {
            fs[i] = nana_set(db, poison, v);
            continue;
        }
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        fs[i] = nana_set(db, key, v);
    }
    json_decref(v);

    CHECK_ST(nana_future_await(fs[AROUND]), NANA_ESQL);
    CHECK(*nana_future_errmsg(fs[AROUND]));
    CHECK(t_raw_value(path, "data", poison) == NULL);
    CHECK_ST(t_wait(nana_get(db, poison, NULL)), NANA_ENOTFOUND);

    int failed = 0;
    for (int i = 0; i < 2 * AROUND + 1; i++) {
        if (i == AROUND)
            continue;
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        nana_status_t st = nana_future_await(fs[i]);
        char *raw = t_raw_value(path, "data", key);
        nana_future_t *g = nana_get(db, key, NULL);
        nana_status_t gst = nana_future_await(g);
        if (st == NANA_OK) {
            if (!raw)
                t_fail(__FILE__, __LINE__, "%s: future OK but not in the file", key);
            if (gst != NANA_OK)
                t_fail(__FILE__, __LINE__, "%s: future OK but get gives %s", key,
                       t_status_name(gst));
        } else {
            failed++;
            if (raw)
                t_fail(__FILE__, __LINE__, "%s: future %s but stored", key, t_status_name(st));
            if (gst != NANA_ENOTFOUND)
                t_fail(__FILE__, __LINE__, "%s: future %s but get gives %s", key,
                       t_status_name(st), t_status_name(gst));
            if (!*nana_future_errmsg(fs[i]))
                t_fail(__FILE__, __LINE__, "%s: failed without a message", key);
        }
        free(raw);
        nana_future_free(g);
    }
    for (int i = 0; i < 2 * AROUND + 1; i++)
        nana_future_free(fs[i]);
    return failed;
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    const char *path = t_path("db");
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "warm", v)), NANA_OK);
    raw_exec(path,
             "CREATE TRIGGER poison_abort BEFORE INSERT ON data WHEN NEW.key = 'poison-abort'"
             " BEGIN SELECT RAISE(ABORT, 'poisoned (abort)'); END;"
             "CREATE TRIGGER poison_abort_u BEFORE UPDATE ON data WHEN NEW.key = 'poison-abort'"
             " BEGIN SELECT RAISE(ABORT, 'poisoned (abort)'); END;"
             "CREATE TRIGGER poison_rb BEFORE INSERT ON data WHEN NEW.key = 'poison-rollback'"
             " BEGIN SELECT RAISE(ROLLBACK, 'poisoned (rollback)'); END;"
             "CREATE TRIGGER poison_rb_u BEFORE UPDATE ON data WHEN NEW.key = 'poison-rollback'"
             " BEGIN SELECT RAISE(ROLLBACK, 'poisoned (rollback)'); END;");

    /* ABORT undoes only that statement: everything else succeeds. */
    CHECK_INT(run_round(db, path, "abort", "poison-abort"), 0);
    /* ROLLBACK ends the transaction: others may fail, but never silently. */
    run_round(db, path, "rollback", "poison-rollback");

    CHECK_ST(t_wait(nana_set(db, "after", v)), NANA_OK);
    t_expect(nana_get_fresh(db, "after", NULL), "1");
    t_expect(nana_get(db, "warm", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(v);
    return 0;
}
