/*
 * Four threads fetch row sets at once while two others write, on one root:
 *   W0: 150 x nana_execute(INSERT INTO t (who 0, n i, payload "p0-i")),
 *       each awaited;
 *   W1: 150 x nana_set(data, "w1-i", i), and every 5th an INSERT of who 1;
 *   F0..F3: until both writers are done (and 10 rounds at least), fetch
 *       "SELECT who, n, payload, CAST(payload AS BLOB) FROM t ORDER BY
 *       who, n" and the w1- keys of the dict table, and check every cell:
 *       each writer's rows are n = 0, 1, ... without a gap, with their
 *       payload as text and as a BLOB; the counts never go back between
 *       one thread's fetches (commits are seen in order); every dict value
 *       is its key's number.  Each also reads one row set fetched before
 *       the threads started, shared by all four at once, and compares it
 *       with its JSON.
 * At the end, a fetch sees all 150 + 30 rows and 150 keys.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define N 150

static nana_db_t *db;
static const nana_rows_t *shared;
static json_t *shared_json;
static atomic_int writers_done;
static int errors[6];

#define TCHECK(t, cond)                                                         \
    do {                                                                        \
        if (!(cond) && errors[t]++ < 5)                                         \
            fprintf(stderr, "thread %d: %s:%d: %s\n", (t), __FILE__, __LINE__, #cond); \
    } while (0)

static void *writer0(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        char payload[32];
        snprintf(payload, sizeof payload, "p0-%d", i);
        json_t *p = json_pack("[i, s]", i, payload);
        nana_future_t *f = nana_execute(db, "INSERT INTO t (who, n, payload) VALUES (0, ?, ?)", p);
        json_decref(p);
        TCHECK(4, nana_future_await(f) == NANA_OK);
        nana_future_free(f);
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *writer1(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "w1-%d", i);
        json_t *v = json_integer(i);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        TCHECK(5, nana_future_await(f) == NANA_OK);
        nana_future_free(f);
        if (i % 5 == 0) {
            char payload[32];
            snprintf(payload, sizeof payload, "p1-%d", i / 5);
            json_t *p = json_pack("[i, s]", i / 5, payload);
            f = nana_execute(db, "INSERT INTO t (who, n, payload) VALUES (1, ?, ?)", p);
            json_decref(p);
            TCHECK(5, nana_future_await(f) == NANA_OK);
            nana_future_free(f);
        }
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

/* Checks one fetch of t; returns the count of each writer's rows. */
static void check_t(int t, const nana_rows_t *rows, size_t count[2])
{
    count[0] = count[1] = 0;
    TCHECK(t, nana_rows_columns(rows) == 4);
    for (size_t r = 0; r < nana_rows_count(rows); r++) {
        int64_t who = nana_rows_int(rows, r, 0), n = nana_rows_int(rows, r, 1);
        TCHECK(t, who == 0 || who == 1);
        if (who != 0 && who != 1)
            return;
        TCHECK(t, n == (int64_t)count[who]);
        count[who]++;
        char want[32];
        int want_len = snprintf(want, sizeof want, "p%d-%d", (int)who, (int)n);
        size_t len = 0;
        const char *text = nana_rows_text(rows, r, 2, &len);
        TCHECK(t, text && len == (size_t)want_len && strcmp(text, want) == 0);
        const void *blob = nana_rows_blob(rows, r, 3, &len);
        TCHECK(t, blob && len == (size_t)want_len && memcmp(blob, want, len) == 0);
    }
}

static void *fetcher(void *arg)
{
    int t = (int)(intptr_t)arg;
    size_t seen[2] = {0, 0};
    for (int round = 0; round < 10 || atomic_load(&writers_done) < 2; round++) {
        nana_future_t *f = nana_fetch_rows(db, "SELECT who, n, payload, CAST(payload AS BLOB) "
                                               "FROM t ORDER BY who, n",
                                           NULL);
        nana_future_t *g = nana_fetch_rows(db, "SELECT key, value FROM data "
                                               "WHERE key LIKE 'w1-%' ORDER BY rowid",
                                           NULL);
        TCHECK(t, nana_future_await(f) == NANA_OK);
        size_t count[2];
        check_t(t, nana_future_rows(f), count);
        TCHECK(t, count[0] >= seen[0] && count[1] >= seen[1]);
        seen[0] = count[0];
        seen[1] = count[1];
        nana_future_free(f);

        TCHECK(t, nana_future_await(g) == NANA_OK);
        const nana_rows_t *kv = nana_future_rows(g);
        for (size_t r = 0; r < nana_rows_count(kv); r++) {
            const char *key = nana_rows_text(kv, r, 0, NULL);
            const char *value = nana_rows_text(kv, r, 1, NULL);
            TCHECK(t, key && value && strncmp(key, "w1-", 3) == 0 && strcmp(key + 3, value) == 0);
        }
        nana_future_free(g);

        /* The shared set, read by four threads at once. */
        json_t *again = nana_rows_json(shared);
        TCHECK(t, json_equal(again, shared_json));
        json_decref(again);
        TCHECK(t, nana_rows_count(shared) == 3 && nana_rows_int(shared, 2, 0) == 3);
    }
    return NULL;
}

int main(void)
{
    db = t_open("threads.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, who, n, payload)",
                                  NULL)));
    nana_future_t *sf = nana_fetch_rows(db, "SELECT 1, 'a', x'00' UNION ALL SELECT 2, 'b', NULL "
                                            "UNION ALL SELECT 3, 'c' || char(0) || 'd', 2.5",
                                        NULL);
    CHECK_ST(nana_future_await(sf), NANA_OK);
    shared = nana_future_rows(sf);
    shared_json = nana_rows_json(shared);
    CHECK(shared_json != NULL);

    pthread_t th[6];
    pthread_create(&th[4], NULL, writer0, NULL);
    pthread_create(&th[5], NULL, writer1, NULL);
    for (int t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, fetcher, (void *)(intptr_t)t);
    for (int t = 0; t < 6; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < 6; t++)
        CHECK_INT(errors[t], 0);

    nana_future_t *f = nana_fetch_rows(db, "SELECT who, n, payload, CAST(payload AS BLOB) FROM t "
                                           "ORDER BY who, n",
                                       NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    size_t count[2];
    check_t(0, nana_future_rows(f), count);
    CHECK_INT(errors[0], 0);
    CHECK_INT(count[0], N);
    CHECK_INT(count[1], N / 5);
    nana_future_free(f);
    CHECK_INT(t_int(nana_len(db)), N);

    json_decref(shared_json);
    nana_future_free(sf);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
