/*
 * nana_increment is one job on the writer, so concurrent increments of one
 * key never lose an update: eight threads each increment the counter
 * "hits" 1,000 times (the futures of each thread submitted in pipelines of
 * 50 before any is awaited) and the member "n" of the object "stats" 1,000
 * times, while a ninth thread reads both through the cache.  Every future
 * resolves to a distinct count; the counter ends at 8,000 and the member at
 * 8,000 -- through the cache, in the file as SQLite holds it, and through a
 * fresh root -- and the reader never saw a count go down.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 1000
#define PIPE 50

static nana_db_t *db;
static atomic_bool seen[THREADS * PER_THREAD + 1];
static atomic_bool stop;

static void *incrementer(void *arg)
{
    (void)arg;
    nana_future_t *fs[PIPE], *gs[PIPE];
    for (int done = 0; done < PER_THREAD; done += PIPE) {
        for (int i = 0; i < PIPE; i++) {
            fs[i] = nana_increment(db, "hits", NULL, 1);
            gs[i] = nana_increment(db, "stats", "n", 1);
        }
        for (int i = 0; i < PIPE; i++) {
            int64_t n = 0;
            if (nana_future_await(fs[i]) != NANA_OK || nana_future_int(fs[i], &n) != NANA_OK)
                t_fail(__FILE__, __LINE__, "increment: %s (%s)",
                       t_status_name(nana_future_status(fs[i])), nana_future_errmsg(fs[i]));
            if (n < 1 || n > THREADS * PER_THREAD || atomic_exchange(&seen[n], true))
                t_fail(__FILE__, __LINE__, "increment resolved to %lld: out of range or twice",
                       (long long)n);
            if (nana_future_await(gs[i]) != NANA_OK || nana_future_int(gs[i], &n) != NANA_OK)
                t_fail(__FILE__, __LINE__, "member increment: %s (%s)",
                       t_status_name(nana_future_status(gs[i])), nana_future_errmsg(gs[i]));
            nana_future_free(fs[i]);
            nana_future_free(gs[i]);
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    int64_t last = 0, last_n = 0;
    while (!atomic_load(&stop)) {
        nana_future_t *f = nana_get(db, "hits", NULL), *g = nana_get(db, "stats", NULL);
        nana_status_t st = nana_future_await(f);
        if (st == NANA_OK) {
            int64_t n = 0;
            CHECK_ST(nana_future_int(f, &n), NANA_OK);
            CHECK(n >= last);
            last = n;
        } else {
            CHECK_ST(st, NANA_ENOTFOUND); /* before the first increment */
        }
        if (nana_future_await(g) == NANA_OK) {
            json_t *n = json_object_get(nana_future_json(g), "n");
            CHECK(json_is_integer(n));
            CHECK(json_integer_value(n) >= last_n);
            last_n = json_integer_value(n);
            CHECK_INT(json_object_size(nana_future_json(g)), 2);
        }
        nana_future_free(f);
        nana_future_free(g);
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    db = t_open("counters.db", NULL);
    json_t *stats = t_json("{\"name\":\"page\",\"n\":0}");
    CHECK_ST(t_wait(nana_set(db, "stats", stats)), NANA_OK);
    json_decref(stats);

    pthread_t th[THREADS], rd;
    CHECK(pthread_create(&rd, NULL, reader, NULL) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, incrementer, NULL) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    atomic_store(&stop, true);
    pthread_join(rd, NULL);

    for (int n = 1; n <= THREADS * PER_THREAD; n++)
        if (!atomic_load(&seen[n]))
            t_fail(__FILE__, __LINE__, "no increment resolved to %d: an update was lost", n);
    CHECK_INT(t_int(nana_get(db, "hits", NULL)), THREADS * PER_THREAD);
    CHECK(t_bool(nana_is_cached(db, "hits")));
    t_expect(nana_get(db, "stats", NULL), "{\"name\":\"page\",\"n\":8000}");
    CHECK_ST(nana_close(db), NANA_OK);

    /* The file: the text a set would have written, member order kept. */
    char *raw = t_raw_value(t_path("counters.db"), "data", "hits");
    CHECK_STR(raw, "8000");
    free(raw);
    raw = t_raw_value(t_path("counters.db"), "data", "stats");
    CHECK_STR(raw, "{\"name\":\"page\",\"n\":8000}");
    free(raw);

    db = t_open("counters.db", NULL);
    CHECK_INT(t_int(nana_get(db, "hits", NULL)), THREADS * PER_THREAD);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
