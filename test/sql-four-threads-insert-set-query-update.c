/*
 * Four threads on one root at once, each checking read-your-writes on its
 * own data while the others write:
 *   T0: 100 x nana_sql_insert into t (who = 0) -- rowids strictly increase;
 *   T1: 100 x nana_set(data, "k1-i", i) then, without awaiting,
 *       nana_fetch_one(SELECT value FROM data WHERE key = ?) -> ["i"];
 *   T2: 100 x nana_execute(INSERT INTO t (who = 2)) then, without awaiting,
 *       nana_count(t, "who = ?", [2]) -> i + 1, and every 10th a nana_query
 *       of its own rows (n in order);
 *   T3: 100 x nana_set(sub, key, i), nana_execute(UPDATE sub SET value =
 *       i * 10 WHERE key = ?), nana_get(sub, key) -> i * 10 (an SQL write
 *       on a sub-table invalidating its cache mid-stream), every 10th an
 *       nana_upsert on t (negative ids: clear of the others' rowids) ->
 *       the id given.
 * Final state: t holds 100 rows of who 0, 100 of who 2 and 10 of who 3 with
 * distinct rowids; data 100 keys; sub 100 keys with value i * 10 both through
 * the dict API and in the file.
 */
#include "harness.h"

#include <pthread.h>

#define N 100

static nana_db_t *db, *sub;
static int errors[4];
static int64_t rowids0[N];

#define TCHECK(t, cond)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            if (errors[t]++ < 5)                                               \
                fprintf(stderr, "thread %d: %s:%d: %s\n", (t), __FILE__, __LINE__, \
                        #cond);                                                \
        }                                                                      \
    } while (0)

static void *t0(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        json_t *row = json_pack("{s:i, s:i}", "who", 0, "n", i);
        nana_future_t *f = nana_sql_insert(db, "t", row);
        json_decref(row);
        int64_t id = -1;
        TCHECK(0, nana_future_await(f) == NANA_OK && nana_future_int(f, &id) == NANA_OK);
        nana_future_free(f);
        rowids0[i] = id;
        if (i > 0)
            TCHECK(0, rowids0[i] > rowids0[i - 1]);
    }
    return NULL;
}

static void *t1(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        char key[32], want[32];
        snprintf(key, sizeof key, "k1-%d", i);
        json_t *v = json_integer(i);
        nana_future_t *s = nana_set(db, key, v);
        json_decref(v);
        json_t *p = json_pack("[s]", key);
        nana_future_t *r = nana_fetch_one(db, "SELECT value FROM data WHERE key = ?", p);
        json_decref(p);
        snprintf(want, sizeof want, "%d", i);
        TCHECK(1, nana_future_await(r) == NANA_OK);
        json_t *row = nana_future_json(r);
        TCHECK(1, json_is_array(row) && json_array_size(row) == 1 &&
                      json_is_string(json_array_get(row, 0)) &&
                      strcmp(json_string_value(json_array_get(row, 0)), want) == 0);
        nana_future_free(r);
        TCHECK(1, t_wait(s) == NANA_OK);
    }
    return NULL;
}

static void *t2(void *arg)
{
    (void)arg;
    json_t *two = json_pack("[i]", 2);
    for (int i = 0; i < N; i++) {
        json_t *p = json_pack("[i]", i);
        nana_future_t *w = nana_execute(db, "INSERT INTO t (who, n) VALUES (2, ?)", p);
        json_decref(p);
        nana_future_t *c = nana_count(db, "t", "who = ?", two);
        int64_t n = -1;
        TCHECK(2, nana_future_await(c) == NANA_OK && nana_future_int(c, &n) == NANA_OK);
        TCHECK(2, n == i + 1);
        nana_future_free(c);
        json_t *r = t_take(w, NANA_OK);
        TCHECK(2, json_integer_value(json_object_get(r, "changes")) == 1);
        nana_json_release(r);
        if (i % 10 == 9) {
            json_t *cols = json_pack("[s]", "n");
            json_t *rows = t_take(nana_query(db, "t", cols, "who = ?", two, "n", INT64_MAX, 0), NANA_OK);
            json_decref(cols);
            TCHECK(2, json_array_size(rows) == (size_t)i + 1);
            for (size_t k = 0; k < json_array_size(rows); k++)
                TCHECK(2, json_integer_value(json_object_get(json_array_get(rows, k), "n")) ==
                              (json_int_t)k);
            nana_json_release(rows);
        }
    }
    json_decref(two);
    return NULL;
}

