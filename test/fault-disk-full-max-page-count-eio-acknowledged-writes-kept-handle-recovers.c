/*
 * A full disk, as SQLite meets it when the file may not grow: PRAGMA
 * max_page_count on the library's own connection (through nana_execute --
 * the limit belongs to a connection, and nana_pragma's list does not let
 * it be set).  Four threads write 2 KiB values to keys of their own, some
 * awaited one by one and some queued in runs of five that share a batch,
 * until well past the limit; then an overwrite of an existing key and a
 * batch_update that cannot fit.
 *   Status: every refused write is NANA_EIO, "database or disk is full".
 *   Data: every write that resolved NANA_OK holds its value -- through
 *   get_fresh, and through a raw sqlite3 connection after close; no refused
 *   write left anything: a new key is absent, the overwritten key keeps its
 *   old value, the batch_update changed no key (nor the cache); PRAGMA
 *   integrity_check is "ok".
 *   Recovery: once the limit is raised, the same handle writes again -- the
 *   overwrite and the batch_update that failed both succeed -- with no
 *   reopen.
 */
#include "harness.h"

#include <pthread.h>

#define THREADS 4
#define PER_THREAD 60
#define VALUE_LEN 2000

static nana_db_t *db;
static nana_status_t outcome[THREADS][PER_THREAD];

static void key_of(char *buf, size_t size, int t, int i)
{
    snprintf(buf, size, "t%d-%03d", t, i);
}

/* A value of its own for each key: its name repeated. */
static json_t *value_of(int t, int i)
{
    char key[32], text[VALUE_LEN + 1];
    key_of(key, sizeof key, t, i);
    for (size_t at = 0; at < VALUE_LEN; at++)
        text[at] = key[at % strlen(key)];
    text[VALUE_LEN] = '\0';
    return json_string(text);
}

static char *stored_text_of(int t, int i)
{
    json_t *v = value_of(t, i);
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(v);
    return text;
}

static void refused_as_full(nana_future_t *f, const char *what)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EIO || !strstr(nana_future_errmsg(f), "full"))
        t_fail(__FILE__, __LINE__, "%s: got %s (%s), want NANA_EIO saying full", what,
               t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
}

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD;) {
        /* Every third round queues five sets before awaiting any, so that
         * they are committed in one batch, the full page in its middle. */
        int run = i % 15 == 10 ? 5 : 1;
        if (i + run > PER_THREAD)
            run = PER_THREAD - i;
        nana_future_t *f[5];
        char key[32];
        for (int j = 0; j < run; j++) {
            key_of(key, sizeof key, t, i + j);
            json_t *v = value_of(t, i + j);
            f[j] = nana_set(db, key, v);
            json_decref(v);
        }
        for (int j = 0; j < run; j++) {
            outcome[t][i + j] = nana_future_await(f[j]);
            if (outcome[t][i + j] != NANA_OK && (outcome[t][i + j] != NANA_EIO ||
                                                 !strstr(nana_future_errmsg(f[j]), "full")))
                t_fail(__FILE__, __LINE__, "set t%d-%03d: got %s (%s), want OK or EIO", t,
                       i + j, t_status_name(outcome[t][i + j]), nana_future_errmsg(f[j]));
            nana_future_free(f[j]);
        }
        i += run;
    }
    return NULL;
}

int main(void)
{
    const char *path = t_path("full.db");
    db = t_open("full.db", NULL);
    t_set_json(db, "before", "\"kept\"");
    t_set_json(db, "counter", "1");

    /* Room for about a third of what the threads write. */
    json_t *rows = TAKE(nana_pragma(db, "page_count", NULL));
    int64_t pages = json_integer_value(json_array_get(json_array_get(rows, 0), 0));
    nana_json_release(rows);
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)pages + THREADS * PER_THREAD / 6);
    EXPECT(t_execute(db, sql, NULL), NANA_OK);

    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(th[t], NULL) == 0);

    int ok = 0, full = 0;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            outcome[t][i] == NANA_OK ? ok++ : full++;
    printf("%d writes acknowledged, %d refused as full\n", ok, full);
    CHECK(ok > 0 && full > 0);

    /* Full now: an overwrite and a multi-key write fail and change nothing. */
    json_t *big = value_of(9, 0);
    refused_as_full(nana_set(db, "before", big), "overwrite");
    json_t *batch = json_object();
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof key, "batch-%02d", i);
        json_object_set(batch, key, big);
    }
    json_object_set_new(batch, "counter", json_integer(2));
    refused_as_full(nana_batch_update(db, batch), "batch_update");
    t_expect(nana_get(db, "before", NULL), "\"kept\"");
    t_expect(nana_get_fresh(db, "before", NULL), "\"kept\"");
    t_expect(nana_get(db, "counter", NULL), "1");
    EXPECT(nana_get_fresh(db, "batch-00", NULL), NANA_ENOTFOUND);

    /* Every acknowledged write reads back; no refused one does. */
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char key[32];
            key_of(key, sizeof key, t, i);
            if (outcome[t][i] == NANA_OK) {
                json_t *want = value_of(t, i);
                json_t *got = TAKE(nana_get_fresh(db, key, NULL));
                CHECK(json_equal(got, want));
                nana_json_release(got);
                json_decref(want);
            } else {
                EXPECT(nana_get_fresh(db, key, NULL), NANA_ENOTFOUND);
            }
        }
    CHECK_INT(t_int(nana_len(db)), 2 + ok);

    /* Recovery: room again, the same handle writes what it could not. */
    EXPECT(t_execute(db, "PRAGMA max_page_count = 1073741823", NULL), NANA_OK);
    EXPECT(nana_set(db, "before", big), NANA_OK);
    EXPECT(nana_batch_update(db, batch), NANA_OK);
    t_expect(nana_get_fresh(db, "counter", NULL), "2");
    json_decref(batch);
    json_decref(big);
    CHECK_ST(nana_close(db), NANA_OK);

    /* The file, read by SQLite alone. */
    char *check = t_raw_text(path, "PRAGMA integrity_check");
    CHECK_STR(check, "ok");
    free(check);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char key[32];
            key_of(key, sizeof key, t, i);
            char *raw = t_raw_value(path, "data", key);
            if (outcome[t][i] == NANA_OK) {
                char *want = stored_text_of(t, i);
                CHECK_STR(raw, want);
                free(want);
            } else if (raw) {
                t_fail(__FILE__, __LINE__, "refused write of %s is in the file", key);
            }
            free(raw);
        }
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data"), 2 + ok + 20);
    return 0;
}
