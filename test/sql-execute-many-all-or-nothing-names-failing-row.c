/*
 * nana_execute_many runs one statement per parameter set (arrays or objects,
 * mixed), all in one transaction, and resolves to the total number of changed
 * rows.  When a row fails (NOT NULL violation at row 3 of 5, a UNIQUE clash
 * on the last row, a parameter count mismatch in row 2, an unbindable value)
 * none of the rows took effect -- also as seen by another connection -- and
 * the message names the failing row.  Dict writes queued right before and
 * after a failing execute_many keep their effect.  Bad parameter set types
 * (a set that is a number, string or null; param_sets not an array) are
 * NANA_ETYPE; NULL param_sets NANA_EINVAL.  An empty array of sets is 0.
 * A SELECT run many times changes nothing (0).
 */
#include "harness.h"

static nana_future_t *many(nana_db_t *db, const char *sql, const char *sets)
{
    json_t *s = sets ? t_json(sets) : NULL;
    nana_future_t *f = nana_execute_many(db, sql, s);
    json_decref(s);
    return f;
}

/* Awaits f: must fail with want, the message naming one of two row
 * spellings (0-based or 1-based). */
static void fails_at_(const char *file, int line, nana_future_t *f, nana_status_t want,
                      const char *row0, const char *row1)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != want)
        t_fail(file, line, "got %s (%s), want %s", t_status_name(st), msg, t_status_name(want));
    if (!strstr(msg, row0) && !strstr(msg, row1))
        t_fail(file, line, "message \"%s\" names neither \"%s\" nor \"%s\"", msg, row0, row1);
    nana_future_free(f);
}
#define FAILS_AT(f, want, r0, r1) fails_at_(__FILE__, __LINE__, (f), (want), (r0), (r1))

static int raw_count(const char *path)
{
    return t_raw_int(path, "SELECT count(*) FROM m");
}

static const char *const INS = "INSERT INTO m (name, n) VALUES (?, ?)";

int main(void)
{
    const char *path = t_path("many.db");
    nana_db_t *db = t_open("many.db", NULL);
    json_decref(TAKE(nana_execute(
        db, "CREATE TABLE m (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER)",
        NULL)));

    CHECK_INT(INT(many(db, INS, "[[\"a\",1],[\"b\",2],[\"c\",3],[\"d\",4],[\"e\",5]]")), 5);
    CHECK_INT(raw_count(path), 5);
    CHECK_INT(INT(many(db, "INSERT INTO m (name, n) VALUES (:name, :n)",
                       "[{\"name\":\"f\",\"n\":6},{\":name\":\"g\",\":n\":7}]")),
              2);
    CHECK_INT(INT(many(db, "INSERT INTO m (name, n) VALUES (:name, :n)",
                       "[[\"h\", 8], {\"name\": \"i\", \"n\": 9}]")),
              2);
    CHECK_INT(INT(many(db, "UPDATE m SET n = n * 10 WHERE name = ?", "[[\"a\"],[\"b\"],[\"zz\"]]")),
              2);
    CHECK_INT(INT(many(db, "DELETE FROM m WHERE n = ?", "[[9],[8],[99]]")), 2); /* i, h */
    CHECK_INT(INT(many(db, INS, "[]")), 0);
    SAME(nana_fetch_all(db, "SELECT name, n FROM m ORDER BY id", NULL),
         "[[\"a\",10],[\"b\",20],[\"c\",3],[\"d\",4],[\"e\",5],[\"f\",6],[\"g\",7]]");
    CHECK_INT(raw_count(path), 7);

    /* NOT NULL violation at row 3 of 5: nothing written */
    FAILS_AT(many(db, INS, "[[\"p\",1],[\"q\",2],[null,3],[\"r\",4],[\"s\",5]]"), NANA_ESQL,
             "row 2", "row 3");
    CHECK_INT(raw_count(path), 7);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM m WHERE name IN ('p','q','r','s')", NULL), "[0]");

    /* UNIQUE clash on the last row */
    FAILS_AT(many(db, INS, "[[\"t\",1],[\"u\",2],[\"v\",3],[\"w\",4],[\"a\",5]]"), NANA_ESQL,
             "row 4", "row 5");
    CHECK_INT(raw_count(path), 7);

    /* an UPDATE that fails half way leaves every row as it was */
    FAILS_AT(many(db, "UPDATE m SET name = ? WHERE name = ?",
                  "[[\"A\",\"a\"],[\"B\",\"b\"],[\"A\",\"c\"]]"),
             NANA_ESQL, "row 2", "row 3");
    SAME(nana_fetch_all(db, "SELECT name FROM m WHERE id <= 3 ORDER BY id", NULL),
         "[[\"a\"],[\"b\"],[\"c\"]]");

    /* a parameter problem in row 2 */
    FAILS_AT(many(db, INS, "[[\"x1\",1],[\"x2\"],[\"x3\",3]]"), NANA_EINVAL, "row 1", "row 2");
    FAILS_AT(many(db, INS, "[[\"x1\",1],[\"x2\",[2]],[\"x3\",3]]"), NANA_ETYPE, "row 1", "row 2");
    FAILS_AT(many(db, "INSERT INTO m (name, n) VALUES (:name, :n)",
                  "[{\"name\":\"x1\",\"n\":1},{\"name\":\"x2\",\"nn\":2}]"),
             NANA_EINVAL, "row 1", "row 2");
    CHECK_INT(raw_count(path), 7);

    /* dict writes around a failing execute_many keep their effect */
    json_t *v = json_integer(1);
    nana_future_t *s1 = nana_set(db, "before", v);
    nana_future_t *bad = many(db, INS, "[[\"y1\",1],[null,2]]");
    nana_future_t *s2 = nana_set(db, "after", v);
    json_decref(v);
    EXPECT(bad, NANA_ESQL);
    EXPECT(s1, NANA_OK);
    EXPECT(s2, NANA_OK);
    char *raw = t_raw_value(path, "data", "before");
    CHECK_STR(raw, "1");
    free(raw);
    raw = t_raw_value(path, "data", "after");
    CHECK_STR(raw, "1");
    free(raw);
    CHECK_INT(raw_count(path), 7);

    /* bad parameter set types */
    EXPECT(many(db, INS, "[[\"z\",1], 5]"), NANA_ETYPE);
    EXPECT(many(db, INS, "[[\"z\",1], \"set\"]"), NANA_ETYPE);
    EXPECT(many(db, INS, "[null]"), NANA_ETYPE);
    EXPECT(many(db, INS, "[true, [\"z\", 1]]"), NANA_ETYPE);
    EXPECT(many(db, INS, "{\"name\": \"z\", \"n\": 1}"), NANA_ETYPE);
    EXPECT(many(db, INS, "\"sets\""), NANA_ETYPE);
    EXPECT(many(db, INS, "7"), NANA_ETYPE);
    EXPECT(nana_execute_many(db, INS, NULL), NANA_EINVAL);
    EXPECT(many(NULL, INS, "[]"), NANA_EINVAL);
    EXPECT(many(db, NULL, "[]"), NANA_EINVAL);
    CHECK_INT(raw_count(path), 7);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM m WHERE name = 'z'", NULL), "[0]");

    /* reading statements change nothing, whatever ran before */
    CHECK_INT(INT(many(db, "UPDATE m SET n = n + 1", "[[]]")), 7);
    CHECK_INT(INT(many(db, "SELECT ?", "[[1],[2],[3]]")), 0);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
