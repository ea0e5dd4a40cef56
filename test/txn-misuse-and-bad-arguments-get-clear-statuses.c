/*
 * Misuse of a transaction gets a status and a message, and loses nothing:
 * NULL arguments, a bad mode or deadline, a view that begins another
 * transaction, a view of a handle of another root or of another
 * transaction, closing a view or making a sub-table from it, COMMIT twice,
 * operations after COMMIT or ROLLBACK, awaiting a transaction's operation
 * inside a callback (NANA_EDEADLK, as any wait there), a closed root.
 */
#include "harness.h"

static nana_status_t in_callback = NANA_PENDING;
static nana_db_t *cb_view;

static void on_ready(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    nana_future_t *g = nana_get(cb_view, "k", NULL);
    in_callback = nana_future_await(g);
    nana_future_free(g);
}

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL), *other = t_open("other.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    t_set_json(db, "k", "\"v\"");
    nana_txn_t *txn = NULL, *txn2 = NULL;
    nana_txn_options_t o;

    EXPECT(nana_txn_begin(NULL, NULL, &txn), NANA_EINVAL);
    CHECK(txn == NULL);
    EXPECT(nana_txn_begin(db, NULL, NULL), NANA_EINVAL);
    nana_txn_options_init(&o);
    o.mode = (nana_txn_mode_t)7;
    EXPECT(nana_txn_begin(db, &o, &txn), NANA_EINVAL);
    CHECK(txn == NULL);
    nana_txn_options_init(&o);
    o.deadline_ms = -1;
    EXPECT(nana_txn_begin(db, &o, &txn), NANA_EINVAL);
    EXPECT(nana_txn_commit(NULL), NANA_EINVAL);
    EXPECT(nana_txn_rollback(NULL), NANA_EINVAL);
    EXPECT(nana_txn_savepoint(NULL), NANA_EINVAL);
    CHECK(nana_txn_db(NULL, db) == NULL);
    nana_txn_free(NULL);

    o.mode = NANA_TXN_DEFERRED;
    o.deadline_ms = 0;
    EXPECT(nana_txn_begin(db, &o, &txn), NANA_OK);
    CHECK(nana_txn_db(txn, NULL) == NULL);
    nana_db_t *in = nana_txn_db(txn, sub);
    CHECK(in != NULL);
    CHECK(nana_txn_db(txn, other) == NULL);
    CHECK(strstr(nana_db_errmsg(other), "another root") != NULL);
    EXPECT(nana_txn_begin(in, NULL, &txn2), NANA_EINVAL);
    CHECK(txn2 == NULL);
    nana_db_t *from_view = NULL;
    CHECK_ST(nana_table(in, "x", &from_view), NANA_EINVAL);
    CHECK(from_view == NULL);
    CHECK_ST(nana_close(in), NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(in), "nana_txn_free") != NULL);

    /* A wait inside a callback is refused, the operation still runs. */
    cb_view = nana_txn_db(txn, db);
    nana_future_t *f = t_set_async(cb_view, "k", "\"w\"");
    CHECK_ST(nana_future_on_ready(f, on_ready, NULL), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);
    CHECK_ST(in_callback, NANA_EDEADLK);

    EXPECT(nana_txn_commit(txn), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_ECLOSED);
    EXPECT(nana_txn_rollback(txn), NANA_ECLOSED);
    EXPECT(nana_txn_savepoint(txn), NANA_ECLOSED);
    EXPECT(t_set_async(in, "x", "1"), NANA_ECLOSED);
    EXPECT(nana_get(in, "x", NULL), NANA_ECLOSED);
    nana_txn_free(txn);
    SAME(nana_get(db, "k", NULL), "\"w\"");

    /* A view of another transaction. */
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_future_t *begun2 = nana_txn_begin(db, NULL, &txn2); /* waits behind txn */
    nana_db_t *v1 = nana_txn_db(txn, db);
    CHECK(nana_txn_db(txn2, v1) == NULL);
    CHECK(strstr(nana_db_errmsg(v1), "another transaction") != NULL);
    CHECK(!nana_future_poll(begun2));
    EXPECT(nana_txn_rollback(txn), NANA_OK);
    nana_txn_free(txn);
    EXPECT(begun2, NANA_OK);
    nana_txn_free(txn2); /* rolled back, in order, without waiting */

    /* A closed root. */
    nana_close(sub);
    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
