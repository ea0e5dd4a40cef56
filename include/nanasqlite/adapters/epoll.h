/*
 * nanasqlite/adapters/epoll.h -- a completion queue on an epoll(7) loop.
 * Header-only, in the manner of hiredis's adapters: nothing to link but
 * libnanasqlite.  See nana_libevent_attach(3).
 *
 *     nana_epoll_attach(cq, epfd, (epoll_data_t){.ptr = cq});
 *     ...
 *     n = epoll_wait(epfd, events, max, -1);
 *     for (i = 0; i < n; i++)
 *         if (events[i].data.ptr == cq)
 *             nana_cq_drain(cq, 0);      // the callbacks run here
 *
 * The queue's descriptor is added level-triggered (EPOLLIN) with the
 * caller's data, and taken off epfd by nana_cq_free(), which must run while
 * epfd is still open.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NANASQLITE_ADAPTERS_EPOLL_H
#define NANASQLITE_ADAPTERS_EPOLL_H

#include <stdlib.h>
#include <sys/epoll.h>

#include <nanasqlite.h>

struct nana__epoll_binding {
    int epfd, fd;
};

static inline void nana__epoll_cleanup(void *data)
{
    struct nana__epoll_binding *b = (struct nana__epoll_binding *)data;
    struct epoll_event unused; /* kernels before 2.6.9 want one for DEL */
    (void)epoll_ctl(b->epfd, EPOLL_CTL_DEL, b->fd, &unused);
    free(b);
}

/* Adds the queue's descriptor to the epoll instance epfd, with event data
 * data; when epoll_wait() reports it, call nana_cq_drain(cq, 0).  NANA_OK;
 * NANA_EINVAL (cq NULL, epfd refused the descriptor, or the queue already
 * has an adapter); NANA_ENOMEM. */
static inline nana_status_t nana_epoll_attach(nana_cq_t *cq, int epfd, epoll_data_t data)
{
    if (!cq || epfd < 0)
        return NANA_EINVAL;
    struct nana__epoll_binding *b =
        (struct nana__epoll_binding *)malloc(sizeof(struct nana__epoll_binding));
    if (!b)
        return NANA_ENOMEM;
    b->epfd = epfd;
    b->fd = nana_cq_fd(cq);
    struct epoll_event ev;
    ev.events = EPOLLIN;
    ev.data = data;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, b->fd, &ev) != 0) {
        free(b);
        return NANA_EINVAL;
    }
    nana_status_t st = nana_cq_set_cleanup(cq, nana__epoll_cleanup, b);
    if (st != NANA_OK)
        nana__epoll_cleanup(b);
    return st;
}

#endif
