/*
 * 16 threads run mixed operations on 4 sub-tables of one root for a fixed
 * time, in pipelines of 1..6 operations, and every answer is checked
 * against what the thread can know: exactly, on the keys only it writes
 * (get, set, delete, update, batch_update, pop, setdefault, increment,
 * patch, compare_and_set, batch_get, scans, SQL reads through nana_query,
 * nana_count and nana_execute, an SQL UPDATE behind the cache's back);
 * by invariants on the keys all of them write, the counter all of them
 * increment, and whole tables (len, keys, items, to_dict, load_all).
 * At the end the file holds every thread's keys as its mirror says, the
 * counters count every increment that succeeded, before and after a
 * reopen, and integrity_check is ok.  The resident set size is sampled
 * each second: after the warm-up (the first 20% of the run) it may grow by
 * at most RSS_BOUND_MB (plain build only: sanitizers and valgrind keep
 * freed memory on purpose).  The parts are in test/soak/.
 *
 *   soak-... [--seconds N] [--seed S]    5 s by default; make soak SECONDS=N
 */
#include <malloc.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "soak/soak.h"

/*
 * The bound on growth after the warm-up, from measurements on 2 shared
 * vCPUs (SQLite 3.40, glibc 2.36): the RSS grew after the warm-up by
 * 0.9-1.5 MiB in 5 s runs, 1.8 MiB with three 5 s runs at once, 0.6 MiB
 * over 60 s and 1.3 MiB over 300 s (10.9 -> 12.2 MiB, slowing down all the
 * while), while the heap in use stayed at 1.5-1.8 MiB: the growth is
 * stacks and malloc arenas of 21 threads reaching their working size, not
 * data.  6 MiB is over 3 times the most seen; a leak of 10 bytes per
 * operation passes it within a 60 s run (some 700,000 operations).
 */
#define RSS_BOUND_MB 6

struct soak_world soak;
static struct soak_thread threads[SOAK_THREADS];

static void *thread_main(void *arg)
{
    struct soak_thread *t = arg;
    for (int tb = 0; tb < SOAK_TABLES; tb++)
        if (nana_table(soak.root, soak_table_names[tb], &t->h[tb]) != NANA_OK) {
            soak_report(t, NULL, "nana_table(%s): %s", soak_table_names[tb],
                        nana_db_errmsg(t->h[tb]));
            return NULL;
        }
    while (!atomic_load(&soak.stop)) {
        int n = 1 + (int)soak_below(&t->rng, SOAK_PIPE_MAX);
        for (int i = 0; i < n; i++) {
            if (soak_below(&t->rng, 10) < 7)
                soak_own_op(t);
            else
                soak_shared_op(t);
        }
        soak_drain(t);
    }
    for (int tb = 0; tb < SOAK_TABLES; tb++)
        nana_close(t->h[tb]);
    return NULL;
}

/* The heap in use, beside the RSS: growth of both is a leak, of the RSS
 * alone the allocator's arenas settling. */
