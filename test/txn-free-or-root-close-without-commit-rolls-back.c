/*
 * A transaction that is never committed is rolled back: freeing its handle
 * rolls it back in order with what is queued in it (nana_txn_free never
 * waits), and closing the root rolls back an open one after running what
 * it had queued -- its later operations fail NANA_ECLOSED, its handle is
 * still safe to free, and the file holds none of its writes.  The root's
 * other queued work runs.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    t_set_json(db, "k", "0");

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db);
    nana_future_t *w = t_set_async(in, "k", "1");
    nana_future_t *after = nana_get(db, "k", NULL); /* behind the transaction */
    nana_txn_free(txn);
    EXPECT(w, NANA_OK);     /* it ran, and was rolled back */
    SAME(after, "0");
    SAME(nana_get(db, "k", NULL), "0");

    /* Closing the root with a transaction open. */
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "k", "2"), NANA_OK);
    nana_future_t *queued = t_set_async(in, "q", "3");
    nana_future_t *outside = t_set_async(db, "o", "4");
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(queued, NANA_OK); /* run before the rollback */
    EXPECT(outside, NANA_OK);
    EXPECT(t_set_async(in, "z", "5"), NANA_ECLOSED);
    EXPECT(nana_txn_commit(txn), NANA_ECLOSED);
    nana_txn_free(txn);

    char *raw = t_raw_value(t_path("t.db"), "data", "k");
    CHECK_STR(raw, "0");
    free(raw);
    CHECK(t_raw_value(t_path("t.db"), "data", "q") == NULL);
    raw = t_raw_value(t_path("t.db"), "data", "o");
    CHECK_STR(raw, "4");
    free(raw);
    return 0;
}
