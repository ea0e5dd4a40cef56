/*
 * Absence is cached: after get/contains of a missing key, a row inserted by
 * another connection stays invisible to get and contains (served from the
 * cache) until get_fresh, refresh(key) or refresh(NULL); after that the value
 * is served.  The library's own writes to such a key are visible at once.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("absent.db");
    nana_db_t *db = t_open("absent.db", NULL);

    CHECK_ST(t_wait(nana_get(db, "k1", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "k2")));
    CHECK_ST(t_wait(nana_get(db, "k3", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "k4")));
    CHECK(t_bool(nana_is_cached(db, "k1")));
    CHECK(t_bool(nana_is_cached(db, "k2")));

    t_raw_exec(path, "INSERT INTO data (key, value) VALUES ('k1', '1'), ('k2', '2'), "
                   "('k3', '3'), ('k4', '4');");

    /* served from the cache: still absent */
    CHECK_ST(t_wait(nana_get(db, "k1", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "k1")));
    CHECK(!t_bool(nana_contains(db, "k2")));
    json_t *d = json_string("dflt");
    t_expect(nana_get(db, "k3", d), "\"dflt\"");
    json_decref(d);

    /* get_fresh */
    t_expect(nana_get_fresh(db, "k1", NULL), "1");
    t_expect(nana_get(db, "k1", NULL), "1");
    CHECK(t_bool(nana_contains(db, "k1")));

    /* refresh(key) */
    CHECK_ST(t_wait(nana_refresh(db, "k2")), NANA_OK);
    CHECK(t_bool(nana_contains(db, "k2")));
    t_expect(nana_get(db, "k2", NULL), "2");
    CHECK_ST(t_wait(nana_get(db, "k3", NULL)), NANA_ENOTFOUND); /* still cached absent */

    /* refresh(NULL) */
    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    t_expect(nana_get(db, "k3", NULL), "3");
    t_expect(nana_get(db, "k4", NULL), "4");

    /* own writes to a key cached as absent are seen at once */
    CHECK_ST(t_wait(nana_get(db, "k5", NULL)), NANA_ENOTFOUND);
    json_t *v = json_integer(5);
    CHECK_ST(t_wait(nana_set(db, "k5", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "k5", NULL), "5");

    CHECK_INT(t_int(nana_len(db)), 5);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
