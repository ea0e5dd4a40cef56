/*
 * nana_backup() while four threads write: the copy is a consistent
 * snapshot and holds every key acknowledged before the backup started.
 *   - The database holds ~2 MB of seed rows; the backup copies 4 pages a
 *     step (hundreds of steps) while 4 writer threads each store their own
 *     keys w<t>-<i> in order, awaiting each write.
 *   - The copy passes PRAGMA integrity_check, is in rollback-journal mode
 *     (journal_mode delete) with no -wal or -shm beside it, and nothing but
 *     the copy is left in its directory.
 *   - Every seed row is in it; for each writer, every key acknowledged
 *     before nana_backup() was called, and its keys form a prefix w<t>-0 ..
 *     w<t>-(n-1) with no hole (each writer's writes commit in order, so a
 *     snapshot holds a prefix) of at most the writes it had submitted when
 *     the backup resolved.
 *   - Writes go on between steps: the writers acknowledged writes between
 *     the first and the last progress call; and keys set from inside the
 *     progress callback (queued before the next step, so committed before
 *     it by the backup's own source connection) are in the copy.
 *   - The progress callback runs as a callback: awaiting a pending future
 *     and closing the root there return NANA_EDEADLK.
 *   - The copy opens through the library too and reads the same rows.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include <sqlite3.h>

#define WRITERS 4
#define SEED_ROWS 3000
#define CALLBACK_KEYS 3

static nana_db_t *root;
static atomic_bool stop_writers;
static atomic_int acked[WRITERS];     /* writes acknowledged, per writer */
static atomic_int submitted[WRITERS]; /* writes submitted, per writer */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress_cond = PTHREAD_COND_INITIALIZER;

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; !atomic_load(&stop_writers); i++) {
        char key[32];
        snprintf(key, sizeof key, "w%d-%06d", t, i);
        json_t *v = json_pack("{s:i, s:i}", "t", t, "i", i);
        atomic_store(&submitted[t], i + 1);
        nana_future_t *f = nana_set(root, key, v);
        json_decref(v);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_OK)
            t_fail(__FILE__, __LINE__, "writer %d, %s: %s", t, key, nana_future_errmsg(f));
        nana_future_free(f);
        pthread_mutex_lock(&progress_lock);
        atomic_store(&acked[t], i + 1);
        pthread_cond_broadcast(&progress_cond);
        pthread_mutex_unlock(&progress_lock);
    }
    return NULL;
}

static int total_acked(void)
{
    int n = 0;
    for (int t = 0; t < WRITERS; t++)
        n += atomic_load(&acked[t]);
    return n;
}

struct progress {
    int calls;
    int acked_first, acked_last;
    int callback_keys;
    int64_t last_total;
    bool refused_checked;
};

static int on_progress(int64_t remaining, int64_t total, void *arg)
{
    struct progress *p = arg;
    CHECK(total > 0 && remaining >= 0 && remaining <= total);
    if (p->calls++ == 0)
        p->acked_first = total_acked();
    p->acked_last = total_acked();
    p->last_total = total;
    if (remaining > 0 && p->callback_keys < CALLBACK_KEYS) {
        char key[32];
        snprintf(key, sizeof key, "cb-%d", p->callback_keys++);
        json_t *v = json_integer(p->callback_keys);
        nana_future_t *f = nana_set(root, key, v);
        json_decref(v);
        if (!p->refused_checked) {
            /* Its job cannot run while this step holds the connection. */
            CHECK(!nana_future_poll(f));
            CHECK_ST(nana_future_await(f), NANA_EDEADLK);
            CHECK_ST(nana_close(root), NANA_EDEADLK);
            p->refused_checked = true;
        }
        nana_future_free(f); /* still runs, before the next step */
    }
    return 0;
}

/* The number of rows of a query's first column, on the copy. */
static int raw_count(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(c));
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const char *raw_text(sqlite3 *c, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(c));
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

