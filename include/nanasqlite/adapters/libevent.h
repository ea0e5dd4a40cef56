/*
 * nanasqlite/adapters/libevent.h -- a completion queue on a libevent 2 loop.
 * Header-only, in the manner of hiredis's adapters: link with libevent
 * (pkg-config libevent).  See nana_libevent_attach(3).
 *
 *     nana_libevent_attach(cq, base);
 *     nana_cq_attach(cq, nana_get(db, key, NULL), on_user, req);
 *     event_base_dispatch(base);         // on_user runs on this thread
 *
 * The queue's descriptor is watched by a persistent read event of base,
 * which drains the queue each time it is readable; nana_cq_free() frees
 * that event, so it must run before event_base_free(base).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NANASQLITE_ADAPTERS_LIBEVENT_H
#define NANASQLITE_ADAPTERS_LIBEVENT_H

#include <event2/event.h>

#include <nanasqlite.h>

static inline void nana__libevent_on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    /* Nothing of the queue is used after this: a callback may free it. */
    nana_cq_drain((nana_cq_t *)arg, 0);
}

static inline void nana__libevent_cleanup(void *data)
{
    event_free((struct event *)data);
}

/* Watches the queue from base: its callbacks then run on the thread that
 * runs base's loop.  NANA_OK; NANA_EINVAL (cq or base NULL, or the queue
 * already has an adapter); NANA_ENOMEM (libevent could not make or add the
 * event). */
static inline nana_status_t nana_libevent_attach(nana_cq_t *cq, struct event_base *base)
{
    if (!cq || !base)
        return NANA_EINVAL;
    struct event *ev = event_new(base, nana_cq_fd(cq), EV_READ | EV_PERSIST,
                                 nana__libevent_on_readable, cq);
    if (!ev)
        return NANA_ENOMEM;
    if (event_add(ev, NULL) != 0) {
        event_free(ev);
        return NANA_ENOMEM;
    }
    nana_status_t st = nana_cq_set_cleanup(cq, nana__libevent_cleanup, ev);
    if (st != NANA_OK)
        event_free(ev);
    return st;
}

#endif
