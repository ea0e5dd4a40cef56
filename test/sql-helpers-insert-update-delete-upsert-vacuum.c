/*
 * Row helpers:
 *  - nana_sql_insert returns the new rowid (explicit INTEGER PRIMARY KEY
 *    respected, then continued), binds every JSON scalar type (true -> 1), an
 *    empty row inserts DEFAULT VALUES; a constraint violation is NANA_ESQL and
 *    inserts nothing; a non-object row NANA_ETYPE, NULL NANA_EINVAL.
 *  - nana_sql_update / nana_sql_delete return the number of rows changed:
 *    positional and named where params (":", "@", "$" prefixes), several SET
 *    columns, a where matching nothing (0), NULL where (every row).
 *  - nana_upsert with conflict columns updates the conflicting row in place
 *    (same rowid, columns not in the row untouched) and inserts otherwise;
 *    with NULL conflict columns it is INSERT OR REPLACE (a new row replaces the
 *    old one: new rowid, columns not given reset).
 *  - nana_vacuum keeps every row and leaves no free pages.
 *  - sql_update's where with numbered parameters (?1; ?2 followed by a bare
 *    ?, which SQLite numbers 3) binds exactly as nana_query / nana_count
 *    bind the same where and params: the SET values are not counted.
 */
#include "harness.h"

static nana_db_t *db;

static nana_future_t *ins(const char *table, const char *row)
{
    json_t *r = t_json(row);
    nana_future_t *f = nana_sql_insert(db, table, r);
    json_decref(r);
    return f;
}

static nana_future_t *upd(const char *set, const char *where, const char *params)
{
    json_t *s = t_json(set), *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_sql_update(db, "u", s, where, p);
    json_decref(s);
    json_decref(p);
    return f;
}

static nana_future_t *del(const char *where, const char *params)
{
    json_t *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_sql_delete(db, "u", where, p);
    json_decref(p);
    return f;
}

static nana_future_t *ups(const char *row, const char *conflict)
{
    json_t *r = t_json(row), *c = conflict ? t_json(conflict) : NULL;
    nana_future_t *f = nana_upsert(db, "kv2", r, c);
    json_decref(r);
    json_decref(c);
    return f;
}

static nana_future_t *all_u(void)
{
    return nana_fetch_all(db, "SELECT id, email, name, n FROM u ORDER BY id", NULL);
}

