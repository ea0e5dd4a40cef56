/*
 * A callback may free the queue that runs it (a server shutting down from a
 * last answer).  The first callback of a drain that took 100 completions
 * calls nana_cq_free(): that runs, there, the callbacks of the futures still
 * pending (with the futures NANA_PENDING) and the cleanup function; the
 * drain then runs the other 99 it had taken -- each callback exactly once,
 * all on this thread -- and returns 100 without touching the freed queue
 * (ASan, valgrind).  The pending jobs still complete.
 */
#include <pthread.h>

#include "harness.h"

#define READY 100
#define PENDING 30

static nana_cq_t *cq;
static int calls[READY + PENDING], n_run, wrong, cleanups;
static bool freed;

static void on_done(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    calls[i]++;
    n_run++;
    if (i < READY && nana_future_status(f) != NANA_OK)
        wrong++;
    if (i >= READY && nana_future_status(f) != NANA_PENDING)
        wrong++;
    if (!freed) {
        if (i != 0)
            wrong++;
        freed = true;
        nana_cq_free(cq); /* from inside the queue's own drain */
        if (n_run != 1 + PENDING || cleanups != 1)
            wrong++;
    }
}

static void cleanup(void *data)
{
    (void)data;
    cleanups++;
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK_ST(nana_cq_set_cleanup(cq, cleanup, NULL), NANA_OK);
    struct sqlite3 *gate = t_gate_lock(t_path("db"));
    for (int i = 0; i < PENDING; i++) {
        json_t *v = json_integer(i);
        CHECK_ST(nana_cq_attach(cq, nana_set(db, "k", v), on_done, (void *)(intptr_t)(READY + i)),
                 NANA_OK);
        json_decref(v);
    }
    for (int i = 0; i < READY; i++)
        CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), on_done, (void *)(intptr_t)i),
                 NANA_OK);

    CHECK_INT(nana_cq_drain(cq, 0), READY);
    CHECK(freed);
    CHECK_INT(n_run, READY + PENDING);
    for (int i = 0; i < READY + PENDING; i++)
        CHECK_INT(calls[i], 1);
    CHECK_INT(cleanups, 1);
    CHECK_INT(wrong, 0);

    t_gate_release(gate, false);
    nana_future_t *last = nana_get(db, "k", NULL);
    t_expect(last, "29");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(n_run, READY + PENDING);
    return 0;
}
