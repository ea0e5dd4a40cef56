/*
 * bench.c -- every workload of the table below (bench/README.md describes
 * them) against libnanasqlite and against a
 * raw-SQLite twin written as an expert would (one thread, kept prepared
 * statements, the same PRAGMAs, the same jansson encoding and decoding).
 *
 * Each (round, workload, side) runs in a child process of its own, so that
 * its peak RSS is its own and no state leaks between runs; library and twin
 * alternate inside every round.  The parent reports, per workload, the median
 * ops/s (min, max) of both sides, the median of the per-round ratios, peak
 * RSS and, where asked, p50/p99 latency.
 *
 *   bench [-r rounds] [-q] [-o results.jsonl] [-w workload]
 *   bench --instr WORKLOAD N      (one in-process run, for callgrind)
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <nanasqlite.h>

/* ------------------------------------------------------------ utilities */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *detail)
{
    fprintf(stderr, "bench: ");
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    exit(2);
}

static char bench_dir[4096];
static const char *path_in_dir(const char *name)
{
    static char ring[8][4200];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", bench_dir, name);
    return p;
}

static void key_of(int i, char *buf, size_t size)
{
    snprintf(buf, size, "key_%d", i);
}

/* The workloads' value: {"index": i, "data": "<100 x>"} */
static json_t *value_of(int i)
{
    static const char data[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    json_t *v = json_object();
    json_object_set_new(v, "index", json_integer(i));
    json_object_set_new(v, "data", json_string(data));
    return v;
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        die("copy %s failed", from);
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("write %s failed", to);
    close(in);
    close(out);
}

/* NanaSQLite's PRAGMAs, for the twin and the seed files. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("cannot open %s", path);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                 "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536; "
                 "PRAGMA temp_store=MEMORY; "
                 "CREATE TABLE IF NOT EXISTS \"data\" (key TEXT PRIMARY KEY, value TEXT)",
                 NULL, NULL, NULL);
    return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die("prepare failed: %s", sqlite3_errmsg(db));
    return st;
}

/* A seed file with keys 0..n-1, written once per run by the parent. */
static void make_seed(const char *path, int n)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    char key[32];
    for (int i = 0; i < n; i++) {
        json_t *v = value_of(i);
        char *text = json_dumps(v, JSON_COMPACT);
        key_of(i, key, sizeof key);
        sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
        free(text);
        json_decref(v);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(ins);
    /* Leave a plain file behind, no WAL to copy. */
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
}

/* Reader connections the library side opens (nana_set_read_connections):
 * 0 but in the _readers variants, which set it in their child to
 * NANA_BENCH_READERS from the environment (default 2), so that readers on
 * and off are measured in the same run against the same twin. */
static int bench_readers;

static void readers_on(void)
{
    const char *env = getenv("NANA_BENCH_READERS");
    bench_readers = env && *env ? atoi(env) : 2;
}

static nana_db_t *lib_open(const char *path, bool bulk)
{
    nana_options_t o;
    nana_options_init(&o);
    o.bulk_load = bulk;
    nana_db_t *db = NULL;
    if (nana_open(path, &o, &db) != NANA_OK)
        die("nana_open: %s", nana_db_errmsg(db));
    if (bench_readers > 0 && nana_set_read_connections(db, bench_readers) != NANA_OK)
        die("nana_set_read_connections: %s", nana_db_errmsg(db));
    return db;
}

static void await_ok(nana_future_t *f)
{
    if (nana_future_await(f) != NANA_OK)
        die("operation failed: %s", nana_future_errmsg(f));
}

/* --------------------------------------------------------- measurements */

/* What one run reports; latencies in microseconds, when recorded. */
struct run_result {
    double ops_per_s;
    double p50_us, p99_us;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void percentiles(double *lat, int n, struct run_result *r)
{
    if (!lat || n == 0)
        return;
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    r->p50_us = lat[n / 2] * 1e6;
    r->p99_us = lat[(int)((double)n * 0.99)] * 1e6;
}

/* Each workload: setup (untimed) then the timed part; returns ops/s.
 * twin_conns, when set, is a second twin: the same clients each with a
 * connection of its own; the ratio is then taken against the better of
 * the two twins, round by round.  threads is what the closed-loop and
 * skewed workloads run with (the child reads it from bench_threads). */
struct workload {
    const char *id;
    int n;
    int quick_n;
    bool latency;
    void (*lib)(int n, struct run_result *r);
    void (*twin)(int n, struct run_result *r);
    const char *seed; /* seed file the run starts from, or NULL */
    void (*twin_conns)(int n, struct run_result *r);
    int threads;
};

static int bench_threads = 1;

static const char *seed_path(const char *seed)
{
    return path_in_dir(seed);
}

/* ------------------------------------------------------------- set_seq */

static void lib_set_seq(int n, struct run_result *r)
{
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    double *lat = malloc((size_t)n * sizeof *lat);
    char key[32];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = now_s();
        json_t *v = value_of(i);
        key_of(i, key, sizeof key);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        await_ok(f);
        nana_future_free(f);
        lat[i] = now_s() - s;
    }
    r->ops_per_s = n / (now_s() - t0);
    percentiles(lat, n, r);
    free(lat);
    nana_close(db);
}

/* The twin's write of key i with value_of(i): encode, bind, step. */
static void twin_put(sqlite3 *db, sqlite3_stmt *ins, int i)
{
    char key[32];
    json_t *v = value_of(i);
    char *text = json_dumps(v, JSON_COMPACT);
    key_of(i, key, sizeof key);
    sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE)
        die("twin insert: %s", sqlite3_errmsg(db));
    sqlite3_reset(ins);
    free(text);
    json_decref(v);
}

static void twin_set(int n, struct run_result *r, bool one_txn, bool record)
{
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    double *lat = record ? malloc((size_t)n * sizeof *lat) : NULL;
    double t0 = now_s();
    if (one_txn)
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < n; i++) {
        double s = record ? now_s() : 0;
        twin_put(db, ins, i);
        if (record)
            lat[i] = now_s() - s;
    }
    if (one_txn)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    r->ops_per_s = n / (now_s() - t0);
    percentiles(lat, n, r);
    free(lat);
    sqlite3_finalize(ins);
    sqlite3_close(db);
}

static void twin_set_seq(int n, struct run_result *r) { twin_set(n, r, false, true); }

/* ------------------------------------------------------------ set_conc */

static void lib_set_conc(int n, struct run_result *r)
{
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    nana_future_t **fs = malloc((size_t)n * sizeof *fs);
    char key[32];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        json_t *v = value_of(i);
        key_of(i, key, sizeof key);
        fs[i] = nana_set(db, key, v);
        json_decref(v);
    }
    for (int i = 0; i < n; i++) {
        await_ok(fs[i]);
        nana_future_free(fs[i]);
    }
    r->ops_per_s = n / (now_s() - t0);
    free(fs);
    nana_close(db);
}

static void twin_set_conc(int n, struct run_result *r) { twin_set(n, r, true, false); }

/* ------------------------------------------------------------- get_hot */

#define HOT_KEYS 10000

static char (*make_keys(int n))[32]
{
    char (*keys)[32] = malloc((size_t)n * sizeof *keys);
    for (int i = 0; i < n; i++)
        key_of(i, keys[i], sizeof keys[i]);
    return keys;
}

