/* A write blocked by another connection's lock stays pending: await_for(100)
 * gives NANA_ETIMEDOUT and nothing is stored yet; once the other connection
 * commits, await gives NANA_OK and the value is in the file -- alongside the
 * other connection's own write. */
#include <sqlite3.h>

#include "harness.h"

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *before = json_string("before");
    CHECK_ST(t_wait(nana_set(db, "warm", before)), NANA_OK);
    const char *path = t_path("db");

    sqlite3 *gate = t_gate_lock(path);
    json_t *v = t_json("{\"payload\":[1,2,3]}");
    nana_future_t *f = nana_set(db, "k", v);
    json_decref(v);
    CHECK_ST(nana_future_await_for(f, 100), NANA_ETIMEDOUT);
    CHECK(!nana_future_poll(f));
    /* Not in the file, nor visible to a read through another connection. */
    char *raw = t_raw_value(path, "data", "k");
    CHECK(raw == NULL);
    CHECK_ST(nana_future_await_for(f, 100), NANA_ETIMEDOUT);

    t_gate_release(gate, true);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);

    raw = t_raw_value(path, "data", "k");
    CHECK(raw != NULL);
    json_t *stored = t_json(raw);
    CHECK_JSON(stored, "{\"payload\":[1,2,3]}");
    json_decref(stored);
    free(raw);
    t_expect(nana_get(db, "k", NULL), "{\"payload\":[1,2,3]}");
    t_expect(nana_get(db, "warm", NULL), "\"before\"");

    /* The other connection's commit is there too. */
    sqlite3 *conn = NULL;
    CHECK(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(conn, "SELECT count(*) FROM gate", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(conn);

    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(before);

    db = t_open("db", NULL);
    t_expect(nana_get(db, "k", NULL), "{\"payload\":[1,2,3]}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
