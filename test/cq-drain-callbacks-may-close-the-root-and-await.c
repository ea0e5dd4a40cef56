/*
 * A callback run by nana_cq_drain() is ordinary code of the draining thread,
 * not a callback of nana_future_on_ready(): it may await a pending future
 * (which blocks that thread until the future resolves, and returns its
 * status instead of NANA_EDEADLK), and it may close the root whose futures
 * are attached (NANA_OK, not NANA_EDEADLK).  The close runs no callback
 * itself: the completions of the 300 jobs it drained wait in the queue, and
 * the next drain delivers each exactly once, with NANA_OK; what was
 * submitted on a sub-table after the close resolves NANA_ECLOSED.
 */
#include "harness.h"

#define QUEUED 300

static nana_db_t *root, *sub;
static nana_cq_t *cq;
static int calls[QUEUED + 1], closed_calls, wrong;
static nana_status_t awaited = NANA_PENDING, close_status = NANA_PENDING;

static void on_queued(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    calls[i]++;
    if (nana_future_status(f) != NANA_OK)
        wrong++;
}

static void on_after_close(nana_future_t *f, void *arg)
{
    (void)arg;
    closed_calls++;
    if (nana_future_status(f) != NANA_ECLOSED)
        wrong++;
}

static void first(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    json_t *v = json_integer(99);
    nana_future_t *set = nana_set(root, "awaited", v);
    json_decref(v);
    awaited = nana_future_await(set); /* blocks this thread, works */
    nana_future_free(set);
    for (int i = 0; i < QUEUED; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        v = json_integer(i);
        if (nana_cq_attach(cq, nana_set(i % 2 ? sub : root, key, v), on_queued,
                           (void *)(intptr_t)i) != NANA_OK)
            wrong++;
        json_decref(v);
    }
    close_status = nana_close(root);
    if (nana_cq_attach(cq, nana_get(sub, "k1", NULL), on_after_close, NULL) != NANA_OK)
        wrong++;
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), first, NULL), NANA_OK);

    CHECK_INT(nana_cq_drain(cq, 0), 1);
    CHECK_ST(awaited, NANA_OK);
    CHECK_ST(close_status, NANA_OK);
    for (int i = 0; i < QUEUED; i++)
        CHECK_INT(calls[i], 0); /* waiting in the queue */
    CHECK_INT(nana_cq_attached(cq), QUEUED + 1);

    CHECK_INT(nana_cq_drain(cq, 0), QUEUED + 1);
    for (int i = 0; i < QUEUED; i++)
        CHECK_INT(calls[i], 1);
    CHECK_INT(closed_calls, 1);
    CHECK_INT(wrong, 0);
    CHECK_INT(nana_cq_drain(cq, 0), 0);
    nana_cq_free(cq);
    CHECK_ST(nana_close(sub), NANA_OK);

    nana_db_t *again = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(again)), QUEUED / 2 + 1);
    t_expect(nana_get(again, "awaited", NULL), "99");
    CHECK_ST(nana_close(again), NANA_OK);
    return 0;
}
