/*
 * Backup, restore and transactions: a restore is refused (NANA_EBUSY,
 * nothing replaced) while a transaction of the root is open or queued, and
 * on a transaction's view (NANA_EINVAL), as is a backup on a view; a backup
 * submitted while a transaction is open waits for it and copies the
 * committed outcome, never the transaction's uncommitted writes; after
 * COMMIT the restore goes ahead and every cache reads the restored file.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    t_set_json(db, "k", "\"before\"");
    EXPECT(nana_backup(db, t_path("copy1.db"), NULL), NANA_OK);

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "k", "\"inside\""), NANA_OK);
    EXPECT(nana_restore(db, t_path("copy1.db")), NANA_EBUSY);
    EXPECT(nana_restore(in, t_path("copy1.db")), NANA_EINVAL);
    EXPECT(nana_backup(in, t_path("copy2.db"), NULL), NANA_EINVAL);
    nana_future_t *b = nana_backup(db, t_path("copy2.db"), NULL);
    CHECK(!nana_future_poll(b)); /* waits for the transaction */
    EXPECT(t_set_async(in, "k", "\"committed\""), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    EXPECT(b, NANA_OK);
    char *raw = t_raw_value(t_path("copy2.db"), "data", "k");
    CHECK_STR(raw, "\"committed\"");
    free(raw);

    SAME(nana_get(db, "k", NULL), "\"committed\"");
    EXPECT(nana_restore(db, t_path("copy1.db")), NANA_OK);
    SAME(nana_get(db, "k", NULL), "\"before\"");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
