/*
 * BEGIN IMMEDIATE needs the write lock: while another connection holds it
 * past the busy timeout, BEGIN fails NANA_EBUSY and so does every
 * operation queued in the transaction (with a message saying it could not
 * begin); nothing is written, and the root works once the lock is gone.
 * A DEFERRED transaction begins without the lock: its reads work, its
 * write fails NANA_EBUSY alone, and it commits what it read.
 */
#include <sqlite3.h>

#include "harness.h"

int main(void)
{
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = 50;
    nana_db_t *db = t_open("t.db", &o);
    t_set_json(db, "k", "1");
    sqlite3 *gate = t_gate_lock(t_path("t.db"));

    nana_txn_t *txn = NULL;
    nana_future_t *begun = nana_txn_begin(db, NULL, &txn);
    CHECK(txn != NULL);
    nana_db_t *in = nana_txn_db(txn, db);
    nana_future_t *r = nana_get(in, "k", NULL);
    nana_future_t *w = t_set_async(in, "k", "2");
    CHECK_ST(nana_future_await(begun), NANA_EBUSY);
    nana_future_free(begun);
    CHECK_ST(nana_future_await(r), NANA_EBUSY);
    CHECK(strstr(nana_future_errmsg(r), "could not begin") != NULL);
    nana_future_free(r);
    EXPECT(w, NANA_EBUSY);
    EXPECT(nana_txn_commit(txn), NANA_EBUSY);
    nana_txn_free(txn);

    nana_txn_options_t to;
    nana_txn_options_init(&to);
    to.mode = NANA_TXN_DEFERRED;
    EXPECT(nana_txn_begin(db, &to, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    SAME(nana_get(in, "k", NULL), "1");
    EXPECT(t_set_async(in, "k", "3"), NANA_EBUSY);
    SAME(nana_get(in, "k", NULL), "1");
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);

    t_gate_release(gate, false);
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "k", "4"), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    SAME(nana_get(db, "k", NULL), "4");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
