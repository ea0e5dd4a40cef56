/*
 * Futures attached while pending -- a write held up by another connection's
 * lock, and a get queued behind it -- leave the descriptor unreadable, and
 * nana_cq_drain() returns at once with nothing run while they wait: it never
 * blocks, however long the database does.  Once the lock goes, the
 * descriptor becomes readable by itself, and draining runs each callback
 * exactly once, on the draining thread, with the resolved future (the write
 * OK, the get seeing it); nothing is run inside a pool thread.
 */
#include <poll.h>
#include <pthread.h>

#include "harness.h"

static pthread_t drainer;
static int calls[2], wrong_thread;
static nana_status_t status[2];
static int64_t got_value = -1;

static void on_set(nana_future_t *f, void *arg)
{
    (void)arg;
    calls[0]++;
    wrong_thread += !pthread_equal(pthread_self(), drainer);
    status[0] = nana_future_status(f);
}

static void on_get(nana_future_t *f, void *arg)
{
    (void)arg;
    calls[1]++;
    wrong_thread += !pthread_equal(pthread_self(), drainer);
    status[1] = nana_future_status(f);
    if (json_is_integer(nana_future_json(f)))
        got_value = json_integer_value(nana_future_json(f));
}

static bool readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

int main(void)
{
    drainer = pthread_self();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    t_set_json(db, "k", "1");

    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    int fd = nana_cq_fd(cq);

    struct sqlite3 *gate = t_gate_lock(t_path("db"));
    json_t *v = json_integer(42);
    nana_future_t *set = nana_set(db, "k", v);
    json_decref(v);
    nana_future_t *get = nana_get(db, "k", NULL); /* queued behind the write */
    CHECK(!nana_future_poll(set) && !nana_future_poll(get));
    CHECK_ST(nana_cq_attach(cq, set, on_set, NULL), NANA_OK);
    CHECK_ST(nana_cq_attach(cq, get, on_get, NULL), NANA_OK);
    CHECK_INT(nana_cq_attached(cq), 2);

    /* While the lock is held: nothing to do, and drain says so at once. */
    for (int i = 0; i < 100; i++) {
        int64_t t0 = t_now_ms();
        CHECK_INT(nana_cq_drain(cq, 0), 0);
        CHECK(t_now_ms() - t0 < 1000);
    }
    CHECK(!readable(fd, 0));
    CHECK_INT(calls[0] + calls[1], 0);
    CHECK_INT(nana_cq_attached(cq), 2);

    t_gate_release(gate, false);
    int delivered = 0, wakeups = 0;
    while (delivered < 2) {
        CHECK(readable(fd, 60000)); /* woken by the descriptor alone */
        wakeups++;
        delivered += (int)nana_cq_drain(cq, 0);
    }
    CHECK_INT(delivered, 2);
    CHECK(wakeups <= 2);
    CHECK_INT(calls[0], 1);
    CHECK_INT(calls[1], 1);
    CHECK_INT(wrong_thread, 0);
    CHECK_ST(status[0], NANA_OK);
    CHECK_ST(status[1], NANA_OK);
    CHECK_INT(got_value, 42);
    CHECK(!readable(fd, 0));
    CHECK_INT(nana_cq_attached(cq), 0);

    nana_cq_free(cq);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
