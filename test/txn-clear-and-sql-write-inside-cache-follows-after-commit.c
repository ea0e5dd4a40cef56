/*
 * Inside a transaction, a clear, a load_all and a SQL write on the dict
 * table (jobs whose cache effects are not staged key by key) are followed
 * by reads that see them: after clear every old key is gone and a key set
 * after it is there; after an UPDATE by SQL the dict read returns the new
 * value, not the cached one.  After COMMIT the root's caches -- warm before,
 * on the root and a sub-table -- agree with the file; after ROLLBACK they
 * still hold the old values, which are right.
 */
#include "harness.h"

static void warm(nana_db_t *db, nana_db_t *sub)
{
    SAME(nana_get(db, "a", NULL), "1");
    SAME(nana_get(db, "b", NULL), "2");
    SAME(nana_get(sub, "s", NULL), "\"s\"");
}

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    t_set_json(db, "a", "1");
    t_set_json(db, "b", "2");
    t_set_json(sub, "s", "\"s\"");
    warm(db, sub);

    /* Rolled back: the cache was right all along. */
    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db), *in_sub = nana_txn_db(txn, sub);
    EXPECT(nana_clear(in), NANA_OK);
    EXPECT(nana_get(in, "a", NULL), NANA_ENOTFOUND);
    EXPECT(t_execute(in, "UPDATE sub SET value = '\"t\"' WHERE key = 's'", NULL), NANA_OK);
    SAME(nana_get(in_sub, "s", NULL), "\"t\"");
    EXPECT(nana_txn_rollback(txn), NANA_OK);
    nana_txn_free(txn);
    warm(db, sub);
    CHECK(BOOL(nana_is_cached(db, "a")));

    /* Committed. */
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    in_sub = nana_txn_db(txn, sub);
    EXPECT(t_set_async(in, "before", "0"), NANA_OK);
    EXPECT(nana_clear(in), NANA_OK);
    EXPECT(nana_get(in, "a", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(in, "before", NULL), NANA_ENOTFOUND);
    EXPECT(t_set_async(in, "c", "3"), NANA_OK);
    SAME(nana_get(in, "c", NULL), "3");
    CHECK_INT(INT(nana_len(in)), 1);
    EXPECT(t_execute(in, "UPDATE sub SET value = '\"t\"' WHERE key = 's'", NULL), NANA_OK);
    SAME(nana_get(in_sub, "s", NULL), "\"t\"");
    EXPECT(t_execute(in, "INSERT INTO data(key, value) VALUES ('d', '4')", NULL), NANA_OK);
    EXPECT(nana_load_all(in), NANA_OK);
    SAME(nana_get(in, "d", NULL), "4");
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);

    EXPECT(nana_get(db, "a", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "b", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "before", NULL), NANA_ENOTFOUND);
    SAME(nana_get(db, "c", NULL), "3");
    SAME(nana_get(db, "d", NULL), "4");
    SAME(nana_get(sub, "s", NULL), "\"t\"");
    CHECK_INT(INT(nana_len(db)), 2);

    /* A key set after a clear, with nothing else after it. */
    SAME(nana_get(db, "c", NULL), "3");
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    EXPECT(nana_clear(in), NANA_OK);
    EXPECT(t_set_async(in, "e", "5"), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    SAME(nana_get(db, "e", NULL), "5");
    EXPECT(nana_get(db, "c", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(db)), 1);
    nana_close(sub);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
