/*
 * Exactly one statement per call: "SELECT 1; DROP TABLE x",
 * "INSERT ...; INSERT ...", a second statement hidden after a comment, and the
 * same through fetch_one, fetch_all and execute_many are NANA_EINVAL and NOTHING
 * runs (the table still exists, the row count is unchanged, the first
 * statement did not run either).  A trailing ';' (or several), whitespace, a
 * '--' or '/ * * /' comment after the statement are fine.  Empty SQL, only a
 * comment or only ';' is NANA_EINVAL.  Transaction control (BEGIN in every
 * spelling, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO) is the
 * library's: NANA_EINVAL through execute, fetch_one and execute_many, and the
 * handle keeps working normally afterwards (no transaction left open: a write
 * is visible to another connection once resolved).
 */
#include "harness.h"

static void refused_(const char *file, int line, const char *what, const char *sql,
                     nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EINVAL || nana_future_errmsg(f)[0] == '\0')
        t_fail(file, line, "%s(\"%s\"): got %s (%s), want NANA_EINVAL with a message", what, sql,
               t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
}

/* Count of rows in x, through a separate connection (what is committed). */
static int raw_count(const char *path)
{
    return t_raw_int(path, "SELECT count(*) FROM x");
}

int main(void)
{
    const char *path = t_path("one.db");
    nana_db_t *db = t_open("one.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE x (n INTEGER)", NULL)));
    json_decref(TAKE(nana_execute(db, "INSERT INTO x VALUES (1)", NULL)));

    const char *multi[] = {
        "SELECT 1; DROP TABLE x",
        "SELECT 1;DROP TABLE x;",
        "INSERT INTO x VALUES (2); INSERT INTO x VALUES (3)",
        "INSERT INTO x VALUES (2);INSERT INTO x VALUES (3);",
        "DELETE FROM x; SELECT 1",
        "INSERT INTO x VALUES (2); -- comment\n INSERT INTO x VALUES (3)",
        "INSERT INTO x VALUES (2) /* c */; DELETE FROM x",
        "INSERT INTO x VALUES (2);\n\n/* c */ DROP TABLE x; -- done",
        "SELECT 1; SELECT 2",
        "SELECT 1;;; DROP TABLE x",
        "SELECT 1; x",
    };
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++) {
        refused_(__FILE__, __LINE__, "execute", multi[i], nana_execute(db, multi[i], NULL));
        refused_(__FILE__, __LINE__, "fetch_one", multi[i], nana_fetch_one(db, multi[i], NULL));
        refused_(__FILE__, __LINE__, "fetch_all", multi[i], nana_fetch_all(db, multi[i], NULL));
        CHECK(t_bool(nana_table_exists(db, "x")));
        CHECK_INT(t_int(nana_count(db, "x", NULL, NULL)), 1);
    }
    json_t *sets = t_json("[[5], [6]]");
    refused_(__FILE__, __LINE__, "execute_many", "INSERT ...; DELETE ...",
             nana_execute_many(db, "INSERT INTO x VALUES (?); DELETE FROM x", sets));
    json_decref(sets);
    CHECK_INT(t_int(nana_count(db, "x", NULL, NULL)), 1);
    CHECK_INT(raw_count(path), 1);

    /* trailing ';', whitespace and comments are fine */
    const char *fine[] = {
        "INSERT INTO x VALUES (2);",
        "INSERT INTO x VALUES (3) ;  \n\t",
        "INSERT INTO x VALUES (4); -- trailing comment",
        "INSERT INTO x VALUES (5) /* c */",
        "INSERT INTO x VALUES (6);;;",
        "INSERT INTO x VALUES (7); /* c */ -- d\n ; ",
        "INSERT INTO x VALUES (8) -- no newline at the end",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        json_t *r = TAKE(nana_execute(db, fine[i], NULL));
        CHECK_JSON(json_object_get(r, "changes"), "1");
        nana_json_release(r);
    }
    SAME(nana_fetch_one(db, "SELECT count(*) FROM x; /* c */ -- d\n", NULL), "[8]");
    SAME(nana_fetch_all(db, "SELECT max(n) FROM x;", NULL), "[[8]]");

    /* no statement at all */
    const char *empty[] = {"", "   ", ";", " ; ; ", "-- only a comment", "/* only */"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        refused_(__FILE__, __LINE__, "execute", empty[i], nana_execute(db, empty[i], NULL));
        refused_(__FILE__, __LINE__, "fetch_one", empty[i], nana_fetch_one(db, empty[i], NULL));
    }

    /* transaction control belongs to the library */
    const char *txn[] = {
        "BEGIN", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "BEGIN DEFERRED TRANSACTION", "begin",
        " /* c */ BEGIN", "COMMIT", "COMMIT TRANSACTION", "END", "END TRANSACTION", "ROLLBACK",
        "SAVEPOINT s", "RELEASE s", "RELEASE SAVEPOINT s", "ROLLBACK TO s",
        "ROLLBACK TRANSACTION TO SAVEPOINT s", "SAVEPOINT nana_sql", "RELEASE nana_sql",
    };
    for (size_t i = 0; i < sizeof txn / sizeof txn[0]; i++) {
        refused_(__FILE__, __LINE__, "execute", txn[i], nana_execute(db, txn[i], NULL));
        refused_(__FILE__, __LINE__, "fetch_one", txn[i], nana_fetch_one(db, txn[i], NULL));
        sets = t_json("[[]]");
        refused_(__FILE__, __LINE__, "execute_many", txn[i], nana_execute_many(db, txn[i], sets));
        json_decref(sets);
    }

    /* still working, nothing left open: each write is committed on resolve */
    json_t *r = TAKE(nana_execute(db, "INSERT INTO x VALUES (9)", NULL));
    nana_json_release(r);
    CHECK_INT(raw_count(path), 9);
    json_t *v = json_string("after");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "\"after\"");
    free(raw);
    r = TAKE(nana_execute(db, "DELETE FROM x WHERE n > 1", NULL));
    CHECK_JSON(json_object_get(r, "changes"), "8");
    nana_json_release(r);
    CHECK_INT(raw_count(path), 1);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
