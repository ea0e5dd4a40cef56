/*
 * Producers much faster than the disk: four threads submit 25,000 sets of
 * 1 KB values each without awaiting any (each future is freed at once),
 * over 500 keys, so that neither the cache nor the file grows.  With the
 * queue bounded to 1,000 jobs (waiting for room, no deadline), a monitor
 * never sees more than 1,000 queued, and the process's resident memory
 * after the first fifth of the run stays within a few megabytes of what
 * it was then (in the plain build: sanitizers keep freed memory) -- unbounded, the queue would hold most of the 100,000 jobs
 * (about 110 MB).  Every set is written: each key ends holding a value
 * some producer wrote last.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"

#define PRODUCERS 4
#define PER 25000
#define KEYS 500
#define LIMIT 1000

static nana_db_t *db;
static json_t *big;
static atomic_int submitted;
static atomic_bool stop;
static long rss_at_fifth_kb = -1, rss_max_kb;
static uint64_t max_queued;

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *producer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[16];
    for (int i = 0; i < PER; i++) {
        snprintf(key, sizeof key, "k%d", (i * PRODUCERS + id) % KEYS);
        nana_future_free(nana_set(db, key, big));
        atomic_fetch_add(&submitted, 1);
    }
    return NULL;
}

static void *monitor(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        nana_stats_t s;
        CHECK_ST(nana_stats(db, &s), NANA_OK);
        if (s.queued > max_queued)
            max_queued = s.queued;
        long rss = rss_kb();
        if (rss_at_fifth_kb < 0 && atomic_load(&submitted) >= PRODUCERS * PER / 5)
            rss_at_fifth_kb = rss;
        if (rss_at_fifth_kb >= 0 && rss > rss_max_kb)
            rss_max_kb = rss;
        usleep(2000); /* a sampling period, not a synchronisation */
    }
    return NULL;
}

int main(void)
{
    nana_options_t o;
    nana_options_init(&o);
    o.cache_size_mb = 2;
    db = t_open("t.db", &o);
    CHECK_ST(nana_set_queue_limit(db, LIMIT, -1), NANA_OK);
    char text[1100];
    memset(text, 'x', 1024);
    text[1024] = '\0';
    big = json_pack("{s:s}", "data", text);

    pthread_t th[PRODUCERS], mon;
    CHECK(pthread_create(&mon, NULL, monitor, NULL) == 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK(pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    /* Drain: a read queued last runs after every set. */
    CHECK_INT(INT(nana_len(db)), KEYS);
    atomic_store(&stop, true);
    pthread_join(mon, NULL);

    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.jobs_committed >= PRODUCERS * PER);
    printf("max queued %llu (limit %d); RSS at a fifth %ld kB, max after %ld kB\n",
           (unsigned long long)max_queued, LIMIT, rss_at_fifth_kb, rss_max_kb);
    CHECK(max_queued <= LIMIT);
    CHECK(rss_at_fifth_kb > 0);
    /* A sanitizer's allocator and valgrind keep freed memory on purpose:
     * the bound on the queue above is what they can check. */
#if defined(NANA_TEST_TSAN) || defined(NANA_TEST_ASAN)
    bool measure = false;
#else
    const char *pre = getenv("LD_PRELOAD");
    bool measure = !(pre && strstr(pre, "vgpreload"));
#endif
    if (measure)
        CHECK(rss_max_kb - rss_at_fifth_kb < 16 * 1024);
    json_t *v = TAKE(nana_get(db, "k0", NULL));
    CHECK(json_equal(v, big));
    nana_json_release(v);
    json_decref(big);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
