/*
 * The libevent adapter (include/nanasqlite/adapters/libevent.h): one call,
 * nana_libevent_attach(), makes a libevent 2 loop drain a queue; the loop
 * runs the shared workload (test/loopwork.h: 6000 operations on three
 * handles, chained from callbacks and attached from another thread) and sees
 * every callback exactly once, on the loop thread, then ends by
 * event_base_loopbreak() from the last callback.  The adapter adds one event
 * to the base and nana_cq_free() removes it; a second attach, or a NULL
 * queue or base, is NANA_EINVAL.  libevent missing is a failure that says
 * what to install, never a skip.
 */
#include "harness.h"

#if !__has_include(<event2/event.h>)
int main(void)
{
    t_fail(__FILE__, __LINE__,
           "libevent is not installed, so the libevent adapter cannot be tested: `make deps` "
           "(tools/check-deps.sh) installs it on Debian, or: apt-get install libevent-dev");
}
#else
#include <event2/event.h>

#include <nanasqlite/adapters/libevent.h>

#include "loopwork.h"

static void stop(void *ctx)
{
    event_base_loopbreak(ctx);
}

int main(void)
{
    struct event_base *base = event_base_new();
    CHECK(base != NULL);
    int before = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);

    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK_ST(nana_libevent_attach(NULL, base), NANA_EINVAL);
    CHECK_ST(nana_libevent_attach(cq, NULL), NANA_EINVAL);
    CHECK_ST(nana_libevent_attach(cq, base), NANA_OK);
    CHECK_ST(nana_libevent_attach(cq, base), NANA_EINVAL);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), before + 1);

    lw_start(cq, stop, base);
    CHECK_INT(event_base_dispatch(base), 0);
    CHECK(event_base_got_break(base));
    lw_check();

    nana_cq_free(cq);
    CHECK_INT(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), before);
    CHECK_INT(event_base_loop(base, EVLOOP_NONBLOCK), 1); /* nothing left to run */
    event_base_free(base);
    lw_close();
    return 0;
}
#endif
