/*
 * The epoll adapter (include/nanasqlite/adapters/epoll.h): one call,
 * nana_epoll_attach(), puts a queue's descriptor into an epoll set with the
 * caller's event data, beside the loop's other descriptors; a loop that
 * drains the queue when epoll_wait() reports that data runs the shared
 * workload (test/loopwork.h: 6000 operations on three handles, chained from
 * callbacks and attached from another thread), and sees every callback
 * exactly once, on the loop thread.  A second attach, a NULL queue or a bad
 * epoll descriptor is NANA_EINVAL; nana_cq_free() takes the descriptor out
 * of the set (/proc/self/fdinfo lists what an epoll set watches).
 */
#include <sys/epoll.h>
#include <unistd.h>

#include <nanasqlite/adapters/epoll.h>

#include "loopwork.h"

static bool running = true;

static void stop(void *ctx)
{
    *(bool *)ctx = false;
}

/* How many descriptors the epoll set epfd watches. */
static int watched(int epfd)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n += strncmp(line, "tfd:", 4) == 0;
    fclose(fp);
    return n;
}

enum { TAG_QUEUE = 1, TAG_OTHER = 2 };

int main(void)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC), other[2];
    CHECK(epfd >= 0);
    CHECK(pipe(other) == 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_OTHER};
    CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, other[0], &ev) == 0); /* the loop's own */

    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    epoll_data_t tag = {.u64 = TAG_QUEUE};
    CHECK_ST(nana_epoll_attach(NULL, epfd, tag), NANA_EINVAL);
    CHECK_ST(nana_epoll_attach(cq, -1, tag), NANA_EINVAL);
    CHECK_ST(nana_epoll_attach(cq, epfd, tag), NANA_OK);
    CHECK_ST(nana_epoll_attach(cq, epfd, tag), NANA_EINVAL);
    CHECK_INT(watched(epfd), 2);

    lw_start(cq, stop, &running);
    int wakeups = 0;
    while (running) {
        struct epoll_event events[8];
        int n = epoll_wait(epfd, events, 8, 60000);
        CHECK(n > 0);
        for (int i = 0; i < n; i++) {
            CHECK(events[i].data.u64 == TAG_QUEUE); /* the pipe stays quiet */
            nana_cq_drain(cq, 0);
            wakeups++;
        }
    }
    lw_check();
    printf("%d wake-ups for %d completions\n", wakeups, LW_TOTAL);

    nana_cq_free(cq);
    CHECK_INT(watched(epfd), 1);
    lw_close();
    close(other[0]);
    close(other[1]);
    close(epfd);
    return 0;
}
