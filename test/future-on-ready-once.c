/* nana_future_on_ready(): on an already resolved future the callback runs at
 * once, on the calling thread, before on_ready returns; on a pending future
 * every registered callback runs exactly once, after resolution, in
 * registration order; a failing registration never calls back. */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct record {
    int calls;
    pthread_t thread;
    bool resolved_inside;  /* poll() was true inside the callback */
    nana_status_t status;  /* status() inside the callback */
    nana_future_t *seen;   /* the f passed in */
    int order;             /* global sequence number of the call */
};

static int sequence;

static void on_done(nana_future_t *f, void *arg)
{
    struct record *r = arg;
    bool resolved = nana_future_poll(f);
    nana_status_t st = nana_future_status(f);
    pthread_mutex_lock(&mu);
    r->calls++;
    r->thread = pthread_self();
    r->resolved_inside = resolved;
    r->status = st;
    r->seen = f;
    r->order = sequence++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int calls_of(struct record *r)
{
    pthread_mutex_lock(&mu);
    int n = r->calls;
    pthread_mutex_unlock(&mu);
    return n;
}

static void wait_calls(struct record *r, int n)
{
    pthread_mutex_lock(&mu);
    while (r->calls < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *v = json_integer(3);
    CHECK_ST(t_wait(nana_set(db, "warm", v)), NANA_OK);

    /* Already resolved (a resolved future, an awaited job, a failed job):
     * immediately, on this thread. */
    struct record r0 = {0};
    nana_future_t *f = nana_future_resolved(v);
    CHECK_ST(nana_future_on_ready(f, on_done, &r0), NANA_OK);
    CHECK_INT(calls_of(&r0), 1);
    CHECK(pthread_equal(r0.thread, pthread_self()));
    CHECK(r0.seen == f);
    CHECK(r0.resolved_inside);
    CHECK_ST(r0.status, NANA_OK);
    nana_future_free(f);

    struct record r1 = {0};
    f = nana_get(db, "warm", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_ST(nana_future_on_ready(f, on_done, &r1), NANA_OK);
    CHECK_INT(calls_of(&r1), 1);
    CHECK(pthread_equal(r1.thread, pthread_self()));
    nana_future_free(f);

    struct record r2 = {0};
    f = nana_get(db, "missing", NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK_ST(nana_future_on_ready(f, on_done, &r2), NANA_OK);
    CHECK_INT(calls_of(&r2), 1);
    CHECK_ST(r2.status, NANA_ENOTFOUND);
    nana_future_free(f);

    /* Pending: three callbacks, none runs before the job resolves. */
    sqlite3 *gate = t_gate_lock(t_path("db"));
    struct record p[3] = {{0}, {0}, {0}};
    f = nana_set(db, "k", v);
    CHECK(!nana_future_poll(f));
    sequence = 0;
    for (int i = 0; i < 3; i++)
        CHECK_ST(nana_future_on_ready(f, on_done, &p[i]), NANA_OK);
    CHECK_ST(nana_future_await_for(f, 20), NANA_ETIMEDOUT);
    for (int i = 0; i < 3; i++)
        CHECK_INT(calls_of(&p[i]), 0);
    t_gate_release(gate, true);
    for (int i = 0; i < 3; i++)
        wait_calls(&p[i], 1);
    CHECK_ST(nana_future_await(f), NANA_OK);
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(p[i].calls, 1);
        CHECK_INT(p[i].order, i);
        CHECK(p[i].seen == f);
        CHECK(p[i].resolved_inside);
        CHECK_ST(p[i].status, NANA_OK);
    }
    pthread_mutex_unlock(&mu);

    /* A fourth callback, registered after resolution, runs at once. */
    struct record late = {0};
    CHECK_ST(nana_future_on_ready(f, on_done, &late), NANA_OK);
    CHECK_INT(calls_of(&late), 1);
    CHECK(pthread_equal(late.thread, pthread_self()));
    nana_future_free(f);

    /* Bad arguments: EINVAL and no call. */
    struct record never = {0};
    CHECK_ST(nana_future_on_ready(NULL, on_done, &never), NANA_EINVAL);
    f = nana_future_resolved(NULL);
    CHECK_ST(nana_future_on_ready(f, NULL, &never), NANA_EINVAL);
    nana_future_free(f);

    /* Nothing ran twice, even after the handle is gone. */
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(calls_of(&never), 0);
    CHECK_INT(calls_of(&r0), 1);
    CHECK_INT(calls_of(&r1), 1);
    CHECK_INT(calls_of(&r2), 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(calls_of(&p[i]), 1);
    CHECK_INT(calls_of(&late), 1);
    json_decref(v);
    return 0;
}
