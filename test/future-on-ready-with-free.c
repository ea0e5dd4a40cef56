/* Freeing and on_ready together: a callback may free its own future (fire
 * and forget), and a future freed by its caller right after registering a
 * callback still runs that callback exactly once, with the future valid and
 * resolved inside it. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define N 300

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int finished, bad;
static atomic_int runs[N];

static void finish_one(void)
{
    pthread_mutex_lock(&mu);
    atomic_fetch_add(&finished, 1);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void wait_finished(int n)
{
    pthread_mutex_lock(&mu);
    while (atomic_load(&finished) < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

/* The callback owns the future: checks it, frees it. */
static void check_and_free(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&runs[i], 1);
    if (!nana_future_poll(f) || nana_future_status(f) != NANA_OK)
        atomic_fetch_add(&bad, 1);
    nana_future_free(f);
    finish_one();
}

/* The caller already freed the future: it must still be readable here. */
static void check_only(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&runs[i], 1);
    bool b = false;
    if (!nana_future_poll(f) || nana_future_status(f) != NANA_OK ||
        nana_future_bool(f, &b) != NANA_OK || !b)
        atomic_fetch_add(&bad, 1);
    finish_one();
}

static void count_only(nana_future_t *f, void *arg)
{
    (void)f;
    atomic_fetch_add((atomic_int *)arg, 1);
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    char key[32];

    /* Fire and forget: the callback frees. */
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        CHECK_ST(nana_future_on_ready(f, check_and_free, (void *)(intptr_t)i), NANA_OK);
    }
    wait_finished(N);
    for (int i = 0; i < N; i++)
        CHECK_INT(atomic_load(&runs[i]), 1);
    CHECK_INT(t_int(nana_len(db)), N);

    /* The caller frees right after registering. */
    for (int i = 0; i < N; i++) {
        atomic_store(&runs[i], 0);
        snprintf(key, sizeof key, "k%d", i);
        nana_future_t *f = nana_contains(db, key);
        CHECK_ST(nana_future_on_ready(f, check_only, (void *)(intptr_t)i), NANA_OK);
        nana_future_free(f);
    }
    wait_finished(2 * N);
    for (int i = 0; i < N; i++)
        CHECK_INT(atomic_load(&runs[i]), 1);

    /* Two callbacks, the second frees: the first ran before, once. */
    atomic_int first_runs;
    atomic_init(&first_runs, 0);
    json_t *v = json_string("x");
    nana_future_t *f = nana_set(db, "two", v);
    CHECK_ST(nana_future_on_ready(f, count_only, &first_runs), NANA_OK);
    CHECK_ST(nana_future_on_ready(f, check_and_free, (void *)(intptr_t)0), NANA_OK);
    wait_finished(2 * N + 1);
    CHECK_INT(atomic_load(&first_runs), 1);

    /* Already resolved: the callback frees it at once. */
    f = nana_future_resolved(v);
    atomic_store(&runs[0], 0);
    CHECK_ST(nana_future_on_ready(f, check_and_free, (void *)(intptr_t)0), NANA_OK);
    CHECK_INT(atomic_load(&runs[0]), 1);
    CHECK_INT(atomic_load(&finished), 2 * N + 2);

    CHECK_INT(atomic_load(&bad), 0);
    t_expect(nana_get(db, "two", NULL), "\"x\"");
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