int main(void)
{
    root = t_open("live.db", NULL);
    char filler[601];
    memset(filler, 'x', 600);
    filler[600] = '\0';
    for (int batch = 0; batch < SEED_ROWS / 500; batch++) {
        json_t *obj = json_object();
        for (int i = batch * 500; i < (batch + 1) * 500; i++) {
            char key[32];
            snprintf(key, sizeof key, "seed-%05d", i);
            json_object_set_new(obj, key, json_pack("{s:i, s:s}", "n", i, "pad", filler));
        }
        CHECK_ST(t_wait(nana_update(root, obj)), NANA_OK);
        json_decref(obj);
    }

    const char *out_dir = t_path("out");
    CHECK(mkdir(out_dir, 0700) == 0);
    const char *copy = t_path("out/copy.db");

    pthread_t threads[WRITERS];
    for (int t = 0; t < WRITERS; t++)
        CHECK(pthread_create(&threads[t], NULL, writer, (void *)(intptr_t)t) == 0);
    /* Every writer under way before the backup starts. */
    pthread_mutex_lock(&progress_lock);
    for (int t = 0; t < WRITERS; t++)
        while (atomic_load(&acked[t]) < 10)
            pthread_cond_wait(&progress_cond, &progress_lock);
    pthread_mutex_unlock(&progress_lock);

    int before[WRITERS];
    for (int t = 0; t < WRITERS; t++)
        before[t] = atomic_load(&acked[t]);
    struct progress p = {0};
    nana_backup_options_t o;
    nana_backup_options_init(&o);
    CHECK_INT(o.pages_per_step, 64);
    CHECK(o.progress == NULL && o.progress_arg == NULL);
    o.pages_per_step = 4;
    o.progress = on_progress;
    o.progress_arg = &p;
    nana_future_t *f = nana_backup(root, copy, &o);
    int64_t size = INT(f);
    int upper[WRITERS];
    for (int t = 0; t < WRITERS; t++)
        upper[t] = atomic_load(&submitted[t]);

    atomic_store(&stop_writers, true);
    for (int t = 0; t < WRITERS; t++)
        CHECK(pthread_join(threads[t], NULL) == 0);

    /* Hundreds of steps, with writes acknowledged among them. */
    fprintf(stderr, "%d steps, %d writes acknowledged between the first and the last\n",
            p.calls, p.acked_last - p.acked_first);
    CHECK(p.calls > 100);
    CHECK(p.refused_checked);
    CHECK(p.acked_last > p.acked_first);

    struct stat sb;
    CHECK(stat(copy, &sb) == 0);
    CHECK_INT(size, sb.st_size);
    char *listing = t_dir_listing(out_dir);
    CHECK_STR(listing, "copy.db");
    free(listing);

    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(copy, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    char text[256];
    CHECK_STR(raw_text(c, "PRAGMA integrity_check", text, sizeof text), "ok");
    CHECK_STR(raw_text(c, "PRAGMA journal_mode", text, sizeof text), "delete");
    CHECK_INT(raw_count(c, "SELECT COUNT(*) FROM data WHERE key LIKE 'seed-%'"), SEED_ROWS);
    CHECK_STR(raw_text(c, "SELECT json_extract(value, '$.n') || '/' || "
                          "length(json_extract(value, '$.pad')) FROM data WHERE key = "
                          "'seed-01234'",
                       text, sizeof text),
              "1234/600");
    for (int i = 0; i < CALLBACK_KEYS; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT value FROM data WHERE key = 'cb-%d'", i);
        CHECK_INT(atoi(raw_text(c, sql, text, sizeof text)), i + 1);
    }
    int total = SEED_ROWS + CALLBACK_KEYS;
    for (int t = 0; t < WRITERS; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM data WHERE key LIKE 'w%d-%%'", t);
        int n = raw_count(c, sql);
        /* A prefix: its last key is number n - 1, with the value written. */
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM data WHERE key LIKE 'w%d-%%' AND "
                 "CAST(substr(key, 4) AS INTEGER) < %d AND json_extract(value, '$.t') = %d AND "
                 "json_extract(value, '$.i') = CAST(substr(key, 4) AS INTEGER)",
                 t, n, t);
        fprintf(stderr, "writer %d: %d acknowledged before, %d in the copy, %d submitted at "
                        "the end\n",
                t, before[t], n, upper[t]);
        CHECK_INT(raw_count(c, sql), n);
        CHECK(n >= before[t]);
        CHECK(n <= upper[t]);
        total += n;
    }
    CHECK_INT(raw_count(c, "SELECT COUNT(*) FROM data"), total);
    sqlite3_close(c);
    listing = t_dir_listing(out_dir);
    CHECK_STR(listing, "copy.db");
    free(listing);

    /* The live database lost nothing either. */
    CHECK(t_int(nana_len(root)) >= total);
    CHECK_ST(nana_close(root), NANA_OK);

    /* Through the library: same rows. */
    nana_db_t *db = t_open("out/copy.db", NULL);
    CHECK_INT(t_int(nana_len(db)), total);
    SAME(nana_get(db, "w2-000003", NULL), "{\"t\": 2, \"i\": 3}");
    SAME(nana_get(db, "cb-0", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
