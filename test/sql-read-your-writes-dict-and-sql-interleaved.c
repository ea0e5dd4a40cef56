/*
 * The dict API and the SQL surface share one queue: submitted without
 * awaiting anything in between (futures awaited only at the end, in reverse
 * order), every read observes every write submitted before it.
 *   nana_set then nana_fetch_one("SELECT value FROM data WHERE key = ?") sees
 *   the JSON text; nana_execute INSERT into data then nana_get sees the value
 *   (for a key never read, for a key cached as absent, and for a key cached
 *   as present whose row an UPDATE changes); nana_delete then fetch_one sees
 *   no row; nana_update then fetch_all; nana_clear then nana_count;
 *   nana_sql_insert into data then nana_contains; a sub-table's nana_set then
 *   a root fetch, and a root execute on the sub-table then the sub-table's
 *   get.  A second round checks the reverse: SQL write, dict read, dict write,
 *   SQL read on the same key, all queued at once.
 */
#include "harness.h"

#define MAXF 128
static nana_future_t *fs[MAXF];
static size_t nf;

static nana_future_t *q(nana_future_t *f)
{
    CHECK(nf < MAXF);
    fs[nf++] = f;
    return f;
}

/* Parsed inputs, kept until the end (they are borrowed: freeing them right
 * after each call would do as well). */
static json_t *pool[64];
static size_t npool;

static json_t *J(const char *text)
{
    CHECK(npool < 64);
    return pool[npool++] = t_json(text);
}

int main(void)
{
    nana_db_t *db = t_open("ryw.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);

    /* a key cached as absent, and one cached as present, before the round */
    EXPECT(nana_get(db, "absent_cached", NULL), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_set(db, "present_cached", J("\"old\""))), NANA_OK);
    SAME(nana_get(db, "present_cached", NULL), "\"old\"");
    CHECK(t_bool(nana_is_cached(db, "absent_cached")));

    /* round 1: everything queued, nothing awaited */
    nana_future_t *w1 = q(nana_set(db, "k1", J("11")));
    nana_future_t *r1 = q(nana_fetch_one(db, "SELECT value FROM data WHERE key = ?", J("[\"k1\"]")));
    nana_future_t *w2 = q(nana_execute(db, "INSERT INTO data (key, value) VALUES (?, ?)",
                                       J("[\"k2\", \"{\\\"a\\\":1}\"]")));
    nana_future_t *r2 = q(nana_get(db, "k2", NULL));
    nana_future_t *w3 = q(nana_execute(db, "INSERT INTO data (key, value) VALUES (:k, :v)",
                                       J("{\"k\": \"absent_cached\", \"v\": \"[1,2]\"}")));
    nana_future_t *r3 = q(nana_get(db, "absent_cached", NULL));
    nana_future_t *r3b = q(nana_contains(db, "absent_cached"));
    nana_future_t *w4 = q(nana_execute(db, "UPDATE data SET value = '\"new\"' WHERE key = ?",
                                       J("[\"present_cached\"]")));
    nana_future_t *r4 = q(nana_get(db, "present_cached", NULL));
    nana_future_t *w5 = q(nana_delete(db, "k1"));
    nana_future_t *r5 = q(nana_fetch_one(db, "SELECT value FROM data WHERE key = 'k1'", NULL));
    nana_future_t *w6 = q(nana_update(db, J("{\"u1\": true, \"u2\": null}")));
    nana_future_t *r6 = q(nana_fetch_all(db, "SELECT key, value FROM data WHERE key LIKE 'u%' "
                                             "ORDER BY key", NULL));
    nana_future_t *w7 = q(nana_sql_insert(db, "data", J("{\"key\": \"si\", \"value\": \"7\"}")));
    nana_future_t *r7 = q(nana_contains(db, "si"));
    nana_future_t *r7b = q(nana_get(db, "si", NULL));
    nana_future_t *w8 = q(nana_set(sub, "s", J("{\"deep\": [1]}")));
    nana_future_t *r8 = q(nana_fetch_one(db, "SELECT value FROM sub WHERE key = 's'", NULL));
    nana_future_t *w9 = q(nana_execute(db, "INSERT INTO sub (key, value) VALUES ('s2', '\"x\"')",
                                       NULL));
    nana_future_t *r9 = q(nana_get(sub, "s2", NULL));
    nana_future_t *r10 = q(nana_count(db, "data", NULL, NULL));
    nana_future_t *w11 = q(nana_clear(db));
    nana_future_t *r11 = q(nana_count(db, "data", NULL, NULL));
    nana_future_t *r11b = q(nana_len(db));
    nana_future_t *r11c = q(nana_query(sub, "sub", J("[\"key\"]"), NULL, NULL, "key", INT64_MAX, 0));

    /* await in reverse order of submission */
    SAME(r11c, "[{\"key\":\"s\"},{\"key\":\"s2\"}]");
    CHECK(nana_future_await(r11b) == NANA_OK);
    int64_t n = -1;
    CHECK_ST(nana_future_int(r11b, &n), NANA_OK);
    CHECK_INT(n, 0);
    nana_future_free(r11b);
    SAME(r11, "0");
    EXPECT(w11, NANA_OK);
    /* k2, absent_cached, present_cached, u1, u2, si */
    SAME(r10, "6");
    SAME(r9, "\"x\"");
    EXPECT(w9, NANA_OK);
    SAME(r8, "[\"{\\\"deep\\\":[1]}\"]");
    EXPECT(w8, NANA_OK);
    SAME(r7b, "7");
    SAME(r7, "true");
    EXPECT(w7, NANA_OK);
    SAME(r6, "[[\"u1\",\"true\"],[\"u2\",\"null\"]]");
    EXPECT(w6, NANA_OK);
    SAME(r5, "null");
    EXPECT(w5, NANA_OK);
    SAME(r4, "\"new\"");
    EXPECT(w4, NANA_OK);
    SAME(r3b, "true");
    SAME(r3, "[1,2]");
    EXPECT(w3, NANA_OK);
    SAME(r2, "{\"a\":1}");
    EXPECT(w2, NANA_OK);
    SAME(r1, "[\"11\"]");
    EXPECT(w1, NANA_OK);

    /* round 2: SQL write, dict read, dict write, SQL read, on one key */
    nf = 0;
    for (int i = 0; i < 20; i++) {
        char v[32];
        snprintf(v, sizeof v, "%d", i);
        json_t *params = json_pack("[s, s]", "loop", v);
        q(nana_execute(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)", params));
        json_decref(params);
        q(nana_get(db, "loop", NULL));
        json_t *val = json_integer(100 + i);
        q(nana_set(db, "loop", val));
        json_decref(val);
        q(nana_fetch_one(db, "SELECT value FROM data WHERE key = 'loop'", NULL));
    }
    for (size_t i = nf; i-- > 0;) {
        int round = (int)(i / 4);
        char want[32];
        CHECK_ST(nana_future_await(fs[i]), NANA_OK);
        switch (i % 4) {
        case 1:
            snprintf(want, sizeof want, "%d", round);
            CHECK_JSON(nana_future_json(fs[i]), want);
            break;
        case 3:
            snprintf(want, sizeof want, "[\"%d\"]", 100 + round);
            CHECK_JSON(nana_future_json(fs[i]), want);
            break;
        default:
            break;
        }
        nana_future_free(fs[i]);
    }

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    for (size_t i = 0; i < npool; i++)
        json_decref(pool[i]);
    return 0;
}
