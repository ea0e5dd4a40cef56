/*
 * When a job's trigger rolls the group commit back (RAISE(ROLLBACK)), a read
 * of the same transaction may have seen one of its writes: a get that
 * answered "not found" after a delete that never committed.  Every future
 * of the rolled-back transaction but the one whose failure ended it fails
 * "transaction rolled back" -- whatever it answered -- and nothing it did
 * or read reaches the file or the cache.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("dirty.db");
    nana_db_t *db = t_open("dirty.db", NULL);
    t_raw_exec(path, "CREATE TABLE IF NOT EXISTS data (key TEXT PRIMARY KEY, value TEXT);"
                     "CREATE TRIGGER poison BEFORE INSERT ON data WHEN NEW.key = 'poison' "
                     "BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;");
    int together = 0;
    for (int round = 0; round < 20; round++) {
        t_set_json(db, "k", "1");
        sqlite3 *gate = t_gate_lock(path);
        json_t *v = json_integer(2);
        nana_future_t *w0 = nana_set(db, "w", v);
        nana_future_t *del = nana_delete(db, "k");
        nana_future_t *get = nana_get(db, "k", NULL);
        nana_future_t *has = nana_contains(db, "k");
        nana_future_t *bad = nana_set(db, "poison", v);
        json_decref(v);
        t_gate_release(gate, true);

        nana_future_await(w0);
        nana_future_free(w0);
        CHECK_ST(nana_future_await(bad), NANA_ESQL);
        CHECK(strstr(nana_future_errmsg(bad), "poisoned") != NULL);
        nana_future_free(bad);
        nana_status_t del_st = nana_future_await(del);
        if (del_st == NANA_OK) {
            /* The delete committed before the poisoned transaction began;
             * the get ran in either. */
            nana_status_t st = nana_future_await(get);
            CHECK(st == NANA_ENOTFOUND ||
                  strncmp(nana_future_errmsg(get), "transaction rolled back", 23) == 0);
            t_set_json(db, "k", "1");
        } else {
            together++;
            CHECK(strncmp(nana_future_errmsg(del), "transaction rolled back", 23) == 0);
            /* The get ran after the delete, in the same transaction. */
            CHECK(nana_future_await(get) != NANA_OK);
            CHECK(strncmp(nana_future_errmsg(get), "transaction rolled back", 23) == 0);
            CHECK(nana_future_json(get) == NULL);
            CHECK(nana_future_await(has) != NANA_OK);
            char *raw = t_raw_value(path, "data", "k");
            CHECK_STR(raw, "1");
            free(raw);
        }
        nana_future_free(del);
        nana_future_free(get);
        nana_future_free(has);
        t_expect(nana_get(db, "k", NULL), "1");
        t_expect(nana_get_fresh(db, "k", NULL), "1");
    }
    CHECK(together > 0);
    CHECK(t_raw_value(path, "data", "poison") == NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
