/*
 * engine.c -- the queue of a root, the executor role, group commit, the
 * worker pool, and fork().  It runs jobs it cannot name: it sees a job's
 * base (does it write, must it run alone) and calls its ops.
 *
 * Who holds the executor role, and when.  One FIFO of jobs per engine, in
 * submission order.  At most one thread at a time holds the role
 * (`executing`), and only the holder touches the connections, the jobs it
 * took, and the staged cache effects.  The role is taken under `lock` by:
 *   - a pool worker that finds jobs queued;
 *   - a thread awaiting a future whose job is still queued (through the
 *     future's helper hook): running the queue itself costs less than
 *     sleeping and being woken by a worker on the other core;
 *   - fork()'s prepare handler, which waits until no batch is in flight
 *     (nor being resolved) and keeps the role across fork().
 * The holder takes a batch, runs it in one transaction, commits, applies
 * the staged cache effects and settles every job, gives the role up, and
 * only then resolves the futures (waking waiters, running callbacks) -- so
 * the next batch can start while this one's results are delivered.
 * Because every cache effect is applied with the role held and in batch
 * order, no thread resolving a future ever writes the cache.
 */
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "readers.h"

/* How many queued jobs one executor turn takes, at most: the group-commit
 * size.  Bigger batches amortise the COMMIT; each future still waits for it. */
#define BATCH_MAX 1024

enum txn_stmt {
    TXN_BEGIN_IMMEDIATE,
    TXN_BEGIN,
    TXN_BEGIN_EXCLUSIVE,
    TXN_COMMIT,
    TXN_ROLLBACK,
    TXN_COUNT
};

struct nana_engine {
    atomic_int refs;            /* the root + awaiting helpers */
    atomic_bool open;           /* started and not stopping */
    unsigned fork_generation;   /* the process's generation when made */
    struct nana_backend *backend;

    pthread_mutex_t lock;
    pthread_cond_t work_cond;   /* idle workers, close and fork wait here */
    /* Backpressure (nana_set_queue_limit): submitters wait on room_cond
     * while the queue holds queue_limit jobs (0: no limit). */
    pthread_cond_t room_cond;
    size_t queue_limit;
    int64_t queue_wait_ms;      /* < 0: no deadline; 0: do not wait */
    int room_waiters;
    struct nana_job *head, *tail;
    size_t queued;
    bool executing;             /* someone holds the executor role */
    bool stopping;
    int role_waiters;           /* fork()'s prepare handler, waiting */
    int resolving;              /* batches taken and not yet resolved */
    int idle_workers;
    bool sentinel;              /* an idle worker is polling the queue */
    bool promised;              /* a standby caller was promoted to lead */
    struct standby *standbys;   /* callers waiting, newest first */
    atomic_uint wake_word;      /* standbys sleep on it (see struct standby) */
    /* Checkpoints (see on_wal_commit): */
    bool ckpt_wanted;           /* a worker is to checkpoint */
    bool checkpointing;         /* a worker is checkpointing */
    atomic_bool ckpt_inline;    /* no checkpointer: the writer does it */
    int ckpt_mark;              /* WAL frames when last requested (role) */
    int ckpt_waiters;           /* writers waiting for a checkpoint to end */
    int64_t last_submit_ns;     /* CLOCK_MONOTONIC of the last submission */
    /* Transactions (see "transactions" below): */
    struct nana_engine_txn *txn; /* the open one, owning the writer; role
                                    holder writes it, under lock */
    int txns_live;              /* begun or queued to begin, not ended */
    struct nana_engine_txn *live_txns; /* those, linked by live_next */
    /* The read job running now (its future), for the progress handler
     * that stops it when it is cancelled (see run_one). */
    _Atomic(nana_future_t *) running_read;
    /* The reader lane (readers.c), under lock: */
    struct nana_readers readers;
    int quiesce_waiters;        /* nana__engine_readers_quiesce() callers */
    /* What nana_stats() reports: relaxed counters, each written where its
     * event happens. */
    struct {
        atomic_ulong queued, in_flight, submitted, batches_committed, jobs_committed,
            batches_failed, txns_committed, txns_rolled_back, cancelled, checkpoints,
            readers_cancelled;
    } stat;
    void (*forget_all)(void *ctx);
    void *forget_ctx;
    int64_t poll_cost_ns;       /* what a sentinel's poll costs, smoothed */
    pthread_t *threads;
    int n_threads;
    struct nana_engine *next_started; /* the list fork() quiesces */

    /* BEGIN IMMEDIATE, BEGIN, COMMIT, ROLLBACK, kept prepared: they run
     * once per batch, and parsing them each time costs a write's worth.
     * Role holder only. */
    sqlite3_stmt *txn_stmts[TXN_COUNT];
};

/* A transaction's state in the engine (see "transactions" below). */
enum txn_state { TXN_QUEUED, TXN_OPEN, TXN_ENDED };

struct nana_engine_txn {
    struct nana_engine *engine;
    atomic_int refs;              /* the caller's + the engine's until it ended */
    int mode;                     /* NANA_TXN_* */
    int64_t limit_ns;             /* the deadline's length; 0: none */
    /* Under the engine's lock: */
    struct nana_job *head, *tail; /* its jobs queued, in order */
    int state;                    /* enum txn_state */
    bool closing;                 /* COMMIT or ROLLBACK queued */
    int depth_queued;             /* savepoints, counting those queued */
    int64_t deadline_ns;          /* CLOCK_MONOTONIC; 0: none (from BEGIN) */
    nana_status_t end_status;     /* why it ended other than by request */
    char *end_why;
    struct nana_engine_txn *live_next; /* in e->live_txns until it ended */
    /* Role holder only: */
    struct nana_staging staged;
    struct nana_job *ran, *ran_tail; /* jobs run, settled at the end */
    int depth;                    /* savepoints open */
};

/* The control steps are jobs of the engine's own. */
enum { TXN_CTL_BEGIN = -1 };

struct ctl_job {
    struct nana_job base;
    int op; /* enum nana_txn_ctl, or TXN_CTL_BEGIN */
};

static bool has_work_locked(const struct nana_engine *e);
static void reader_turn_locked(struct nana_engine *e);
static void reads_to_writer_locked(struct nana_engine *e, const struct nana_footprint *w);

/* The queue shrank (lock held): submitters waiting for room may go on. */
static void room_made_locked(struct nana_engine *e)
{
    if (e->room_waiters > 0 && (e->stopping || e->queued < e->queue_limit))
        pthread_cond_broadcast(&e->room_cond);
}

static void count(atomic_ulong *counter, long delta)
{
    atomic_fetch_add_explicit(counter, (unsigned long)delta, memory_order_relaxed);
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ fork */

/* Bumped in every child process: an engine made in another process is one
 * whose threads do not exist here and whose connection must not be
 * touched, detected with one load. */
static atomic_uint fork_generation;

/*
 * fork() while one of our threads is inside SQLite (or malloc, resolving a
 * batch) would hand the child a lock held forever, and a connection the
 * child opens itself would hang on it.  So around fork() every started
 * engine is quiesced: the prepare handler waits until no batch is in
 * flight and takes each engine's executor role, then holds the futures'
 * stripes (one handler, so the lock order is always the same); the parent
 * handler gives it all back.
 */
static pthread_mutex_t started_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nana_engine *started;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
    pthread_mutex_lock(&started_lock);
    for (struct nana_engine *e = started; e; e = e->next_started) {
        pthread_mutex_lock(&e->lock);
        e->role_waiters++;
        nana__readers_hold_locked(&e->readers, true); /* turns count as resolving */
        while (e->executing || e->resolving > 0 || e->checkpointing)
            pthread_cond_wait(&e->work_cond, &e->lock);
        e->role_waiters--;
        e->executing = true;
        pthread_mutex_unlock(&e->lock);
    }
    nana__future_lock_all();
}

static void after_fork_in_parent(void)
{
    nana__future_unlock_all();
    for (struct nana_engine *e = started; e; e = e->next_started) {
        pthread_mutex_lock(&e->lock);
        e->executing = false;
        nana__readers_hold_locked(&e->readers, false);
        if ((has_work_locked(e) || nana__readers_waiting_locked(&e->readers)) &&
            e->idle_workers > 0)
            pthread_cond_broadcast(&e->work_cond);
        pthread_mutex_unlock(&e->lock);
    }
    pthread_mutex_unlock(&started_lock);
}

static void after_fork_in_child(void)
{
    nana__future_unlock_all();
    atomic_fetch_add(&fork_generation, 1);
    /* The parent's engines are dead here: forget them. */
    started = NULL;
    pthread_mutex_unlock(&started_lock); /* this thread took it in before_fork */
}

