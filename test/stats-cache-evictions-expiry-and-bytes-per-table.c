/*
 * nana_stats reports each table's cache policy at work: four threads write
 * 1,000 distinct keys into a sub-table bounded at 100 entries, and the
 * evictions account for every key the bound pushed out (at least 900, and
 * what is left cached plus what was evicted is every key); the bytes of a
 * table bounded by cost stay within its bound and above zero; entries of a
 * table with a lifetime that ran out count as expired, not evicted; the
 * root's unbounded table counts no bytes and no evictions.  A monitoring
 * thread reads the counters throughout and never sees one go down.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define THREADS 4
#define PER 250
#define MAX_ENTRIES 100
#define MAX_BYTES 4096
#define TTL_MS 20

static nana_db_t *lru;
static atomic_bool done;

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[32];
    for (int i = 0; i < PER; i++) {
        snprintf(key, sizeof key, "t%d-%d", id, i);
        CHECK_ST(t_wait(t_set_async(lru, key, "{\"payload\":\"0123456789\"}")), NANA_OK);
    }
    return NULL;
}

static void *monitor(void *arg)
{
    (void)arg;
    uint64_t last_evictions = 0;
    while (!atomic_load(&done)) {
        nana_stats_t s;
        CHECK_ST(nana_stats(lru, &s), NANA_OK);
        CHECK(s.cache_evictions >= last_evictions);
        CHECK_INT(s.cache_expired, 0);
        last_evictions = s.cache_evictions;
    }
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
    nana_db_t *db = t_open("t.db", NULL);
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = MAX_ENTRIES;
    CHECK_ST(nana_table_v2(db, "lru", &to, &lru), NANA_OK);

    pthread_t th[THREADS], mon;
    CHECK(pthread_create(&mon, NULL, monitor, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&done, true);
    pthread_join(mon, NULL);

    nana_stats_t s;
    CHECK_ST(nana_stats(lru, &s), NANA_OK);
    CHECK(s.cache_evictions >= THREADS * PER - MAX_ENTRIES);
    CHECK(s.cache_evictions < THREADS * PER);
    /* Every key was committed once: it is cached or it was evicted. */
    CHECK(s.cache_entries + s.cache_evictions >= THREADS * PER);
    CHECK_INT(s.cache_expired, 0);
    /* A bound by entries counts costs too: at most 100 keys of ~90 each. */
    CHECK(s.cache_bytes > 0 && s.cache_bytes <= MAX_ENTRIES * 200);

    /* A bound by cost. */
    nana_db_t *sized = NULL;
    nana_table_options_init(&to);
    to.cache_max_bytes = MAX_BYTES;
    CHECK_ST(nana_table_v2(db, "sized", &to, &sized), NANA_OK);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_ST(t_wait(t_set_async(sized, key, "[1,2,3,4,5,6,7,8,9,10]")), NANA_OK);
    }
    CHECK_ST(nana_stats(sized, &s), NANA_OK);
    CHECK(s.cache_bytes > 0 && s.cache_bytes <= MAX_BYTES);
    CHECK(s.cache_evictions > 0);

    /* A lifetime: 50 keys cached, the clock passes their lifetime, and the
     * next commit drops them as expired. */
    nana_db_t *aging = NULL;
    nana_table_options_init(&to);
    to.cache_ttl_ms = TTL_MS;
    CHECK_ST(nana_table_v2(db, "aging", &to, &aging), NANA_OK);
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "a%d", i);
        CHECK_ST(t_wait(t_set_async(aging, key, "1")), NANA_OK);
    }
    int64_t written = now_ms();
    while (now_ms() <= written + 2 * TTL_MS)
        usleep(5000); /* the clock must move: nothing to wait on */
    CHECK_ST(t_wait(t_set_async(aging, "late", "2")), NANA_OK);
    CHECK_ST(nana_stats(aging, &s), NANA_OK);
    CHECK_INT(s.cache_expired, 50);
    CHECK_INT(s.cache_evictions, 0);
    SAME(nana_get(aging, "a7", NULL), "1"); /* read from SQLite again */

    /* The root's table has no bound. */
    CHECK_ST(t_wait(t_set_async(db, "root", "1")), NANA_OK);
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK_INT(s.cache_bytes, 0);
    CHECK_INT(s.cache_evictions, 0);
    CHECK_INT(s.cache_expired, 0);

    nana_close(aging);
    nana_close(sized);
    nana_close(lru);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
