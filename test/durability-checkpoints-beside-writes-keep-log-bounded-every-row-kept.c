/* Four threads write 12,000 awaited sets, each its own commit: more log
 * pages than the 8,000 past which a writer must checkpoint for itself.
 * While they run, the write-ahead log stays bounded (checkpoints copy it
 * into the database beside the writes) and a raw reader on a connection of
 * its own finds every set already acknowledged; after close the log is
 * gone and every row reads back with its value. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "harness.h"

#define THREADS 4
#define PER_THREAD 3000
/* 8,000 pages of 4,096 bytes plus frame headers, and a commit's worth of
 * slack: the most the log may hold before the writer checkpoints. */
#define LOG_BOUND ((8000 + 1000) * (4096 + 24) + 32)

static nana_db_t *db;
static atomic_int acked[THREADS]; /* sets acknowledged, per thread */

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    char key[32], value[64];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "t%d-%d", t, i);
        snprintf(value, sizeof value, "{\"t\":%d,\"i\":%d}", t, i);
        json_t *v = t_json(value);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        if (nana_future_await(f) != NANA_OK)
            t_fail(__FILE__, __LINE__, "set %s: %s", key, nana_future_errmsg(f));
        nana_future_free(f);
        atomic_store(&acked[t], i + 1);
    }
    return NULL;
}

static int done_writers(void)
{
    int n = 0;
    for (int t = 0; t < THREADS; t++)
        n += atomic_load(&acked[t]) == PER_THREAD;
    return n;
}

int main(void)
{
    db = t_open("db", NULL);
    const char *path = t_path("db");
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    sqlite3 *reader = NULL;
    CHECK(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(reader, 5000);
    sqlite3_stmt *sel = NULL;
    CHECK(sqlite3_prepare_v2(reader, "SELECT value FROM data WHERE key = ?", -1, &sel, NULL) ==
          SQLITE_OK);

    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t) == 0);

    long checks = 0;
    off_t largest = 0;
    for (int round = 0; done_writers() < THREADS; round++) {
        int t = round % THREADS, upto = atomic_load(&acked[t]);
        if (upto == 0)
            continue;
        char key[32], want[64];
        int i = (int)(((long)round * 7919) % upto); /* any acknowledged set */
        snprintf(key, sizeof key, "t%d-%d", t, i);
        snprintf(want, sizeof want, "{\"t\":%d,\"i\":%d}", t, i);
        sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(sel);
        if (rc != SQLITE_ROW)
            t_fail(__FILE__, __LINE__, "acknowledged %s not found by the reader (%d)", key, rc);
        else
            CHECK_STR((const char *)sqlite3_column_text(sel, 0), want);
        sqlite3_reset(sel);
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size > largest)
            largest = st.st_size;
        checks++;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    if (largest > LOG_BOUND)
        t_fail(__FILE__, __LINE__, "the log reached %lld bytes, more than %lld",
               (long long)largest, (long long)LOG_BOUND);
    CHECK(checks > 0);
    sqlite3_finalize(sel);
    sqlite3_close(reader);

    CHECK_ST(nana_close(db), NANA_OK);
    struct stat st;
    CHECK(stat(wal, &st) != 0); /* the last connection to close removed it */
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data"), THREADS * PER_THREAD);
    char *raw = t_raw_value(path, "data", "t3-2999");
    CHECK_STR(raw, "{\"t\":3,\"i\":2999}");
    free(raw);
    return 0;
}
