/* nana_future_await_for() never runs queued jobs itself: with the only
 * worker held inside a callback, a newly queued job stays pending through
 * await_for(100) (NANA_ETIMEDOUT), and runs once the worker is free again. */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool holding, release_worker;
static pthread_t holder;

/* Runs on the worker that resolved the gated write: holds it until told. */
static void hold_worker(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    pthread_mutex_lock(&mu);
    holding = true;
    holder = pthread_self();
    pthread_cond_broadcast(&cv);
    while (!release_worker)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 1;
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "warm", v)), NANA_OK);

    /* A write that resolves on the worker, with a callback registered while
     * it is surely pending. */
    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *blocked = nana_set(db, "k", v);
    CHECK(!nana_future_poll(blocked));
    CHECK_ST(nana_future_on_ready(blocked, hold_worker, NULL), NANA_OK);
    t_gate_release(gate, true);

    pthread_mutex_lock(&mu);
    while (!holding)
        pthread_cond_wait(&cv, &mu);
    bool on_main = pthread_equal(holder, pthread_self());
    pthread_mutex_unlock(&mu);
    CHECK(!on_main);

    /* The only worker is busy: a new job stays queued, and await_for must
     * not run it. */
    nana_future_t *queued = nana_len(db);
    CHECK_ST(nana_future_await_for(queued, 0), NANA_ETIMEDOUT);
    CHECK_ST(nana_future_await_for(queued, 100), NANA_ETIMEDOUT);
    CHECK(!nana_future_poll(queued));

    pthread_mutex_lock(&mu);
    release_worker = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);

    CHECK_ST(nana_future_await_for(queued, -1), NANA_OK);
    CHECK_INT(t_int(queued), 2);
    CHECK_ST(nana_future_await(blocked), NANA_OK);
    nana_future_free(blocked);
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
