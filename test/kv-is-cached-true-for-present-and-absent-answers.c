/*
 * nana_is_cached: a boolean -- false for a key stored in the file but not yet
 * read by this process, true after a get or contains of it, true for a key
 * cached as absent (get/contains of a missing key), false again after
 * refresh(NULL); asking never caches; NULL db or key is NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("iscached.db");
    t_raw_exec(path, "CREATE TABLE IF NOT EXISTS \"data\" (key TEXT PRIMARY KEY, value TEXT);"
                   "INSERT INTO data VALUES ('x', '1'), ('y', '{\"a\": 2}'), ('z', 'null');");

    nana_db_t *db = t_open("iscached.db", NULL); /* bulk_load false by default */

    CHECK(!t_bool(nana_is_cached(db, "x")));
    CHECK(!t_bool(nana_is_cached(db, "y")));
    CHECK(!t_bool(nana_is_cached(db, "missing")));
    /* asking does not cache */
    CHECK(!t_bool(nana_is_cached(db, "x")));

    t_expect(nana_get(db, "x", NULL), "1");
    CHECK(t_bool(nana_is_cached(db, "x")));
    CHECK(!t_bool(nana_is_cached(db, "y")));

    CHECK(t_bool(nana_contains(db, "y")));
    CHECK(t_bool(nana_is_cached(db, "y")));

    t_expect(nana_get(db, "z", NULL), "null");
    CHECK(t_bool(nana_is_cached(db, "z")));

    /* absent answers are cached too */
    CHECK_ST(t_wait(nana_get(db, "missing", NULL)), NANA_ENOTFOUND);
    CHECK(t_bool(nana_is_cached(db, "missing")));
    CHECK(!t_bool(nana_contains(db, "missing2")));
    CHECK(t_bool(nana_is_cached(db, "missing2")));
    json_t *d = json_integer(0);
    t_expect(nana_get(db, "missing3", d), "0");
    json_decref(d);
    CHECK(t_bool(nana_is_cached(db, "missing3")));

    /* result type */
    nana_future_t *f = nana_is_cached(db, "x");
    CHECK_ST(nana_future_await(f), NANA_OK);
    int64_t n;
    CHECK_ST(nana_future_int(f, &n), NANA_ETYPE);
    nana_future_free(f);

    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    CHECK(!t_bool(nana_is_cached(db, "x")));
    CHECK(!t_bool(nana_is_cached(db, "y")));
    CHECK(!t_bool(nana_is_cached(db, "missing")));
    CHECK(!t_bool(nana_is_cached(db, "missing2")));

    CHECK_ST(t_wait(nana_is_cached(NULL, "x")), NANA_EINVAL);
    CHECK_ST(t_wait(nana_is_cached(db, NULL)), NANA_EINVAL);

    CHECK_INT(t_int(nana_len(db)), 3);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
