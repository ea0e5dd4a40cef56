/*
 * cq.c -- the completion queue: futures delivered on the thread that drains
 * the queue, woken through a file descriptor an event loop can watch.
 *
 * A client of the public future seam only.  Attaching takes over the
 * caller's reference and registers an on_ready callback (the hook); the hook
 * runs wherever the future resolves (a pool worker, an awaiting thread, or
 * at once), moves the entry from the attached list to the ready list and
 * makes the descriptor readable if it was not; nana_cq_drain() takes ready
 * entries and runs the user's callbacks on its own thread.
 *
 * Who owns what:
 *   - an entry has two references while its hook is still to run: the
 *     hook's and the queue's (whoever delivers or cancels it);
 *   - the queue has one reference for its user plus one per hook still to
 *     run, so that a hook that fires after nana_cq_free() finds the lock
 *     and the "cancelled" mark it needs.
 * Every list, count and the descriptor's state are guarded by cq->lock; the
 * descriptor is written and read under it too, so that "readable" and "a
 * completion is waiting" never disagree.  The lock is never held while a
 * user callback runs, nor while anything waits for a future.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "internal.h"

struct cq_entry {
    /* The attached list (doubly linked), then the ready list or a private
     * list of the thread delivering it (next only). */
    struct cq_entry *prev, *next;
    nana_future_t *future; /* the caller's reference, taken over */
    nana_callback_fn cb;
    void *arg;
    struct nana_cq *cq;    /* for the hook */
    atomic_int refs;
    bool cancelled;        /* nana_cq_free() delivered it: the hook only lets go */
};

struct nana_cq {
    pthread_mutex_t lock;
    struct cq_entry *attached_head, *attached_tail; /* futures still pending */
    struct cq_entry *ready_head, *ready_tail;       /* resolved, in order */
    size_t outstanding; /* attached + ready: callbacks still to run */
    bool signalled;     /* the descriptor is readable */
    bool closed;        /* nana_cq_free() has begun */
    int read_fd, write_fd; /* one eventfd twice, or a pipe's two ends */
    void (*cleanup)(void *data);
    void *cleanup_data;
    atomic_int refs;
};

