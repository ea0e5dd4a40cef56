/*
 * A root is closed on one thread while another thread -- an event loop's --
 * drains the queue its futures are attached to, and a third keeps attaching
 * operations on a sub-table of that root through the close.  Every attached
 * future is delivered exactly once, on the loop thread: those that ran with
 * NANA_OK, those submitted after the close with NANA_ECLOSED, nothing else;
 * the total reaches what was attached, and the queue ends empty.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "harness.h"

#define BEFORE 1500
#define DURING 1500
#define TOTAL (BEFORE + DURING)

static atomic_int calls[TOTAL];
static atomic_int wrong, attached_count;
static int delivered;
static pthread_t loop_thread;
static nana_cq_t *cq;
static nana_db_t *root, *sub;
static pthread_barrier_t go;

static void on_done(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    delivered++;
    if (atomic_fetch_add(&calls[i], 1) != 0 || !pthread_equal(pthread_self(), loop_thread))
        atomic_fetch_add(&wrong, 1);
    nana_status_t st = nana_future_status(f);
    if (st != NANA_OK && st != NANA_ECLOSED)
        atomic_fetch_add(&wrong, 1);
    if (i < BEFORE && st != NANA_OK)
        atomic_fetch_add(&wrong, 1);
}

static void *closer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&go);
    if (nana_close(root) != NANA_OK)
        atomic_fetch_add(&wrong, 1);
    return NULL;
}

static void *attacher(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&go);
    for (int i = BEFORE; i < TOTAL; i++) {
        json_t *v = json_integer(i);
        nana_future_t *f = i % 2 ? nana_get(sub, "k", NULL) : nana_set(sub, "k", v);
        json_decref(v);
        if (nana_cq_attach(cq, f, on_done, (void *)(intptr_t)i) != NANA_OK)
            atomic_fetch_add(&wrong, 1);
        atomic_fetch_add(&attached_count, 1);
    }
    return NULL;
}

int main(void)
{
    loop_thread = pthread_self();
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    t_set_json(sub, "k", "0");
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    for (int i = 0; i < TOTAL; i++)
        atomic_init(&calls[i], 0);
    for (int i = 0; i < BEFORE; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        CHECK_ST(nana_cq_attach(cq, nana_set(i % 2 ? sub : root, key, v), on_done,
                                (void *)(intptr_t)i),
                 NANA_OK);
        json_decref(v);
    }
    CHECK(pthread_barrier_init(&go, NULL, 3) == 0);
    pthread_t th[2];
    CHECK(pthread_create(&th[0], NULL, closer, NULL) == 0);
    CHECK(pthread_create(&th[1], NULL, attacher, NULL) == 0);
    pthread_barrier_wait(&go);

    struct pollfd p = {.fd = nana_cq_fd(cq), .events = POLLIN};
    while (delivered < TOTAL) {
        CHECK(poll(&p, 1, 60000) == 1);
        nana_cq_drain(cq, 0);
    }
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    CHECK_INT(delivered, TOTAL);
    CHECK_INT(atomic_load(&attached_count), DURING);
    for (int i = 0; i < TOTAL; i++)
        CHECK_INT(atomic_load(&calls[i]), 1);
    CHECK_INT(atomic_load(&wrong), 0);
    CHECK_INT(nana_cq_attached(cq), 0);
    CHECK(poll(&p, 1, 0) == 0);
    nana_cq_free(cq);
    CHECK_ST(nana_close(sub), NANA_OK);
    pthread_barrier_destroy(&go);
    return 0;
}
