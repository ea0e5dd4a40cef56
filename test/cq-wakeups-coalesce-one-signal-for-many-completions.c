/*
 * Wake-ups coalesce: a thousand completions waiting make the descriptor
 * readable once -- one eventfd increment (read from /proc/self/fdinfo,
 * which does not consume it), or one byte in the pipe -- not a thousand.
 * nana_cq_drain(cq, max) runs at most max callbacks, in completion order,
 * and leaves the descriptor readable while some remain; the drain that takes
 * the last one resets it.  A completion that arrives while a drain runs (a
 * callback attaching an already resolved future) waits for the next drain,
 * and keeps the descriptor readable for it.
 */
#include <poll.h>
#include <sys/ioctl.h>

#include "harness.h"

#define N 1000

static int order[N + 1], n_run;
static nana_cq_t *cq;

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* How many wake-ups the descriptor holds, without taking them. */
static long pending_signals(int fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    long count = -1;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "eventfd-count:", 14) == 0)
            count = strtol(line + 14, NULL, 16);
    fclose(fp);
    if (count < 0) { /* a pipe */
        int bytes = 0;
        CHECK(ioctl(fd, FIONREAD, &bytes) == 0);
        count = bytes;
    }
    return count;
}

static void record(nana_future_t *f, void *arg)
{
    (void)f;
    order[n_run++] = (int)(intptr_t)arg;
}

static void late(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    order[n_run++] = -1;
}

static void attach_late(nana_future_t *f, void *arg)
{
    record(f, arg);
    CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), late, NULL), NANA_OK);
}

int main(void)
{
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    int fd = nana_cq_fd(cq);
    CHECK_INT(pending_signals(fd), 0);
    for (int i = 0; i < N; i++)
        CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), record, (void *)(intptr_t)i),
                 NANA_OK);
    CHECK(readable(fd));
    CHECK_INT(pending_signals(fd), 1);
    CHECK_INT(nana_cq_attached(cq), N);

    CHECK_INT(nana_cq_drain(cq, 10), 10);
    CHECK(readable(fd));
    CHECK_INT(pending_signals(fd), 1);
    CHECK_INT(nana_cq_attached(cq), N - 10);
    CHECK_INT(nana_cq_drain(cq, 1), 1);
    CHECK_INT(nana_cq_drain(cq, 0), N - 11);
    CHECK(!readable(fd));
    CHECK_INT(pending_signals(fd), 0);
    CHECK_INT(n_run, N);
    for (int i = 0; i < N; i++)
        CHECK_INT(order[i], i);

    /* Arriving during a drain: left for the next one. */
    n_run = 0;
    CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), attach_late, (void *)(intptr_t)7),
             NANA_OK);
    CHECK_INT(nana_cq_drain(cq, 0), 1);
    CHECK_INT(n_run, 1);
    CHECK(readable(fd));
    CHECK_INT(pending_signals(fd), 1);
    CHECK_INT(nana_cq_drain(cq, 0), 1);
    CHECK_INT(n_run, 2);
    CHECK_INT(order[1], -1);
    CHECK(!readable(fd));
    CHECK_INT(pending_signals(fd), 0);

    nana_cq_free(cq);
    return 0;
}
