/*
 * A cached present key is served without asking SQLite: changes made by
 * another connection -- a raw sqlite3 connection and a second root opened on
 * the same file -- are not seen by a plain get or contains, and are seen after
 * get_fresh, refresh(key), refresh(NULL)+get and load_all respectively.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("stale.db");
    nana_db_t *db = t_open("stale.db", NULL);
    json_t *obj = t_json("{\"a\":\"a0\",\"b\":\"b0\",\"c\":\"c0\",\"d\":\"d0\",\"e\":\"e0\"}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) {
        json_t *v = t_take(nana_get(db, keys[i], NULL), NANA_OK);
        CHECK(json_is_string(v));
        nana_json_release(v);
        CHECK(t_bool(nana_is_cached(db, keys[i])));
    }

    /* another connection: raw sqlite3 */
    t_raw_exec(path, "UPDATE data SET value = '\"a1\"' WHERE key = 'a';"
                   "UPDATE data SET value = '\"b1\"' WHERE key = 'b';"
                   "UPDATE data SET value = '\"c1\"' WHERE key = 'c';"
                   "DELETE FROM data WHERE key = 'e';");
    /* and another root on the same file */
    nana_db_t *second = t_open("stale.db", NULL);
    json_t *v = json_string("d1");
    CHECK_ST(t_wait(nana_set(second, "d", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(second, "d", NULL), "\"d1\"");
    t_expect(nana_get(second, "a", NULL), "\"a1\"");

    /* stale: served from the cache */
    t_expect(nana_get(db, "a", NULL), "\"a0\"");
    t_expect(nana_get(db, "b", NULL), "\"b0\"");
    t_expect(nana_get(db, "c", NULL), "\"c0\"");
    t_expect(nana_get(db, "d", NULL), "\"d0\"");
    t_expect(nana_get(db, "e", NULL), "\"e0\"");
    CHECK(t_bool(nana_contains(db, "e")));

    /* each way of seeing the change */
    t_expect(nana_get_fresh(db, "a", NULL), "\"a1\"");
    t_expect(nana_get(db, "a", NULL), "\"a1\"");
    t_expect(nana_get(db, "b", NULL), "\"b0\"");

    CHECK_ST(t_wait(nana_refresh(db, "b")), NANA_OK);
    t_expect(nana_get(db, "b", NULL), "\"b1\"");
    t_expect(nana_get(db, "c", NULL), "\"c0\"");

    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    t_expect(nana_get(db, "c", NULL), "\"c1\"");
    t_expect(nana_get(db, "d", NULL), "\"d1\"");
    CHECK_ST(t_wait(nana_get(db, "e", NULL)), NANA_ENOTFOUND);

    /* load_all after one more external change */
    v = json_string("d2");
    CHECK_ST(t_wait(nana_set(second, "d", v)), NANA_OK);
    json_decref(v);
    t_raw_exec(path, "UPDATE data SET value = '\"c2\"' WHERE key = 'c';");
    t_expect(nana_get(db, "c", NULL), "\"c1\"");
    t_expect(nana_get(db, "d", NULL), "\"d1\"");
    CHECK_INT(t_int(nana_load_all(db)), 4);
    t_expect(nana_get(db, "c", NULL), "\"c2\"");
    t_expect(nana_get(db, "d", NULL), "\"d2\"");

    CHECK_ST(nana_close(second), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
