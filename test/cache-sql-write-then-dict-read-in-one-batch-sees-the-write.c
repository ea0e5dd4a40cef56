/*
 * A write through the SQL surface queued among dict operations.  A dict
 * read queued after the SQL write must see what the SQL wrote -- not what
 * the cache held, nor what an earlier dict write staged -- and the cache
 * must not keep the old value afterwards (before the fix, a get's value
 * decoded after its batch could be filled into the cache after the SQL
 * write had emptied it).  Jobs are queued while another connection holds
 * the write lock, so that they pile up behind it.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("sqlbatch.db");
    nana_db_t *db = t_open("sqlbatch.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "DATA", &sub), NANA_OK);
    for (int round = 0; round < 20; round++) {
        t_set_json(db, "c", "1"); /* cached */
        char want[16];
        snprintf(want, sizeof want, "%d", 1000 + round);

        sqlite3 *gate = t_gate_lock(path);
        json_t *one = json_integer(1);
        nana_future_t *w0 = nana_set(db, "w", one);
        nana_future_t *s1 = nana_set(db, "k", one);          /* staged k=1 */
        nana_future_t *x = t_execute(db, "UPDATE data SET value = ?1 WHERE key IN ('k', 'c')",
                                     round % 2 ? "[\"2\"]" : NULL);
        if (round % 2 == 0) {
            nana_future_free(x);
            char sql[128];
            snprintf(sql, sizeof sql, "UPDATE data SET value = '%s' WHERE key IN ('k', 'c')",
                     want);
            x = t_execute(db, sql, NULL);
        }
        nana_future_t *gk = nana_get(db, "k", NULL);
        nana_future_t *gc = nana_get(sub, "c", NULL);
        nana_future_t *hc = nana_contains(db, "c");
        json_decref(one);
        t_gate_release(gate, true);

        const char *v = round % 2 ? "2" : want;
        CHECK_ST(t_wait(w0), NANA_OK);
        CHECK_ST(t_wait(s1), NANA_OK);
        CHECK_ST(t_wait(x), NANA_OK);
        t_expect(gk, v);
        t_expect(gc, v);
        CHECK(t_bool(hc));
        t_expect(nana_get(db, "k", NULL), v);
        t_expect(nana_get(db, "c", NULL), v);
    }
    nana_close(sub);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
