/*
 * The libuv adapter (include/nanasqlite/adapters/libuv.h): one call,
 * nana_libuv_attach(), makes a libuv loop drain a queue through a uv_poll_t;
 * the loop runs the shared workload (test/loopwork.h: 6000 operations on
 * three handles, chained from callbacks and attached from another thread)
 * and sees every callback exactly once, on the loop thread, then ends by
 * uv_stop() from the last callback.  The poll handle keeps the loop alive
 * until nana_cq_free() closes it; one more turn of the loop finishes the
 * close, after which uv_loop_close() finds no handle left.  A second attach,
 * or a NULL queue or loop, is NANA_EINVAL.  libuv missing is a failure that
 * says what to install, never a skip.
 */
#include "harness.h"

#if !__has_include(<uv.h>)
int main(void)
{
    t_fail(__FILE__, __LINE__,
           "libuv is not installed, so the libuv adapter cannot be tested: `make deps` "
           "(tools/check-deps.sh) installs it on Debian, or: apt-get install libuv1-dev");
}
#else
#include <uv.h>

#include <nanasqlite/adapters/libuv.h>

#include "loopwork.h"

static void stop(void *ctx)
{
    uv_stop(ctx);
}

int main(void)
{
    uv_loop_t loop;
    CHECK(uv_loop_init(&loop) == 0);

    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK_ST(nana_libuv_attach(NULL, &loop), NANA_EINVAL);
    CHECK_ST(nana_libuv_attach(cq, NULL), NANA_EINVAL);
    CHECK_ST(nana_libuv_attach(cq, &loop), NANA_OK);
    CHECK_ST(nana_libuv_attach(cq, &loop), NANA_EINVAL);
    uv_run(&loop, UV_RUN_NOWAIT); /* the refused second handle finishes closing */
    CHECK(uv_loop_alive(&loop));

    lw_start(cq, stop, &loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    lw_check();
    CHECK(uv_loop_alive(&loop)); /* the queue's handle */

    nana_cq_free(cq);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(!uv_loop_alive(&loop));
    CHECK_INT(uv_loop_close(&loop), 0);
    lw_close();
    return 0;
}
#endif