static void lib_get_hot(int n, struct run_result *r)
{
    copy_file(seed_path("seed10k.db"), path_in_dir("run.db"));
    nana_db_t *db = lib_open(path_in_dir("run.db"), true);
    char (*keys)[32] = make_keys(HOT_KEYS);
    long found = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        nana_future_t *f = nana_get(db, keys[i % HOT_KEYS], NULL);
        if (nana_future_await(f) == NANA_OK)
            found += nana_future_json(f) != NULL;
        nana_future_free(f);
    }
    r->ops_per_s = n / (now_s() - t0);
    if (found != n)
        die("get_hot: %s", "missing keys");
    free(keys);
    nana_close(db);
}

static void twin_get_hot(int n, struct run_result *r)
{
    /* The twin's "cache": every row decoded into one jansson object. */
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_close(db);
    json_t *cache = json_object();
    char (*keys)[32] = make_keys(HOT_KEYS);
    for (int i = 0; i < HOT_KEYS; i++)
        json_object_set_new(cache, keys[i], value_of(i));
    long found = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        json_t *v = json_incref(json_object_get(cache, keys[i % HOT_KEYS]));
        found += v != NULL;
        json_decref(v);
    }
    r->ops_per_s = n / (now_s() - t0);
    if (found != n)
        die("twin get_hot: %s", "missing keys");
    free(keys);
    json_decref(cache);
}

/* ------------------------------------------------------------ get_cold */

static void lib_get_cold_impl(int n, struct run_result *r, bool concurrent)
{
    copy_file(seed_path("seed10k.db"), path_in_dir("run.db"));
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    char (*keys)[32] = make_keys(n);
    double *lat = concurrent ? NULL : malloc((size_t)n * sizeof *lat);
    nana_future_t **fs = concurrent ? malloc((size_t)n * sizeof *fs) : NULL;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (concurrent) {
            fs[i] = nana_get(db, keys[i], NULL);
            continue;
        }
        double s = now_s();
        nana_future_t *f = nana_get(db, keys[i], NULL);
        await_ok(f);
        nana_future_free(f);
        lat[i] = now_s() - s;
    }
    for (int i = 0; concurrent && i < n; i++) {
        await_ok(fs[i]);
        nana_future_free(fs[i]);
    }
    r->ops_per_s = n / (now_s() - t0);
    percentiles(lat, n, r);
    free(lat);
    free(fs);
    free(keys);
    nana_close(db);
}

static void lib_get_cold(int n, struct run_result *r) { lib_get_cold_impl(n, r, false); }
static void lib_get_cold_conc(int n, struct run_result *r) { lib_get_cold_impl(n, r, true); }
static void lib_get_cold_conc_readers(int n, struct run_result *r)
{
    readers_on();
    lib_get_cold_impl(n, r, true);
}

static void twin_get_cold_impl(int n, struct run_result *r, bool record)
{
    copy_file(seed_path("seed10k.db"), path_in_dir("run.db"));
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *sel = prepare(db, "SELECT value FROM data WHERE key = ?");
    char (*keys)[32] = make_keys(n);
    double *lat = record ? malloc((size_t)n * sizeof *lat) : NULL;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double s = record ? now_s() : 0;
        sqlite3_bind_text(sel, 1, keys[i], -1, SQLITE_STATIC);
        if (sqlite3_step(sel) != SQLITE_ROW)
            die("twin get_cold: %s", keys[i]);
        json_error_t err;
        json_t *v = json_loadb((const char *)sqlite3_column_text(sel, 0),
                               (size_t)sqlite3_column_bytes(sel, 0), JSON_DECODE_ANY, &err);
        sqlite3_reset(sel);
        if (!v)
            die("twin decode: %s", keys[i]);
        json_decref(v);
        if (record)
            lat[i] = now_s() - s;
    }
    r->ops_per_s = n / (now_s() - t0);
    percentiles(lat, n, r);
    free(lat);
    free(keys);
    sqlite3_finalize(sel);
    sqlite3_close(db);
}

static void twin_get_cold(int n, struct run_result *r) { twin_get_cold_impl(n, r, true); }
static void twin_get_cold_conc(int n, struct run_result *r) { twin_get_cold_impl(n, r, false); }

/* -------------------------------------------------------- batch_update */

static void lib_batch_update(int n, struct run_result *r)
{
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    json_t *batch = json_object();
    char key[32];
    for (int i = 0; i < n; i++) {
        key_of(i, key, sizeof key);
        json_object_set_new(batch, key, value_of(i));
    }
    double t0 = now_s();
    nana_future_t *f = nana_batch_update(db, batch);
    await_ok(f);
    r->ops_per_s = n / (now_s() - t0);
    nana_future_free(f);
    json_decref(batch);
    nana_close(db);
}

