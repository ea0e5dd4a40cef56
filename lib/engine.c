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

#include "internal.h"

/* How many queued jobs one executor turn takes, at most: the group-commit
 * size.  Bigger batches amortise the COMMIT; each future still waits for it. */
#define BATCH_MAX 1024

enum txn_stmt { TXN_BEGIN_IMMEDIATE, TXN_BEGIN, TXN_COMMIT, TXN_ROLLBACK, TXN_COUNT };

struct nana_engine {
    atomic_int refs;            /* the root + awaiting helpers */
    atomic_bool open;           /* started and not stopping */
    unsigned fork_generation;   /* the process's generation when made */
    struct nana_backend *backend;

    pthread_mutex_t lock;
    pthread_cond_t work_cond;   /* idle workers, close and fork wait here */
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
    int64_t poll_cost_ns;       /* what a sentinel's poll costs, smoothed */
    pthread_t *threads;
    int n_threads;
    struct nana_engine *next_started; /* the list fork() quiesces */

    /* BEGIN IMMEDIATE, BEGIN, COMMIT, ROLLBACK, kept prepared: they run
     * once per batch, and parsing them each time costs a write's worth.
     * Role holder only. */
    sqlite3_stmt *txn_stmts[TXN_COUNT];
};

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
        if (e->head && e->idle_workers > 0)
            pthread_cond_signal(&e->work_cond);
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
    for (struct nana_job *j = first; j; j = j->next)
        e->queued--;
    return first;
}