int main(void)
{
    db = t_open("rows.db", NULL);
    json_t *cols = t_json("{\"id\": \"INTEGER PRIMARY KEY\", \"email\": \"TEXT UNIQUE\", "
                          "\"name\": \"TEXT\", \"n\": \"INTEGER DEFAULT 0\"}");
    EXPECT(nana_create_table(db, "u", cols, NULL, false), NANA_OK);
    json_decref(cols);

    /* sql_insert */
    CHECK_INT(INT(ins("u", "{\"email\": \"a@x\", \"name\": \"A\"}")), 1);
    CHECK_INT(INT(ins("u", "{\"email\": \"b@x\", \"name\": \"B\", \"n\": 5}")), 2);
    CHECK_INT(INT(ins("u", "{\"id\": 10, \"email\": \"c@x\"}")), 10);
    CHECK_INT(INT(ins("u", "{\"email\": \"d@x\", \"n\": true, \"name\": null}")), 11);
    CHECK_INT(INT(ins("u", "{}")), 12);
    CHECK_INT(INT(ins("u", "{\"email\": \"e@x\", \"name\": 2.5}")), 13);
    EXPECT(ins("u", "{\"email\": \"a@x\"}"), NANA_ESQL);        /* UNIQUE */
    EXPECT(ins("u", "{\"id\": 1, \"email\": \"z@x\"}"), NANA_ESQL); /* PRIMARY KEY */
    EXPECT(ins("u", "{\"nope\": 1}"), NANA_ESQL);
    EXPECT(ins("u", "{\"email\": [1]}"), NANA_ETYPE);
    EXPECT(ins("u", "[1, 2]"), NANA_ETYPE);
    EXPECT(nana_sql_insert(db, "u", NULL), NANA_EINVAL);
    EXPECT(ins("nowhere", "{\"a\": 1}"), NANA_ESQL);
    SAME(all_u(), "[[1,\"a@x\",\"A\",0],[2,\"b@x\",\"B\",5],[10,\"c@x\",null,0],"
                  "[11,\"d@x\",null,1],[12,null,null,0],[13,\"e@x\",\"2.5\",0]]"); /* TEXT affinity */

    /* sql_update */
    CHECK_INT(INT(upd("{\"name\": \"AA\"}", "email = ?", "[\"a@x\"]")), 1);
    CHECK_INT(INT(upd("{\"n\": 7}", "email = :e OR email = @f", "{\"e\": \"a@x\", \"f\": \"b@x\"}")),
              2);
    CHECK_INT(INT(upd("{\"n\": 8}", "email = $e", "{\"$e\": \"c@x\"}")), 1);
    CHECK_INT(INT(upd("{\"name\": \"Q\", \"n\": 9}", "id >= ? AND id <= ?", "[10, 11]")), 2);
    CHECK_INT(INT(upd("{\"name\": \"none\"}", "id > ?", "[1000]")), 0);
    CHECK_INT(INT(upd("{\"name\": \"none\"}", "id > :big", "{\"big\": 1000}")), 0);
    SAME(all_u(), "[[1,\"a@x\",\"AA\",7],[2,\"b@x\",\"B\",7],[10,\"c@x\",\"Q\",9],"
                  "[11,\"d@x\",\"Q\",9],[12,null,null,0],[13,\"e@x\",\"2.5\",0]]");
    CHECK_INT(INT(upd("{\"n\": 1}", NULL, NULL)), 6);
    SAME(nana_fetch_one(db, "SELECT sum(n) FROM u", NULL), "[6]");
    EXPECT(upd("{\"email\": \"b@x\"}", "id = ?", "[1]"), NANA_ESQL); /* UNIQUE */
    EXPECT(upd("{\"n\": 1}", "id = ?", "[1, 2]"), NANA_EINVAL);
    EXPECT(upd("{\"n\": 1}", "id = :a", "{\"b\": 1}"), NANA_EINVAL);
    EXPECT(upd("{\"n\": [1]}", NULL, NULL), NANA_ETYPE);
    EXPECT(upd("{}", NULL, NULL), NANA_ETYPE);
    SAME(nana_fetch_one(db, "SELECT email FROM u WHERE id = 1", NULL), "[\"a@x\"]");

    /* sql_delete */
    CHECK_INT(INT(del("id = ?", "[12]")), 1);
    CHECK_INT(INT(del("email = :e", "{\"e\": \"e@x\"}")), 1);
    CHECK_INT(INT(del("id > ?", "[1000]")), 0);
    EXPECT(del("id = ?", NULL), NANA_EINVAL);
    CHECK_INT(INT(nana_count(db, "u", NULL, NULL)), 4);

    /* upsert */
    cols = t_json("{\"k\": \"TEXT PRIMARY KEY\", \"v\": \"INTEGER\", \"w\": \"TEXT\"}");
    EXPECT(nana_create_table(db, "kv2", cols, NULL, false), NANA_OK);
    json_decref(cols);
    int64_t r1 = INT(ups("{\"k\": \"a\", \"v\": 1, \"w\": \"x\"}", "[\"k\"]"));
    CHECK(r1 > 0);
    CHECK_INT(INT(ups("{\"k\": \"a\", \"v\": 2}", "[\"k\"]")), r1);
    SAME(nana_fetch_all(db, "SELECT rowid, k, v, w FROM kv2", NULL),
         "[[1,\"a\",2,\"x\"]]");
    int64_t r2 = INT(ups("{\"k\": \"b\", \"v\": 3}", "[\"k\"]"));
    CHECK(r2 != r1);
    int64_t r3 = INT(ups("{\"k\": \"a\", \"v\": 5}", NULL)); /* INSERT OR REPLACE */
    CHECK(r3 != r1 && r3 != r2);
    SAME(nana_fetch_all(db, "SELECT rowid, k, v, w FROM kv2 ORDER BY rowid", NULL),
         "[[2,\"b\",3,null],[3,\"a\",5,null]]");
    CHECK_INT(INT(ups("{\"k\": \"c\", \"v\": 6, \"w\": \"cw\"}", NULL)), 4);
    CHECK_INT(INT(nana_count(db, "kv2", NULL, NULL)), 3);
    EXPECT(ups("{\"k\": \"a\", \"v\": 9}", "[\"v\"]"), NANA_ESQL); /* v is not unique */
    CHECK_INT(INT(ups("{\"k\": \"c\", \"v\": 7}", "[\"k\"]")), 4);
    SAME(nana_fetch_one(db, "SELECT v, w FROM kv2 WHERE k = 'c'", NULL), "[7,\"cw\"]");

    /* vacuum: rows kept, free pages gone */
    char *text = malloc(20001);
    memset(text, 'q', 20000);
    text[20000] = '\0';
    json_t *sets = json_array();
    for (int i = 0; i < 50; i++)
        json_array_append_new(sets, json_pack("[s]", text));
    free(text);
    EXPECT(nana_execute(db, "CREATE TABLE junk (t TEXT)", NULL), NANA_OK);
    nana_future_t *f = nana_execute_many(db, "INSERT INTO junk VALUES (?)", sets);
    json_decref(sets);
    CHECK_INT(INT(f), 50);
    EXPECT(nana_execute(db, "DELETE FROM junk", NULL), NANA_OK);
    json_t *fl = t_take_at(__FILE__, __LINE__, "freelist", nana_pragma(db, "freelist_count", NULL));
    CHECK(json_integer_value(json_array_get(json_array_get(fl, 0), 0)) > 50);
    nana_json_release(fl);
    EXPECT(nana_vacuum(db), NANA_OK);
    SAME(nana_pragma(db, "freelist_count", NULL), "[[0]]");
    SAME(all_u(), "[[1,\"a@x\",\"AA\",1],[2,\"b@x\",\"B\",1],[10,\"c@x\",\"Q\",1],"
                  "[11,\"d@x\",\"Q\",1]]");
    CHECK_INT(INT(nana_count(db, "kv2", NULL, NULL)), 3);
    EXPECT(nana_vacuum(NULL), NANA_EINVAL);

    /* where numbered as for nana_query: ?1 is the first where parameter */
    CHECK_INT(INT(upd("{\"name\": \"numbered\"}", "email = ?1", "[\"c@x\"]")), 1);
    SAME(nana_fetch_one(db, "SELECT name FROM u WHERE id = 10", NULL), "[\"numbered\"]");

    /* ?2 then a bare ?: SQLite numbers the bare one 3, and nana_query /
     * nana_count agree; so must sql_update (SET values not counted) */
    json_t *p3 = t_json("[\"unused\", 10, \"numbered\"]");
    CHECK_INT(INT(nana_count(db, "u", "id = ?2 AND name = ?", p3)), 1);
    json_t *s3 = t_json("{\"n\": 42}");
    CHECK_INT(INT(nana_sql_update(db, "u", s3, "id = ?2 AND name = ?", p3)), 1);
    json_decref(s3);
    json_decref(p3);
    SAME(nana_fetch_one(db, "SELECT n FROM u WHERE id = 10", NULL), "[42]");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