static void *t3(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        char key[32], text[32];
        snprintf(key, sizeof key, "s-%d", i);
        json_t *v = json_integer(i);
        nana_future_t *s = nana_set(sub, key, v);
        json_decref(v);
        nana_future_t *g0 = nana_get(sub, key, NULL);
        snprintf(text, sizeof text, "%d", i * 10);
        json_t *p = json_pack("[s, s]", text, key);
        nana_future_t *u = nana_execute(sub, "UPDATE sub SET value = ? WHERE key = ?", p);
        json_decref(p);
        nana_future_t *g1 = nana_get(sub, key, NULL);
        TCHECK(3, nana_future_await(g1) == NANA_OK);
        TCHECK(3, json_integer_value(nana_future_json(g1)) == i * 10);
        nana_future_free(g1);
        TCHECK(3, nana_future_await(g0) == NANA_OK);
        TCHECK(3, json_integer_value(nana_future_json(g0)) == i);
        nana_future_free(g0);
        json_t *r = t_take(u, NANA_OK);
        TCHECK(3, json_integer_value(json_object_get(r, "changes")) == 1);
        nana_json_release(r);
        TCHECK(3, t_wait(s) == NANA_OK);
        if (i % 10 == 0) {
            json_t *row = json_pack("{s:i, s:i, s:i}", "id", -1000 - i, "who", 3, "n", i);
            json_t *conflict = json_pack("[s]", "id");
            nana_future_t *up = nana_upsert(db, "t", row, conflict);
            int64_t id = -1;
            TCHECK(3, nana_future_await(up) == NANA_OK && nana_future_int(up, &id) == NANA_OK);
            TCHECK(3, id == -1000 - i);
            nana_future_free(up);
            json_decref(row);
            json_decref(conflict);
        }
    }
    return NULL;
}

int main(void)
{
    const char *path = t_path("conc.db");
    db = t_open("conc.db", NULL);
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    json_t *cols = t_json("{\"id\": \"INTEGER PRIMARY KEY\", \"who\": \"INTEGER NOT NULL\", "
                          "\"n\": \"INTEGER\"}");
    CHECK_ST(t_wait(nana_create_table(db, "t", cols, NULL, false)), NANA_OK);
    json_decref(cols);

    pthread_t th[4];
    void *(*fns[4])(void *) = {t0, t1, t2, t3};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, fns[i], NULL) == 0);
    for (int i = 0; i < 4; i++)
        CHECK(pthread_join(th[i], NULL) == 0);
    if (errors[0] + errors[1] + errors[2] + errors[3]) {
        json_t *dist = t_take(nana_fetch_all(db, "SELECT who, count(*), sum(n) FROM t GROUP BY who",
                                             NULL),
                              NANA_OK);
        char *text = json_dumps(dist, JSON_COMPACT);
        fprintf(stderr, "t by who: [who, rows, sum(n)]: %s\n", text);
        free(text);
        nana_json_release(dist);
    }
    for (int i = 0; i < 4; i++)
        CHECK_INT(errors[i], 0);

    /* final state */
    json_t *p = t_json("[0]");
    CHECK_INT(t_int(nana_count(db, "t", "who = ?", p)), N);
    json_decref(p);
    p = t_json("[2]");
    CHECK_INT(t_int(nana_count(db, "t", "who = ?", p)), N);
    json_decref(p);
    p = t_json("[3]");
    CHECK_INT(t_int(nana_count(db, "t", "who = ?", p)), N / 10);
    json_decref(p);
    t_expect(nana_fetch_one(db, "SELECT count(DISTINCT id), count(*) FROM t", NULL), "[210,210]");
    json_t *sums = t_take(nana_fetch_all(db, "SELECT who, sum(n) FROM t GROUP BY who ORDER BY who",
                                         NULL),
                          NANA_OK);
    CHECK_JSON(sums, "[[0,4950],[2,4950],[3,450]]");
    nana_json_release(sums);
    CHECK_INT(t_int(nana_len(db)), N);
    CHECK_INT(t_int(nana_len(sub)), N);
    for (int i = 0; i < N; i++) {
        char key[32], want[32];
        snprintf(key, sizeof key, "k1-%d", i);
        snprintf(want, sizeof want, "%d", i);
        t_expect(nana_get(db, key, NULL), want);
        snprintf(key, sizeof key, "s-%d", i);
        snprintf(want, sizeof want, "%d", i * 10);
        t_expect(nana_get(sub, key, NULL), want);
        char *raw = t_raw_value(path, "sub", key);
        CHECK_STR(raw, want);
        free(raw);
    }
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
