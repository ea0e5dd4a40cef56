/*
 * ROLLBACK drops every write of the transaction, and the cache never shows
 * any of them (NanaSQLite 1.6 fixed a stale cache after rollback): keys
 * cached before (present and absent) read their old answers afterwards,
 * from the cache and from the file; a key read for the first time inside
 * (a cache fill of a value the transaction wrote) is not cached after.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    t_set_json(db, "a", "{\"v\":1}");
    t_set_json(db, "b", "\"bee\"");
    SAME(nana_get(db, "a", NULL), "{\"v\":1}");
    EXPECT(nana_get(db, "gone", NULL), NANA_ENOTFOUND); /* cached absent */

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "a", "{\"v\":2}"), NANA_OK);
    EXPECT(nana_delete(in, "b"), NANA_OK);
    EXPECT(t_set_async(in, "gone", "\"here\""), NANA_OK);
    EXPECT(t_set_async(in, "new", "[1,2]"), NANA_OK);
    SAME(nana_get(in, "new", NULL), "[1,2]");
    json_t *w = t_json("{\"w\":0}");
    SAME(nana_patch(in, "a", w, false), "{\"v\":2,\"w\":0}");
    json_decref(w);
    CHECK_INT(INT(nana_increment(in, "n", NULL, 5)), 5);
    SAME(nana_get(in, "a", NULL), "{\"v\":2,\"w\":0}");
    EXPECT(nana_get(in, "b", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(in)), 4); /* a, gone, new, n */
    EXPECT(nana_txn_rollback(txn), NANA_OK);
    EXPECT(nana_get(in, "a", NULL), NANA_ECLOSED);
    EXPECT(nana_txn_rollback(txn), NANA_ECLOSED);
    nana_txn_free(txn);

    SAME(nana_get(db, "a", NULL), "{\"v\":1}");
    SAME(nana_get(db, "b", NULL), "\"bee\"");
    EXPECT(nana_get(db, "gone", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "new", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "n", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(db)), 2);
    CHECK(t_raw_value(t_path("t.db"), "data", "new") == NULL);
    char *raw = t_raw_value(t_path("t.db"), "data", "a");
    CHECK_STR(raw, "{\"v\":1}");
    free(raw);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
