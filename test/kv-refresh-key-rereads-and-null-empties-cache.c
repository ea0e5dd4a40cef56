/*
 * nana_refresh: refresh(key) re-reads that key from SQLite (another
 * connection's change, insert or delete of it becomes visible) and leaves the
 * other cached keys as they were; refresh(NULL) empties the table's cache
 * (is_cached false for every key, then gets read SQLite again); both resolve
 * with no value; NULL db is NANA_EINVAL; the stored data is never changed by
 * a refresh.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("refresh.db");
    nana_db_t *db = t_open("refresh.db", NULL);

    json_t *obj = t_json("{\"a\":1,\"b\":2,\"c\":3}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "b", NULL), "2");
    t_expect(nana_get(db, "c", NULL), "3");
    CHECK_ST(t_wait(nana_get(db, "new", NULL)), NANA_ENOTFOUND);

    t_raw_exec(path, "UPDATE data SET value = '10' WHERE key = 'a';"
                   "UPDATE data SET value = '20' WHERE key = 'b';"
                   "DELETE FROM data WHERE key = 'c';"
                   "INSERT INTO data (key, value) VALUES ('new', '\"n\"');");

    /* stale until refreshed */
    t_expect(nana_get(db, "a", NULL), "1");

    nana_future_t *f = nana_refresh(db, "a");
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    t_expect(nana_get(db, "a", NULL), "10");
    t_expect(nana_get(db, "b", NULL), "2"); /* b was not refreshed */

    CHECK_ST(t_wait(nana_refresh(db, "c")), NANA_OK);
    CHECK_ST(t_wait(nana_get(db, "c", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_refresh(db, "new")), NANA_OK);
    t_expect(nana_get(db, "new", NULL), "\"n\"");

    /* refresh(NULL): nothing cached any more */
    f = nana_refresh(db, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    CHECK(!t_bool(nana_is_cached(db, "a")));
    CHECK(!t_bool(nana_is_cached(db, "b")));
    CHECK(!t_bool(nana_is_cached(db, "c")));
    CHECK(!t_bool(nana_is_cached(db, "new")));
    t_expect(nana_get(db, "b", NULL), "20");
    CHECK(t_bool(nana_is_cached(db, "b")));

    /* refresh never changes the stored data */
    char *raw = t_raw_value(path, "data", "a");
    CHECK_STR(raw, "10");
    free(raw);
    CHECK_INT(t_int(nana_len(db)), 3);

    CHECK_ST(t_wait(nana_refresh(NULL, NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_refresh(NULL, "a")), NANA_EINVAL);
    t_expect(nana_get(db, "a", NULL), "10");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
