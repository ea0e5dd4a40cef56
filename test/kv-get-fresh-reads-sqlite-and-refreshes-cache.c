/*
 * nana_get_fresh: reads the key from SQLite even when it is cached, so it
 * sees another connection's change, insert and delete, and refreshes the
 * cache with that answer (a plain get afterwards agrees, is_cached true);
 * missing key: a copy of the default, or NANA_ENOTFOUND without one; a stored
 * JSON null is a value; NULL db or key is NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("fresh.db");
    nana_db_t *db = t_open("fresh.db", NULL);

    json_t *obj = t_json("{\"a\":1,\"b\":2,\"n\":null}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    t_expect(nana_get_fresh(db, "a", NULL), "1");
    t_expect(nana_get_fresh(db, "n", NULL), "null");
    json_t *dflt = t_json("{\"d\":1}");
    t_expect(nana_get_fresh(db, "n", dflt), "null");

    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "b", NULL), "2");
    CHECK_ST(t_wait(nana_get(db, "c", NULL)), NANA_ENOTFOUND);

    t_raw_exec(path, "UPDATE data SET value = '{\"v\": 11}' WHERE key = 'a';"
                   "DELETE FROM data WHERE key = 'b';"
                   "INSERT INTO data (key, value) VALUES ('c', '[3, 3]');");

    t_expect(nana_get(db, "a", NULL), "1"); /* cached, stale */
    t_expect(nana_get_fresh(db, "a", NULL), "{\"v\":11}");
    t_expect(nana_get(db, "a", NULL), "{\"v\":11}");
    CHECK(t_bool(nana_is_cached(db, "a")));

    t_expect(nana_get(db, "b", NULL), "2");
    CHECK_ST(t_wait(nana_get_fresh(db, "b", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "b", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "b")));

    CHECK_ST(t_wait(nana_get(db, "c", NULL)), NANA_ENOTFOUND);
    t_expect(nana_get_fresh(db, "c", NULL), "[3,3]");
    t_expect(nana_get(db, "c", NULL), "[3,3]");

    /* missing: default copy or ENOTFOUND */
    nana_future_t *f = nana_get_fresh(db, "nope", dflt);
    json_object_set_new(dflt, "d", json_integer(2));
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) != dflt);
    CHECK_JSON(nana_future_json(f), "{\"d\":1}");
    nana_future_free(f);
    json_decref(dflt);
    CHECK(!t_bool(nana_contains(db, "nope")));
    f = nana_get_fresh(db, "nope", NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK(nana_future_json(f) == NULL);
    CHECK(nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    CHECK_ST(t_wait(nana_get_fresh(NULL, "a", NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_get_fresh(db, NULL, NULL)), NANA_EINVAL);
    t_expect(nana_get(db, "a", NULL), "{\"v\":11}");
    CHECK_INT(t_int(nana_len(db)), 3);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
