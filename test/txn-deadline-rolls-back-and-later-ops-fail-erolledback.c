/*
 * A deadline bounds how long a transaction may own the writer.  A
 * transaction that writes and then is left alone is rolled back when its
 * deadline passes, by the pool, without anyone calling into it: a write
 * outside it, queued behind it, then runs (awaiting that write is the
 * test's only wait).  From then on the transaction's operations, COMMIT
 * included, fail NANA_EROLLEDBACK with a message that names the deadline,
 * and none of its writes is anywhere.  A transaction within its deadline
 * commits normally.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    nana_txn_options_t o;
    nana_txn_options_init(&o);
    o.deadline_ms = 50;
    nana_txn_t *txn = NULL;
    int64_t t0 = t_now_ms();
    EXPECT(nana_txn_begin(db, &o, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "inside", "1"), NANA_OK);

    /* Queued behind the transaction: it can only run once the deadline
     * rolled the transaction back. */
    EXPECT(t_set_async(db, "outside", "2"), NANA_OK);
    CHECK(t_now_ms() - t0 >= 50);

    nana_future_t *f = t_set_async(in, "late", "3");
    CHECK_ST(nana_future_await(f), NANA_EROLLEDBACK);
    CHECK(strstr(nana_future_errmsg(f), "deadline") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "50 ms") != NULL);
    nana_future_free(f);
    EXPECT(nana_txn_commit(txn), NANA_EROLLEDBACK);
    EXPECT(nana_txn_savepoint(txn), NANA_EROLLEDBACK);
    nana_txn_free(txn);

    EXPECT(nana_get(db, "inside", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "late", NULL), NANA_ENOTFOUND);
    SAME(nana_get(db, "outside", NULL), "2");
    CHECK(t_raw_value(t_path("t.db"), "data", "inside") == NULL);

    /* Within the deadline: an ordinary transaction. */
    o.deadline_ms = 60000;
    EXPECT(nana_txn_begin(db, &o, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "inside", "4"), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    SAME(nana_get(db, "inside", NULL), "4");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
