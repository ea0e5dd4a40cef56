/*
 * Bug: in a fully loaded table, a row that another connection wrote with
 * text that is not JSON read as absent after refresh(k) or get_fresh(k):
 * is_cached true, get ENOTFOUND, contains false, and setdefault overwrote
 * the row.  The key must stay uncached; get and get_fresh fail NANA_ETYPE,
 * contains is true, setdefault fails NANA_ETYPE and leaves the row alone.
 */
#include "harness.h"

int main(void)
{
    for (int fresh = 0; fresh < 2; fresh++) {
        const char *name = fresh ? "fresh.db" : "refresh.db";
        const char *path = t_path(name);
        nana_db_t *db = t_open(name, NULL);
        t_set_json(db, "k", "1");
        CHECK_ST(t_wait(nana_load_all(db)), NANA_OK);
        t_raw_put(path, "k", "not json{");
        t_raw_put(path, "j", "also not json");

        if (fresh) {
            CHECK_ST(t_wait(nana_get_fresh(db, "k", NULL)), NANA_ETYPE);
            CHECK_ST(t_wait(nana_get_fresh(db, "j", NULL)), NANA_ETYPE);
        } else {
            CHECK_ST(t_wait(nana_refresh(db, "k")), NANA_OK);
            CHECK_ST(t_wait(nana_refresh(db, "j")), NANA_OK);
        }
        const char *keys[] = {"k", "j"};
        for (int i = 0; i < 2; i++) {
            CHECK(!t_bool(nana_is_cached(db, keys[i])));
            nana_future_t *f = nana_get(db, keys[i], NULL);
            CHECK_ST(nana_future_await(f), NANA_ETYPE);
            CHECK(strstr(nana_future_errmsg(f), keys[i]) != NULL);
            CHECK(nana_future_json(f) == NULL);
            nana_future_free(f);
            CHECK(t_bool(nana_contains(db, keys[i])));
            json_t *dflt = json_integer(2);
            CHECK_ST(t_wait(nana_setdefault(db, keys[i], dflt)), NANA_ETYPE);
            json_decref(dflt);
        }
        char *raw = t_raw_value(path, "data", "k");
        CHECK_STR(raw, "not json{");
        free(raw);
        raw = t_raw_value(path, "data", "j");
        CHECK_STR(raw, "also not json");
        free(raw);
        /* Still fully loaded: a key nobody wrote is known absent. */
        CHECK(t_bool(nana_is_cached(db, "none")));
        CHECK_ST(nana_close(db), NANA_OK);
    }
    return 0;
}
