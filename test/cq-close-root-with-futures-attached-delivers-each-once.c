/*
 * Closing a root whose futures are attached to a queue.  2000 operations on a
 * root and a sub-table are attached while still queued, then the root is
 * closed on the loop thread: nana_close() drains the jobs, and their
 * completions wait in the queue -- none is run by the close, and none is
 * lost.  Operations on the sub-table after the close resolve NANA_ECLOSED
 * and are delivered through the queue too.  One drain then runs every
 * callback exactly once, with the outcome it should have, and the queue is
 * empty.
 */
#include <poll.h>

#include "harness.h"

#define N 2000
#define AFTER 50

static int calls[N + AFTER], wrong;

static void on_done(nana_future_t *f, void *arg)
{
    int i = (int)(intptr_t)arg;
    calls[i]++;
    nana_status_t st = nana_future_status(f);
    if (i >= N) {
        if (st != NANA_ECLOSED)
            wrong++;
    } else if (i % 2 == 0) { /* a set */
        if (st != NANA_OK)
            wrong++;
    } else { /* the get of the set before it */
        json_t *v = nana_future_json(f);
        if (st != NANA_OK || !json_is_integer(v) || json_integer_value(v) != i - 1)
            wrong++;
    }
}

int main(void)
{
    nana_db_t *root = t_open("db", NULL), *sub;
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);

    for (int i = 0; i < N; i += 2) {
        nana_db_t *db = i % 4 ? sub : root;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        CHECK_ST(nana_cq_attach(cq, nana_set(db, key, v), on_done, (void *)(intptr_t)i),
                 NANA_OK);
        json_decref(v);
        CHECK_ST(nana_cq_attach(cq, nana_get(db, key, NULL), on_done, (void *)(intptr_t)(i + 1)),
                 NANA_OK);
    }
    CHECK_INT(nana_cq_attached(cq), N);

    CHECK_ST(nana_close(root), NANA_OK);
    for (int i = 0; i < N; i++)
        CHECK_INT(calls[i], 0); /* delivered only by a drain */
    for (int i = N; i < N + AFTER; i++)
        CHECK_ST(nana_cq_attach(cq, nana_get(sub, "k0", NULL), on_done, (void *)(intptr_t)i),
                 NANA_OK);
    CHECK_INT(nana_cq_attached(cq), N + AFTER);
    struct pollfd p = {.fd = nana_cq_fd(cq), .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 1);

    CHECK_INT(nana_cq_drain(cq, 0), N + AFTER);
    for (int i = 0; i < N + AFTER; i++)
        CHECK_INT(calls[i], 1);
    CHECK_INT(wrong, 0);
    CHECK_INT(nana_cq_attached(cq), 0);
    CHECK(poll(&p, 1, 0) == 0);
    nana_cq_free(cq);
    CHECK_ST(nana_close(sub), NANA_OK);

    /* Every acknowledged set is in the file. */
    nana_db_t *again = t_open("db", NULL), *sub2;
    CHECK_ST(nana_table(again, "sub", &sub2), NANA_OK);
    CHECK_INT(t_int(nana_len(again)) + t_int(nana_len(sub2)), N / 2);
    CHECK_ST(nana_close(sub2), NANA_OK);
    CHECK_ST(nana_close(again), NANA_OK);
    return 0;
}
