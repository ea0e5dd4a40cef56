/*
 * A transaction's writes are staged in the cache until its COMMIT, and the
 * staging holds the entries: a bounded cache (cache_max_entries 2) must not
 * drop them, however far past the bound the transaction writes.  Inside,
 * each of twelve keys written reads back the transaction's value, through
 * the root's table and a sub-table inheriting the bound; outside, a read of
 * a key cached before BEGIN is answered at once from the cache with the
 * committed value, and a read of a key the transaction writes waits and
 * sees the commit.  After COMMIT every key reads its new value while at most
 * two stay cached; after a ROLLBACK of a second transaction, every key
 * reads its committed value and nothing it wrote is cached.
 */
#include "harness.h"

#define KEYS 12

static int n_cached(nana_db_t *db, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < KEYS; i++) {
        char key[16];
        snprintf(key, sizeof key, "%s%d", prefix, i);
        n += t_bool(nana_is_cached(db, key));
    }
    return n;
}

int main(void)
{
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = 2;
    nana_db_t *db = NULL, *sub = NULL;
    CHECK_ST(nana_open_v3(t_path("txn.db"), NULL, 0, &to, &db), NANA_OK);
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    t_set_json(db, "before", "\"old\"");
    t_set_json(db, "k0", "\"k0 committed\"");
    SAME(nana_get(db, "before", NULL), "\"old\"");

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db), *in_sub = nana_txn_db(txn, sub);
    CHECK(in && in_sub);
    for (int i = 0; i < KEYS; i++) {
        char key[16], text[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "[%d,\"in\"]", i);
        EXPECT(t_set_async(in, key, text), NANA_OK);
        EXPECT(t_set_async(in_sub, key, text), NANA_OK);
    }
    /* Outside: a cached key answers at once; a written one waits. */
    nana_future_t *outside_before = nana_get(db, "before", NULL);
    CHECK(nana_future_poll(outside_before));
    SAME(outside_before, "\"old\"");
    nana_future_t *outside_k0 = nana_get(db, "k0", NULL);
    CHECK(!nana_future_poll(outside_k0));
    for (int i = KEYS - 1; i >= 0; i--) {
        char key[16], text[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "[%d,\"in\"]", i);
        SAME(nana_get(in, key, NULL), text);
        SAME(nana_get(in_sub, key, NULL), text);
        CHECK(t_bool(nana_is_cached(in, key))); /* staged: the transaction's own */
    }
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    SAME(outside_k0, "[0,\"in\"]");

    for (int i = 0; i < KEYS; i++) {
        char key[16], text[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "[%d,\"in\"]", i);
        SAME(nana_get(db, key, NULL), text);
        SAME(nana_get(sub, key, NULL), text);
    }
    CHECK(n_cached(db, "k") <= 2);
    CHECK(n_cached(sub, "k") <= 2);

    /* A rollback leaves the committed values, and none of its own cached. */
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    for (int i = 0; i < KEYS; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        EXPECT(t_set_async(in, key, "\"rolled back\""), NANA_OK);
        SAME(nana_get(in, key, NULL), "\"rolled back\"");
    }
    EXPECT(nana_txn_rollback(txn), NANA_OK);
    nana_txn_free(txn);
    for (int i = 0; i < KEYS; i++) {
        char key[16], text[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "[%d,\"in\"]", i);
        SAME(nana_get(db, key, NULL), text);
    }
    CHECK(n_cached(db, "k") <= 2);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
