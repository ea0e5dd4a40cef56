/*
 * pool.c -- the worker pool, the job queue and group commit.
 *
 * One FIFO of jobs per root, in submission order.  At most one thread at a
 * time holds the *executor role*: it takes a batch of queued jobs, runs them
 * on the connection inside one transaction, commits, applies what they did
 * to the caches, gives the role up, and only then resolves their futures
 * (waking waiters, running callbacks) -- so the next batch can start while
 * this one's results are delivered.
 *
 * The role is taken by a pool worker, or by a caller awaiting a future whose
 * job is still queued: running the queue itself costs less than sleeping
 * and being woken by a worker on the other core.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* ------------------------------------------------------------ batching */

/*
 * Takes the next batch off the queue (root->lock held).  A whole-table job
 * runs alone: its cache effect cannot be staged.  (SQL-surface writes are
 * whole-table jobs too: the caches of the tables they wrote are emptied
 * when they commit, after the dict writes queued before them and before a
 * dict read queued after them runs.)
 */
static struct nana_job *take_batch_locked(struct nana_root *root)
{
    struct nana_job *first = root->head, *last = first;
    if (!first)
        return NULL;
    if (!first->whole_table) {
        int n = 1;
        while (last->next && !last->next->whole_table && n < NANA_BATCH_MAX) {
            last = last->next;
            n++;
        }
    }
    root->head = last->next;
    if (!root->head)
        root->tail = NULL;
    last->next = NULL;
    for (struct nana_job *j = first; j; j = j->next)
        root->queued--;
    return first;
}

enum txn_stmt { TXN_BEGIN_IMMEDIATE, TXN_BEGIN, TXN_COMMIT, TXN_ROLLBACK };

