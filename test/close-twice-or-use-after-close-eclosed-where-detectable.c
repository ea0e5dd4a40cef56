/*
 * A handle is invalid after nana_close, as memory is after free(); the
 * library still tells such a use when it can: the handle's magic is
 * overwritten before its memory is freed, and builds with
 * NANA_DEBUG_HANDLES (the sanitizer suites) keep that memory, so that
 * there a second close returns NANA_ECLOSED and every operation on the
 * closed handle -- root, sub-table, or a transaction's view after
 * nana_txn_free -- resolves NANA_ECLOSED without touching anything.  In
 * other builds such uses are undefined and are not made here; what is
 * defined everywhere is checked: sub-table handles outliving their root
 * fail NANA_ECLOSED, and closing NULL is a no-op.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    t_set_json(sub, "k", "1");
    CHECK_ST(nana_close(NULL), NANA_OK);
#ifdef NANA_DEBUG_HANDLES
    nana_db_t *other = NULL;
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);
    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(other), NANA_ECLOSED);
    EXPECT(nana_get(other, "k", NULL), NANA_ECLOSED);
    EXPECT(t_set_async(other, "k", "2"), NANA_ECLOSED);
    EXPECT(t_execute(other, "SELECT 1", NULL), NANA_ECLOSED);
    CHECK(strstr(nana_db_errmsg(other), "closed") != NULL);
    nana_db_t *again = NULL;
    CHECK_ST(nana_table(other, "x", &again), NANA_ECLOSED);
    nana_stats_t s;
    CHECK_ST(nana_stats(other, &s), NANA_ECLOSED);

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *view = nana_txn_db(txn, db);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    EXPECT(nana_get(view, "k", NULL), NANA_ECLOSED);
    printf("debug build: closed handles are told NANA_ECLOSED\n");
#else
    printf("plain build: uses after close are undefined, not made\n");
#endif
    CHECK_ST(nana_close(db), NANA_OK);
#ifdef NANA_DEBUG_HANDLES
    CHECK_ST(nana_close(db), NANA_ECLOSED);
    EXPECT(nana_get(db, "k", NULL), NANA_ECLOSED);
#endif
    EXPECT(nana_get(sub, "k", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
