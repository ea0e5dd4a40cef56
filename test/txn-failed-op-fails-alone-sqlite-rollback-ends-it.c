/*
 * An error inside a transaction fails that operation only: a constraint
 * violation (SQLite's statement journal undoes the statement), a value of
 * the wrong type, a missing key -- the transaction goes on and commits
 * what succeeded.  An error SQLite rolls the whole transaction back on (a
 * trigger's RAISE(ROLLBACK)) ends it: that operation fails with its own
 * error, every later one (COMMIT included) NANA_EROLLEDBACK, and nothing
 * of it is stored or cached.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    EXPECT(t_execute(db, "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT UNIQUE)", NULL),
           NANA_OK);
    EXPECT(t_execute(db, "INSERT INTO u(name) VALUES ('ann')", NULL), NANA_OK);
    t_set_json(db, "text", "\"not a number\"");

    nana_txn_t *txn = NULL;
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    nana_db_t *in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "ok1", "1"), NANA_OK);
    EXPECT(t_execute(in, "INSERT INTO u(name) VALUES ('ann')", NULL), NANA_ESQL);
    EXPECT(nana_increment(in, "text", NULL, 1), NANA_ETYPE);
    EXPECT(nana_pop(in, "missing", NULL), NANA_ENOTFOUND);
    EXPECT(t_execute(in, "INSERT INTO u(name) VALUES ('bob')", NULL), NANA_OK);
    EXPECT(t_set_async(in, "ok2", "2"), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    SAME(nana_get(db, "ok1", NULL), "1");
    SAME(nana_get(db, "ok2", NULL), "2");
    SAME(nana_get(db, "text", NULL), "\"not a number\"");
    CHECK_INT(t_raw_int(t_path("t.db"), "SELECT count(*) FROM u"), 2);

    /* RAISE(ROLLBACK): the transaction is gone. */
    EXPECT(t_execute(db, "CREATE TRIGGER nope BEFORE INSERT ON data WHEN NEW.key = 'boom' "
                         "BEGIN SELECT RAISE(ROLLBACK, 'boom refused'); END",
                     NULL),
           NANA_OK);
    SAME(nana_get(db, "ok1", NULL), "1"); /* cached again */
    EXPECT(nana_txn_begin(db, NULL, &txn), NANA_OK);
    in = nana_txn_db(txn, db);
    EXPECT(t_set_async(in, "ok1", "100"), NANA_OK);
    EXPECT(t_set_async(in, "ok3", "3"), NANA_OK);
    nana_future_t *boom = t_set_async(in, "boom", "0");
    nana_future_t *after = t_set_async(in, "ok4", "4");
    nana_future_t *commit = nana_txn_commit(txn);
    CHECK_ST(nana_future_await(boom), NANA_ESQL);
    CHECK(strstr(nana_future_errmsg(boom), "boom refused") != NULL);
    nana_future_free(boom);
    CHECK_ST(nana_future_await(after), NANA_EROLLEDBACK);
    CHECK(strstr(nana_future_errmsg(after), "boom refused") != NULL);
    nana_future_free(after);
    EXPECT(commit, NANA_EROLLEDBACK);
    EXPECT(t_set_async(in, "ok5", "5"), NANA_EROLLEDBACK);
    nana_txn_free(txn);
    SAME(nana_get(db, "ok1", NULL), "1");
    EXPECT(nana_get(db, "ok3", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "ok4", NULL), NANA_ENOTFOUND);
    char *raw = t_raw_value(t_path("t.db"), "data", "ok1");
    CHECK_STR(raw, "1");
    free(raw);
    /* The root goes on. */
    t_set_json(db, "after", "true");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