static long heap_kib(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    CHECK(f != NULL);
    CHECK(fscanf(f, "%ld %ld", &size, &resident) == 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Every table of the file as the threads' mirrors and counters say.
 * Returns how many rows it checked. */
static long check_file(nana_db_t *root, const char *when)
{
    long rows = 0;
    for (int tb = 0; tb < SOAK_TABLES; tb++) {
        nana_db_t *h = NULL;
        CHECK_ST(nana_table(root, soak_table_names[tb], &h), NANA_OK);
        json_t *all = t_take(nana_to_dict(h), NANA_OK), *v;
        int own[SOAK_THREADS] = {0};
        const char *key;
        json_object_foreach(all, key, v) {
            int owner;
            rows++;
            if (!soak_key_legal(key, &owner))
                t_fail(__FILE__, __LINE__, "%s: %s holds key %s", when, soak_table_names[tb],
                       t_shown(key));
            if (owner >= 0) {
                own[owner]++;
                json_t *want = json_object_get(threads[owner].mirror[tb], key);
                if (!want || !json_equal(want, v))
                    t_fail(__FILE__, __LINE__, "%s: %s.%s is not as thread %d left it", when,
                           soak_table_names[tb], key, owner);
            } else if (strcmp(key, SOAK_CTR_KEY) == 0) {
                if (json_integer_value(v) != atomic_load(&soak.ctr_ok[tb]))
                    t_fail(__FILE__, __LINE__, "%s: %s.ctr is %lld, %ld increments succeeded",
                           when, soak_table_names[tb], (long long)json_integer_value(v),
                           atomic_load(&soak.ctr_ok[tb]));
            } else if (!soak_shared_valid(v)) {
                t_fail(__FILE__, __LINE__, "%s: %s.%s holds a value no thread made", when,
                       soak_table_names[tb], key);
            }
        }
        if (!json_object_get(all, SOAK_CTR_KEY))
            CHECK_INT(atomic_load(&soak.ctr_ok[tb]), 0);
        for (int i = 0; i < SOAK_THREADS; i++)
            if (own[i] != (int)json_object_size(threads[i].mirror[tb]))
                t_fail(__FILE__, __LINE__, "%s: %s holds %d keys of thread %d, want %zu", when,
                       soak_table_names[tb], own[i], i, json_object_size(threads[i].mirror[tb]));
        nana_json_release(all);
        CHECK_ST(nana_close(h), NANA_OK);
    }
    return rows;
}

int main(int argc, char **argv)
{
    int seconds = 5;
    uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else
            t_fail(__FILE__, __LINE__, "usage: %s [--seconds N] [--seed S]", argv[0]);
    }
    CHECK(seconds >= 1);
#if defined(NANA_TEST_TSAN) || defined(NANA_TEST_ASAN)
    bool measure = false;
#else
    const char *pre = getenv("LD_PRELOAD");
    bool measure = !(pre && strstr(pre, "vgpreload"));
#endif
    printf("soak: %d s, %d threads, %d tables, seed %llu\n", seconds, SOAK_THREADS, SOAK_TABLES,
           (unsigned long long)seed);
    fflush(stdout);

    soak.root = t_open("soak.db", NULL);
    for (int i = 0; i < SOAK_THREADS; i++) {
        struct soak_thread *t = &threads[i];
        t->id = i;
        t->rng = seed * 0x100000001B3ULL + (uint64_t)i;
        t->shared_made = -1;
        for (int tb = 0; tb < SOAK_TABLES; tb++)
            t->mirror[tb] = json_object();
        for (int j = 0; j < SOAK_OWN_KEYS; j++)
            soak_own_name(t->names[j], sizeof t->names[j], i, j);
        snprintf(t->prefix, sizeof t->prefix, "o%d-", i);
        snprintf(t->prefix_end, sizeof t->prefix_end, "o%d.", i);
    }
    pthread_t tids[SOAK_THREADS];
    int64_t began = t_now_ms();
    for (int i = 0; i < SOAK_THREADS; i++)
        CHECK(pthread_create(&tids[i], NULL, thread_main, &threads[i]) == 0);

    /* One sample a second; the run stops early on a wrong answer. */
    long samples[3600], heap_warm = 0, heap_end = 0;
    int n_samples = 0, warm = seconds / 5 > 0 ? seconds / 5 : 1;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (n_samples < seconds && n_samples < 3600 && !atomic_load(&soak.stop)) {
        next.tv_sec++;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0)
            ;
        samples[n_samples++] = rss_kib();
        if (n_samples == warm)
            heap_warm = heap_kib();
    }
    heap_end = heap_kib();
    atomic_store(&soak.stop, true);
    for (int i = 0; i < SOAK_THREADS; i++)
        CHECK(pthread_join(tids[i], NULL) == 0);
    double secs = (double)(t_now_ms() - began) / 1000;
    long ops = 0;
    for (int i = 0; i < SOAK_THREADS; i++)
        ops += threads[i].ops;
    if (atomic_load(&soak.failures))
        t_fail(__FILE__, __LINE__, "%ld wrong answers (the first are above), after %.1f s",
               atomic_load(&soak.failures), secs);

    long rows = check_file(soak.root, "after the run");
    CHECK_ST(nana_close(soak.root), NANA_OK);
    soak.root = t_open("soak.db", NULL);
    rows += check_file(soak.root, "after reopening");
    CHECK_ST(nana_close(soak.root), NANA_OK);
    sqlite3 *raw = NULL;
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_open(t_path("soak.db"), &raw) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(raw);

    printf("RSS (KiB), one sample a second, warm-up the first %d:", warm);
    for (int i = 0; i < n_samples; i++)
        printf(" %ld", samples[i]);
    long base = samples[warm - 1 < n_samples ? warm - 1 : n_samples - 1], peak = base;
    for (int i = warm; i < n_samples; i++)
        if (samples[i] > peak)
            peak = samples[i];
    printf("\nsoak: %ld answers checked in %.1f s (%.0f ops/s), %ld rows checked at the end; "
           "RSS at the end of warm-up %.1f MiB, highest after %.1f MiB (+%.1f MiB, bound %d "
           "MiB%s)\n",
           ops, secs, (double)ops / secs, rows, (double)base / 1024, (double)peak / 1024,
           (double)(peak - base) / 1024, RSS_BOUND_MB,
           measure ? "" : ", not checked in an instrumented build");
    /* A sanitizer's allocator is not malloc's: mallinfo2() knows nothing of it. */
    if (measure)
        printf("soak: heap in use %.1f MiB at the end of warm-up, %.1f MiB at the end\n",
               (double)heap_warm / 1024, (double)heap_end / 1024);
    if (measure && peak - base > RSS_BOUND_MB * 1024L)
        t_fail(__FILE__, __LINE__, "RSS grew by %ld KiB after the warm-up", peak - base);
    for (int i = 0; i < SOAK_THREADS; i++)
        for (int tb = 0; tb < SOAK_TABLES; tb++)
            json_decref(threads[i].mirror[tb]);
    /* A passing run leaves nothing behind. */
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s%s", t_path("soak.db"), suffixes[i]);
        unlink(file);
    }
    if (!getenv("NANA_TEST_DIR")) /* run by hand: the directory is ours */
        rmdir(t_dir());
    return 0;
}
