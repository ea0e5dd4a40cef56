/*
 * Four threads drain one completion queue at once -- each waits in poll() on
 * the descriptor and drains a few completions at a time -- while three
 * threads attach 6000 futures of a root and two sub-tables (sets, gets that
 * see them, contains, lens, already resolved futures).  Every callback runs
 * exactly once, on one of the draining threads, with the outcome its
 * operation should have; none is lost (the count reaches 6000 and the queue
 * is empty) and none is delivered twice.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"

#define DRAINERS 4
#define ATTACHERS 3
#define PER_ATTACHER 2000
#define TOTAL (ATTACHERS * PER_ATTACHER)

struct slot {
    atomic_int calls;
    int kind;
    int64_t want;
};

static struct slot slots[TOTAL];
static nana_cq_t *cq;
static nana_db_t *handles[3];
static atomic_int delivered, errors;
static int stop_pipe[2];
static _Thread_local bool is_drainer;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;

enum { K_SET, K_GET, K_CONTAINS, K_LEN, K_RESOLVED };

static void on_done(nana_future_t *f, void *arg)
{
    struct slot *s = arg;
    if (atomic_fetch_add(&s->calls, 1) != 0 || !is_drainer || !nana_future_poll(f))
        atomic_fetch_add(&errors, 1);
    nana_status_t st = nana_future_status(f);
    int64_t n = -1;
    bool b = false;
    switch (s->kind) {
    case K_SET:
        if (st != NANA_OK)
            atomic_fetch_add(&errors, 1);
        break;
    case K_GET:
    case K_RESOLVED:
        if (st != NANA_OK || !json_is_integer(nana_future_json(f)) ||
            json_integer_value(nana_future_json(f)) != s->want)
            atomic_fetch_add(&errors, 1);
        break;
    case K_CONTAINS:
        if (nana_future_bool(f, &b) != NANA_OK || !b)
            atomic_fetch_add(&errors, 1);
        break;
    case K_LEN:
        if (nana_future_int(f, &n) != NANA_OK || n < 1)
            atomic_fetch_add(&errors, 1);
        break;
    }
    if (atomic_fetch_add(&delivered, 1) + 1 == TOTAL) {
        pthread_mutex_lock(&mu);
        pthread_cond_broadcast(&all_in);
        pthread_mutex_unlock(&mu);
    }
}

static void *drain_main(void *arg)
{
    (void)arg;
    is_drainer = true;
    struct pollfd p[2] = {{.fd = nana_cq_fd(cq), .events = POLLIN},
                          {.fd = stop_pipe[0], .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents)
            return NULL;
        nana_cq_drain(cq, 7);
    }
}

static void *attach_main(void *arg)
{
    int t = (int)(intptr_t)arg;
    char key[32];
    for (int i = 0; i < PER_ATTACHER; i++) {
        int id = t * PER_ATTACHER + i;
        struct slot *s = &slots[id];
        nana_db_t *db = handles[id % 3];
        snprintf(key, sizeof key, "t%d-%d", t, i / 5);
        json_t *v = json_integer(i / 5);
        nana_future_t *f;
        s->kind = i % 5;
        s->want = i / 5;
        switch (s->kind) {
        case K_SET: f = nana_set(db, key, v); break;
        /* Same handle as the set of this key: i / 5 * 5 % 3 may differ, so
         * reads go to the handle that wrote. */
        case K_GET: f = nana_get(handles[(id - 1) % 3], key, NULL); break;
        case K_CONTAINS: f = nana_contains(handles[(id - 2) % 3], key); break;
        case K_LEN: f = nana_len(handles[(id - 3) % 3]); break;
        default: f = nana_future_resolved(v); break;
        }
        json_decref(v);
        if (nana_cq_attach(cq, f, on_done, s) != NANA_OK) {
            atomic_fetch_add(&errors, 1);
            atomic_fetch_add(&delivered, 1);
        }
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    handles[0] = t_open("db", NULL);
    CHECK_ST(nana_table(handles[0], "second", &handles[1]), NANA_OK);
    CHECK_ST(nana_table(handles[0], "third", &handles[2]), NANA_OK);
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK(pipe(stop_pipe) == 0);
    for (int i = 0; i < TOTAL; i++)
        atomic_init(&slots[i].calls, 0);

    pthread_t drainers[DRAINERS], attachers[ATTACHERS];
    for (int i = 0; i < DRAINERS; i++)
        CHECK(pthread_create(&drainers[i], NULL, drain_main, NULL) == 0);
    for (int i = 0; i < ATTACHERS; i++)
        CHECK(pthread_create(&attachers[i], NULL, attach_main, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < ATTACHERS; i++)
        pthread_join(attachers[i], NULL);

    pthread_mutex_lock(&mu);
    while (atomic_load(&delivered) < TOTAL)
        pthread_cond_wait(&all_in, &mu);
    pthread_mutex_unlock(&mu);
    CHECK(write(stop_pipe[1], "x", 1) == 1);
    for (int i = 0; i < DRAINERS; i++)
        pthread_join(drainers[i], NULL);

    CHECK_INT(atomic_load(&delivered), TOTAL);
    CHECK_INT(nana_cq_attached(cq), 0);
    CHECK_INT(nana_cq_drain(cq, 0), 0);
    int twice = 0, never = 0;
    for (int i = 0; i < TOTAL; i++) {
        int c = atomic_load(&slots[i].calls);
        twice += c > 1;
        never += c == 0;
    }
    CHECK_INT(twice, 0);
    CHECK_INT(never, 0);
    CHECK_INT(atomic_load(&errors), 0);
    nana_cq_free(cq);
    CHECK_ST(nana_close(handles[2]), NANA_OK);
    CHECK_ST(nana_close(handles[1]), NANA_OK);
    CHECK_ST(nana_close(handles[0]), NANA_OK);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return 0;
}
