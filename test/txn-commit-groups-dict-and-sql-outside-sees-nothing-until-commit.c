/*
 * A transaction groups dict writes on the root and a sub-table and a SQL
 * write into one SQLite transaction.  Inside, every read sees the
 * transaction's own writes; outside, nothing does until COMMIT: another
 * connection reads the old rows, a read of an untouched cached key is
 * answered at once (until the SQL write, which may touch any table), a read
 * of a key the transaction wrote waits behind it
 * (still pending while the transaction is open) and then sees the
 * committed value, and an outside write waits too.  After COMMIT the cache
 * and the file agree, through the root and through a fresh one.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL), *users = NULL;
    CHECK_ST(nana_table(db, "users", &users), NANA_OK);
    t_set_json(db, "a", "1");
    t_set_json(db, "keep", "\"old\"");
    t_set_json(users, "u1", "{\"name\":\"ann\"}");
    SAME(nana_get(db, "keep", NULL), "\"old\""); /* cached */
    EXPECT(t_execute(db, "CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT)", NULL), NANA_OK);

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    CHECK(txn != NULL);
    nana_db_t *in = nana_txn_db(txn, db), *in_users = nana_txn_db(txn, users);
    CHECK(in && in_users && in != in_users);
    CHECK(nana_txn_db(txn, db) == in); /* the same view again */
    CHECK(nana_txn_db(txn, in) == in);

    EXPECT(t_set_async(in, "a", "2"), NANA_OK);
    EXPECT(t_set_async(in, "b", "[true]"), NANA_OK);
    EXPECT(nana_delete(in_users, "u1"), NANA_OK);
    EXPECT(t_set_async(in_users, "u2", "{\"name\":\"bob\"}"), NANA_OK);
    /* An untouched cached key is answered at once, outside. */
    nana_future_t *keep = nana_get(db, "keep", NULL);
    CHECK(nana_future_poll(keep));
    SAME(keep, "\"old\"");
    EXPECT(t_execute(in, "INSERT INTO log(what) VALUES (?)", "[\"txn\"]"), NANA_OK);
    SAME(nana_get(in, "a", NULL), "2");
    SAME(nana_get(in, "b", NULL), "[true]");
    EXPECT(nana_get(in_users, "u1", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(in_users)), 1);
    SAME(nana_fetch_one(in, "SELECT count(*) FROM log", NULL), "[1]");

    /* Outside: another connection sees nothing of it. */
    char *raw = t_raw_value(t_path("t.db"), "data", "a");
    CHECK_STR(raw, "1");
    free(raw);
    CHECK(t_raw_value(t_path("t.db"), "data", "b") == NULL);
    CHECK_INT(t_raw_int(t_path("t.db"), "SELECT count(*) FROM log"), 0);
    /* After a SQL write in it (which may touch any table) no read outside
     * is answered from a cache; the written key waits, as a write does. */
    keep = nana_get(db, "keep", NULL);
    nana_future_t *a_out = nana_get(db, "a", NULL);
    nana_future_t *c_out = t_set_async(db, "c", "3");
    /* Both wait for the writer the transaction owns: one more operation
     * in the transaction runs before them, whatever the order of the
     * threads. */
    SAME(nana_get(in, "c", json_null()), "null");
    CHECK(!nana_future_poll(a_out));
    CHECK(!nana_future_poll(c_out));
    CHECK(!nana_future_poll(keep));

    EXPECT(nana_txn_commit(txn), NANA_OK);
    SAME(a_out, "2");
    EXPECT(c_out, NANA_OK);
    SAME(keep, "\"old\"");
    SAME(nana_get(db, "b", NULL), "[true]");
    EXPECT(nana_get(users, "u1", NULL), NANA_ENOTFOUND);
    SAME(nana_get(users, "u2", NULL), "{\"name\":\"bob\"}");
    CHECK_INT(t_raw_int(t_path("t.db"), "SELECT count(*) FROM log"), 1);
    raw = t_raw_value(t_path("t.db"), "data", "a");
    CHECK_STR(raw, "2");
    free(raw);
    /* Operations after COMMIT fail at once. */
    EXPECT(t_set_async(in, "z", "0"), NANA_ECLOSED);
    EXPECT(nana_txn_commit(txn), NANA_ECLOSED);
    nana_txn_free(txn);

    nana_close(users);
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("t.db", NULL);
    SAME(nana_get(db, "a", NULL), "2");
    SAME(nana_get(db, "c", NULL), "3");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