static int exec_txn(struct nana_root *root, enum txn_stmt which)
{
    static const char *const sql[] = {"BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK"};
    sqlite3_stmt **stmt = &root->txn_stmts[which];
    if (!*stmt) {
        int rc = sqlite3_prepare_v3(root->conn, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    stmt, NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Fails, with the reason the transaction ended, every job of the segment
 * [from, to) but culprit, the job whose failure ended it (NULL: none).  Its
 * writes are gone, and so are its reads' grounds: a read may have seen a
 * write of the segment that never committed (a get that answered "not
 * found" after a rolled-back delete), so a failure of its own is replaced
 * too.  Jobs that never ran (done_early) keep their own failure.
 */
static void fail_segment(struct nana_job *from, struct nana_job *to, nana_status_t st,
                         const char *why, const struct nana_job *culprit)
{
    for (struct nana_job *j = from; j != to; j = j->next) {
        if (j == culprit || j->done_early)
            continue;
        nana__json_release(j->result);
        j->result = NULL;
        j->status = st;
        free(j->errmsg);
        j->errmsg = nana__strdupf("transaction rolled back: %s", why);
    }
}

/*
 * Runs a batch on the connection (executor role held).  Writes go in one
 * transaction started with BEGIN IMMEDIATE -- the group commit: every write
 * future resolves after this COMMIT, and all of them fail if it fails.
 */
/* The state of one batch's transaction while its jobs run. */
struct batch_txn {
    struct nana_staging staged;
    struct nana_job *segment; /* first job of the current transaction */
    bool in_txn, txn_writes;
};

/* Runs jobs from..end of list; returns the last one. */
static struct nana_job *run_jobs(struct nana_root *root, struct nana_job *from,
                                 struct batch_txn *tx)
{
    sqlite3 *conn = root->conn;
    struct nana_job *last = NULL;
    for (struct nana_job *j = from; j; j = j->next) {
        last = j;
        if (j->done_early)
            continue;
        nana__job_execute(j, &tx->staged);
        if (tx->in_txn && sqlite3_get_autocommit(conn)) {
            /* An error (I/O, full disk, ...) rolled the transaction back:
             * every earlier job of this segment lost its effects. */
            const char *why = j->errmsg ? j->errmsg : "the transaction was rolled back";
            fail_segment(tx->segment, j->next, j->status != NANA_OK ? j->status : NANA_ESQL, why,
                         j->status != NANA_OK ? j : NULL);
            nana__staging_discard(&tx->staged);
            tx->segment = j->next;
            tx->in_txn = false;
            if (tx->txn_writes && j->next) {
                if (exec_txn(root, TXN_BEGIN_IMMEDIATE) == SQLITE_OK)
                    tx->in_txn = true;
            }
        }
    }
    return last;
}

/*
 * Group commit, stretched: while a write transaction is open and writers
 * keep the queue filling faster than we drain it (at least
 * EXTEND_MIN_QUEUED jobs waiting), their jobs join this transaction instead
 * of paying a COMMIT each -- up to EXTEND_MAX_JOBS jobs or EXTEND_MAX_NS.
 * A trickle (a few threads each awaiting its own write) never stretches it.
 */
#define EXTEND_MIN_QUEUED 32
#define EXTEND_MAX_JOBS 16384
#define EXTEND_MAX_NS 4000000LL /* 4 ms */

static int64_t monotonic_ns(void);

static void extend_batch(struct nana_root *root, struct nana_job *last, int n_jobs,
                         struct batch_txn *tx)
{
    int64_t deadline = monotonic_ns() + EXTEND_MAX_NS;
    while (tx->in_txn && tx->txn_writes && n_jobs < EXTEND_MAX_JOBS &&
           monotonic_ns() < deadline) {
        pthread_mutex_lock(&root->lock);
        if (root->queued < EXTEND_MIN_QUEUED || root->head->whole_table) {
            pthread_mutex_unlock(&root->lock);
            return;
        }
        struct nana_job *more = take_batch_locked(root);
        pthread_mutex_unlock(&root->lock);
        last->next = more;
        for (struct nana_job *j = more; j; j = j->next)
            n_jobs++;
        last = run_jobs(root, more, tx);
    }
}

/*
 * Runs a batch on the connection (executor role held).  Writes go in one
 * transaction started with BEGIN IMMEDIATE -- the group commit: every write
 * future resolves after this COMMIT, and all of them fail if it fails.
 */
static void run_batch(struct nana_root *root, struct nana_job *batch)
{
    sqlite3 *conn = root->conn;
    struct batch_txn tx = {.segment = batch};
    bool any_write = false;
    int n_jobs = 0;

    for (struct nana_job *j = batch; j; j = j->next) {
        any_write |= j->is_write;
        n_jobs++;
    }

    if (any_write) {
        int rc = exec_txn(root, TXN_BEGIN_IMMEDIATE);
        if (rc == SQLITE_OK) {
            tx.in_txn = tx.txn_writes = true;
        } else {
            /* Locked out past the busy timeout: the writes fail, the reads
             * can still run. */
            nana_status_t st = nana__status_from_sqlite(rc);
            const char *why = sqlite3_errmsg(conn);
            for (struct nana_job *j = batch; j; j = j->next) {
                if (!j->is_write)
                    continue;
                j->status = st;
                j->errmsg = nana__strdupf("cannot start a write transaction: %s", why);
                j->done_early = true;
            }
        }
    } else if (n_jobs > 1 && exec_txn(root, TXN_BEGIN) == SQLITE_OK) {
        tx.in_txn = true; /* one read snapshot for the whole batch */
    }

    struct nana_job *last = run_jobs(root, batch, &tx);
    if (!batch->whole_table)
        extend_batch(root, last, n_jobs, &tx);

    bool committed = true;
    if (tx.in_txn) {
        int rc = exec_txn(root, TXN_COMMIT);
        if (rc != SQLITE_OK) {
            char *why = nana__strdupf("COMMIT failed: %s", sqlite3_errmsg(conn));
            exec_txn(root, TXN_ROLLBACK);
            fail_segment(tx.segment, NULL, nana__status_from_sqlite(rc),
                         why ? why : "COMMIT failed", NULL);
            free(why);
            committed = false;
        }
    }
    if (committed)
        nana__staging_commit(&tx.staged);
    else
        nana__staging_discard(&tx.staged);
    free(tx.staged.refs);
    for (struct nana_job *j = batch; j; j = j->next)
        nana__job_finish(j, committed && j->status == NANA_OK);
}

static void resolve_batch(struct nana_job *batch)
{
    while (batch) {
        struct nana_job *next = batch->next;
        nana_future_t *f = batch->future;
        nana_status_t st = batch->status;
        /* A failed job carries no value, whatever it had read. */
        json_t *result = st == NANA_OK ? batch->result : NULL;
        char *msg = batch->errmsg;
        if (st != NANA_OK)
            nana__json_release(batch->result);
        batch->result = NULL;
        batch->errmsg = NULL;
        batch->future = NULL;
        nana__job_free(batch);
        nana__future_resolve(f, st, result, msg);
        batch = next;
    }
}

/*
 * One executor turn per loop: take a batch, run it, give the role up,
 * resolve.  A worker keeps going while there is work; an awaiting caller
 * (target != NULL) stops as soon as its future resolved.
 */
static void execute_while(struct nana_root *root, nana_future_t *target)
{
    pthread_mutex_lock(&root->lock);
    while (!root->executing && root->head &&
           !(target && nana_future_poll(target))) {
        struct nana_job *batch = take_batch_locked(root);
        root->executing = true;
        root->resolving++;
        pthread_mutex_unlock(&root->lock);

        run_batch(root, batch);

        pthread_mutex_lock(&root->lock);
        root->executing = false;
        /* nana_close waits for the role to be free. */
        if (root->stopping)
            pthread_cond_broadcast(&root->work_cond);
        pthread_mutex_unlock(&root->lock);
        resolve_batch(batch);
        pthread_mutex_lock(&root->lock);
        /* fork() waits until no batch is anywhere in flight. */
        if (--root->resolving == 0 && root->role_waiters > 0)
            pthread_cond_broadcast(&root->work_cond);
    }
    /* A caller leaving with work still queued hands it to a worker. */
    if (target && root->head && !root->executing && root->idle_workers > 0)
        pthread_cond_signal(&root->work_cond);
    pthread_mutex_unlock(&root->lock);
}

void nana__pool_help(struct nana_root *root, nana_future_t *f)
{
    execute_while(root, f);
}

/* --------------------------------------------------------------- workers */

/*
 * Waking a sleeping worker costs a system call in the submitter and, worse,
 * the worker then races the submitter for the job: a caller that awaits
 * right after submitting would run the job itself, at once, if only the
 * worker stayed asleep.  So while the root is busy (a submission in the
 * last SENTINEL_ACTIVE_NS), one idle worker -- the sentinel -- polls the
 * queue every SENTINEL_POLL_NS instead, and submissions do not wake anyone:
 * jobs nobody awaits still start within a poll interval.  When the root
 * goes quiet the sentinel sleeps for good and submissions wake workers
 * again, so an idle root costs nothing.
 */
#define SENTINEL_POLL_NS 200000LL       /* 200 us */
#define SENTINEL_ACTIVE_NS 20000000LL   /* 20 ms */

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker_main(void *arg)
{
    struct nana_root *root = arg;
    nana__thread_mark_worker();
    pthread_mutex_lock(&root->lock);
    for (;;) {
        if (root->head && !root->executing) {
            pthread_mutex_unlock(&root->lock);
            execute_while(root, NULL);
            pthread_mutex_lock(&root->lock);
            continue;
        }
        if (root->stopping && !root->head)
            break;
        int64_t now = monotonic_ns();
        if (!root->sentinel && now - root->last_submit_ns < SENTINEL_ACTIVE_NS) {
            root->sentinel = true;
            int64_t wake = now + SENTINEL_POLL_NS;
            struct timespec until = {(time_t)(wake / 1000000000LL), (long)(wake % 1000000000LL)};
            root->idle_workers++;
            pthread_cond_timedwait(&root->work_cond, &root->lock, &until);
            root->idle_workers--;
            root->sentinel = false;
            continue;
        }
        root->idle_workers++;
        pthread_cond_wait(&root->work_cond, &root->lock);
        root->idle_workers--;
    }
    /* Let the others see the queue is drained. */
    pthread_cond_broadcast(&root->work_cond);
    pthread_mutex_unlock(&root->lock);
    return NULL;
}

int nana__pool_start(struct nana_root *root, int n, const char *prefix)
{
    sigset_t all, old;
    root->threads = calloc((size_t)n, sizeof *root->threads);
    if (!root->threads)
        return -1;
    /* Workers inherit a fully blocked mask: signals go to the caller's
     * threads, never into the middle of a transaction. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 0;
    for (; started < n; started++) {
        if (pthread_create(&root->threads[started], NULL, worker_main, root) != 0)
            break;
        /* Linux thread names hold 15 bytes: shorten the prefix, keep "-N". */
        char suffix[16], name[16];
        int slen = snprintf(suffix, sizeof suffix, "-%d", started);
        size_t keep = strnlen(prefix, (size_t)(15 - slen));
        memcpy(name, prefix, keep);
        memcpy(name + keep, suffix, (size_t)slen + 1);
        pthread_setname_np(root->threads[started], name);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    root->n_threads = started;
    if (started < n) {
        nana__pool_stop(root);
        return -1;
    }
    return 0;
}

void nana__pool_stop(struct nana_root *root)
{
    pthread_mutex_lock(&root->lock);
    root->stopping = true;
    pthread_cond_broadcast(&root->work_cond);
    pthread_mutex_unlock(&root->lock);
    for (int i = 0; i < root->n_threads; i++)
        pthread_join(root->threads[i], NULL);
    root->n_threads = 0;
    /* An awaiting caller may still be running a batch it took: the
     * connection is closed after that. */
    pthread_mutex_lock(&root->lock);
    while (root->executing)
        pthread_cond_wait(&root->work_cond, &root->lock);
    pthread_mutex_unlock(&root->lock);
    /* With no worker left (none started), drain here. */
    execute_while(root, NULL);
    free(root->threads);
    root->threads = NULL;
}

nana_future_t *nana__pool_submit(struct nana_root *root, struct nana_job *job)
{
    nana_future_t *f = nana__future_new_pending();
    if (!f) {
        nana__job_discard(job);
        return nana__future_new_done(NANA_ENOMEM, NULL, NULL);
    }
    f->root = root;
    job->future = f;

    pthread_mutex_lock(&root->lock);
    if (root->stopping) {
        pthread_mutex_unlock(&root->lock);
        job->future = NULL;
        nana__job_discard(job);
        f->root = NULL;
        nana__future_resolve(f, NANA_ECLOSED, NULL, strdup("the root handle is closed"));
        return f;
    }
    if (root->tail)
        root->tail->next = job;
    else
        root->head = job;
    root->tail = job;
    root->queued++;
    root->last_submit_ns = monotonic_ns();
    /* With a sentinel polling, nobody needs waking (see above). */
    if (!root->executing && !root->sentinel && root->idle_workers > 0)
        pthread_cond_signal(&root->work_cond);
    pthread_mutex_unlock(&root->lock);
    return f;
}
