/*
 * demo.c -- a tour of libnanasqlite: open a file, write and read through
 * futures from several threads at once, gather, chain, use sub-tables.
 *
 *   make demo            (builds and runs this program)
 *   ./build/plain/demo [path]   (default: demo.db in a fresh temp directory)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nanasqlite.h>

#define N_THREADS 4
#define PER_THREAD 250

static void die(const char *what, nana_future_t *f)
{
    fprintf(stderr, "demo: %s: %s\n", what, nana_future_errmsg(f));
    exit(1);
}

/* Each thread submits all its sets at once, then awaits them together:
 * the pool commits them in a few shared transactions. */
struct writer_arg {
    nana_db_t *db;
    int id;
};

static void *writer(void *arg)
{
    struct writer_arg *w = arg;
    nana_db_t *db = w->db;
    nana_future_t *pending[PER_THREAD];
    char key[32];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "user:%d:%d", w->id, i);
        json_t *value = json_pack("{s:i, s:s}", "n", i, "by", "writer");
        pending[i] = nana_set(db, key, value);
        json_decref(value); /* the library took its own copy */
    }
    nana_status_t st = nana_future_await_all(pending, PER_THREAD);
    for (int i = 0; i < PER_THREAD; i++)
        nana_future_free(pending[i]);
    return (void *)(long)st;
}

/* A then-step: runs once the read resolved, and returns the next future. */
static nana_future_t *bump_visits(nana_future_t *done, void *arg)
{
    nana_db_t *db = arg;
    json_int_t visits = json_integer_value(json_object_get(nana_future_json(done), "visits"));
    json_t *next = json_pack("{s:I}", "visits", visits + 1);
    nana_future_t *f = nana_set(db, "counter", next);
    json_decref(next);
    return f;
}

int main(int argc, char **argv)
{
    char path[4096];
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        char dir[] = "/tmp/nanasqlite-demo-XXXXXX";
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(path, sizeof path, "%s/demo.db", dir);
    }

    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 4;
    nana_db_t *db = NULL;
    if (nana_open(path, &opts, &db) != NANA_OK) {
        fprintf(stderr, "demo: %s\n", nana_db_errmsg(db));
        nana_close(db);
        return 1;
    }
    printf("libnanasqlite %s: opened %s (table \"data\", %d workers)\n", NANA_VERSION, path,
           opts.max_workers);

    /* 1. Concurrent writers. */
    pthread_t threads[N_THREADS];
    struct writer_arg args[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        args[i] = (struct writer_arg){db, i};
        pthread_create(&threads[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        void *st;
        pthread_join(threads[i], &st);
        if ((nana_status_t)(long)st != NANA_OK) {
            fprintf(stderr, "demo: a writer failed: %s\n", nana_errstr((nana_status_t)(long)st));
            return 1;
        }
    }
    nana_future_t *len = nana_len(db);
    int64_t n = 0;
    if (nana_future_await(len) != NANA_OK || nana_future_int(len, &n) != NANA_OK)
        die("len", len);
    nana_future_free(len);
    printf("%d threads x %d sets: %lld keys stored\n", N_THREADS, PER_THREAD, (long long)n);

    /* 2. Read-your-writes without awaiting in between, and gather. */
    json_t *profile = json_pack("{s:s, s:[s,s]}", "name", "Nana", "tags", "admin", "active");
    nana_future_t *batch[3] = {
        nana_set(db, "profile", profile),
        nana_get(db, "profile", NULL),
        nana_get(db, "missing", NULL),
    };
    json_decref(profile);
    nana_status_t first_failure = nana_future_await_all(batch, 3);
    char *text = json_dumps(nana_future_json(batch[1]), JSON_COMPACT);
    printf("set then get, gathered: %s; first failure: %s (%s)\n", text,
           nana_errstr(first_failure), nana_future_errmsg(batch[2]));
    free(text);
    for (int i = 0; i < 3; i++)
        nana_future_free(batch[i]);

    /* 3. A chain: read a counter, then write it back incremented. */
    json_t *zero = json_pack("{s:i}", "visits", 0);
    nana_future_free(nana_set(db, "counter", zero));
    json_decref(zero);
    nana_future_t *chain = nana_future_then(nana_get(db, "counter", NULL), bump_visits, db);
    if (nana_future_await(chain) != NANA_OK)
        die("chain", chain);
    nana_future_free(chain);
    nana_future_t *counter = nana_get(db, "counter", NULL);
    nana_future_await(counter);
    printf("chain get -> set: counter.visits = %lld\n",
           (long long)json_integer_value(json_object_get(nana_future_json(counter), "visits")));
    nana_future_free(counter);

    /* 4. Sub-tables share the pool and the connection, not the keys. */
    nana_db_t *config = NULL;
    if (nana_table(db, "config", &config) != NANA_OK) {
        fprintf(stderr, "demo: %s\n", nana_db_errmsg(db));
        return 1;
    }
    json_t *theme = json_string("dark");
    nana_future_free(nana_set(config, "theme", theme));
    json_decref(theme);
    nana_future_t *in_data = nana_contains(db, "theme");
    nana_future_t *in_config = nana_contains(config, "theme");
    bool a = true, b = false;
    nana_future_await(in_data);
    nana_future_await(in_config);
    nana_future_bool(in_data, &a);
    nana_future_bool(in_config, &b);
    printf("sub-table \"config\": theme in config = %s, theme in data = %s\n",
           b ? "true" : "false", a ? "true" : "false");
    nana_future_free(in_data);
    nana_future_free(in_config);

    /* 5. What the root did: group commit's share of a COMMIT, and the
     *    cache's answers (nana_stats never waits for the pool). */
    nana_stats_t stats;
    if (nana_stats(db, &stats) == NANA_OK)
        printf("stats: %llu jobs in %llu commits (%.1f per commit), cache %llu hits / "
               "%llu misses, %llu entries\n",
               (unsigned long long)stats.jobs_committed,
               (unsigned long long)stats.batches_committed, stats.mean_jobs_per_commit,
               (unsigned long long)stats.cache_hits, (unsigned long long)stats.cache_misses,
               (unsigned long long)stats.cache_entries);

    /* 6. Close: the root drains its queue; the sub-table handle then fails
     *    cleanly until it is closed too. */
    nana_close(db);
    nana_future_t *late = nana_get(config, "theme", NULL);
    printf("after closing the root: get on the sub-table -> %s\n",
           nana_errstr(nana_future_await(late)));
    nana_future_free(late);
    nana_close(config);
    printf("done\n");
    return 0;
}
