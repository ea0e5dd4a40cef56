/*
 * Eight threads attach futures to one completion queue (sets on a root and a
 * sub-table, already resolved futures) while one thread -- an event loop's,
 * polling the descriptor -- drains it, and each callback of a set attaches
 * a get of the same key from the loop thread itself.  Every callback, of
 * both generations, runs exactly once and on the draining thread only; the
 * gets see their sets; the queue ends empty with its descriptor unreadable.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 500
#define TOTAL (THREADS * PER_THREAD)

struct slot {
    atomic_int calls, get_calls;
    nana_db_t *db;
    char key[32];
    int value;
};

static struct slot slots[TOTAL];
static nana_cq_t *cq;
static pthread_t loop_thread;
static int delivered, errors; /* the loop thread's only */
static atomic_int attach_errors;

static void on_get(nana_future_t *f, void *arg)
{
    struct slot *s = arg;
    delivered++;
    if (atomic_fetch_add(&s->get_calls, 1) != 0 || !pthread_equal(pthread_self(), loop_thread))
        errors++;
    json_t *v = nana_future_json(f);
    if (nana_future_status(f) != NANA_OK || !json_is_integer(v) ||
        json_integer_value(v) != s->value)
        errors++;
}

static void on_set(nana_future_t *f, void *arg)
{
    struct slot *s = arg;
    delivered++;
    if (atomic_fetch_add(&s->calls, 1) != 0 || !pthread_equal(pthread_self(), loop_thread))
        errors++;
    if (nana_future_status(f) != NANA_OK)
        errors++;
    if (s->db) {
        if (nana_cq_attach(cq, nana_get(s->db, s->key, NULL), on_get, s) != NANA_OK)
            errors++;
    } else if (!json_is_integer(nana_future_json(f))) {
        errors++;
    }
}

static nana_db_t *root, *sub;

static void *attacher(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        struct slot *s = &slots[t * PER_THREAD + i];
        json_t *v = json_integer(t * 1000 + i);
        s->value = t * 1000 + i;
        snprintf(s->key, sizeof s->key, "t%d-%d", t, i);
        nana_future_t *f;
        if (i % 4 == 3) {
            s->db = NULL; /* no get follows */
            f = nana_future_resolved(v);
        } else {
            s->db = i % 2 ? sub : root;
            f = nana_set(s->db, s->key, v);
        }
        json_decref(v);
        if (nana_cq_attach(cq, f, on_set, s) != NANA_OK)
            atomic_fetch_add(&attach_errors, 1);
    }
    return NULL;
}

int main(void)
{
    loop_thread = pthread_self();
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    for (int i = 0; i < TOTAL; i++) {
        atomic_init(&slots[i].calls, 0);
        atomic_init(&slots[i].get_calls, 0);
    }
    int gets = 0;
    for (int i = 0; i < TOTAL; i++)
        gets += i % PER_THREAD % 4 != 3;

    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, attacher, (void *)(intptr_t)t) == 0);

    /* The loop: until every callback of both generations ran. */
    struct pollfd p = {.fd = nana_cq_fd(cq), .events = POLLIN};
    while (delivered < TOTAL + gets) {
        int n = poll(&p, 1, 60000);
        CHECK(n == 1);
        nana_cq_drain(cq, 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    CHECK_INT(atomic_load(&attach_errors), 0);
    CHECK_INT(errors, 0);
    CHECK_INT(delivered, TOTAL + gets);
    for (int i = 0; i < TOTAL; i++) {
        CHECK_INT(atomic_load(&slots[i].calls), 1);
        CHECK_INT(atomic_load(&slots[i].get_calls), slots[i].db ? 1 : 0);
    }
    CHECK_INT(nana_cq_attached(cq), 0);
    CHECK(poll(&p, 1, 0) == 0);
    nana_cq_free(cq);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