static int exec_txn(struct nana_engine *e, enum txn_stmt which)
{
    static const char *const sql[] = {"BEGIN IMMEDIATE", "BEGIN", "COMMIT", "ROLLBACK"};
    sqlite3_stmt **stmt = &e->txn_stmts[which];
    if (!*stmt) {
        int rc = sqlite3_prepare_v3(e->backend->writer, sql[which], -1,
                                    SQLITE_PREPARE_PERSISTENT, stmt, NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The state of one batch's transaction while its jobs run. */
struct batch_txn {
    struct nana_staging staged;
    struct nana_job *segment; /* first job of the current transaction */
    bool in_txn, txn_writes;
};

/* Runs jobs from..end of list; returns the last one. */
static struct nana_job *run_jobs(struct nana_engine *e, struct nana_job *from,
                                 struct batch_txn *tx)
{
    sqlite3 *conn = e->backend->writer;
    struct nana_exec ex = {conn, &tx->staged};
    struct nana_job *last = NULL;
    for (struct nana_job *j = from; j; j = j->next) {
        last = j;
        if (j->done_early)
            continue;
        j->ops->run(j, &ex);
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
        if (e->queued < EXTEND_MIN_QUEUED || (e->head->flags & NANA__JOB_ALONE)) {
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
static void run_batch(struct nana_engine *e, struct nana_job *batch)
{
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
                nana__job_fail(j, st, nana__strdupf("cannot start a write transaction: %s", why));
                j->done_early = true;
            }
        }
    } else if (n_jobs > 1 && exec_txn(e, TXN_BEGIN) == SQLITE_OK) {
        tx.in_txn = true; /* one read snapshot for the whole batch */
    }

    struct nana_job *last = run_jobs(e, batch, &tx);
    if (!(batch->flags & NANA__JOB_ALONE))
        extend_batch(e, last, n_jobs, &tx);

    bool committed = true;
    if (tx.in_txn) {
        int rc = exec_txn(e, TXN_COMMIT);
        if (rc != SQLITE_OK) {
            char *why = nana__strdupf("COMMIT failed: %s", sqlite3_errmsg(conn));
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
    free(tx.staged.refs);
    for (struct nana_job *j = batch; j; j = j->next)
        if (j->ops->settle)
            j->ops->settle(j, committed && j->status == NANA_OK);
}

/* After the role is given up: delivers and resolves every job's future. */
static void resolve_batch(struct nana_job *batch)
{
    while (batch) {
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
    if (!e->head || e->executing || e->promised)
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
    struct nana_job *batch = take_batch_locked(e);
    bool last_turn = target == NULL;
    for (struct nana_job *j = batch; j && !last_turn; j = j->next)
        last_turn = j->future == target;
    e->executing = true;
    e->resolving++;
    pthread_mutex_unlock(&e->lock);

    run_batch(e, batch);

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
    resolve_batch(batch);
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
    return e->head && !e->executing && (!e->promised || promoted);
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

static const struct nana_future_helper engine_helper = {
    helper_hold,
    helper_run_until,
    helper_release,
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
         * here.  PASSIVE, not RESTART: RESTART holds the write lock while
         * it waits for readers, and another process's writer then starved
         * past its busy timeout (test/fork-child-opens-handle-while-parent-
         * busy). */
        pthread_mutex_lock(&e->lock);
        e->ckpt_waiters++;
        while (e->checkpointing)
            pthread_cond_wait(&e->work_cond, &e->lock);
        e->ckpt_waiters--;
        pthread_mutex_unlock(&e->lock);
        sqlite3_wal_checkpoint_v2(conn, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        e->ckpt_mark = 0;
        return SQLITE_OK;
    }
    if (frames >= CKPT_FRAMES && atomic_load_explicit(&e->ckpt_inline, memory_order_relaxed)) {
        sqlite3_wal_checkpoint_v2(conn, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
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
        if (may_lead_locked(e, false)) {
            pthread_mutex_unlock(&e->lock);
            execute_queue(e);
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (e->stopping && !e->head)
            break;
        int64_t now = monotonic_ns();
        if (!e->sentinel && now - e->last_submit_ns < SENTINEL_IDLE_POLLS * poll_interval(e)) {
            sentinel_poll_locked(e, now);
            continue;
        }
        e->idle_workers++;
        pthread_cond_wait(&e->work_cond, &e->lock);
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
    pthread_condattr_destroy(&cond_attr);
    return e;
}

int nana__engine_start(struct nana_engine *e, struct nana_backend *b, int n, const char *prefix)
{
    sigset_t all, old;
    e->backend = b;
    sqlite3_wal_hook(b->writer, on_wal_commit, e);
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

void nana__engine_stop(struct nana_engine *e)
{
    atomic_store_explicit(&e->open, false, memory_order_release);
    pthread_mutex_lock(&e->lock);
    e->stopping = true;
    pthread_cond_broadcast(&e->work_cond);
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
        while (e->executing)
            pthread_cond_wait(&e->work_cond, &e->lock);
        if (!e->head || !e->backend)
            break;
        run_turn_locked(e, NULL);
    }
    pthread_mutex_unlock(&e->lock);
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

nana_future_t *nana__engine_submit(struct nana_engine *e, struct nana_job *job)
{
    nana_future_t *f = nana__future_new_pending(&engine_helper, e);
    if (!f) {
        if (job->ops->settle)
            job->ops->settle(job, false);
        job->ops->destroy(job);
        return nana__future_new_done(NANA_ENOMEM, NULL, NULL);
    }
    job->future = f;

    pthread_mutex_lock(&e->lock);
    if (e->stopping || !e->backend) {
        pthread_mutex_unlock(&e->lock);
        job->future = NULL;
        if (job->ops->settle)
            job->ops->settle(job, false);
        job->ops->destroy(job);
        nana__future_resolve(f, NANA_ECLOSED, NULL, strdup("the root handle is closed"));
        return f;
    }
    if (e->tail)
        e->tail->next = job;
    else
        e->head = job;
    e->tail = job;
    e->queued++;
    e->last_submit_ns = monotonic_ns();
    /* With a sentinel polling, nobody needs waking (see above). */
    if (!e->executing && !e->sentinel && !e->promised && e->idle_workers > 0)
        pthread_cond_signal(&e->work_cond);
    pthread_mutex_unlock(&e->lock);
    return f;
}
