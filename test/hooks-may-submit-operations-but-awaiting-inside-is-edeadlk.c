/*
 * What a hook may do: submit operations (they run after the batch that
 * asked, as any queued operation; here each write is mirrored into an
 * audit table from before_write and after_commit), install hooks, read
 * what the cache answers at once.  What it may not: wait.  Inside every
 * hook nana_future_await() and nana_future_await_for() return NANA_EDEADLK,
 * nana_close() of the root NANA_EDEADLK, nana_table() of a table still to
 * be made NANA_EDEADLK -- on a pool thread and on a caller's thread that
 * runs the queue itself while awaiting its own write (which would
 * otherwise wait for itself forever) -- each required to happen.
 */
#include "harness.h"

#include <pthread.h>

static nana_db_t *db, *audit;
static pthread_t main_thread;
static int on_main, on_pool; /* hooks never overlap: no lock needed */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static nana_future_t *pending[8192];
static int n_pending;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool done;

static void ready(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    pthread_mutex_lock(&lock);
    done = true;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void keep(nana_future_t *f)
{
    pthread_mutex_lock(&lock);
    CHECK(n_pending < 8192);
    pending[n_pending++] = f;
    pthread_mutex_unlock(&lock);
}

/* The waits a hook must not make, each refused at once. */
static void try_to_wait(void)
{
    if (pthread_equal(pthread_self(), main_thread))
        on_main++;
    else
        on_pool++;
    nana_future_t *f = nana_get_fresh(db, "never-cached", NULL); /* always a job */
    CHECK(!nana_future_poll(f));
    CHECK_ST(nana_future_await(f), NANA_EDEADLK);
    CHECK_ST(nana_future_await_for(f, 10), NANA_EDEADLK);
    nana_future_free(f); /* legal while pending: it still runs */
    CHECK_ST(nana_close(db), NANA_EDEADLK);
    nana_db_t *t = NULL;
    CHECK_ST(nana_table(db, "made_from_a_hook", &t), NANA_EDEADLK);
    CHECK(t == NULL);
    /* A cached key is answered at once: no wait. */
    f = nana_get(db, "cached", NULL);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_OK);
    nana_future_free(f);
}

static nana_status_t mirror(void *arg, const char *key, json_t *value, json_t **repl, char *msg,
                            size_t size)
{
    (void)arg;
    (void)repl;
    (void)msg;
    (void)size;
    try_to_wait();
    keep(nana_set(audit, key, value));
    return NANA_OK;
}

static void noted(void *arg, const char *const *keys, const bool *deleted, size_t n);

static const nana_hooks_t hooks = {.before_write = mirror, .after_commit = noted};

static void noted(void *arg, const char *const *keys, const bool *deleted, size_t n)
{
    (void)arg;
    (void)deleted;
    try_to_wait();
    for (size_t i = 0; i < n; i++) {
        char k[64];
        snprintf(k, sizeof k, "committed:%s", keys[i]);
        json_t *v = json_true();
        keep(nana_set(audit, k, v));
    }
    /* Installing hooks from a hook: the same ones again. */
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);
}

int main(void)
{
    main_thread = pthread_self();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 1;
    db = t_open("submit.db", &opts);
    CHECK_ST(nana_table(db, "audit", &audit), NANA_OK);
    t_set_json(db, "cached", "1");
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);

    /* Awaiting each write lets this thread run the queue itself (its hooks
     * then run here); waiting on a condition variable instead leaves the
     * write to a pool worker. */
    int writes = 0;
    for (; writes < 200; writes++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", writes);
        json_t *v = json_integer(writes);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        if (writes % 2 == 0) {
            CHECK_ST(nana_future_await(f), NANA_OK);
        } else {
            pthread_mutex_lock(&lock);
            done = false;
            pthread_mutex_unlock(&lock);
            CHECK_ST(nana_future_on_ready(f, ready, NULL), NANA_OK);
            pthread_mutex_lock(&lock);
            while (!done)
                pthread_cond_wait(&cond, &lock);
            pthread_mutex_unlock(&lock);
            CHECK_ST(nana_future_status(f), NANA_OK);
        }
        nana_future_free(f);
    }
    printf("%d writes; hooks ran %d times on the awaiting thread, %d on a pool thread\n", writes,
           on_main, on_pool);
    CHECK(on_main > 0 && on_pool > 0);

    /* What the hooks submitted ran after them. */
    pthread_mutex_lock(&lock);
    int n = n_pending;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++) {
        CHECK_ST(nana_future_await(pending[i]), NANA_OK);
        nana_future_free(pending[i]);
    }
    for (int i = 0; i < writes; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        CHECK_INT(t_int(nana_get(audit, key, NULL)), i);
        snprintf(key, sizeof key, "committed:k%d", i);
        CHECK(t_bool(nana_get(audit, key, NULL)));
    }
    CHECK_ST(nana_close(audit), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
