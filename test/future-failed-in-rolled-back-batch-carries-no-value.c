/*
 * Bug: a get in a group commit that rolled back (another job's trigger ran
 * RAISE(ROLLBACK)) failed "transaction rolled back" but nana_future_json()
 * still returned the value it had read.  A failed future carries no value,
 * and what a rolled-back batch read is not cached.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("rollback.db");
    nana_db_t *db = t_open("rollback.db", NULL);
    t_set_json(db, "k", "1");
    t_raw_exec(path, "CREATE TRIGGER poison BEFORE INSERT ON data WHEN NEW.key = 'poison' "
                     "BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;");
    int rolled_back = 0;
    for (int round = 0; round < 20; round++) {
        CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
        sqlite3 *gate = t_gate_lock(path);
        json_t *v = json_integer(7);
        nana_future_t *w0 = nana_set(db, "w", v);
        nana_future_t *get = nana_get(db, "k", NULL);
        nana_future_t *bad = nana_set(db, "poison", v);
        json_decref(v);
        t_gate_release(gate, true);
        nana_future_await(w0);
        nana_future_free(w0);
        CHECK_ST(nana_future_await(bad), NANA_ESQL);
        nana_future_free(bad);
        nana_status_t st = nana_future_await(get);
        if (st == NANA_OK) {
            CHECK_JSON(nana_future_json(get), "1");
        } else {
            rolled_back++;
            CHECK(strncmp(nana_future_errmsg(get), "transaction rolled back", 23) == 0);
            CHECK(nana_future_json(get) == NULL);
            json_t *taken = nana_future_take_json(get);
            CHECK(taken == NULL);
            CHECK(!t_bool(nana_is_cached(db, "k")));
        }
        nana_future_free(get);
    }
    CHECK(rolled_back > 0);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK(t_raw_value(path, "data", "poison") == NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
