/*
 * Savepoints nest inside a transaction: nana_txn_release() keeps the
 * changes since the innermost savepoint, nana_txn_rollback_to() undoes
 * them -- reads inside see exactly what is left, the cache after COMMIT
 * agrees with the file (a rollback to a savepoint makes the transaction
 * one the cache cannot follow: COMMIT forgets the root's cached keys, which
 * are then read again), and a release with no savepoint open is refused.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    t_set_json(db, "base", "0");
    t_set_json(sub, "s", "\"s0\"");
    SAME(nana_get(sub, "s", NULL), "\"s0\"");

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db), *in_sub = nana_txn_db(txn, sub);
    EXPECT(nana_txn_release(txn), NANA_EINVAL);
    EXPECT(nana_txn_rollback_to(txn), NANA_EINVAL);

    EXPECT(t_set_async(in, "k1", "1"), NANA_OK);
    EXPECT(nana_txn_savepoint(txn), NANA_OK);       /* level 1 */
    EXPECT(t_set_async(in, "k2", "2"), NANA_OK);
    EXPECT(nana_txn_savepoint(txn), NANA_OK);       /* level 2 */
    EXPECT(t_set_async(in, "k3", "3"), NANA_OK);
    EXPECT(t_set_async(in_sub, "s", "\"s3\""), NANA_OK);
    EXPECT(nana_txn_rollback_to(txn), NANA_OK);     /* k3 and s undone */
    EXPECT(nana_get(in, "k3", NULL), NANA_ENOTFOUND);
    SAME(nana_get(in_sub, "s", NULL), "\"s0\"");
    SAME(nana_get(in, "k2", NULL), "2");
    EXPECT(nana_txn_savepoint(txn), NANA_OK);       /* level 2 again */
    EXPECT(t_set_async(in, "k4", "4"), NANA_OK);
    EXPECT(nana_txn_release(txn), NANA_OK);         /* k4 kept in level 1 */
    EXPECT(nana_txn_release(txn), NANA_OK);         /* level 1 into the transaction */
    EXPECT(nana_txn_release(txn), NANA_EINVAL);
    /* Pipelined, not awaited one by one: the order is the submission's. */
    nana_future_t *sp = nana_txn_savepoint(txn);
    nana_future_t *w = t_set_async(in, "k5", "5");
    nana_future_t *rb = nana_txn_rollback_to(txn);
    nana_future_t *r = nana_get(in, "k5", NULL);
    EXPECT(sp, NANA_OK);
    EXPECT(w, NANA_OK);
    EXPECT(rb, NANA_OK);
    EXPECT(r, NANA_ENOTFOUND);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);

    SAME(nana_get(db, "k1", NULL), "1");
    SAME(nana_get(db, "k2", NULL), "2");
    EXPECT(nana_get(db, "k3", NULL), NANA_ENOTFOUND);
    SAME(nana_get(db, "k4", NULL), "4");
    EXPECT(nana_get(db, "k5", NULL), NANA_ENOTFOUND);
    SAME(nana_get(sub, "s", NULL), "\"s0\"");
    SAME(nana_get(db, "base", NULL), "0");
    CHECK_INT(INT(nana_len(db)), 4);
    CHECK(t_raw_value(t_path("t.db"), "data", "k3") == NULL);
    char *raw = t_raw_value(t_path("t.db"), "sub", "s");
    CHECK_STR(raw, "\"s0\"");
    free(raw);
    nana_close(sub);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
