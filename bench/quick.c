/* bench/quick.c -- a quick measure of set_seq, set_conc and get_hot against
 * a raw-SQLite twin in the same run (the full harness is bench/bench.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <nanasqlite.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *make_value(int i)
{
    static char data[101];
    memset(data, 'x', 100);
    return json_pack("{s:i, s:s}", "index", i, "data", data);
}

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;"
                     "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
                     "CREATE TABLE IF NOT EXISTS data (key TEXT PRIMARY KEY, value TEXT)", 0, 0, 0);
    return db;
}

static double raw_set(const char *path, int n, int one_txn)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)", -1, &st, 0);
    double t0 = now();
    if (one_txn) sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
    char key[32];
    for (int i = 0; i < n; i++) {
        json_t *v = make_value(i);
        char *text = json_dumps(v, JSON_COMPACT);
        snprintf(key, sizeof key, "key_%d", i);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
        free(text);
        json_decref(v);
    }
    if (one_txn) sqlite3_exec(db, "COMMIT", 0, 0, 0);
    double dt = now() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n / dt;
}

static double lib_set(const char *path, int n, int concurrent)
{
    nana_db_t *db;
    nana_open(path, NULL, &db);
    nana_future_t **fs = malloc(n * sizeof *fs);
    char key[32];
    double t0 = now();
    for (int i = 0; i < n; i++) {
        json_t *v = make_value(i);
        snprintf(key, sizeof key, "key_%d", i);
        fs[i] = nana_set(db, key, v);
        json_decref(v);
        if (!concurrent) {
            if (nana_future_await(fs[i]) != NANA_OK) abort();
            nana_future_free(fs[i]);
        }
    }
    if (concurrent) {
        for (int i = 0; i < n; i++) {
            if (nana_future_await(fs[i]) != NANA_OK) abort();
            nana_future_free(fs[i]);
        }
    }
    double dt = now() - t0;
    free(fs);
    nana_close(db);
    return n / dt;
}

static double raw_get_hot(int n)
{
    json_t *obj = json_object();
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "key_%d", i);
        json_object_set_new(obj, key, make_value(i));
    }
    char (*keys)[32] = malloc(10000 * 32);
    for (int i = 0; i < 10000; i++) snprintf(keys[i], 32, "key_%d", i);
    double t0 = now();
    long sum = 0;
    for (int i = 0; i < n; i++) {
        json_t *v = json_incref(json_object_get(obj, keys[i % 10000]));
        sum += v != NULL;
        json_decref(v);
    }
    double dt = now() - t0;
    if (sum != n) abort();
    free(keys);
    json_decref(obj);
    return n / dt;
}

static double lib_get_hot(const char *path, int n)
{
    nana_db_t *db;
    nana_options_t o;
    nana_options_init(&o);
    o.bulk_load = 1;
    nana_open(path, &o, &db);
    char (*keys)[32] = malloc(10000 * 32);
    for (int i = 0; i < 10000; i++) snprintf(keys[i], 32, "key_%d", i);
    double t0 = now();
    long sum = 0;
    for (int i = 0; i < n; i++) {
        nana_future_t *f = nana_get(db, keys[i % 10000], NULL);
        if (nana_future_await(f) != NANA_OK) abort();
        sum += nana_future_json(f) != NULL;
        nana_future_free(f);
    }
    double dt = now() - t0;
    if (sum != n) abort();
    free(keys);
    nana_close(db);
    return n / dt;
}

int main(void)
{
    char dir[] = "/var/tmp/nana-quick-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256];
    for (int round = 0; round < 3; round++) {
        snprintf(path, sizeof path, "%s/raw%d.db", dir, round);
        double r_seq = raw_set(path, 10000, 0);
        snprintf(path, sizeof path, "%s/lib%d.db", dir, round);
        double l_seq = lib_set(path, 10000, 0);
        snprintf(path, sizeof path, "%s/rawc%d.db", dir, round);
        double r_conc = raw_set(path, 10000, 1);
        snprintf(path, sizeof path, "%s/libc%d.db", dir, round);
        double l_conc = lib_set(path, 10000, 1);
        double r_hot = raw_get_hot(100000);
        double l_hot = lib_get_hot(path, 100000);
        printf("round %d: set_seq %.0f/%.0f=%.2f  set_conc %.0f/%.0f=%.2f  get_hot %.0f/%.0f=%.2f\n", round,
               l_seq, r_seq, l_seq / r_seq, l_conc, r_conc, l_conc / r_conc, l_hot, r_hot, l_hot / r_hot);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}
