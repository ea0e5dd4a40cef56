/* Awaiting a pending future from inside a callback -- an on_ready callback
 * run at once on this thread, one run by a pool worker, a then function --
 * returns NANA_EDEADLK and leaves that future valid; awaiting an already
 * resolved one there returns its status; outside callbacks, waiting works
 * normally again. */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct probe {
    nana_future_t *blocked;     /* pending for the whole test */
    nana_status_t on_blocked;   /* await(blocked) inside the callback */
    nana_status_t on_self;      /* await(the callback's own, resolved, future) */
    bool still_pending;
    bool done;
};

static void run_probe(struct probe *p, nana_future_t *self)
{
    nana_status_t a = nana_future_await(p->blocked);
    nana_status_t b = nana_future_await(self);
    bool pending = !nana_future_poll(p->blocked);
    pthread_mutex_lock(&mu);
    p->on_blocked = a;
    p->on_self = b;
    p->still_pending = pending;
    p->done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void probe_cb(nana_future_t *f, void *arg)
{
    run_probe(arg, f);
}

static nana_future_t *probe_then(nana_future_t *done, void *arg)
{
    run_probe(arg, done);
    return NULL;
}

static void wait_probe(struct probe *p)
{
    pthread_mutex_lock(&mu);
    while (!p->done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void check_probe(struct probe *p, const char *what)
{
    wait_probe(p);
    if (p->on_blocked != NANA_EDEADLK)
        t_fail(__FILE__, __LINE__, "%s: await on a pending future gave %s, want NANA_EDEADLK",
               what, t_status_name(p->on_blocked));
    if (p->on_self != NANA_OK)
        t_fail(__FILE__, __LINE__, "%s: await on a resolved future gave %s, want NANA_OK",
               what, t_status_name(p->on_self));
    if (!p->still_pending)
        t_fail(__FILE__, __LINE__, "%s: the blocked future resolved", what);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *locked = t_open("locked", &opts);
    nana_db_t *free_db = t_open("free", NULL);
    json_t *v = json_integer(7);
    CHECK_ST(t_wait(nana_set(locked, "warm", v)), NANA_OK);

    sqlite3 *gate = t_gate_lock(t_path("locked"));
    nana_future_t *blocked = nana_set(locked, "k", v);
    CHECK(!nana_future_poll(blocked));

    /* 1: on_ready on a resolved future runs the callback here, at once. */
    struct probe p1 = {.blocked = blocked};
    nana_future_t *r = nana_future_resolved(v);
    CHECK_ST(nana_future_on_ready(r, probe_cb, &p1), NANA_OK);
    check_probe(&p1, "inline on_ready");
    nana_future_free(r);
    /* Back outside the callback: a timed wait times out, no EDEADLK. */
    CHECK_ST(nana_future_await_for(blocked, 10), NANA_ETIMEDOUT);

    /* 2: on_ready on a job of another root, run by its worker (or here, if
     * it won the race). */
    struct probe p2 = {.blocked = blocked};
    nana_future_t *job = nana_set(free_db, "a", v);
    CHECK_ST(nana_future_on_ready(job, probe_cb, &p2), NANA_OK);
    check_probe(&p2, "worker on_ready");
    CHECK_ST(nana_future_await(job), NANA_OK);
    nana_future_free(job);

    /* 3: a then function on a job. */
    struct probe p3 = {.blocked = blocked};
    nana_future_t *chain = nana_future_then(nana_len(free_db), probe_then, &p3);
    CHECK_ST(nana_future_await(chain), NANA_OK);
    check_probe(&p3, "then function");
    nana_future_free(chain);

    /* 4: a then function on a resolved future. */
    struct probe p4 = {.blocked = blocked};
    chain = nana_future_then(nana_future_resolved(v), probe_then, &p4);
    CHECK_ST(nana_future_await(chain), NANA_OK);
    check_probe(&p4, "then on resolved");
    CHECK_JSON(nana_future_json(chain), "7");
    nana_future_free(chain);

    CHECK_ST(nana_future_await_for(blocked, 0), NANA_ETIMEDOUT);
    t_gate_release(gate, true);
    CHECK_ST(nana_future_await(blocked), NANA_OK);
    nana_future_free(blocked);
    t_expect(nana_get(locked, "k", NULL), "7");

    json_decref(v);
    CHECK_ST(nana_close(free_db), NANA_OK);
    CHECK_ST(nana_close(locked), NANA_OK);
    return 0;
}
