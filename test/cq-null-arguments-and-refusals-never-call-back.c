/*
 * What the completion queue refuses, it refuses without calling back:
 * nana_cq_new(NULL) is NANA_EINVAL; nana_cq_attach() with a NULL queue,
 * future or callback is NANA_EINVAL and the callback never runs (the future
 * it was given is freed: ASan and valgrind would see it leak otherwise);
 * nana_cq_set_cleanup() with a NULL queue or function, or a second time, is
 * NANA_EINVAL and keeps the first one; a NULL queue drains and counts
 * nothing, has descriptor -1, and frees as a no-op.  Queues are independent:
 * a completion attached to one makes only its own descriptor readable.
 */
#include <poll.h>

#include "harness.h"

static int calls, cleanups_a, cleanups_b;

static void never(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    calls++;
}

static void cleanup_a(void *data)
{
    (void)data;
    cleanups_a++;
}

static void cleanup_b(void *data)
{
    (void)data;
    cleanups_b++;
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

int main(void)
{
    CHECK_ST(nana_cq_new(NULL), NANA_EINVAL);
    CHECK_INT(nana_cq_fd(NULL), -1);
    CHECK_INT(nana_cq_drain(NULL, 0), 0);
    CHECK_INT(nana_cq_attached(NULL), 0);
    nana_cq_free(NULL);
    CHECK_ST(nana_cq_set_cleanup(NULL, cleanup_a, NULL), NANA_EINVAL);

    nana_cq_t *a, *b;
    CHECK_ST(nana_cq_new(&a), NANA_OK);
    CHECK_ST(nana_cq_new(&b), NANA_OK);
    CHECK(nana_cq_fd(a) != nana_cq_fd(b));

    json_t *v = json_integer(1);
    CHECK_ST(nana_cq_attach(NULL, nana_future_resolved(v), never, NULL), NANA_EINVAL);
    CHECK_ST(nana_cq_attach(a, NULL, never, NULL), NANA_EINVAL);
    CHECK_ST(nana_cq_attach(a, nana_future_resolved(v), NULL, NULL), NANA_EINVAL);
    /* A pending future, refused the same way. */
    nana_db_t *db = t_open("db", NULL);
    CHECK_ST(nana_cq_attach(a, nana_set(db, "k", v), NULL, NULL), NANA_EINVAL);
    json_decref(v);
    CHECK_INT(nana_cq_attached(a), 0);
    CHECK(!readable(nana_cq_fd(a)));
    CHECK_INT(nana_cq_drain(a, 0), 0);

    CHECK_ST(nana_cq_set_cleanup(a, NULL, NULL), NANA_EINVAL);
    CHECK_ST(nana_cq_set_cleanup(a, cleanup_a, NULL), NANA_OK);
    CHECK_ST(nana_cq_set_cleanup(a, cleanup_b, NULL), NANA_EINVAL);

    CHECK_ST(nana_cq_attach(b, nana_future_resolved(NULL), never, NULL), NANA_OK);
    CHECK(readable(nana_cq_fd(b)));
    CHECK(!readable(nana_cq_fd(a)));
    CHECK_INT(nana_cq_drain(a, 0), 0);
    CHECK_INT(calls, 0);
    CHECK_INT(nana_cq_drain(b, 0), 1);
    CHECK_INT(calls, 1);

    nana_cq_free(a);
    nana_cq_free(b);
    CHECK_INT(cleanups_a, 1);
    CHECK_INT(cleanups_b, 0);
    CHECK_INT(calls, 1);
    CHECK_ST(nana_close(db), NANA_OK);
    nana_db_t *again = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(again)), 1); /* the set whose attach was refused still ran */
    CHECK_ST(nana_close(again), NANA_OK);
    return 0;
}