/* ------------------------------------------------------------ the descriptor */

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int fdfl = fcntl(fd, F_GETFD);
    if (fl < 0 || fdfl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

/* An eventfd where there is one; a pipe on other systems and on kernels
 * without eventfd (ENOSYS, or EINVAL for the flags on very old ones). */
static int open_fds(struct nana_cq *cq)
{
#ifdef __linux__
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd >= 0) {
        cq->read_fd = cq->write_fd = efd;
        return 0;
    }
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    int p[2];
    if (pipe(p) < 0)
        return -1;
    if (set_flags(p[0]) < 0 || set_flags(p[1]) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    cq->read_fd = p[0];
    cq->write_fd = p[1];
    return 0;
}

/* Makes the descriptor readable (under cq->lock, once per wake-up). */
static void fd_signal(struct nana_cq *cq)
{
    ssize_t n;
    if (cq->read_fd == cq->write_fd) {
        uint64_t one = 1;
        do
            n = write(cq->write_fd, &one, sizeof one);
        while (n < 0 && errno == EINTR);
    } else {
        char byte = 1;
        do
            n = write(cq->write_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
    }
    /* Cannot fail short of a broken descriptor: the counter is reset, and
     * the pipe emptied, before the next signal. */
    (void)n;
}

/* Makes it unreadable again (under cq->lock). */
static void fd_clear(struct nana_cq *cq)
{
    ssize_t n;
    if (cq->read_fd == cq->write_fd) {
        uint64_t count;
        do
            n = read(cq->read_fd, &count, sizeof count);
        while (n < 0 && errno == EINTR);
    } else {
        char bytes[64];
        do
            n = read(cq->read_fd, bytes, sizeof bytes);
        while (n > 0 || (n < 0 && errno == EINTR));
    }
    (void)n;
}

/* ----------------------------------------------------------------- lists */

static void attached_unlink(struct nana_cq *cq, struct cq_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        cq->attached_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        cq->attached_tail = e->prev;
    e->prev = e->next = NULL;
}

/* Appends a resolved entry to the ready list and wakes the descriptor when
 * the list was empty.  Under cq->lock. */
static void ready_push(struct nana_cq *cq, struct cq_entry *e)
{
    e->next = NULL;
    if (cq->ready_tail)
        cq->ready_tail->next = e;
    else
        cq->ready_head = e;
    cq->ready_tail = e;
    if (!cq->signalled) {
        fd_signal(cq);
        cq->signalled = true;
    }
}

static void entry_unref(struct cq_entry *e)
{
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        free(e);
}

static void cq_unref(struct nana_cq *cq)
{
    if (atomic_fetch_sub_explicit(&cq->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&cq->lock);
    free(cq);
}

/* Runs the user's callback of every entry of list (linked by next), in
 * order, on this thread; the future and the queue's reference to the entry
 * go afterwards.  Touches no queue: the list is the caller's. */
static size_t deliver(struct cq_entry *list)
{
    size_t n = 0;
    while (list) {
        struct cq_entry *next = list->next;
        list->cb(list->future, list->arg);
        nana_future_free(list->future);
        entry_unref(list);
        list = next;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ hook */

/* On the thread that resolved the future (see nana_future_on_ready(3)):
 * only moves the entry. */
static void on_resolved(nana_future_t *f, void *arg)
{
    struct cq_entry *e = arg;
    struct nana_cq *cq = e->cq;
    (void)f;
    pthread_mutex_lock(&cq->lock);
    if (!e->cancelled) {
        attached_unlink(cq, e);
        ready_push(cq, e);
    }
    pthread_mutex_unlock(&cq->lock);
    entry_unref(e);
    cq_unref(cq);
}

/* --------------------------------------------------------------- public */

NANA_API nana_status_t nana_cq_new(nana_cq_t **out)
{
    if (!out)
        return NANA_EINVAL;
    *out = NULL;
    struct nana_cq *cq = calloc(1, sizeof *cq);
    if (!cq)
        return NANA_ENOMEM;
    if (pthread_mutex_init(&cq->lock, NULL) != 0) {
        free(cq);
        return NANA_ENOMEM;
    }
    if (open_fds(cq) < 0) {
        pthread_mutex_destroy(&cq->lock);
        free(cq);
        return NANA_ENOMEM; /* no descriptor left (EMFILE, ENFILE) or no memory */
    }
    atomic_init(&cq->refs, 1);
    *out = cq;
    return NANA_OK;
}

NANA_API int nana_cq_fd(const nana_cq_t *cq)
{
    return cq ? cq->read_fd : -1;
}

NANA_API nana_status_t nana_cq_attach(nana_cq_t *cq, nana_future_t *f, nana_callback_fn cb,
                                      void *arg)
{
    if (!cq || !f || !cb) {
        nana_future_free(f);
        return NANA_EINVAL;
    }
    struct cq_entry *e = malloc(sizeof *e);
    if (!e) {
        nana_future_free(f);
        return NANA_ENOMEM;
    }
    e->prev = e->next = NULL;
    e->future = f;
    e->cb = cb;
    e->arg = arg;
    e->cq = cq;
    e->cancelled = false;

    /* Already resolved (a cache hit, a closed handle's failure): straight to
     * the ready list, no hook. */
    bool resolved = nana_future_poll(f);
    atomic_init(&e->refs, resolved ? 1 : 2);

    pthread_mutex_lock(&cq->lock);
    if (cq->closed) {
        pthread_mutex_unlock(&cq->lock);
        free(e);
        nana_future_free(f);
        return NANA_ECLOSED;
    }
    cq->outstanding++;
    if (resolved) {
        ready_push(cq, e);
        pthread_mutex_unlock(&cq->lock);
        return NANA_OK;
    }
    /* Listed before the hook is registered: it may run at once, here, or on
     * another thread before nana_future_on_ready() returns. */
    e->prev = cq->attached_tail;
    if (cq->attached_tail)
        cq->attached_tail->next = e;
    else
        cq->attached_head = e;
    cq->attached_tail = e;
    atomic_fetch_add_explicit(&cq->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&cq->lock);

    if (nana_future_on_ready(f, on_resolved, e) != NANA_OK) {
        /* No hook will run (out of memory): undo. */
        pthread_mutex_lock(&cq->lock);
        bool delivered = e->cancelled;
        if (!delivered) {
            attached_unlink(cq, e);
            cq->outstanding--;
        }
        pthread_mutex_unlock(&cq->lock);
        if (!delivered) {
            free(e);
            nana_future_free(f);
        } else {
            entry_unref(e); /* nana_cq_free() ran its callback: the hook's share */
        }
        cq_unref(cq);
        return delivered ? NANA_OK : NANA_ENOMEM;
    }
    return NANA_OK;
}

NANA_API size_t nana_cq_drain(nana_cq_t *cq, size_t max)
{
    if (!cq)
        return 0;
    pthread_mutex_lock(&cq->lock);
    struct cq_entry *taken = cq->ready_head, *last = NULL;
    size_t n = 0;
    for (struct cq_entry *e = taken; e && (max == 0 || n < max); e = e->next) {
        last = e;
        n++;
    }
    if (last) {
        cq->ready_head = last->next;
        if (!cq->ready_head)
            cq->ready_tail = NULL;
        last->next = NULL;
        cq->outstanding -= n;
    } else {
        taken = NULL;
    }
    /* Readable exactly while something is ready: what this call left stays
     * signalled, one wake-up for any number of completions. */
    if (!cq->ready_head && cq->signalled) {
        fd_clear(cq);
        cq->signalled = false;
    }
    pthread_mutex_unlock(&cq->lock);
    /* From here on the queue is not touched: a callback may free it. */
    return deliver(taken);
}

NANA_API size_t nana_cq_attached(const nana_cq_t *cq)
{
    if (!cq)
        return 0;
    struct nana_cq *q = (struct nana_cq *)cq; /* the lock only */
    pthread_mutex_lock(&q->lock);
    size_t n = q->outstanding;
    pthread_mutex_unlock(&q->lock);
    return n;
}

NANA_API nana_status_t nana_cq_set_cleanup(nana_cq_t *cq, void (*fn)(void *data), void *data)
{
    if (!cq || !fn)
        return NANA_EINVAL;
    nana_status_t st = NANA_OK;
    pthread_mutex_lock(&cq->lock);
    if (cq->cleanup || cq->closed) {
        st = NANA_EINVAL;
    } else {
        cq->cleanup = fn;
        cq->cleanup_data = data;
    }
    pthread_mutex_unlock(&cq->lock);
    return st;
}

NANA_API void nana_cq_free(nana_cq_t *cq)
{
    if (!cq)
        return;
    pthread_mutex_lock(&cq->lock);
    if (cq->closed) {
        /* From a callback that this very nana_cq_free() is running. */
        pthread_mutex_unlock(&cq->lock);
        return;
    }
    cq->closed = true;
    struct cq_entry *ready = cq->ready_head;
    cq->ready_head = cq->ready_tail = NULL;
    /* Still pending: delivered now, as they are; their hooks only let go. */
    struct cq_entry *pending = cq->attached_head;
    for (struct cq_entry *e = pending; e; e = e->next)
        e->cancelled = true;
    cq->attached_head = cq->attached_tail = NULL;
    cq->outstanding = 0;
    if (cq->signalled) {
        fd_clear(cq);
        cq->signalled = false;
    }
    void (*cleanup)(void *) = cq->cleanup;
    void *cleanup_data = cq->cleanup_data;
    pthread_mutex_unlock(&cq->lock);

    deliver(ready);
    deliver(pending);
    /* The loop lets go of the descriptor before it is closed. */
    if (cleanup)
        cleanup(cleanup_data);
    close(cq->read_fd);
    if (cq->write_fd != cq->read_fd)
        close(cq->write_fd);
    cq_unref(cq);
}