static void install_atfork(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

static bool inherited(const struct nana_engine *e)
{
    return e->fork_generation != atomic_load_explicit(&fork_generation, memory_order_relaxed);
}

/* ------------------------------------------------------------ outcomes */

void nana__job_fail(struct nana_job *job, nana_status_t st, char *msg)
{
    job->status = st;
    free(job->errmsg);
    job->errmsg = msg;
    nana__json_release(job->result);
    job->result = NULL;
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
        nana__job_fail(j, st, nana__strdupf("transaction rolled back: %s", why));
    }
}

/* ------------------------------------------------------------ batching */

/* Takes the next batch off the queue (lock held).  A job that must run
 * alone is a batch of its own. */
static struct nana_job *take_batch_locked(struct nana_engine *e)
{
    if (e->txn) {
        /* The open transaction's jobs, all of them: they run in order, one
         * after another, whatever their flags (see "transactions"). */
        struct nana_job *jobs = e->txn->head;
        e->txn->head = e->txn->tail = NULL;
        for (struct nana_job *j = jobs; j; j = j->next) {
            count(&e->stat.queued, -1);
            count(&e->stat.in_flight, 1);
        }
        return jobs;
    }
    struct nana_job *first = e->head, *last = first;
    if (!first)
        return NULL;
    if (!(first->flags & NANA__JOB_ALONE)) {
        int n = 1;
        while (last->next && !(last->next->flags & NANA__JOB_ALONE) && n < BATCH_MAX) {
            last = last->next;
            n++;
        }
    }
    e->head = last->next;
    if (!e->head)
        e->tail = NULL;
    last->next = NULL;
    for (struct nana_job *j = first; j; j = j->next) {
        e->queued--;
        count(&e->stat.queued, -1);
        count(&e->stat.in_flight, 1);
    }
    room_made_locked(e);
    return first;
}

