/*
 * The cache never changes unless the database did: while another connection
 * holds the write lock past busy_timeout_ms, set, delete, pop, update,
 * setdefault, clear and batch_delete each fail NANA_EBUSY (with a message),
 * and afterwards gets, contains and len -- served from the cache -- still show
 * the old data, which is also what the file holds.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("busy.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 100;
    nana_db_t *db = t_open("busy.db", &opts);

    json_t *obj = t_json("{\"a\":1,\"b\":[2],\"c\":{\"x\":3}}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    /* cache every answer used below, present and absent */
    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "b", NULL), "[2]");
    t_expect(nana_get(db, "c", NULL), "{\"x\":3}");
    CHECK_ST(t_wait(nana_get(db, "new", NULL)), NANA_ENOTFOUND);

    sqlite3 *locker = NULL;
    CHECK(sqlite3_open(path, &locker) == SQLITE_OK);
    sqlite3_busy_timeout(locker, 5000);
    CHECK(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);

    json_t *v = json_string("changed");
    obj = t_json("{\"a\":\"u\",\"new\":\"u\"}");
    const char *del[] = {"a", "b"};
    nana_future_t *fs[] = {
        nana_set(db, "a", v),
        nana_set(db, "new", v),
        nana_delete(db, "b"),
        nana_pop(db, "c", NULL),
        nana_update(db, obj),
        nana_setdefault(db, "new", v),
        nana_clear(db),
        nana_batch_delete(db, del, 2),
    };
    json_decref(v);
    json_decref(obj);
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        nana_status_t st = nana_future_await(fs[i]);
        if (st != NANA_EBUSY)
            t_fail(__FILE__, __LINE__, "write %zu: got %s, want NANA_EBUSY", i,
                   t_status_name(st));
        CHECK(nana_future_errmsg(fs[i])[0] != '\0');
        nana_future_free(fs[i]);
    }

    CHECK(sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(locker);

    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "b", NULL), "[2]");
    t_expect(nana_get(db, "c", NULL), "{\"x\":3}");
    CHECK_ST(t_wait(nana_get(db, "new", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "new")));
    CHECK_INT(t_int(nana_len(db)), 3);
    t_expect(nana_to_dict(db), "{\"a\":1,\"b\":[2],\"c\":{\"x\":3}}");
    char *raw = t_raw_value(path, "data", "a");
    CHECK_STR(raw, "1");
    free(raw);
    CHECK(t_raw_value(path, "data", "new") == NULL);

    /* and after the lock is gone, writes work again */
    v = json_integer(10);
    CHECK_ST(t_wait(nana_set(db, "a", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "a", NULL), "10");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