static void twin_batch_update(int n, struct run_result *r)
{
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    json_t *batch = json_object();
    char key[32];
    for (int i = 0; i < n; i++) {
        key_of(i, key, sizeof key);
        json_object_set_new(batch, key, value_of(i));
    }
    double t0 = now_s();
    const char *k;
    json_t *v;
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    json_object_foreach(batch, k, v) {
        char *text = json_dumps(v, JSON_COMPACT);
        sqlite3_bind_text(ins, 1, k, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
        free(text);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    r->ops_per_s = n / (now_s() - t0);
    json_decref(batch);
    sqlite3_finalize(ins);
    sqlite3_close(db);
}

/* --------------------------------------------------------------- mixed */

#define MIXED_THREADS 8

struct mixed_arg {
    nana_db_t *db;
    int ops, seed;
    double *lat;
};

/* A small xorshift: the same op sequence in library and twin. */
static unsigned next_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void *mixed_thread(void *p)
{
    struct mixed_arg *a = p;
    unsigned s = (unsigned)a->seed * 2654435761u + 1;
    char key[32];
    for (int i = 0; i < a->ops; i++) {
        unsigned x = next_rand(&s);
        int k = (int)(x % HOT_KEYS);
        key_of(k, key, sizeof key);
        double t = now_s();
        nana_future_t *f;
        if (x / HOT_KEYS % 10 == 0) {
            json_t *v = value_of(k);
            f = nana_set(a->db, key, v);
            json_decref(v);
        } else {
            f = nana_get(a->db, key, NULL);
        }
        await_ok(f);
        nana_future_free(f);
        a->lat[i] = now_s() - t;
    }
    return NULL;
}

static void lib_mixed(int n, struct run_result *r)
{
    copy_file(seed_path("seed10k.db"), path_in_dir("run.db"));
    nana_db_t *db = lib_open(path_in_dir("run.db"), true);
    pthread_t th[MIXED_THREADS];
    struct mixed_arg args[MIXED_THREADS];
    int per = n / MIXED_THREADS;
    double *lat = malloc((size_t)per * MIXED_THREADS * sizeof *lat);
    double t0 = now_s();
    for (int i = 0; i < MIXED_THREADS; i++) {
        args[i] = (struct mixed_arg){db, per, i, lat + (size_t)i * per};
        pthread_create(&th[i], NULL, mixed_thread, &args[i]);
    }
    for (int i = 0; i < MIXED_THREADS; i++)
        pthread_join(th[i], NULL);
    r->ops_per_s = per * MIXED_THREADS / (now_s() - t0);
    percentiles(lat, per * MIXED_THREADS, r);
    free(lat);
    nana_close(db);
}

static void lib_mixed_readers(int n, struct run_result *r)
{
    readers_on();
    lib_mixed(n, r);
}

static void twin_mixed(int n, struct run_result *r)
{
    copy_file(seed_path("seed10k.db"), path_in_dir("run.db"));
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    sqlite3_stmt *all = prepare(db, "SELECT key, value FROM data");
    json_t *cache = json_object();
    while (sqlite3_step(all) == SQLITE_ROW) {
        json_error_t err;
        json_object_set_new(cache, (const char *)sqlite3_column_text(all, 0),
                            json_loads((const char *)sqlite3_column_text(all, 1), 0, &err));
    }
    sqlite3_finalize(all);
    int per = n / MIXED_THREADS;
    double *lat = malloc((size_t)per * MIXED_THREADS * sizeof *lat);
    char key[32];
    int done = 0;
    double t0 = now_s();
    /* The same per-thread op sequences, run one after another on one thread. */
    for (int t = 0; t < MIXED_THREADS; t++) {
        unsigned s = (unsigned)t * 2654435761u + 1;
        for (int i = 0; i < per; i++) {
            unsigned x = next_rand(&s);
            int k = (int)(x % HOT_KEYS);
            key_of(k, key, sizeof key);
            double st = now_s();
            if (x / HOT_KEYS % 10 == 0) {
                json_t *v = value_of(k);
                char *text = json_dumps(v, JSON_COMPACT);
                sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
                sqlite3_step(ins);
                sqlite3_reset(ins);
                free(text);
                json_object_set_new(cache, key, v);
            } else {
                json_t *v = json_incref(json_object_get(cache, key));
                json_decref(v);
            }
            lat[done++] = now_s() - st;
        }
    }
    r->ops_per_s = done / (now_s() - t0);
    percentiles(lat, done, r);
    free(lat);
    json_decref(cache);
    sqlite3_finalize(ins);
    sqlite3_close(db);
}

/* ------------------------------------------------------------ fetch_all */

static void lib_fetch_all(int n, struct run_result *r)
{
    copy_file(seed_path("seed100k.db"), path_in_dir("run.db"));
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    /* The row-set form: every row copied once into one block, read in
     * place -- what a caller that copies rows out of SQLite gets. */
    double t0 = now_s();
    nana_future_t *f = nana_fetch_rows(db, "SELECT key, value FROM data", NULL);
    await_ok(f);
    const nana_rows_t *set = nana_future_rows(f);
    size_t rows = nana_rows_count(set);
    size_t len;
    if (rows && !nana_rows_text(set, rows - 1, 1, &len))
        die("fetch_all: %s", "no value text");
    r->ops_per_s = (double)rows / (now_s() - t0);
    nana_future_free(f);
    if ((int)rows != n)
        die("fetch_all: %s", "wrong row count");
    nana_close(db);
}

struct text_row {
    char *key, *value;
};

static void twin_fetch_all(int n, struct run_result *r)
{
    copy_file(seed_path("seed100k.db"), path_in_dir("run.db"));
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *all = prepare(db, "SELECT key, value FROM data");
    double t0 = now_s();
    size_t cap = 1024, rows = 0;
    struct text_row *out = malloc(cap * sizeof *out);
    while (sqlite3_step(all) == SQLITE_ROW) {
        if (rows == cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        out[rows].key = strdup((const char *)sqlite3_column_text(all, 0));
        out[rows].value = strdup((const char *)sqlite3_column_text(all, 1));
        rows++;
    }
    r->ops_per_s = (double)rows / (now_s() - t0);
    for (size_t i = 0; i < rows; i++) {
        free(out[i].key);
        free(out[i].value);
    }
    free(out);
    if ((int)rows != n)
        die("twin fetch_all: %s", "wrong row count");
    sqlite3_finalize(all);
    sqlite3_close(db);
}

/* ----------------------------------------------------------- cache_100k */

/* Peak memory with 100k values cached: bulk_load against the twin's jansson
 * object of every decoded row.  ops/s is rows loaded per second. */
static void lib_cache_100k(int n, struct run_result *r)
{
    (void)n;
    copy_file(seed_path("seed100k.db"), path_in_dir("run.db"));
    double t0 = now_s();
    nana_db_t *db = lib_open(path_in_dir("run.db"), true);
    nana_future_t *f = nana_len(db);
    int64_t rows = 0;
    await_ok(f);
    nana_future_int(f, &rows);
    nana_future_free(f);
    r->ops_per_s = (double)rows / (now_s() - t0);
    nana_close(db);
}

static void twin_cache_100k(int n, struct run_result *r)
{
    (void)n;
    copy_file(seed_path("seed100k.db"), path_in_dir("run.db"));
    double t0 = now_s();
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *all = prepare(db, "SELECT key, value FROM data");
    json_t *cache = json_object();
    long rows = 0;
    while (sqlite3_step(all) == SQLITE_ROW) {
        json_error_t err;
        json_t *v = json_loadb((const char *)sqlite3_column_text(all, 1),
                               (size_t)sqlite3_column_bytes(all, 1), JSON_DECODE_ANY, &err);
        json_object_set_new(cache, (const char *)sqlite3_column_text(all, 0), v);
        rows++;
    }
    r->ops_per_s = (double)rows / (now_s() - t0);
    sqlite3_finalize(all);
    sqlite3_close(db);
    json_decref(cache);
}

/* ------------------------------------------------- closed-loop writers */

/*
 * What a server's POST handlers are: bench_threads clients, each setting a
 * key and awaiting it before its next one.  Keys are spread over the key
 * space (a multiplicative permutation of 0..n-1), as ids of concurrent
 * requests are, so concurrent writes land on different pages.  The twins:
 * one connection doing the same writes in turn (autocommit each), and one
 * connection per client thread (SQLite's file lock and busy handler
 * serialise them).
 */
static int spread(int i, int n)
{
    return (int)(((long long)i * 40503) % n); /* 40503 is prime to any n < 40503 * 2 */
}

struct loop_arg {
    nana_db_t *db;
    sqlite3 *conn;
    int first, count, n;
    double *lat;
};

static void *lib_loop_thread(void *p)
{
    struct loop_arg *a = p;
    char key[32];
    for (int i = 0; i < a->count; i++) {
        int k = spread(a->first + i, a->n);
        double s = now_s();
        json_t *v = value_of(k);
        key_of(k, key, sizeof key);
        nana_future_t *f = nana_set(a->db, key, v);
        json_decref(v);
        await_ok(f);
        nana_future_free(f);
        a->lat[i] = now_s() - s;
    }
    return NULL;
}

/* Runs fn in bench_threads threads over n operations split evenly; fills
 * ops/s and latency. */
static void run_clients(void *(*fn)(void *), nana_db_t *db, const char *conn_path, int n,
                        struct run_result *r)
{
    int t = bench_threads, per = n / t;
    pthread_t th[64];
    struct loop_arg args[64];
    double *lat = malloc((size_t)per * t * sizeof *lat);
    for (int i = 0; i < t; i++)
        args[i] = (struct loop_arg){db, conn_path ? raw_open(conn_path) : NULL, i * per, per, n,
                                    lat + (size_t)i * per};
    double t0 = now_s();
    for (int i = 0; i < t; i++)
        pthread_create(&th[i], NULL, fn, &args[i]);
    for (int i = 0; i < t; i++)
        pthread_join(th[i], NULL);
    r->ops_per_s = per * t / (now_s() - t0);
    percentiles(lat, per * t, r);
    for (int i = 0; i < t; i++)
        if (args[i].conn)
            sqlite3_close(args[i].conn);
    free(lat);
}

static void lib_closed_loop(int n, struct run_result *r)
{
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    run_clients(lib_loop_thread, db, NULL, n, r);
    nana_close(db);
}

static int twin_write(sqlite3 *db, sqlite3_stmt *ins, const char *key, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    free(text);
    if (rc != SQLITE_DONE)
        die("twin write: %s", sqlite3_errmsg(db));
    return rc;
}

static void *twin_loop_thread(void *p)
{
    struct loop_arg *a = p;
    sqlite3_stmt *ins = prepare(a->conn, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    char key[32];
    for (int i = 0; i < a->count; i++) {
        int k = spread(a->first + i, a->n);
        double s = now_s();
        json_t *v = value_of(k);
        key_of(k, key, sizeof key);
        twin_write(a->conn, ins, key, v);
        json_decref(v);
        a->lat[i] = now_s() - s;
    }
    sqlite3_finalize(ins);
    return NULL;
}

static void twin_closed_loop(int n, struct run_result *r)
{
    /* The same writes, one connection, in turn. */
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    struct loop_arg a = {NULL, db, 0, n, n, malloc((size_t)n * sizeof(double))};
    double t0 = now_s();
    twin_loop_thread(&a);
    r->ops_per_s = n / (now_s() - t0);
    percentiles(a.lat, n, r);
    free(a.lat);
    sqlite3_close(db);
}

static void twin_closed_loop_conns(int n, struct run_result *r)
{
    sqlite3_close(raw_open(path_in_dir("run.db"))); /* the table, before the threads race */
    run_clients(twin_loop_thread, NULL, path_in_dir("run.db"), n, r);
}

/* ----------------------------------------------------------- increment */

/*
 * increment_8: 8 closed-loop clients add 1 to one counter, each waiting for
 * its increment before the next (nana_increment).  The twins do what an
 * expert would with raw SQLite: one atomic statement, UPDATE data SET value
 * = CAST(value AS INTEGER) + 1 WHERE key = ?, in autocommit -- from one
 * connection in turn, and from one connection per client (which contend for
 * the write lock).  Every side checks the counter at the end.
 */
static void seed_counter(const char *path)
{
    sqlite3 *db = raw_open(path);
    sqlite3_exec(db, "INSERT OR REPLACE INTO data (key, value) VALUES ('counter', '0')", NULL,
                 NULL, NULL);
    sqlite3_close(db);
}

static void check_counter(const char *path, int want)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st = prepare(db, "SELECT CAST(value AS INTEGER) FROM data WHERE key = 'counter'");
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != want)
        die("increment: %s", "the counter does not count every increment");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void *lib_increment_thread(void *p)
{
    struct loop_arg *a = p;
    for (int i = 0; i < a->count; i++) {
        double s = now_s();
        nana_future_t *f = nana_increment(a->db, "counter", NULL, 1);
        await_ok(f);
        nana_future_free(f);
        a->lat[i] = now_s() - s;
    }
    return NULL;
}

static void lib_increment(int n, struct run_result *r)
{
    const char *path = path_in_dir("run.db");
    seed_counter(path);
    nana_db_t *db = lib_open(path, false);
    run_clients(lib_increment_thread, db, NULL, n, r);
    nana_close(db);
    check_counter(path, n / bench_threads * bench_threads);
}

static void *twin_increment_thread(void *p)
{
    struct loop_arg *a = p;
    sqlite3_stmt *up = prepare(a->conn, "UPDATE data SET value = CAST(value AS INTEGER) + 1 "
                                        "WHERE key = 'counter'");
    for (int i = 0; i < a->count; i++) {
        double s = now_s();
        int rc = sqlite3_step(up);
        sqlite3_reset(up);
        if (rc != SQLITE_DONE)
            die("twin increment: %s", sqlite3_errmsg(a->conn));
        a->lat[i] = now_s() - s;
    }
    sqlite3_finalize(up);
    return NULL;
}

static void twin_increment(int n, struct run_result *r)
{
    const char *path = path_in_dir("run.db");
    sqlite3 *db = raw_open(path);
    sqlite3_exec(db, "INSERT OR REPLACE INTO data (key, value) VALUES ('counter', '0')", NULL,
                 NULL, NULL);
    struct loop_arg a = {NULL, db, 0, n, n, malloc((size_t)n * sizeof(double))};
    double t0 = now_s();
    twin_increment_thread(&a);
    r->ops_per_s = n / (now_s() - t0);
    percentiles(a.lat, n, r);
    free(a.lat);
    sqlite3_close(db);
    check_counter(path, n);
}

static void twin_increment_conns(int n, struct run_result *r)
{
    const char *path = path_in_dir("run.db");
    seed_counter(path);
    run_clients(twin_increment_thread, NULL, path, n, r);
    check_counter(path, n / bench_threads * bench_threads);
}

/* ------------------------------------------------------- skewed mixes */

/*
 * 8 closed-loop clients over 10,000 keys of about 1 KB each, keys drawn
 * from a Zipf distribution (s = 0.99: a few keys take most requests).
 * zipf_read_heavy: 95% get, 5% set of the whole object; zipf_balanced:
 * 50/50; zipf_rmw: 50% get, 50% read-modify-write (get, change one field,
 * set).  The twins: one connection doing the same operations in turn
 * (SELECT and decode per get, autocommit per set), and one connection per
 * client.
 */
#define ZIPF_KEYS 10000
enum mix { MIX_READ_HEAVY, MIX_BALANCED, MIX_RMW };
static enum mix bench_mix;
static double zipf_cdf[ZIPF_KEYS];

static void zipf_init(void)
{
    double sum = 0;
    for (int i = 0; i < ZIPF_KEYS; i++)
        sum += 1.0 / pow(i + 1, 0.99);
    double acc = 0;
    for (int i = 0; i < ZIPF_KEYS; i++) {
        acc += 1.0 / pow(i + 1, 0.99) / sum;
        zipf_cdf[i] = acc;
    }
}

/* The key of a draw: rank by the CDF, scattered so hot keys are not
 * neighbours. */
static int zipf_key(unsigned *seed)
{
    double u = (double)(next_rand(seed) % 1000000) / 1e6;
    int lo = 0, hi = ZIPF_KEYS - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return spread(lo, ZIPF_KEYS);
}

/* {"index": i, "count": c, "data": "<1000 x>"} */
static json_t *big_value_of(int i, int count)
{
    static char data[1001];
    if (!data[0])
        memset(data, 'x', 1000);
    json_t *v = json_object();
    json_object_set_new(v, "index", json_integer(i));
    json_object_set_new(v, "count", json_integer(count));
    json_object_set_new(v, "data", json_string(data));
    return v;
}

static void make_big_seed(const char *path)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    char key[32];
    for (int i = 0; i < ZIPF_KEYS; i++) {
        json_t *v = big_value_of(i, 0);
        key_of(i, key, sizeof key);
        twin_write(db, ins, key, v);
        json_decref(v);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(ins);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
}

/* What the next operation is: 0 get, 1 set, 2 read-modify-write. */
static int mix_op(unsigned *seed)
{
    unsigned x = next_rand(seed) % 100;
    switch (bench_mix) {
    case MIX_READ_HEAVY:
        return x < 95 ? 0 : 1;
    case MIX_BALANCED:
        return x < 50 ? 0 : 1;
    default:
        return x < 50 ? 0 : 2;
    }
}

static void *lib_mix_thread(void *p)
{
    struct loop_arg *a = p;
    unsigned seed = (unsigned)a->first * 2654435761u + 7;
    char key[32];
    for (int i = 0; i < a->count; i++) {
        int k = zipf_key(&seed), op = mix_op(&seed);
        key_of(k, key, sizeof key);
        double s = now_s();
        nana_future_t *f = NULL;
        if (op != 1) {
            f = nana_get(a->db, key, NULL);
            await_ok(f);
        }
        if (op == 0) {
            nana_future_free(f);
        } else {
            json_t *v;
            if (op == 2) {
                /* Read, change one field, write back. */
                v = json_deep_copy(nana_future_json(f));
                json_object_set_new(v, "count",
                                    json_integer(json_integer_value(json_object_get(v, "count")) + 1));
            } else {
                v = big_value_of(k, i);
            }
            nana_future_free(f);
            f = nana_set(a->db, key, v);
            json_decref(v);
            await_ok(f);
            nana_future_free(f);
        }
        a->lat[i] = now_s() - s;
    }
    return NULL;
}

static void lib_mix(int n, struct run_result *r)
{
    copy_file(seed_path("seed1kb.db"), path_in_dir("run.db"));
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    run_clients(lib_mix_thread, db, NULL, n, r);
    nana_close(db);
}

static void *twin_mix_thread(void *p)
{
    struct loop_arg *a = p;
    sqlite3_stmt *ins = prepare(a->conn, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    sqlite3_stmt *sel = prepare(a->conn, "SELECT value FROM data WHERE key = ?");
    unsigned seed = (unsigned)a->first * 2654435761u + 7;
    char key[32];
    for (int i = 0; i < a->count; i++) {
        int k = zipf_key(&seed), op = mix_op(&seed);
        key_of(k, key, sizeof key);
        double s = now_s();
        json_t *v = NULL;
        if (op != 1) {
            sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
            if (sqlite3_step(sel) != SQLITE_ROW)
                die("twin mix: %s", key);
            json_error_t err;
            v = json_loadb((const char *)sqlite3_column_text(sel, 0),
                           (size_t)sqlite3_column_bytes(sel, 0), 0, &err);
            sqlite3_reset(sel);
        }
        if (op == 2)
            json_object_set_new(v, "count",
                                json_integer(json_integer_value(json_object_get(v, "count")) + 1));
        if (op == 1)
            v = big_value_of(k, i);
        if (op != 0)
            twin_write(a->conn, ins, key, v);
        json_decref(v);
        a->lat[i] = now_s() - s;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    return NULL;
}

static void twin_mix(int n, struct run_result *r)
{
    copy_file(seed_path("seed1kb.db"), path_in_dir("run.db"));
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    /* The same clients' operations, one after another on one connection. */
    int t = bench_threads, per = n / t;
    double *lat = malloc((size_t)per * t * sizeof *lat);
    double t0 = now_s();
    for (int i = 0; i < t; i++) {
        struct loop_arg a = {NULL, db, i * per, per, n, lat + (size_t)i * per};
        twin_mix_thread(&a);
    }
    r->ops_per_s = per * t / (now_s() - t0);
    percentiles(lat, per * t, r);
    free(lat);
    sqlite3_close(db);
}

static void twin_mix_conns(int n, struct run_result *r)
{
    copy_file(seed_path("seed1kb.db"), path_in_dir("run.db"));
    run_clients(twin_mix_thread, NULL, path_in_dir("run.db"), n, r);
}

static void lib_zipf_read_heavy(int n, struct run_result *r) { bench_mix = MIX_READ_HEAVY; lib_mix(n, r); }
static void lib_zipf_balanced(int n, struct run_result *r) { bench_mix = MIX_BALANCED; lib_mix(n, r); }
static void lib_zipf_rmw(int n, struct run_result *r) { bench_mix = MIX_RMW; lib_mix(n, r); }
static void twin_zipf_read_heavy(int n, struct run_result *r) { bench_mix = MIX_READ_HEAVY; twin_mix(n, r); }
static void twin_zipf_balanced(int n, struct run_result *r) { bench_mix = MIX_BALANCED; twin_mix(n, r); }
static void twin_zipf_rmw(int n, struct run_result *r) { bench_mix = MIX_RMW; twin_mix(n, r); }
static void conns_zipf_read_heavy(int n, struct run_result *r) { bench_mix = MIX_READ_HEAVY; twin_mix_conns(n, r); }
static void conns_zipf_balanced(int n, struct run_result *r) { bench_mix = MIX_BALANCED; twin_mix_conns(n, r); }
static void conns_zipf_rmw(int n, struct run_result *r) { bench_mix = MIX_RMW; twin_mix_conns(n, r); }

/* ---------------------------------------------------------- workloads */

/* ---------------------------------------------------------- transactions */

/* txn_1000: n sets in transactions of TXN_OPS, each submitted on the view
 * without awaiting, then COMMIT awaited -- against the twin's BEGIN,
 * TXN_OPS INSERT OR REPLACE, COMMIT.  txn_rmw_10: interactive transactions
 * of TXN_RMW read-modify-writes of a counter, each read awaited before its
 * write is computed (the pattern a transaction exists for), against the
 * twin doing the same in turn on one connection.  ops/s counts sets (and
 * read-modify-writes). */
#define TXN_OPS 1000
#define TXN_RMW 10

static nana_txn_t *lib_begin(nana_db_t *db)
{
    nana_txn_t *txn = NULL;
    nana_future_t *f = nana_txn_begin(db, NULL, &txn);
    await_ok(f);
    nana_future_free(f);
    return txn;
}

static void lib_txn_1000(int n, struct run_result *r)
{
    nana_db_t *db = lib_open(path_in_dir("run.db"), false);
    nana_future_t **fs = malloc(TXN_OPS * sizeof *fs);
    char key[32];
    double t0 = now_s();
    for (int done = 0; done < n; done += TXN_OPS) {
        nana_txn_t *txn = lib_begin(db);
        nana_db_t *in = nana_txn_db(txn, db);
        int m = n - done < TXN_OPS ? n - done : TXN_OPS;
        for (int i = 0; i < m; i++) {
            json_t *v = value_of(done + i);
            key_of(done + i, key, sizeof key);
            fs[i] = nana_set(in, key, v);
            json_decref(v);
        }
        nana_future_t *c = nana_txn_commit(txn);
        await_ok(c);
        nana_future_free(c);
        for (int i = 0; i < m; i++) {
            await_ok(fs[i]);
            nana_future_free(fs[i]);
        }
        nana_txn_free(txn);
    }
    r->ops_per_s = n / (now_s() - t0);
    free(fs);
    nana_close(db);
}

static void twin_txn_1000(int n, struct run_result *r)
{
    sqlite3 *db = raw_open(path_in_dir("run.db"));
    sqlite3_stmt *ins = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)");
    double t0 = now_s();
    for (int done = 0; done < n; done += TXN_OPS) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int i = done; i < n && i < done + TXN_OPS; i++) {
            twin_put(db, ins, i);
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("twin commit: %s", sqlite3_errmsg(db));
    }
    r->ops_per_s = n / (now_s() - t0);
    sqlite3_finalize(ins);
    sqlite3_close(db);
}

static void lib_txn_rmw(int n, struct run_result *r)
{
    const char *path = path_in_dir("run.db");
    seed_counter(path);
    nana_db_t *db = lib_open(path, false);
    int txns = n / TXN_RMW;
    double *lat = malloc((size_t)txns * sizeof *lat);
    double t0 = now_s();
    for (int t = 0; t < txns; t++) {
        double s = now_s();
        nana_txn_t *txn = lib_begin(db);
        nana_db_t *in = nana_txn_db(txn, db);
        for (int i = 0; i < TXN_RMW; i++) {
            nana_future_t *g = nana_get(in, "counter", NULL);
            int64_t c = 0;
            await_ok(g);
            nana_future_int(g, &c);
            nana_future_free(g);
            json_t *v = json_integer(c + 1);
            nana_future_t *f = nana_set(in, "counter", v);
            json_decref(v);
            await_ok(f);
            nana_future_free(f);
        }
        nana_future_t *c = nana_txn_commit(txn);
        await_ok(c);
        nana_future_free(c);
        nana_txn_free(txn);
        lat[t] = now_s() - s;
    }
    r->ops_per_s = txns * TXN_RMW / (now_s() - t0);
    percentiles(lat, txns, r);
    free(lat);
    nana_close(db);
    check_counter(path, txns * TXN_RMW);
}

static void twin_txn_rmw(int n, struct run_result *r)
{
    const char *path = path_in_dir("run.db");
    seed_counter(path);
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *get = prepare(db, "SELECT value FROM data WHERE key = 'counter'");
    sqlite3_stmt *put = prepare(db, "INSERT OR REPLACE INTO data (key, value) VALUES ('counter', ?)");
    int txns = n / TXN_RMW;
    double *lat = malloc((size_t)txns * sizeof *lat);
    double t0 = now_s();
    for (int t = 0; t < txns; t++) {
        double s = now_s();
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int i = 0; i < TXN_RMW; i++) {
            if (sqlite3_step(get) != SQLITE_ROW)
                die("twin rmw: %s", sqlite3_errmsg(db));
            json_error_t err;
            json_t *v = json_loads((const char *)sqlite3_column_text(get, 0), JSON_DECODE_ANY, &err);
            sqlite3_reset(get);
            json_t *next = json_integer(json_integer_value(v) + 1);
            char *text = json_dumps(next, JSON_ENCODE_ANY | JSON_COMPACT);
            sqlite3_bind_text(put, 1, text, -1, SQLITE_STATIC);
            if (sqlite3_step(put) != SQLITE_DONE)
                die("twin rmw: %s", sqlite3_errmsg(db));
            sqlite3_reset(put);
            free(text);
            json_decref(next);
            json_decref(v);
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("twin commit: %s", sqlite3_errmsg(db));
        lat[t] = now_s() - s;
    }
    r->ops_per_s = txns * TXN_RMW / (now_s() - t0);
    percentiles(lat, txns, r);
    free(lat);
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_close(db);
    check_counter(path, txns * TXN_RMW);
}

/* -------------------------------------------- get_1m_lru10k, get_1m_unbounded */

/* A million keys read once each, in windows of futures, with the table's
 * cache bounded to 10k entries or not: what peak RSS the cache costs.  The
 * twin decodes every row and keeps nothing.  The runs read the seed file in
 * place (reads only: a 150 MB copy per run would be most of the run). */
#define MILLION_KEYS 1000000
#define LRU_BOUND 10000
#define READ_WINDOW 256

static void lib_get_1m(int n, struct run_result *r, int64_t bound)
{
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = bound;
    nana_db_t *db = NULL;
    if (nana_open_v3(seed_path("seed1m.db"), NULL, 0, &to, &db) != NANA_OK)
        die("nana_open_v3: %s", nana_db_errmsg(db));
    nana_future_t *fs[READ_WINDOW];
    int idx[READ_WINDOW], w = 0;
    char key[32];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        idx[w] = i % MILLION_KEYS;
        key_of(idx[w], key, sizeof key);
        fs[w++] = nana_get(db, key, NULL);
        if (w == READ_WINDOW || i == n - 1) {
            for (int j = 0; j < w; j++) {
                await_ok(fs[j]);
                if (json_integer_value(json_object_get(nana_future_json(fs[j]), "index")) !=
                    idx[j])
                    die("get_1m: %s", "wrong value");
                nana_future_free(fs[j]);
            }
            w = 0;
        }
    }
    r->ops_per_s = n / (now_s() - t0);
    nana_close(db);
}

static void lib_get_1m_lru(int n, struct run_result *r) { lib_get_1m(n, r, LRU_BOUND); }
static void lib_get_1m_unbounded(int n, struct run_result *r) { lib_get_1m(n, r, NANA_INHERIT); }

static void twin_get_1m(int n, struct run_result *r)
{
    sqlite3 *db = raw_open(seed_path("seed1m.db"));
    sqlite3_stmt *get = prepare(db, "SELECT value FROM data WHERE key = ?");
    char key[32];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        key_of(i % MILLION_KEYS, key, sizeof key);
        sqlite3_bind_text(get, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(get) != SQLITE_ROW)
            die("twin get_1m: %s", sqlite3_errmsg(db));
        json_error_t err;
        json_t *v = json_loadb((const char *)sqlite3_column_text(get, 0),
                               (size_t)sqlite3_column_bytes(get, 0), JSON_DECODE_ANY, &err);
        if (json_integer_value(json_object_get(v, "index")) != i % MILLION_KEYS)
            die("twin get_1m: %s", "wrong value");
        json_decref(v);
        sqlite3_reset(get);
    }
    r->ops_per_s = n / (now_s() - t0);
    sqlite3_finalize(get);
    sqlite3_close(db);
}

static const struct workload workloads[] = {
    {"set_seq", 10000, 2000, true, lib_set_seq, twin_set_seq, NULL, NULL, 0},
    {"set_conc", 10000, 2000, false, lib_set_conc, twin_set_conc, NULL, NULL, 0},
    {"get_hot", 100000, 20000, false, lib_get_hot, twin_get_hot, "seed10k.db", NULL, 0},
    {"get_cold", 10000, 2000, true, lib_get_cold, twin_get_cold, "seed10k.db", NULL, 0},
    {"get_cold_conc", 10000, 2000, false, lib_get_cold_conc, twin_get_cold_conc, "seed10k.db", NULL, 0},
    {"get_cold_conc_readers", 10000, 2000, false, lib_get_cold_conc_readers, twin_get_cold_conc,
     "seed10k.db", NULL, 0},
    {"batch_update", 100000, 20000, false, lib_batch_update, twin_batch_update, NULL, NULL, 0},
    {"fetch_all", 100000, 100000, false, lib_fetch_all, twin_fetch_all, "seed100k.db", NULL, 0},
    {"mixed", 100000, 16000, true, lib_mixed, twin_mixed, "seed10k.db", NULL, 0},
    {"mixed_readers", 100000, 16000, true, lib_mixed_readers, twin_mixed, "seed10k.db", NULL, 0},
    {"cache_100k", 100000, 100000, false, lib_cache_100k, twin_cache_100k, "seed100k.db", NULL, 0},
    {"closed_loop_1", 10000, 2000, true, lib_closed_loop, twin_closed_loop, NULL,
     twin_closed_loop_conns, 1},
    {"closed_loop_2", 10000, 2000, true, lib_closed_loop, twin_closed_loop, NULL,
     twin_closed_loop_conns, 2},
    {"closed_loop_4", 10000, 2000, true, lib_closed_loop, twin_closed_loop, NULL,
     twin_closed_loop_conns, 4},
    {"closed_loop_8", 10000, 2000, true, lib_closed_loop, twin_closed_loop, NULL,
     twin_closed_loop_conns, 8},
    {"closed_loop_16", 10000, 2000, true, lib_closed_loop, twin_closed_loop, NULL,
     twin_closed_loop_conns, 16},
    {"zipf_read_heavy", 16000, 4000, true, lib_zipf_read_heavy, twin_zipf_read_heavy,
     "seed1kb.db", conns_zipf_read_heavy, 8},
    {"zipf_balanced", 16000, 4000, true, lib_zipf_balanced, twin_zipf_balanced, "seed1kb.db",
     conns_zipf_balanced, 8},
    {"zipf_rmw", 16000, 4000, true, lib_zipf_rmw, twin_zipf_rmw, "seed1kb.db", conns_zipf_rmw, 8},
    {"increment_8", 16000, 4000, true, lib_increment, twin_increment, NULL, twin_increment_conns,
     8},
    {"txn_1000", 100000, 20000, false, lib_txn_1000, twin_txn_1000, NULL, NULL, 0},
    {"txn_rmw_10", 20000, 4000, true, lib_txn_rmw, twin_txn_rmw, NULL, NULL, 0},
    /* Quick runs too read the million: the memory at that size is the point. */
    {"get_1m_lru10k", MILLION_KEYS, MILLION_KEYS, false, lib_get_1m_lru, twin_get_1m, "seed1m.db",
     NULL, 0},
    {"get_1m_unbounded", MILLION_KEYS, MILLION_KEYS, false, lib_get_1m_unbounded, twin_get_1m,
     "seed1m.db", NULL, 0},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

/* Reference figures the project was given (ops/s, measured on a machine of
 * the kind the bench runs on, 2 shared cores): raw SQLite C,
 * NanaSQLite async (Python), aiosqlite, node-sqlite3.  0: not given. */
static const struct reference {
    const char *id;
    double raw_c, nanasqlite_py, aiosqlite, node_sqlite3;
} references[] = {
    {"set_seq", 39481, 7682, 4050, 14214},
    {"set_conc", 283759, 10454, 18283, 15415},
    {"get_hot", 26.1e6, 2350097, 9539, 21350},
    {"get_cold", 173645, 8736, 8494, 20677},
    {"get_cold_conc", 173645, 8238, 19396, 21174},
    {"batch_update", 286297, 158938, 190003, 26192},
    {"fetch_all", 402713, 942320, 1274539, 467223},
    {"mixed", 219540, 74349, 22387, 18648},
};

static const struct reference *reference_of(const char *id)
{
    for (size_t i = 0; i < sizeof references / sizeof references[0]; i++)
        if (strcmp(references[i].id, id) == 0)
            return &references[i];
    return NULL;
}

/* ------------------------------------------------------------ running */

struct sample {
    struct run_result r;
    long max_rss_kb;
};

/* Runs one side of a workload in a child; the child writes its result to
 * a pipe, the parent reads it and the child's peak RSS from wait4(). */
enum side { SIDE_LIB, SIDE_TWIN, SIDE_CONNS };

static int run_child(const struct workload *w, enum side side, int n, struct sample *out)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct run_result r = {0};
        unlink(path_in_dir("run.db"));
        unlink(path_in_dir("run.db-wal"));
        unlink(path_in_dir("run.db-shm"));
        bench_threads = w->threads > 0 ? w->threads : 1;
        zipf_init();
        (side == SIDE_LIB ? w->lib : side == SIDE_TWIN ? w->twin : w->twin_conns)(n, &r);
        if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    struct run_result r;
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || got != (ssize_t)sizeof r || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    out->r = r;
    out->max_rss_kb = ru.ru_maxrss;
    return 0;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double max_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* id "twin:WORKLOAD" measures the twin side. */
static int instr_mode(const char *id, int n)
{
    bool twin = strncmp(id, "twin:", 5) == 0;
    if (twin)
        id += 5;
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        if (strcmp(workloads[i].id, id) != 0)
            continue;
        struct run_result r;
        (twin ? workloads[i].twin : workloads[i].lib)(n, &r);
        return 0;
    }
    fprintf(stderr, "bench: no workload %s\n", id);
    return 2;
}

int main(int argc, char **argv)
{
    int rounds = 5;
    bool quick = false;
    const char *out_path = "bench/results/latest.jsonl", *only = NULL;

    snprintf(bench_dir, sizeof bench_dir, "%s", "/var/tmp/nana-bench-XXXXXX");
    if (!mkdtemp(bench_dir))
        die("mkdtemp: %s", strerror(errno));

    if (argc == 4 && strcmp(argv[1], "--instr") == 0) {
        /* Seeds are needed by some workloads. */
        make_seed(path_in_dir("seed10k.db"), HOT_KEYS);
        if (strstr(argv[2], "fetch_all") || strstr(argv[2], "cache_100k"))
            make_seed(path_in_dir("seed100k.db"), 100000);
        if (strstr(argv[2], "zipf_"))
            make_big_seed(path_in_dir("seed1kb.db"));
        if (strstr(argv[2], "get_1m"))
            make_seed(path_in_dir("seed1m.db"), MILLION_KEYS);
        zipf_init();
        int rc = instr_mode(argv[2], atoi(argv[3]));
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", bench_dir);
        return system(cmd) == 0 ? rc : rc;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "-q") == 0)
            quick = true;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench [-r rounds] [-q] [-o out.jsonl] [-w workload]\n"
                            "       bench --instr WORKLOAD N\n");
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;

    make_seed(path_in_dir("seed10k.db"), HOT_KEYS);
    if (!only || strcmp(only, "cache_100k") == 0 || strcmp(only, "fetch_all") == 0)
        make_seed(path_in_dir("seed100k.db"), 100000);
    if (!only || strncmp(only, "zipf_", 5) == 0)
        make_big_seed(path_in_dir("seed1kb.db"));
    if (!only || strncmp(only, "get_1m", 6) == 0)
        make_seed(path_in_dir("seed1m.db"), MILLION_KEYS);

    FILE *out = fopen(out_path, "w");
    if (!out)
        die("cannot write %s", out_path);

    printf("libnanasqlite %s bench: %d round%s%s, library and raw-SQLite twin alternating\n\n",
           NANA_VERSION, rounds, rounds > 1 ? "s" : "", quick ? " (quick)" : "");
    printf("%-14s %7s  %-30s %-30s %6s  %9s %9s  %s\n", "workload", "n",
           "library ops/s med (min-max)", "twin ops/s med (min-max)", "ratio",
           "rss lib", "rss twin", "latency p50/p99 us lib | twin");

    int failures = 0;
    double closed_loop_1_ops = 0;
    for (size_t wi = 0; wi < N_WORKLOADS; wi++) {
        const struct workload *w = &workloads[wi];
        if (only && strcmp(only, w->id) != 0)
            continue;
        int n = quick ? w->quick_n : w->n;
        double lib_ops[64], twin_ops[64], ratios[64], lib_rss[64], twin_rss[64];
        double lib_p50[64], lib_p99[64], twin_p50[64], twin_p99[64];
        double conns_ops[64], conns_p50[64], conns_p99[64];
        int done = 0;
        for (int round = 0; round < rounds && round < 64; round++) {
            struct sample ls, ts, cs = {{0, 0, 0}, 0};
            /* Alternate which side goes first, so drift hurts both alike. */
            int first_rc, second_rc, conns_rc = 0;
            if (round % 2 == 0) {
                first_rc = run_child(w, SIDE_LIB, n, &ls);
                second_rc = run_child(w, SIDE_TWIN, n, &ts);
                if (w->twin_conns)
                    conns_rc = run_child(w, SIDE_CONNS, n, &cs);
            } else {
                if (w->twin_conns)
                    conns_rc = run_child(w, SIDE_CONNS, n, &cs);
                first_rc = run_child(w, SIDE_TWIN, n, &ts);
                second_rc = run_child(w, SIDE_LIB, n, &ls);
            }
            if (first_rc != 0 || second_rc != 0 || conns_rc != 0) {
                fprintf(stderr, "bench: %s round %d failed\n", w->id, round);
                failures++;
                continue;
            }
            lib_ops[done] = ls.r.ops_per_s;
            twin_ops[done] = ts.r.ops_per_s;
            conns_ops[done] = cs.r.ops_per_s;
            conns_p50[done] = cs.r.p50_us;
            conns_p99[done] = cs.r.p99_us;
            /* Against the better twin of this round. */
            double best = ts.r.ops_per_s > cs.r.ops_per_s ? ts.r.ops_per_s : cs.r.ops_per_s;
            ratios[done] = ls.r.ops_per_s / best;
            lib_rss[done] = (double)ls.max_rss_kb;
            twin_rss[done] = (double)ts.max_rss_kb;
            lib_p50[done] = ls.r.p50_us;
            lib_p99[done] = ls.r.p99_us;
            twin_p50[done] = ts.r.p50_us;
            twin_p99[done] = ts.r.p99_us;
            done++;
        }
        if (done == 0)
            continue;
        double lmin = min_of(lib_ops, done), lmax = max_of(lib_ops, done);
        double tmin = min_of(twin_ops, done), tmax = max_of(twin_ops, done);
        double lmed = median(lib_ops, done), tmed = median(twin_ops, done);
        double rmed = median(ratios, done);
        double lrss = median(lib_rss, done), trss = median(twin_rss, done);
        char lcol[64], tcol[64], latcol[96] = "";
        snprintf(lcol, sizeof lcol, "%.0f (%.0f-%.0f)", lmed, lmin, lmax);
        snprintf(tcol, sizeof tcol, "%.0f (%.0f-%.0f)", tmed, tmin, tmax);
        double lp50 = 0, lp99 = 0, tp50 = 0, tp99 = 0;
        if (w->latency) {
            lp50 = median(lib_p50, done);
            lp99 = median(lib_p99, done);
            tp50 = median(twin_p50, done);
            tp99 = median(twin_p99, done);
            snprintf(latcol, sizeof latcol, "%.1f/%.1f | %.1f/%.1f", lp50, lp99, tp50, tp99);
        }
        printf("%-14s %7d  %-30s %-30s %6.2f  %7.1fMB %7.1fMB  %s\n", w->id, n, lcol, tcol, rmed,
               lrss / 1024, trss / 1024, latcol);
        double cmed = 0, cp50 = 0, cp99 = 0, scaling = 0;
        if (w->twin_conns) {
            cmed = median(conns_ops, done);
            cp50 = median(conns_p50, done);
            cp99 = median(conns_p99, done);
            printf("%-14s %7s  %-30s %.0f (%.0f-%.0f) with a connection per thread, "
                   "p50/p99 %.1f/%.1f us\n",
                   "", "", "", cmed, min_of(conns_ops, done), max_of(conns_ops, done), cp50, cp99);
        }
        /* The closed-loop sweep: how writers scale against one writer. */
        if (strcmp(w->id, "closed_loop_1") == 0)
            closed_loop_1_ops = lmed;
        else if (strncmp(w->id, "closed_loop_", 12) == 0 && closed_loop_1_ops > 0) {
            scaling = lmed / closed_loop_1_ops;
            printf("%-14s %7s  %.2fx the one-thread closed loop of this run\n", "", "", scaling);
        }
        fflush(stdout);

        const struct reference *ref = reference_of(w->id);
        fprintf(out,
                "{\"workload\":\"%s\",\"n\":%d,\"rounds\":%d,"
                "\"lib_ops_median\":%.1f,\"lib_ops_min\":%.1f,\"lib_ops_max\":%.1f,"
                "\"twin_ops_median\":%.1f,\"twin_ops_min\":%.1f,\"twin_ops_max\":%.1f,"
                "\"ratio_median\":%.4f,\"lib_rss_kb\":%.0f,\"twin_rss_kb\":%.0f",
                w->id, n, done, lmed, lmin, lmax, tmed, tmin, tmax, rmed, lrss, trss);
        if (w->latency)
            fprintf(out,
                    ",\"lib_p50_us\":%.2f,\"lib_p99_us\":%.2f,"
                    "\"twin_p50_us\":%.2f,\"twin_p99_us\":%.2f",
                    lp50, lp99, tp50, tp99);
        if (w->twin_conns)
            fprintf(out,
                    ",\"threads\":%d,\"twin_conns_ops_median\":%.1f,"
                    "\"twin_conns_p50_us\":%.2f,\"twin_conns_p99_us\":%.2f",
                    w->threads, cmed, cp50, cp99);
        if (scaling > 0)
            fprintf(out, ",\"lib_scaling_vs_1\":%.3f", scaling);
        if (ref)
            fprintf(out,
                    ",\"ref_raw_c\":%.0f,\"ref_nanasqlite_py\":%.0f,"
                    "\"ref_aiosqlite\":%.0f,\"ref_node_sqlite3\":%.0f",
                    ref->raw_c, ref->nanasqlite_py, ref->aiosqlite, ref->node_sqlite3);
        fprintf(out, "}\n");
        fflush(out);
    }
    fclose(out);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", bench_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", bench_dir);
    return failures ? 1 : 0;
}