static int exec_txn(struct nana_engine *e, enum txn_stmt which)
{
    static const char *const sql[] = {"BEGIN IMMEDIATE", "BEGIN", "BEGIN EXCLUSIVE", "COMMIT",
                                      "ROLLBACK"};
    sqlite3_stmt **stmt = &e->txn_stmts[which];
    if (!*stmt) {
        int rc = sqlite3_prepare_v3(e->backend->writer, sql[which], -1,
                                    SQLITE_PREPARE_PERSISTENT, stmt, NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    /* A reader whose snapshot may predate this COMMIT sees the clock move
     * (see "reader connections"). */
    if (which == TXN_COMMIT)
        nana__readers_tick(&e->readers);
    int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    if (which == TXN_COMMIT)
        nana__readers_tick(&e->readers);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The state of one batch's transaction while its jobs run. */
struct batch_txn {
    struct nana_staging staged;
    struct nana_job *segment; /* first job of the current transaction */
    bool in_txn, txn_writes;
};

static bool is_ctl(const struct nana_job *j);

/*
 * Runs one job (role held).  Cancelling (nana_future_cancel) stops only
 * reads: one whose future was cancelled before it started does not start,
 * and one cancelled while it reads is stopped at its next step by the
 * connection's progress handler (on_progress), scoped to this job -- not
 * sqlite3_interrupt(), which would stop whatever the connection runs.  A
 * write runs to its end: others in its batch depend on the COMMIT.
 */
static void run_one(struct nana_engine *e, struct nana_job *j, struct nana_exec *ex)
{
    bool read = !(j->flags & NANA__JOB_WRITES) && !is_ctl(j);
    if (read && nana__future_cancel_requested(j->future)) {
        nana__job_fail(j, NANA_ECANCELED, strdup("cancelled before it ran"));
        count(&e->stat.cancelled, 1);
        return;
    }
    if (read)
        atomic_store_explicit(&e->running_read, j->future, memory_order_relaxed);
    j->ops->run(j, ex);
    if (read) {
        atomic_store_explicit(&e->running_read, NULL, memory_order_relaxed);
        if (j->status != NANA_OK && nana__future_cancel_requested(j->future)) {
            nana__job_fail(j, NANA_ECANCELED, strdup("cancelled while it ran"));
            count(&e->stat.cancelled, 1);
        }
    }
}

static int on_progress(void *ctx)
{
    struct nana_engine *e = ctx;
    nana_future_t *f = atomic_load_explicit(&e->running_read, memory_order_relaxed);
    return f && nana__future_cancel_requested(f);
}

/* Runs jobs from..end of list; returns the last one. */
static struct nana_job *run_jobs(struct nana_engine *e, struct nana_job *from,
                                 struct batch_txn *tx)
{
    sqlite3 *conn = e->backend->writer;
    struct nana_exec ex = {.conn = conn, .staged = &tx->staged, .engine = e};
    struct nana_job *last = NULL;
    for (struct nana_job *j = from; j; j = j->next) {
        last = j;
        if (j->done_early)
            continue;
        run_one(e, j, &ex);
        if (tx->in_txn && sqlite3_get_autocommit(conn)) {
            /* An error (I/O, full disk, a trigger's RAISE(ROLLBACK)) rolled
             * the transaction back: every earlier job of this segment lost
             * its effects. */
            const char *why = j->errmsg ? j->errmsg : "the transaction was rolled back";
            fail_segment(tx->segment, j->next, j->status != NANA_OK ? j->status : NANA_ESQL, why,
                         j->status != NANA_OK ? j : NULL);
            nana__cache_staging_discard(&tx->staged);
            tx->segment = j->next;
            tx->in_txn = false;
            if (tx->txn_writes && j->next) {
                if (exec_txn(e, TXN_BEGIN_IMMEDIATE) == SQLITE_OK)
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
 * of paying a COMMIT each -- up to EXTEND_MAX_JOBS jobs or EXTEND_MAX_NS,
 * the longest a write already run waits for its COMMIT.  A trickle (a few
 * threads each awaiting its own write) is handed to a standing-by caller
 * instead (run_turn_locked).  Joining standing-by callers' jobs into the
 * open transaction as well made two closed-loop writers as fast as one
 * (0.83x -> 1.0x), but kept the write lock so continuously that another
 * process's writer starved past its busy timeout
 * (test/fork-child-opens-handle-while-parent-busy): not done.
 */
#define EXTEND_MIN_QUEUED 32
#define EXTEND_MAX_JOBS 16384
#define EXTEND_MAX_NS 4000000LL /* 4 ms */

static void extend_batch(struct nana_engine *e, struct nana_job *last, int n_jobs,
                         struct batch_txn *tx)
{
    int64_t deadline = monotonic_ns() + EXTEND_MAX_NS;
    while (tx->in_txn && tx->txn_writes && n_jobs < EXTEND_MAX_JOBS &&
           monotonic_ns() < deadline) {
        pthread_mutex_lock(&e->lock);
        /* queued counts the reads waiting for a reader too: the writer's
         * own queue may be empty. */
        if (e->queued < EXTEND_MIN_QUEUED || !e->head || (e->head->flags & NANA__JOB_ALONE)) {
            pthread_mutex_unlock(&e->lock);
            return;
        }
        struct nana_job *more = take_batch_locked(e);
        pthread_mutex_unlock(&e->lock);
        last->next = more;
        for (struct nana_job *j = more; j; j = j->next)
            n_jobs++;
        last = run_jobs(e, more, tx);
    }
}

/*
 * Runs a batch on the connection (role held).  Writes go in one
 * transaction started with BEGIN IMMEDIATE -- the group commit: every write
 * future resolves after this COMMIT, and all of them fail if it fails.
 */
static void run_txn_batch(struct nana_engine *e, struct nana_engine_txn *t,
                          struct nana_job *batch);

static struct nana_job *run_batch(struct nana_engine *e, struct nana_job *batch)
{
    if (batch->txn) {
        run_txn_batch(e, batch->txn, batch);
        return NULL; /* resolved as it ran */
    }
    sqlite3 *conn = e->backend->writer;
    struct batch_txn tx = {.segment = batch};
    bool any_write = false;
    int n_jobs = 0;

    for (struct nana_job *j = batch; j; j = j->next) {
        any_write |= (j->flags & NANA__JOB_WRITES) != 0;
        n_jobs++;
    }

    if (any_write) {
        int rc = exec_txn(e, TXN_BEGIN_IMMEDIATE);
        if (rc == SQLITE_OK) {
            tx.in_txn = tx.txn_writes = true;
        } else {
            /* Locked out past the busy timeout: the writes fail, the reads
             * can still run. */
            nana_status_t st = nana__status_from_sqlite(rc);
            const char *why = sqlite3_errmsg(conn);
            for (struct nana_job *j = batch; j; j = j->next) {
                if (!(j->flags & NANA__JOB_WRITES))
                    continue;
                nana__job_fail(j, st, nana__strdupf("cannot start a write transaction: %s%s", why,
                                                    nana__backend_error_hint(conn, rc)));
                j->done_early = true;
            }
        }
    } else if (n_jobs > 1 && exec_txn(e, TXN_BEGIN) == SQLITE_OK) {
        tx.in_txn = true; /* one read snapshot for the whole batch */
    }

    /* A job alone outside a transaction may change the file without a
     * COMMIT (a restore): the clock ticks around it too. */
    bool ticks = !any_write && (batch->flags & NANA__JOB_ALONE);
    if (ticks)
        nana__readers_tick(&e->readers);
    struct nana_job *last = run_jobs(e, batch, &tx);
    if (ticks)
        nana__readers_tick(&e->readers);
    if (!(batch->flags & NANA__JOB_ALONE))
        extend_batch(e, last, n_jobs, &tx);

    bool committed = true;
    if (tx.in_txn) {
        int rc = exec_txn(e, TXN_COMMIT);
        if (rc != SQLITE_OK) {
            char *why = nana__strdupf("COMMIT failed: %s%s", sqlite3_errmsg(conn),
                                      nana__backend_error_hint(conn, rc));
            exec_txn(e, TXN_ROLLBACK);
            fail_segment(tx.segment, NULL, nana__status_from_sqlite(rc),
                         why ? why : "COMMIT failed", NULL);
            free(why);
            committed = false;
        }
    }
    if (committed)
        nana__cache_staging_commit(&tx.staged);
    else
        nana__cache_staging_discard(&tx.staged);
    if (any_write) {
        bool began = tx.txn_writes || tx.in_txn;
        if (committed && began) {
            int n_all = 0;
            for (struct nana_job *j = batch; j; j = j->next)
                n_all++;
            count(&e->stat.batches_committed, 1);
            count(&e->stat.jobs_committed, n_all);
        } else {
            count(&e->stat.batches_failed, 1);
        }
    }
    free(tx.staged.refs);
    for (struct nana_job *j = batch; j; j = j->next)
        if (j->ops->settle)
            j->ops->settle(j, committed && j->status == NANA_OK);
    return batch;
}

/* After the role is given up: delivers and resolves every job's future. */
static void resolve_batch(struct nana_engine *e, struct nana_job *batch)
{
    while (batch) {
        count(&e->stat.in_flight, -1);
        struct nana_job *next = batch->next;
        if (batch->ops->deliver)
            batch->ops->deliver(batch);
        nana_future_t *f = batch->future;
        nana_status_t st = batch->status;
        json_t *result = batch->result;
        char *msg = batch->errmsg;
        batch->result = NULL;
        batch->errmsg = NULL;
        batch->future = NULL;
        batch->ops->destroy(batch);
        nana__future_resolve(f, st, result, msg);
        batch = next;
    }
}

/* --------------------------------------------------------- transactions */

/*
 * A transaction is a lane of its own.  Its BEGIN is a job in the engine's
 * queue, in order with everything else; once BEGIN ran, the transaction
 * owns the writer (e->txn): a turn takes only its jobs, in the order they
 * were submitted, and every other job waits in the queue until COMMIT or
 * ROLLBACK -- so nothing outside it sees what it did, and nothing it reads
 * moves under it.
 *
 * Its jobs run as any job does, but against the transaction's staging,
 * which lives until the end: a read inside sees the transaction's own
 * writes (staged) over the committed cache, and only COMMIT applies them.
 * A job's future resolves as soon as it ran -- with the role held, right
 * after it, since a transaction's jobs are submitted one after another by
 * whoever drives it -- while its settle waits for the end: the pins it
 * holds keep readers of its keys outside the transaction queued until the
 * cache shows the outcome.
 *
 * The cache cannot follow a whole-table job or a SQL write inside a
 * transaction (their effects are not staged per key, and later reads in it
 * would see the committed cache), nor a rollback to a savepoint (it undoes
 * staged effects we do not keep copies of).  After one of those the
 * transaction is blind: its staging is dropped, its lookups read SQLite,
 * and its COMMIT forgets every cached key of the root.
 *
 * A transaction ends by its COMMIT or ROLLBACK, or else: BEGIN failed,
 * SQLite rolled it back (I/O error, full disk), it held the writer past its
 * deadline, or the root closed.  Then its queued and later jobs fail with
 * the reason.
 */
static void unlist_txn_locked(struct nana_engine *e, struct nana_engine_txn *t)
{
    for (struct nana_engine_txn **link = &e->live_txns; *link; link = &(*link)->live_next) {
        if (*link == t) {
            *link = t->live_next;
            e->txns_live--;
            return;
        }
    }
}

static void txn_release(struct nana_engine_txn *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(t->end_why);
    free(t->staged.refs);
    free(t);
}

/* Past its deadline? */
static bool txn_overdue(const struct nana_engine_txn *t)
{
    return t->state == TXN_OPEN && t->deadline_ns && monotonic_ns() >= t->deadline_ns;
}

/* To be rolled back now: overdue, or its root closing with nothing of it
 * left queued (what it queued runs first). */
static bool txn_expired(const struct nana_engine *e, const struct nana_engine_txn *t)
{
    return txn_overdue(t) || (t->state == TXN_OPEN && e->stopping && !t->head);
}

/* Is there a turn to take (lock held)?  While a transaction owns the
 * writer, only its jobs -- or its expiry. */
static bool has_work_locked(const struct nana_engine *e)
{
    if (e->txn)
        return e->txn->head != NULL || txn_expired(e, e->txn);
    return e->head != NULL;
}

/* Hands a job its outcome's future (role held): deliver, resolve. */
static void resolve_now(struct nana_job *j)
{
    if (j->ops->deliver)
        j->ops->deliver(j);
    nana_future_t *f = j->future;
    json_t *result = j->result;
    char *msg = j->errmsg;
    j->result = NULL;
    j->errmsg = NULL;
    j->future = NULL;
    nana__future_resolve(f, j->status, result, msg);
}

static void settle_destroy(struct nana_job *j, bool committed)
{
    if (j->ops->settle)
        j->ops->settle(j, committed && j->status == NANA_OK);
    j->ops->destroy(j);
}

/* A job that will not run (lock not held): undone, and its future f
 * resolved with st and msg (taken). */
static nana_future_t *refuse_job(struct nana_job *job, nana_future_t *f, nana_status_t st,
                                 char *msg)
{
    job->future = NULL;
    settle_destroy(job, false);
    nana__future_resolve(f, st, NULL, msg);
    return f;
}

/* What a job of t gets once t ended or is ending (lock held, or role held
 * after t ended): its status, and *why (malloc'd). */
static nana_status_t ended_outcome(const struct nana_engine_txn *t, char **why)
{
    if (t->state == TXN_ENDED && t->end_status != NANA_OK) {
        *why = strdup(t->end_why ? t->end_why : nana_errstr(t->end_status));
        return t->end_status;
    }
    *why = strdup("the transaction has already been committed or rolled back");
    return NANA_ECLOSED;
}

/* Fails a job that will not run because t ended (role held). */
static void fail_ended(struct nana_engine_txn *t, struct nana_job *j)
{
    char *why;
    nana_status_t st = ended_outcome(t, &why);
    nana__job_fail(j, st, why);
}

/*
 * Ends t (role held): the cache learns the outcome, every job that ran
 * settles, the queue behind it is released.  committed: COMMIT succeeded.
 * Otherwise st / why (taken) say why, for the jobs still queued in it
 * and those submitted later (NANA_OK: it ended by request).
 */
static void end_txn(struct nana_engine *e, struct nana_engine_txn *t, bool committed,
                    nana_status_t st, char *why)
{
    if (committed && t->staged.blind && e->forget_all)
        e->forget_all(e->forget_ctx); /* before the pins go */
    if (committed && !t->staged.blind)
        nana__cache_staging_commit(&t->staged);
    else
        nana__cache_staging_discard(&t->staged);
    /* Blind, the whole-table effects are not the outcome either: the
     * forgetting above is. */
    for (struct nana_job *j = t->ran, *next; j; j = next) {
        next = j->next;
        settle_destroy(j, committed && !t->staged.blind);
    }
    t->ran = t->ran_tail = NULL;

    pthread_mutex_lock(&e->lock);
    t->state = TXN_ENDED;
    t->closing = true;
    t->end_status = st;
    t->end_why = why;
    struct nana_job *queued = t->head;
    t->head = t->tail = NULL;
    if (e->txn == t)
        e->txn = NULL;
    unlist_txn_locked(e, t);
    pthread_mutex_unlock(&e->lock);

    count(committed ? &e->stat.txns_committed : &e->stat.txns_rolled_back, 1);
    for (struct nana_job *j = queued, *next; j; j = next) {
        next = j->next;
        count(&e->stat.queued, -1);
        fail_ended(t, j);
        resolve_now(j);
        settle_destroy(j, false);
    }
    txn_release(t); /* the engine's reference */
}

/* Rolls t back (role held) for why (st); false when SQLite had already. */
static void roll_back(struct nana_engine *e, struct nana_engine_txn *t, nana_status_t st,
                      char *why)
{
    if (!sqlite3_get_autocommit(e->backend->writer))
        exec_txn(e, TXN_ROLLBACK);
    end_txn(e, t, false, st, why);
}

/* An open transaction that is out of time, or whose root is closing, with
 * nothing queued: roll it back (role held). */
static void expire_txn(struct nana_engine *e)
{
    struct nana_engine_txn *t = e->txn;
    if (!t || !txn_expired(e, t))
        return;
    if (!txn_overdue(t))
        roll_back(e, t, NANA_ECLOSED,
                  strdup("the root handle was closed before the transaction ended: "
                         "it was rolled back"));
    else
        roll_back(e, t, NANA_EROLLEDBACK,
                  nana__strdupf("the transaction held the writer past its deadline of "
                                "%lld ms and was rolled back",
                                (long long)(t->limit_ns / 1000000)));
}

static int exec_savepoint(sqlite3 *conn, const char *verb, int depth)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%s nana_txn_%d", verb, depth);
    return sqlite3_exec(conn, sql, NULL, NULL, NULL);
}

static void ctl_fail(struct nana_job *j, const char *what, sqlite3 *conn, int rc)
{
    nana__job_fail(j, nana__status_from_sqlite(rc),
                   nana__strdupf("%s failed: %s%s", what, sqlite3_errmsg(conn),
                                 nana__backend_error_hint(conn, rc)));
}

/* The control steps (role held). */
static void ctl_run(struct nana_job *base, struct nana_exec *ex)
{
    struct ctl_job *job = container_of(base, struct ctl_job, base);
    struct nana_engine_txn *t = base->txn;
    struct nana_engine *e = t->engine;
    sqlite3 *conn = ex->conn;
    int rc;
    switch (job->op) {
    case TXN_CTL_BEGIN: {
        static const enum txn_stmt begin[] = {TXN_BEGIN_IMMEDIATE, TXN_BEGIN,
                                              TXN_BEGIN_EXCLUSIVE};
        rc = exec_txn(e, begin[t->mode]);
        if (rc != SQLITE_OK) {
            ctl_fail(base, "BEGIN", conn, rc);
            end_txn(e, t, false, base->status,
                    nana__strdupf("the transaction could not begin: %s", base->errmsg));
            return;
        }
        pthread_mutex_lock(&e->lock);
        t->state = TXN_OPEN;
        t->deadline_ns = t->limit_ns ? monotonic_ns() + t->limit_ns : 0;
        e->txn = t;
        /* A worker asleep without a timeout must learn of the deadline:
         * woken, it finds no work and sleeps until then (worker_main). */
        if (t->deadline_ns && e->idle_workers > 0)
            pthread_cond_signal(&e->work_cond);
        pthread_mutex_unlock(&e->lock);
        return;
    }
    case NANA__TXN_SAVEPOINT:
        if ((rc = exec_savepoint(conn, "SAVEPOINT", t->depth + 1)) != SQLITE_OK)
            ctl_fail(base, "SAVEPOINT", conn, rc);
        else
            t->depth++;
        return;
    case NANA__TXN_RELEASE:
    case NANA__TXN_ROLLBACK_TO:
        if (t->depth == 0) {
            /* Its SAVEPOINT failed. */
            nana__job_fail(base, NANA_EINVAL, strdup("no savepoint is open"));
            return;
        }
        if (job->op == NANA__TXN_ROLLBACK_TO) {
            if ((rc = exec_savepoint(conn, "ROLLBACK TO", t->depth)) != SQLITE_OK) {
                ctl_fail(base, "ROLLBACK TO", conn, rc);
                return;
            }
            nana__cache_staging_discard(&t->staged);
            t->staged.blind = true;
        }
        if ((rc = exec_savepoint(conn, "RELEASE", t->depth)) != SQLITE_OK)
            ctl_fail(base, "RELEASE", conn, rc);
        else
            t->depth--;
        return;
    case NANA__TXN_COMMIT:
        rc = exec_txn(e, TXN_COMMIT);
        if (rc == SQLITE_OK) {
            end_txn(e, t, true, NANA_OK, NULL);
            return;
        }
        ctl_fail(base, "COMMIT", conn, rc);
        roll_back(e, t, base->status,
                  nana__strdupf("the transaction was rolled back: %s", base->errmsg));
        return;
    case NANA__TXN_ROLLBACK:
        roll_back(e, t, NANA_OK, NULL);
        return;
    }
}

static void ctl_destroy(struct nana_job *base)
{
    nana__json_release(base->result);
    free(base->errmsg);
    free(container_of(base, struct ctl_job, base));
}

static const struct nana_job_ops ctl_ops = {ctl_run, NULL, NULL, ctl_destroy};

static bool is_ctl(const struct nana_job *j)
{
    return j->ops == &ctl_ops;
}

/*
 * Runs a batch of t's jobs (role held): each resolves right after it ran,
 * and is kept to settle at the end while t is open.  A job that SQLite
 * rolled the transaction back in ends it.
 */
static void run_txn_batch(struct nana_engine *e, struct nana_engine_txn *t,
                          struct nana_job *batch)
{
    sqlite3 *conn = e->backend->writer;
    struct nana_exec ex = {.conn = conn, .staged = &t->staged, .engine = e};
    /* Ending it drops the engine's reference, and the caller may have
     * dropped its own: the batch holds one while it runs. */
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    for (struct nana_job *j = batch, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        count(&e->stat.in_flight, -1); /* resolved in this pass, one way or another */
        bool ctl = is_ctl(j);
        if (!ctl && txn_overdue(t))
            expire_txn(e);
        if (t->state == TXN_ENDED || (t->state == TXN_QUEUED && !ctl)) {
            fail_ended(t, j);
            resolve_now(j);
            settle_destroy(j, false);
            continue;
        }
        run_one(e, j, &ex);
        if (!ctl && t->state == TXN_OPEN) {
            if (sqlite3_get_autocommit(conn)) {
                /* Both messages before the job's is replaced: why may be it. */
                const char *why = j->errmsg ? j->errmsg : "SQLite rolled it back";
                char *end_why = nana__strdupf("the transaction was rolled back: %s", why);
                if (j->status == NANA_OK)
                    nana__job_fail(j, NANA_EROLLEDBACK,
                                   nana__strdupf("transaction rolled back: %s", why));
                end_txn(e, t, false, NANA_EROLLEDBACK, end_why);
            } else if ((j->flags & NANA__JOB_ALONE) && !t->staged.blind) {
                nana__cache_staging_discard(&t->staged);
                t->staged.blind = true;
            }
        }
        resolve_now(j);
        if (ctl || t->state != TXN_OPEN) {
            settle_destroy(j, false);
        } else {
            if (t->ran_tail)
                t->ran_tail->next = j;
            else
                t->ran = j;
            t->ran_tail = j;
        }
    }
    txn_release(t);
}

struct nana_engine_txn *nana__engine_txn_begin(struct nana_engine *e, int mode,
                                               int64_t deadline_ms, nana_future_t **begun)
{
    struct nana_engine_txn *t = calloc(1, sizeof *t);
    struct ctl_job *job = calloc(1, sizeof *job);
    if (!t || !job) {
        free(t);
        free(job);
        *begun = nana__future_new_done(NANA_ENOMEM, NULL, NULL);
        return NULL;
    }
    t->engine = e;
    atomic_init(&t->refs, 2);
    t->mode = mode;
    t->limit_ns = deadline_ms > 0 ? deadline_ms * 1000000LL : 0;
    t->state = TXN_QUEUED;
    job->base.ops = &ctl_ops;
    job->base.flags = NANA__JOB_WRITES | NANA__JOB_ALONE;
    job->base.txn = t;
    job->op = TXN_CTL_BEGIN;
    pthread_mutex_lock(&e->lock);
    e->txns_live++;
    t->live_next = e->live_txns;
    e->live_txns = t;
    pthread_mutex_unlock(&e->lock);
    *begun = nana__engine_submit(e, &job->base);
    if (nana_future_poll(*begun) && nana_future_status(*begun) == NANA_ECLOSED) {
        pthread_mutex_lock(&e->lock);
        unlist_txn_locked(e, t);
        pthread_mutex_unlock(&e->lock);
        free(t);
        return NULL;
    }
    return t;
}

nana_future_t *nana__engine_txn_control(struct nana_engine_txn *t, enum nana_txn_ctl op)
{
    struct nana_engine *e = t->engine;
    struct ctl_job *job = calloc(1, sizeof *job);
    if (!job)
        return nana__future_new_done(NANA_ENOMEM, NULL, NULL);
    job->base.ops = &ctl_ops;
    job->base.txn = t;
    job->op = (int)op;
    /* Misuse is refused here, in submission order. */
    nana_status_t refused = NANA_OK;
    char *why = NULL;
    pthread_mutex_lock(&e->lock);
    if (t->closing) {
        refused = ended_outcome(t, &why);
    } else if ((op == NANA__TXN_RELEASE || op == NANA__TXN_ROLLBACK_TO) &&
               t->depth_queued == 0) {
        refused = NANA_EINVAL;
        why = strdup("no savepoint is open");
    } else if (op == NANA__TXN_COMMIT || op == NANA__TXN_ROLLBACK) {
        t->closing = true;
    } else {
        t->depth_queued += op == NANA__TXN_SAVEPOINT ? 1 : -1;
    }
    pthread_mutex_unlock(&e->lock);
    if (refused != NANA_OK) {
        free(job);
        return nana__future_new_failed_owned(refused, why);
    }
    return nana__engine_submit(e, &job->base);
}

bool nana__engine_txn_closing(struct nana_engine_txn *t)
{
    pthread_mutex_lock(&t->engine->lock);
    bool closing = t->closing;
    pthread_mutex_unlock(&t->engine->lock);
    return closing;
}

void nana__engine_txn_release(struct nana_engine_txn *t)
{
    if (t)
        txn_release(t);
}

bool nana__engine_txn_any(struct nana_engine *e)
{
    pthread_mutex_lock(&e->lock);
    bool any = e->txns_live > 0;
    pthread_mutex_unlock(&e->lock);
    return any;
}

void nana__engine_set_forget_all(struct nana_engine *e, void (*fn)(void *ctx), void *ctx)
{
    e->forget_all = fn;
    e->forget_ctx = ctx;
}

/*
 * A thread awaiting a future of this engine that cannot lead (another
 * thread holds the role, or a leader is promised) stands by in the
 * engine's list: whoever resolves its future wakes it (one wake-up, the one
 * it would pay anyway), and a leader that leaves with work queued promotes
 * it to lead instead of waking a worker.
 *
 * How they sleep, and in which order they are woken, decide what group
 * commit is worth to closed-loop writers (threads that each await their
 * own write).  Measured on 2 vCPUs: waking a sleeping thread costs its
 * waker about 10 us of kernel time, so a batch of 7 such writers costs 70
 * us of wake-ups -- as much as its SQLite work -- and glibc's condition
 * variables and semaphores, signalled under or right after the engine's
 * lock, also had each woken thread block on that lock at once.  So:
 *   - standbys sleep on one futex word of the engine, each with a bit of
 *     its own (FUTEX_WAIT_BITSET); the waker marks each woken standby's
 *     state and unlinks it under the lock, and wakes them all with one
 *     FUTEX_WAKE_BITSET once the lock is dropped;
 *   - a leader whose own job was in the batch it just committed promotes a
 *     standby (whose job is queued) before resolving that batch, so the
 *     next batch runs on one core while the wake-ups of this one are paid
 *     on the other (run_turn_locked).
 * A waker touches a standby only under the lock; the sleeper reads its
 * state before every sleep, so no wake-up is lost and a spurious one
 * (two threads sharing a bit) costs a look.
 */
enum standby_state { STANDBY_WAITING, STANDBY_RESOLVED, STANDBY_PROMOTED };

struct standby {
    atomic_int state;            /* enum standby_state */
    unsigned bit;                /* this thread's wake bit */
    nana_future_t *target;
    struct standby *prev, *next; /* in e->standbys while linked */
};

static void futex_sleep(atomic_uint *word, unsigned seen, unsigned bit)
{
    /* EAGAIN (the word moved) and EINTR send the caller back to look. */
    syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, seen, NULL, NULL, bit);
}

static void futex_wake_bits(atomic_uint *word, unsigned bits)
{
    atomic_fetch_add(word, 1);
    syscall(SYS_futex, word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, bits);
}

/* Sleeps (lock not held) until a waker moves s out of STANDBY_WAITING;
 * returns the state it set. */
static int standby_sleep(struct nana_engine *e, struct standby *s)
{
    for (;;) {
        unsigned seen = atomic_load(&e->wake_word);
        int st = atomic_load(&s->state);
        if (st != STANDBY_WAITING)
            return st;
        futex_sleep(&e->wake_word, seen, s->bit);
    }
}

/* A thread's wake bit: threads waiting at once rarely share one, and two
 * that do only wake each other for a look. */
static __thread __attribute__((tls_model("initial-exec"))) unsigned thread_bit;
static atomic_uint thread_bits_given;

static unsigned my_bit(void)
{
    if (!thread_bit)
        thread_bit = 1u << (atomic_fetch_add_explicit(&thread_bits_given, 1,
                                                      memory_order_relaxed) % 32);
    return thread_bit;
}

static void standby_unlink(struct nana_engine *e, struct standby *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        e->standbys = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

/* Marks s woken for why and unlinks it (lock held); *bits collects the
 * bits to wake once the lock is dropped. */
static void wake_later(struct nana_engine *e, struct standby *s, int why, unsigned *bits)
{
    standby_unlink(e, s);
    *bits |= s->bit;
    atomic_store(&s->state, why);
}

static void wake_now(struct nana_engine *e, unsigned bits)
{
    if (bits)
        futex_wake_bits(&e->wake_word, bits);
}

/* After a batch was resolved (lock held): every standby whose future it
 * resolved is to be woken. */
static void resolved_standbys_locked(struct nana_engine *e, unsigned *bits)
{
    struct standby *s = e->standbys;
    while (s) {
        struct standby *next = s->next;
        if (nana_future_poll(s->target))
            wake_later(e, s, STANDBY_RESOLVED, bits);
        s = next;
    }
}

/*
 * When the role is given up with jobs still queued (lock held), someone
 * must take them: a standby caller, promoted to lead (it sleeps anyway and
 * needs a wake-up to see its result, so leading costs no extra hop), or
 * else a worker.
 */
static void pass_role_locked(struct nana_engine *e, unsigned *bits, bool or_worker)
{
    if (!has_work_locked(e) || e->executing || e->promised)
        return;
    if (e->standbys) {
        e->promised = true;
        wake_later(e, e->standbys, STANDBY_PROMOTED, bits);
        return;
    }
    if (or_worker && e->idle_workers > 0)
        pthread_cond_signal(&e->work_cond);
}

/*
 * One executor turn (lock held on entry and on return, dropped inside):
 * take a batch, run it, give the role up, resolve it, wake the standbys it
 * resolved.
 */
static void run_turn_locked(struct nana_engine *e, const nana_future_t *target)
{
    /* No batch: the open transaction is to expire (see has_work_locked). */
    struct nana_job *batch = take_batch_locked(e);
    bool last_turn = target == NULL;
    for (struct nana_job *j = batch; j && !last_turn; j = j->next)
        last_turn = j->future == target;
    e->executing = true;
    e->resolving++;
    pthread_mutex_unlock(&e->lock);

    if (batch)
        batch = run_batch(e, batch);
    else
        expire_txn(e);

    unsigned bits = 0;
    pthread_mutex_lock(&e->lock);
    e->executing = false;
    /* nana__engine_stop waits for the role to be free. */
    if (e->stopping)
        pthread_cond_broadcast(&e->work_cond);
    /* Pipelined: a standby leads the jobs queued meanwhile on the other
     * core while this thread resolves the batch and wakes its waiters. */
    if (last_turn)
        pass_role_locked(e, &bits, false);
    pthread_mutex_unlock(&e->lock);
    wake_now(e, bits);
    bits = 0;
    resolve_batch(e, batch);
    pthread_mutex_lock(&e->lock);
    resolved_standbys_locked(e, &bits);
    /* fork() waits until no batch is anywhere in flight. */
    if (--e->resolving == 0 && e->role_waiters > 0)
        pthread_cond_broadcast(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    wake_now(e, bits);
    pthread_mutex_lock(&e->lock);
}

/* Whether a thread may take the role now (lock held). */
static bool may_lead_locked(const struct nana_engine *e, bool promoted)
{
    return has_work_locked(e) && !e->executing && (!e->promised || promoted);
}

/* A worker's turns: while there is work nobody else is about to take. */
static void execute_queue(struct nana_engine *e)
{
    pthread_mutex_lock(&e->lock);
    while (may_lead_locked(e, false))
        run_turn_locked(e, NULL);
    pthread_mutex_unlock(&e->lock);
}

/*
 * A caller awaiting target: leads turns while it may and its future is
 * pending, stands by otherwise; returns once target resolved.
 */
static void await_helping(struct nana_engine *e, nana_future_t *target)
{
    struct standby me = {.bit = my_bit(), .target = target};
    bool promoted = false;
    unsigned bits = 0;
    pthread_mutex_lock(&e->lock);
    while (!nana_future_poll(target)) {
        /* Reads queued for a reader cost nobody the writer: take them
         * unless the writer's role was promised to this thread. */
        if (!promoted && nana__readers_may_turn_locked(&e->readers)) {
            reader_turn_locked(e);
            continue;
        }
        if (may_lead_locked(e, promoted)) {
            if (promoted) {
                promoted = false;
                e->promised = false;
            }
            run_turn_locked(e, target);
            continue;
        }
        if (promoted) {
            /* Promoted, but the role is taken or the queue empty (the
             * closing thread ran it): stand by again. */
            promoted = false;
            e->promised = false;
        }
        atomic_store(&me.state, STANDBY_WAITING);
        me.next = e->standbys;
        me.prev = NULL;
        if (me.next)
            me.next->prev = &me;
        e->standbys = &me;
        pthread_mutex_unlock(&e->lock);
        promoted = standby_sleep(e, &me) == STANDBY_PROMOTED;
        pthread_mutex_lock(&e->lock);
    }
    if (promoted)
        e->promised = false; /* resolved by someone else before leading */
    /* Leaving with work still queued: hand it on. */
    pass_role_locked(e, &bits, true);
    pthread_mutex_unlock(&e->lock);
    wake_now(e, bits);
}

/* ---------------------------------------------------- reader connections */

/*
 * The reader lane is readers.c's (the routing rules are written there);
 * the engine owns its lock, sends it the reads it may take, moves to the
 * writer's queue what a writer-bound job gives back, and runs turns on it
 * the way it runs the writer's: idle workers and awaiting callers take
 * them while reads wait and a reader is free.
 */

/* A job touching w is queued for the writer (lock held): the reads
 * waiting for a reader that it could affect go to the writer's queue
 * ahead of it, in their order. */
static void reads_to_writer_locked(struct nana_engine *e, const struct nana_footprint *w)
{
    struct nana_job *last;
    long n;
    struct nana_job *first = nana__readers_yield_locked(&e->readers, w, &last, &n);
    if (!first)
        return;
    if (e->tail)
        e->tail->next = first;
    else
        e->head = first;
    e->tail = last;
}

static void reads_taken_locked(void *ctx, long n)
{
    struct nana_engine *e = ctx;
    e->queued -= (size_t)n;
    count(&e->stat.queued, -n);
    count(&e->stat.in_flight, n);
    room_made_locked(e);
}

static void read_cancelled(void *ctx, struct nana_job *j, char *msg)
{
    struct nana_engine *e = ctx;
    nana__job_fail(j, NANA_ECANCELED, msg);
    count(&e->stat.readers_cancelled, 1);
}

/*
 * One turn on a free reader (lock held on entry and return, dropped
 * inside): readers.c runs it, the engine resolves what it ran.  Reads it
 * could not serve (the connection or the snapshot would not open) go to
 * the writer.
 */
static void reader_turn_locked(struct nana_engine *e)
{
    struct nana_reader *r = nana__readers_claim_locked(&e->readers);
    e->resolving++;
    pthread_mutex_unlock(&e->lock);

    bool usable;
    struct nana_job *batch = nana__readers_run(&e->readers, r, &usable);
    if (batch)
        resolve_batch(e, batch);

    unsigned bits = 0;
    pthread_mutex_lock(&e->lock);
    if (!usable) {
        reads_to_writer_locked(e, &(struct nana_footprint){.kind = NANA__TOUCHES_ANY});
        pass_role_locked(e, &bits, true);
    }
    bool retire = nana__readers_end_locked(&e->readers, r, usable);
    resolved_standbys_locked(e, &bits);
    if (nana__readers_may_turn_locked(&e->readers)) {
        /* More to read: a worker, or else the standbys, to look. */
        if (e->idle_workers > 0)
            pthread_cond_signal(&e->work_cond);
        else
            while (e->standbys)
                wake_later(e, e->standbys, STANDBY_RESOLVED, &bits);
    }
    if (retire) {
        pthread_mutex_unlock(&e->lock);
        nana__readers_retire(&e->readers, r);
        pthread_mutex_lock(&e->lock);
        nana__readers_retired_locked(r);
    }
    if (--e->resolving == 0 && e->role_waiters > 0)
        pthread_cond_broadcast(&e->work_cond);
    if (e->stopping ||
        (e->quiesce_waiters > 0 && !nana__readers_running_locked(&e->readers)))
        pthread_cond_broadcast(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    wake_now(e, bits);
    pthread_mutex_lock(&e->lock);
}

void nana__engine_set_reader_conns(struct nana_engine *e, const struct nana_reader_conns *rc)
{
    nana__readers_set_conns(&e->readers, rc);
}

void nana__engine_set_readers(struct nana_engine *e, int n)
{
    struct nana_reader *idle[NANA_READERS_MAX];
    int n_idle = 0;
    pthread_mutex_lock(&e->lock);
    nana__readers_set_locked(&e->readers, n, idle, &n_idle);
    if (n == 0)
        reads_to_writer_locked(e, &(struct nana_footprint){.kind = NANA__TOUCHES_ANY});
    unsigned bits = 0;
    pass_role_locked(e, &bits, true);
    pthread_mutex_unlock(&e->lock);
    wake_now(e, bits);
    for (int i = 0; i < n_idle; i++)
        nana__readers_retire(&e->readers, idle[i]);
    pthread_mutex_lock(&e->lock);
    for (int i = 0; i < n_idle; i++)
        nana__readers_retired_locked(idle[i]);
    pthread_mutex_unlock(&e->lock);
}

void nana__engine_readers_reopen(struct nana_engine *e)
{
    pthread_mutex_lock(&e->lock);
    nana__readers_reopen_locked(&e->readers);
    pthread_mutex_unlock(&e->lock);
}

void nana__engine_readers_quiesce(struct nana_engine *e)
{
    pthread_mutex_lock(&e->lock);
    e->quiesce_waiters++;
    while (nana__readers_running_locked(&e->readers))
        pthread_cond_wait(&e->work_cond, &e->lock);
    e->quiesce_waiters--;
    pthread_mutex_unlock(&e->lock);
}

bool nana__engine_readers_on(const struct nana_engine *e)
{
    return nana__readers_on(&e->readers);
}

/* ------------------------------------------------- the futures' helper */

static void helper_hold(void *ctx)
{
    struct nana_engine *e = ctx;
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

static nana_status_t helper_run_until(void *ctx, nana_future_t *f)
{
    struct nana_engine *e = ctx;
    if (inherited(e))
        return NANA_ECLOSED; /* no thread here will ever run its job */
    await_helping(e, f);
    return NANA_OK;
}

static void helper_release(void *ctx)
{
    nana__engine_release(ctx);
}

/* Takes f's job out of the list at *head (lock held): the job, or NULL;
 * *found tells a control step, which stays. */
static struct nana_job *unlink_from(struct nana_job **head, struct nana_job **tail,
                                    const nana_future_t *f, bool *found)
{
    struct nana_job *prev = NULL;
    for (struct nana_job *j = *head; j; prev = j, j = j->next) {
        if (j->future != f)
            continue;
        *found = true;
        if (is_ctl(j))
            return NULL;
        if (prev)
            prev->next = j->next;
        else
            *head = j->next;
        if (*tail == j)
            *tail = prev;
        j->next = NULL;
        return j;
    }
    return NULL;
}

/* A queued job is taken off its queue and fails NANA_ECANCELED; one taken
 * into a batch is left to run (run_one stops a read).  Transaction control
 * steps are not cancelled: the transaction's jobs depend on them. */
static nana_status_t helper_cancel(void *ctx, nana_future_t *f)
{
    struct nana_engine *e = ctx;
    bool found = false;
    pthread_mutex_lock(&e->lock);
    struct nana_job *j = unlink_from(&e->head, &e->tail, f, &found);
    if (!found)
        j = nana__readers_unlink_locked(&e->readers, f);
    if (j) {
        e->queued--;
        room_made_locked(e);
    }
    for (struct nana_engine_txn *t = e->live_txns; t && !found; t = t->live_next)
        j = unlink_from(&t->head, &t->tail, f, &found);
    pthread_mutex_unlock(&e->lock);
    if (found && !j)
        return NANA_EINVAL; /* a control step */
    if (!j)
        return NANA_PENDING;
    count(&e->stat.queued, -1);
    count(&e->stat.cancelled, 1);
    refuse_job(j, f, NANA_ECANCELED, strdup("cancelled before it ran"));
    return NANA_OK;
}

static const struct nana_future_helper engine_helper = {
    helper_hold,
    helper_run_until,
    helper_release,
    helper_cancel,
};

/* ----------------------------------------------------------- checkpoints */

/*
 * A WAL grows with every commit until a checkpoint copies it into the
 * database.  SQLite's default has the committing connection do that,
 * inside COMMIT, every 1000 pages: one write in a few hundred then takes
 * milliseconds (the copy and two fsyncs), and every writer queued behind it
 * waits -- measured, more than half of the time of a stream of awaited sets.
 * Here the writer only notes that the WAL has grown by CKPT_FRAMES (SQLite's
 * own threshold) and an idle worker checkpoints on the backend's second
 * connection, PASSIVE, while the writer goes on.  Without a checkpointer
 * (it cannot open) the writer checkpoints itself, as SQLite would have; and
 * should the WAL reach CKPT_BACKSTOP_FRAMES all the same (checkpoints
 * cannot keep up), the writer waits for the running one and checkpoints
 * after it.
 */
#define CKPT_FRAMES 1000
#define CKPT_BACKSTOP_FRAMES (8 * CKPT_FRAMES)

static int on_wal_commit(void *ctx, sqlite3 *conn, const char *schema, int frames)
{
    struct nana_engine *e = ctx; /* called with the role held: ckpt_mark is ours */
    if (frames < e->ckpt_mark)
        e->ckpt_mark = 0; /* the WAL started over */
    if (frames >= CKPT_BACKSTOP_FRAMES) {
        /* Checkpoints fell behind: wait for one still running on the other
         * connection (it holds the checkpoint lock), then copy the rest
         * here, all of it.  One PASSIVE checkpoint stops at the oldest
         * snapshot a reader holds; with a reader of another connection
         * always mid-read, or descheduled inside one, the log was never
         * started over and grew by thousands of frames past this mark
         * under CPU load.  So the writer waits (not holding the write lock)
         * until the readers let every frame be copied; our writes wait
         * meanwhile: that is the backstop. */
        pthread_mutex_lock(&e->lock);
        e->ckpt_waiters++;
        while (e->checkpointing)
            pthread_cond_wait(&e->work_cond, &e->lock);
        e->ckpt_waiters--;
        pthread_mutex_unlock(&e->lock);
        nana__backend_catch_up(e->backend, schema);
        count(&e->stat.checkpoints, 1);
        e->ckpt_mark = 0;
        return SQLITE_OK;
    }
    if (frames >= CKPT_FRAMES && atomic_load_explicit(&e->ckpt_inline, memory_order_relaxed)) {
        sqlite3_wal_checkpoint_v2(conn, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        count(&e->stat.checkpoints, 1);
        e->ckpt_mark = 0;
        return SQLITE_OK;
    }
    if (frames - e->ckpt_mark < CKPT_FRAMES)
        return SQLITE_OK;
    e->ckpt_mark = frames;
    pthread_mutex_lock(&e->lock);
    e->ckpt_wanted = true;
    if (!e->checkpointing && e->idle_workers > 0)
        pthread_cond_signal(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    return SQLITE_OK;
}

/* A worker checkpoints, when asked and nobody waits to fork (lock held on
 * entry and return). */
static bool checkpoint_if_wanted_locked(struct nana_engine *e)
{
    if (!e->ckpt_wanted || e->checkpointing || e->role_waiters > 0 || e->stopping)
        return false;
    e->ckpt_wanted = false;
    e->checkpointing = true;
    pthread_mutex_unlock(&e->lock);
    bool ok = nana__backend_checkpoint(e->backend);
    if (ok)
        count(&e->stat.checkpoints, 1);
    pthread_mutex_lock(&e->lock);
    e->checkpointing = false;
    if (!ok)
        atomic_store_explicit(&e->ckpt_inline, true, memory_order_relaxed);
    if (e->role_waiters > 0 || e->ckpt_waiters > 0)
        pthread_cond_broadcast(&e->work_cond);
    return true;
}

/* --------------------------------------------------------------- workers */

/*
 * Waking a sleeping worker costs a system call in the submitter and, worse,
 * the worker then races the submitter for the job: a caller that awaits
 * right after submitting would run the job itself, at once, if only the
 * worker stayed asleep.  So while the engine is busy, one idle worker --
 * the sentinel -- polls the queue instead, and submissions do not wake
 * anyone: jobs nobody awaits still start within a poll interval.
 *
 * How often it polls is measured, not set: a poll costs the machine a
 * timer wake-up and two context switches, and what those cost differs
 * several times over between machines (and between a VM's vCPUs and bare
 * metal).  The sentinel takes its own thread's CPU time across each poll
 * and waits SENTINEL_COST_RATIO times that long between polls, so that
 * polling takes about 1/SENTINEL_COST_RATIO of one core on any machine.
 * It goes on while submissions keep coming (one in the last
 * SENTINEL_IDLE_POLLS intervals); then it sleeps for good and submissions
 * wake workers again, so an idle root costs nothing.
 */
#define SENTINEL_COST_RATIO 20   /* polling takes ~5% of one core */
#define SENTINEL_IDLE_POLLS 100  /* intervals without a submission: stop */
#define SENTINEL_FIRST_NS 200000 /* the interval until a poll was measured */

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t poll_interval(const struct nana_engine *e)
{
    return e->poll_cost_ns ? SENTINEL_COST_RATIO * e->poll_cost_ns : SENTINEL_FIRST_NS;
}

/* One poll (lock held): sleeps an interval or until signalled, and
 * learns what that cost. */
static void sentinel_poll_locked(struct nana_engine *e, int64_t now)
{
    int64_t wake = now + poll_interval(e);
    struct timespec until = {(time_t)(wake / 1000000000LL), (long)(wake % 1000000000LL)};
    e->sentinel = true;
    e->idle_workers++;
    int64_t cpu = thread_cpu_ns();
    pthread_cond_timedwait(&e->work_cond, &e->lock, &until);
    int64_t cost = thread_cpu_ns() - cpu;
    e->idle_workers--;
    e->sentinel = false;
    e->poll_cost_ns = e->poll_cost_ns ? e->poll_cost_ns + (cost - e->poll_cost_ns) / 8 : cost;
    if (e->poll_cost_ns < 1)
        e->poll_cost_ns = 1;
}

static void *worker_main(void *arg)
{
    struct nana_engine *e = arg;
    nana__future_mark_worker();
    pthread_mutex_lock(&e->lock);
    for (;;) {
        if (checkpoint_if_wanted_locked(e))
            continue;
        if (nana__readers_may_turn_locked(&e->readers)) {
            reader_turn_locked(e);
            continue;
        }
        if (may_lead_locked(e, false)) {
            pthread_mutex_unlock(&e->lock);
            execute_queue(e);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (e->stopping && !has_work_locked(e))
            break;
        int64_t now = monotonic_ns();
        if (!e->sentinel && now - e->last_submit_ns < SENTINEL_IDLE_POLLS * poll_interval(e)) {
            sentinel_poll_locked(e, now);
            continue;
        }
        e->idle_workers++;
        if (e->txn && e->txn->deadline_ns) {
            /* Someone must end a transaction that overstays. */
            int64_t d = e->txn->deadline_ns;
            struct timespec until = {(time_t)(d / 1000000000LL), (long)(d % 1000000000LL)};
            pthread_cond_timedwait(&e->work_cond, &e->lock, &until);
        } else {
            pthread_cond_wait(&e->work_cond, &e->lock);
        }
        e->idle_workers--;
    }
    /* Let the others see the queue is drained. */
    pthread_cond_broadcast(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* ------------------------------------------------------------- lifecycle */

struct nana_engine *nana__engine_new(void)
{
    struct nana_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    pthread_once(&atfork_once, install_atfork);
    atomic_init(&e->refs, 1);
    atomic_init(&e->open, false);
    e->fork_generation = atomic_load(&fork_generation);
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t cond_attr;
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&e->work_cond, &cond_attr);
    pthread_cond_init(&e->room_cond, &cond_attr);
    pthread_condattr_destroy(&cond_attr);
    nana__readers_init(&e->readers, &(struct nana_readers_host){.lock = &e->lock,
                                                                .engine = e,
                                                                .taken_locked = reads_taken_locked,
                                                                .cancelled = read_cancelled,
                                                                .ctx = e});
    return e;
}

int nana__engine_start(struct nana_engine *e, struct nana_backend *b, int n, const char *prefix)
{
    sigset_t all, old;
    e->backend = b;
    sqlite3_wal_hook(b->writer, on_wal_commit, e);
    /* Every 1000 virtual-machine steps: a cancelled read stops. */
    sqlite3_progress_handler(b->writer, 1000, on_progress, e);
    e->threads = calloc((size_t)n, sizeof *e->threads);
    if (!e->threads)
        return -1;
    /* Workers inherit a fully blocked mask: signals go to the caller's
     * threads, never into the middle of a transaction. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int n_started = 0;
    for (; n_started < n; n_started++) {
        if (pthread_create(&e->threads[n_started], NULL, worker_main, e) != 0)
            break;
        /* Linux thread names hold 15 bytes: shorten the prefix, keep "-N". */
        char suffix[16], name[16];
        int slen = snprintf(suffix, sizeof suffix, "-%d", n_started);
        size_t keep = strnlen(prefix, (size_t)(15 - slen));
        memcpy(name, prefix, keep);
        memcpy(name + keep, suffix, (size_t)slen + 1);
        pthread_setname_np(e->threads[n_started], name);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    e->n_threads = n_started;
    if (n_started < n) {
        nana__engine_stop(e);
        return -1;
    }
    pthread_mutex_lock(&started_lock);
    e->next_started = started;
    started = e;
    pthread_mutex_unlock(&started_lock);
    atomic_store_explicit(&e->open, true, memory_order_release);
    return 0;
}

static void unlist(struct nana_engine *e)
{
    pthread_mutex_lock(&started_lock);
    for (struct nana_engine **link = &started; *link; link = &(*link)->next_started) {
        if (*link == e) {
            *link = e->next_started;
            break;
        }
    }
    pthread_mutex_unlock(&started_lock);
}

/* Stops e: the queue is drained, an open transaction runs what it has
 * queued and is then rolled back (txn_expired: stopping). */
void nana__engine_stop(struct nana_engine *e)
{
    atomic_store_explicit(&e->open, false, memory_order_release);
    pthread_mutex_lock(&e->lock);
    e->stopping = true;
    /* What waits for a reader drains on the writer, in order. */
    reads_to_writer_locked(e, &(struct nana_footprint){.kind = NANA__TOUCHES_ANY});
    pthread_cond_broadcast(&e->work_cond);
    pthread_cond_broadcast(&e->room_cond);
    pthread_mutex_unlock(&e->lock);
    for (int i = 0; i < e->n_threads; i++)
        pthread_join(e->threads[i], NULL);
    e->n_threads = 0;
    /* An awaiting caller may still be running a batch it took: the
     * connection is given back after that.  Whatever is still queued (no
     * worker was started, or a promoted caller has not woken yet) is run
     * here; nothing can be queued after, so nobody takes the role again. */
    pthread_mutex_lock(&e->lock);
    for (;;) {
        while (e->executing || nana__readers_running_locked(&e->readers))
            pthread_cond_wait(&e->work_cond, &e->lock);
        if (!has_work_locked(e) || !e->backend)
            break;
        run_turn_locked(e, NULL);
    }
    pthread_mutex_unlock(&e->lock);
    nana__readers_close_all(&e->readers);
    unlist(e);
    for (int i = 0; i < TXN_COUNT; i++) {
        sqlite3_finalize(e->txn_stmts[i]);
        e->txn_stmts[i] = NULL;
    }
    e->backend = NULL;
    free(e->threads);
    e->threads = NULL;
}

void nana__engine_release(struct nana_engine *e)
{
    if (!e || atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->work_cond);
    pthread_cond_destroy(&e->room_cond);
    free(e);
}

bool nana__engine_inherited(const struct nana_engine *e)
{
    return inherited(e);
}

nana_status_t nana__engine_check(const struct nana_engine *e, const char **msg)
{
    if (e && inherited(e)) {
        *msg = "the handle was inherited across fork(); open a new one in this process";
        return NANA_ECLOSED;
    }
    if (!e || !atomic_load_explicit(&e->open, memory_order_acquire)) {
        *msg = "the root handle is closed";
        return NANA_ECLOSED;
    }
    return NANA_OK;
}

/* Waits (lock held) for the queue to fall below its limit, as long as the
 * limit's deadline allows and the caller may block; true when there is
 * room (or the root is stopping: the caller says so). */
static bool wait_for_room_locked(struct nana_engine *e)
{
    if (e->queue_wait_ms == 0 || !nana__future_may_block())
        return false;
    int64_t d = e->queue_wait_ms > 0 ? monotonic_ns() + e->queue_wait_ms * 1000000LL : 0;
    struct timespec until = {(time_t)(d / 1000000000LL), (long)(d % 1000000000LL)};
    while (e->queued >= e->queue_limit && e->queue_limit && !e->stopping) {
        e->room_waiters++;
        int rc = d ? pthread_cond_timedwait(&e->room_cond, &e->lock, &until)
                   : pthread_cond_wait(&e->room_cond, &e->lock);
        e->room_waiters--;
        if (rc != 0 && e->queued >= e->queue_limit && !e->stopping)
            return false;
    }
    return true;
}

void nana__engine_set_queue_limit(struct nana_engine *e, size_t max_queued, int64_t wait_ms)
{
    pthread_mutex_lock(&e->lock);
    e->queue_limit = max_queued;
    e->queue_wait_ms = wait_ms;
    if (e->room_waiters > 0)
        pthread_cond_broadcast(&e->room_cond); /* a larger limit, or none */
    pthread_mutex_unlock(&e->lock);
}

nana_future_t *nana__engine_submit(struct nana_engine *e, struct nana_job *job)
{
    nana_future_t *f = nana__future_new_pending(&engine_helper, e);
    if (!f) {
        settle_destroy(job, false);
        return nana__future_new_done(NANA_ENOMEM, NULL, NULL);
    }
    job->future = f;

    pthread_mutex_lock(&e->lock);
    struct nana_engine_txn *t = job->txn;
    /* A full queue holds back jobs outside transactions only: a
     * transaction's jobs are what the queue behind it waits for. */
    if (!t && e->queue_limit && e->queued >= e->queue_limit && !wait_for_room_locked(e)) {
        size_t limit = e->queue_limit;
        pthread_mutex_unlock(&e->lock);
        return refuse_job(job, f, NANA_EAGAIN,
                          nana__strdupf("the root's queue is full (%zu jobs, the limit set "
                                        "with nana_set_queue_limit): not queued",
                                        limit));
    }
    if (e->stopping || !e->backend) {
        pthread_mutex_unlock(&e->lock);
        return refuse_job(job, f, NANA_ECLOSED, strdup("the root handle is closed"));
    }
    if (t && !is_ctl(job) && t->closing) {
        /* After its COMMIT or ROLLBACK was queued: in order, it would run
         * after the end. */
        char *why;
        nana_status_t st = ended_outcome(t, &why);
        pthread_mutex_unlock(&e->lock);
        return refuse_job(job, f, st, why);
    }
    if (!t && e->txns_live == 0 &&
        nana__readers_admit_locked(&e->readers, job, !e->head && !e->executing)) {
        /* For a reader (see "reader connections" in readers.c). */
        e->queued++;
        count(&e->stat.queued, 1);
        count(&e->stat.submitted, 1);
        e->last_submit_ns = monotonic_ns();
        if (!e->sentinel && e->idle_workers > 0 && nana__readers_may_turn_locked(&e->readers))
            pthread_cond_signal(&e->work_cond);
        pthread_mutex_unlock(&e->lock);
        return f;
    }
    /* Reads still waiting for a reader were submitted before this job:
     * those it could affect go ahead of it, on the writer. */
    reads_to_writer_locked(e, &job->touches);
    /* A transaction's jobs wait in its own queue; its BEGIN in the
     * engine's. */
    struct nana_job **head = &e->head, **tail = &e->tail;
    if (t && !(is_ctl(job) && container_of(job, struct ctl_job, base)->op == TXN_CTL_BEGIN)) {
        head = &t->head;
        tail = &t->tail;
    } else {
        e->queued++;
    }
    if (*tail)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
    count(&e->stat.queued, 1);
    count(&e->stat.submitted, 1);
    e->last_submit_ns = monotonic_ns();
    /* With a sentinel polling, nobody needs waking (see above); nor when
     * the job must wait for a transaction to end. */
    if (!e->executing && !e->sentinel && !e->promised && e->idle_workers > 0 &&
        has_work_locked(e))
        pthread_cond_signal(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    return f;
}

void nana__engine_stats(struct nana_engine *e, nana_stats_t *out)
{
#define READ_(f) atomic_load_explicit(&e->stat.f, memory_order_relaxed)
    out->queued = READ_(queued);
    out->in_flight = READ_(in_flight);
    out->submitted = READ_(submitted);
    out->batches_committed = READ_(batches_committed);
    out->jobs_committed = READ_(jobs_committed);
    out->batches_failed = READ_(batches_failed);
    out->txns_committed = READ_(txns_committed);
    out->txns_rolled_back = READ_(txns_rolled_back);
    out->cancelled = READ_(cancelled) + READ_(readers_cancelled);
    out->checkpoints = READ_(checkpoints);
#undef READ_
#define READ_(f) atomic_load_explicit(&e->readers.stat.f, memory_order_relaxed)
    out->readers_busy = READ_(busy);
    out->reads_on_readers = READ_(ran);
    out->reads_moved = READ_(moved);
#undef READ_
    out->mean_jobs_per_commit =
        out->batches_committed ? (double)out->jobs_committed / (double)out->batches_committed : 0;
}
