/*
 * nana_cq_free() on a queue with futures attached: before it returns, on the
 * calling thread, it runs the callback of every one exactly once -- those
 * already resolved with their outcome, in completion order, then those still
 * pending (writes held up by another connection's lock) with the future
 * still NANA_PENDING -- then the cleanup function, once, after the last
 * callback.  Inside those callbacks the queue refuses new futures
 * (NANA_ECLOSED, the callback never called), counts nothing attached and
 * drains nothing.  Afterwards the held-up writes still run and commit when
 * the lock goes, and closing the root after them delivers nothing twice and
 * touches nothing freed (ASan, valgrind).
 */
#include <pthread.h>

#include "harness.h"

#define READY 50
#define PENDING 40

static nana_cq_t *cq;
static int ready_calls[READY], pending_calls[PENDING], order[READY + PENDING], n_run;
static int wrong, refused_calls, cleanup_calls, cleanup_after;

static void refused(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    refused_calls++;
}

static void in_free_checks(void)
{
    if (nana_cq_attach(cq, nana_future_resolved(NULL), refused, NULL) != NANA_ECLOSED)
        wrong++;
    if (nana_cq_attached(cq) != 0 || nana_cq_drain(cq, 0) != 0)
        wrong++;
}

static void on_ready(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    ready_calls[i]++;
    order[n_run++] = i;
    if (nana_future_status(f) != NANA_OK || json_integer_value(nana_future_json(f)) != i)
        wrong++;
    in_free_checks();
}

static void on_pending(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    pending_calls[i]++;
    order[n_run++] = READY + i;
    if (nana_future_status(f) != NANA_PENDING || nana_future_poll(f))
        wrong++;
    in_free_checks();
}

static void cleanup(void *data)
{
    cleanup_calls++;
    cleanup_after = n_run;
    if (data != &cleanup_calls)
        wrong++;
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK_ST(nana_cq_set_cleanup(cq, cleanup, &cleanup_calls), NANA_OK);

    struct sqlite3 *gate = t_gate_lock(t_path("db"));
    for (int i = 0; i < PENDING; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v);
        CHECK(!nana_future_poll(f));
        CHECK_ST(nana_cq_attach(cq, f, on_pending, (void *)(intptr_t)i), NANA_OK);
    }
    for (int i = 0; i < READY; i++) {
        json_t *v = json_integer(i);
        CHECK_ST(nana_cq_attach(cq, nana_future_resolved(v), on_ready, (void *)(intptr_t)i),
                 NANA_OK);
        json_decref(v);
    }
    CHECK_INT(nana_cq_attached(cq), READY + PENDING);

    nana_cq_free(cq);
    CHECK_INT(n_run, READY + PENDING);
    for (int i = 0; i < READY; i++)
        CHECK_INT(ready_calls[i], 1);
    for (int i = 0; i < PENDING; i++)
        CHECK_INT(pending_calls[i], 1);
    for (int i = 0; i < READY + PENDING; i++)
        CHECK_INT(order[i], i);
    CHECK_INT(cleanup_calls, 1);
    CHECK_INT(cleanup_after, READY + PENDING);
    CHECK_INT(refused_calls, 0);
    CHECK_INT(wrong, 0);

    /* The writes were not cancelled: they commit once the lock goes. */
    t_gate_release(gate, false);
    CHECK_ST(nana_close(db), NANA_OK);
    for (int i = 0; i < PENDING; i++) {
        char key[16], want[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(want, sizeof want, "%d", i);
        char *stored = t_raw_value(t_path("db"), "data", key);
        CHECK_STR(stored, want);
        free(stored);
    }
    /* Nothing ran again. */
    CHECK_INT(n_run, READY + PENDING);
    CHECK_INT(cleanup_calls, 1);
    return 0;
}
