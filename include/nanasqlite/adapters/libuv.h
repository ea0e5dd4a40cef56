/*
 * nanasqlite/adapters/libuv.h -- a completion queue on a libuv loop.
 * Header-only, in the manner of hiredis's adapters: link with libuv
 * (pkg-config libuv).  See nana_libevent_attach(3).
 *
 *     nana_libuv_attach(cq, loop);
 *     nana_cq_attach(cq, nana_get(db, key, NULL), on_user, req);
 *     uv_run(loop, UV_RUN_DEFAULT);      // on_user runs on this thread
 *
 * The queue's descriptor is watched by a uv_poll_t of loop, which drains
 * the queue each time it is readable and keeps the loop alive;
 * nana_cq_free() closes it, and as with every libuv handle the loop must
 * run once more (uv_run(loop, UV_RUN_NOWAIT)) to finish closing it before
 * uv_loop_close().
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NANASQLITE_ADAPTERS_LIBUV_H
#define NANASQLITE_ADAPTERS_LIBUV_H

#include <stdlib.h>
#include <uv.h>

#include <nanasqlite.h>

struct nana__libuv_binding {
    uv_poll_t poll; /* first: the handle is the binding */
    nana_cq_t *cq;
};

static inline void nana__libuv_on_readable(uv_poll_t *handle, int status, int events)
{
    (void)events;
    if (status < 0)
        return;
    /* Nothing of the queue is used after this: a callback may free it. */
    nana_cq_drain(((struct nana__libuv_binding *)handle->data)->cq, 0);
}

static inline void nana__libuv_on_close(uv_handle_t *handle)
{
    free(handle->data);
}

static inline void nana__libuv_cleanup(void *data)
{
    struct nana__libuv_binding *b = (struct nana__libuv_binding *)data;
    uv_poll_stop(&b->poll);
    uv_close((uv_handle_t *)&b->poll, nana__libuv_on_close);
}

/* Watches the queue from loop: its callbacks then run on the thread that
 * runs the loop.  NANA_OK; NANA_EINVAL (cq or loop NULL, libuv refused the
 * descriptor, or the queue already has an adapter); NANA_ENOMEM. */
static inline nana_status_t nana_libuv_attach(nana_cq_t *cq, uv_loop_t *loop)
{
    if (!cq || !loop)
        return NANA_EINVAL;
    struct nana__libuv_binding *b =
        (struct nana__libuv_binding *)malloc(sizeof(struct nana__libuv_binding));
    if (!b)
        return NANA_ENOMEM;
    b->cq = cq;
    if (uv_poll_init(loop, &b->poll, nana_cq_fd(cq)) != 0) {
        free(b);
        return NANA_EINVAL;
    }
    b->poll.data = b;
    if (uv_poll_start(&b->poll, UV_READABLE, nana__libuv_on_readable) != 0) {
        uv_close((uv_handle_t *)&b->poll, nana__libuv_on_close);
        return NANA_EINVAL;
    }
    nana_status_t st = nana_cq_set_cleanup(cq, nana__libuv_cleanup, b);
    if (st != NANA_OK)
        nana__libuv_cleanup(b);
    return st;
}

#endif
