/*
 * readers.c -- the reader lane: read-only connections beside the writer,
 * the reads routed to them, and a turn on one.  The engine (engine.c) owns
 * the lane and its lock and decides who takes a turn; this file decides
 * which reads the lane keeps and runs them.  It names nothing of the
 * engine: what it needs back comes through struct nana_readers_host.
 */
#include <stdlib.h>
#include <string.h>

#include "readers.h"

/* The most reads one turn takes (one snapshot): the writer's batch size. */
#define READS_MAX 1024

static void count(atomic_ulong *counter, long delta)
{
    atomic_fetch_add_explicit(counter, (unsigned long)delta, memory_order_relaxed);
}

/*
 * Reads the cache cannot answer may run on read-only connections of their
 * own (nana_set_read_connections), beside the writer: an uncached read
 * then never waits behind a write -- not even one blocked on another
 * process's lock -- and reads run in parallel with each other and with the
 * writer.  A job may go there only when its submitter flagged it
 * NANA__JOB_READER_OK (it found nothing queued that it must see: kv.c says
 * what), no transaction is open or queued, and the root is not closing;
 * every other job goes to the writer's queue as before.
 *
 * Submission order holds both ways:
 *   - earlier writes are seen: each read records the commit clock at
 *     submission (need), and a reader takes it only into a snapshot opened
 *     after reading the clock at least that far (every COMMIT the clock
 *     counted as done is in it); otherwise it opens a newer one.  (A write
 *     of its key still running at submission pins the key, and the read
 *     was then never flagged for a reader: kv.c.)
 *   - later writes to what it reads stay invisible (footprints): every
 *     job carries what it may read or change (job->touches: a key of a
 *     table, a table, or -- the default -- anything).  A job queued for the
 *     writer moves to the writer's queue, ahead of itself and in their
 *     order, the reads waiting for a reader whose footprint overlaps its
 *     own: same table and key for a key job, any read of the table for a
 *     whole-table job, every read for a job touching anything (the
 *     caller's SQL, helper writes, DDL, transactions' steps, restore,
 *     sweeps: whatever nobody described).  (is_cached of a key counts as
 *     a write of it: the fills of the reads of the key before it must be
 *     done when it looks, kv.c.)  And a reader opens
 *     its read snapshot *before* it takes reads off its queue.  So for
 *     every write W submitted after a read R that W could affect, either R
 *     was taken first, into a snapshot opened before W was even queued and
 *     so before it committed, or R was still waiting and moved ahead of W
 *     on the writer, which runs them in queue order.  A write that cannot
 *     affect R (another key or table) leaves it on the reader, where its
 *     snapshot may or may not hold that write: R's answer is the same
 *     either way, which is what lets reads of other keys run beside a
 *     queue full of writes.
 *   - read-your-writes: a read of a key with a write submitted and not yet
 *     settled finds the key pinned and goes to the writer's queue behind
 *     that write (kv.c); a write of a key cannot be "passed" by a later
 *     read of it.  A thread's read of K, then its write of K: the write
 *     moves the read ahead of itself, or the read's snapshot predates it.
 * A footprint is exactly what the caches already take a job to change (a
 * dict write: its rows; anything else: whatever the authorizer says it
 * wrote, which resets caches), so the rule assumes nothing the cache does
 * not -- a trigger of the caller's on a dict table that writes another
 * would leave that table's cache stale too.
 * Order among reads does not matter (none changes what another finds), so
 * reads left on the readers may run before reads moved to the writer.
 *
 * Cache coherence: a read on a reader caches what it read only while its
 * key's mark, taken at submission, says no later write reached the key and
 * none is pending (nana__cache_mark, kvjob.c): a write of the key that
 * committed after the read's snapshot changes the mark (the entry's
 * commit count, or the cache's resets for a whole-table job), one still
 * pending pins the entry, and the fill is refused -- the key just stays as
 * the later write left it.  Writes to other keys change neither, and
 * cannot make the value read wrong, so they leave fills alone.
 *
 * Helper reads of a table (flagged NANA__JOB_READER_IDLE: nana_query,
 * nana_count, ...) are admitted only while nothing is queued for the
 * writer or running on it -- their submitters have no per-table count of
 * pending key writes to tell them nothing they must see is queued -- and
 * once admitted follow the footprint rule with a table footprint.  The
 * caller's own SQL reads (fetch_*, execute) and get_fresh stay on the
 * writer: they may see the writer connection's state (temp tables,
 * changes()), and get_fresh's pin must refresh the cache in queue order.
 *
 * Turns on readers are taken by idle workers and by callers awaiting a
 * future while reads are queued and a reader is free, as the writer's are;
 * one turn is one snapshot and up to READS_MAX reads.  The connections
 * open on first use and close when the root does, when their number is
 * lowered, and after a restore (reopened).
 */

void nana__readers_init(struct nana_readers *rl, const struct nana_readers_host *host)
{
    rl->host = *host;
    for (int i = 0; i < NANA_READERS_MAX; i++) {
        rl->slots[i].lane = rl;
        rl->slots[i].slot = i + 1;
    }
}

void nana__readers_set_conns(struct nana_readers *rl, const struct nana_reader_conns *rc)
{
    rl->conns = *rc;
}

void nana__readers_tick(struct nana_readers *rl)
{
    atomic_fetch_add(&rl->clock, 1);
}

static bool free_slot_locked(const struct nana_readers *rl)
{
    for (int i = 0; i < rl->n; i++)
        if (!rl->slots[i].busy)
            return true;
    return false;
}

bool nana__readers_waiting_locked(const struct nana_readers *rl)
{
    return rl->head != NULL;
}

bool nana__readers_may_turn_locked(const struct nana_readers *rl)
{
    return rl->head && !rl->held && !rl->failed && free_slot_locked(rl);
}

bool nana__readers_running_locked(const struct nana_readers *rl)
{
    return rl->running > 0;
}

void nana__readers_hold_locked(struct nana_readers *rl, bool held)
{
    rl->held = held;
}

/* The lane's lists (lock held): the FIFO of every waiting read, doubly
 * linked, and a read of a key also in its bucket's list; both in
 * submission order. */
static bool keyed(const struct nana_job *j)
{
    return j->touches.kind == NANA__TOUCHES_KEY;
}

static unsigned bucket_of(const struct nana_job *j)
{
    return j->touches.hash & (NANA__LANE_BUCKETS - 1);
}

static void lane_append(struct nana_readers *rl, struct nana_job *j)
{
    j->next = NULL;
    j->lane_prev = rl->tail;
    *(rl->tail ? &rl->tail->next : &rl->head) = j;
    rl->tail = j;
    j->lane_same = NULL;
    if (!keyed(j)) {
        rl->n_wide++;
        return;
    }
    unsigned b = bucket_of(j);
    *(rl->buckets[b].tail ? &rl->buckets[b].tail->lane_same : &rl->buckets[b].head) = j;
    rl->buckets[b].tail = j;
}

/* Takes j off both lists; same_prev: its predecessor in its bucket when
 * the caller knows it (else NULL and found by a walk of the bucket). */
static void lane_remove(struct nana_readers *rl, struct nana_job *j, struct nana_job *same_prev)
{
    *(j->lane_prev ? &j->lane_prev->next : &rl->head) = j->next;
    *(j->next ? &j->next->lane_prev : &rl->tail) = j->lane_prev;
    j->next = j->lane_prev = NULL;
    if (!keyed(j)) {
        rl->n_wide--;
        return;
    }
    unsigned b = bucket_of(j);
    if (!same_prev && rl->buckets[b].head != j)
        for (same_prev = rl->buckets[b].head; same_prev->lane_same != j;)
            same_prev = same_prev->lane_same;
    *(same_prev ? &same_prev->lane_same : &rl->buckets[b].head) = j->lane_same;
    if (rl->buckets[b].tail == j)
        rl->buckets[b].tail = same_prev;
    j->lane_same = NULL;
}

bool nana__readers_admit_locked(struct nana_readers *rl, struct nana_job *job, bool writer_idle)
{
    if (rl->n == 0 || rl->failed ||
        !((job->flags & NANA__JOB_READER_OK) ||
          ((job->flags & NANA__JOB_READER_IDLE) && writer_idle)))
        return false;
    job->need = atomic_load(&rl->clock);
    lane_append(rl, job);
    return true;
}

/* Could a job that changes what w says change what a read of r finds? */
static bool footprints_overlap(const struct nana_footprint *w, const struct nana_footprint *r)
{
    if (w->kind == NANA__TOUCHES_ANY || r->kind == NANA__TOUCHES_ANY)
        return true;
    if (!nana__name_eq(w->table, r->table))
        return false;
    if (w->kind == NANA__TOUCHES_TABLE || r->kind == NANA__TOUCHES_TABLE)
        return true;
    return w->hash == r->hash && w->key_len == r->key_len &&
           memcmp(w->key, r->key, w->key_len) == 0;
}

/* Moves j (taken off the lane) to the end of the list *first..*last. */
static void push_moved(struct nana_job **first, struct nana_job **last, struct nana_job *j)
{
    *(*last ? &(*last)->next : first) = j;
    *last = j;
}

/*
 * A key write with only reads of keys waiting looks at its key's bucket:
 * the reads it could affect are there, in order.  Anything else looks at
 * every waiting read (a whole-table write, or reads of whole tables
 * waiting: both rare); a job touching anything takes them all.
 */
struct nana_job *nana__readers_yield_locked(struct nana_readers *rl,
                                            const struct nana_footprint *w,
                                            struct nana_job **last, long *n)
{
    struct nana_job *moved = NULL;
    *last = NULL;
    *n = 0;
    if (w->kind == NANA__TOUCHES_KEY && rl->n_wide == 0) {
        unsigned b = w->hash & (NANA__LANE_BUCKETS - 1);
        for (struct nana_job *j = rl->buckets[b].head, *prev = NULL, *next; j; j = next) {
            next = j->lane_same;
            if (!footprints_overlap(w, &j->touches)) {
                prev = j;
                continue;
            }
            lane_remove(rl, j, prev);
            push_moved(&moved, last, j);
            ++*n;
        }
    } else if (w->kind == NANA__TOUCHES_ANY) {
        while (rl->head) {
            struct nana_job *j = rl->head;
            lane_remove(rl, j, NULL); /* the head of its bucket too */
            push_moved(&moved, last, j);
            ++*n;
        }
    } else {
        for (struct nana_job *j = rl->head, *next; j; j = next) {
            next = j->next;
            if (!footprints_overlap(w, &j->touches))
                continue;
            lane_remove(rl, j, NULL);
            push_moved(&moved, last, j);
            ++*n;
        }
    }
    count(&rl->stat.moved, *n);
    return moved;
}

struct nana_job *nana__readers_unlink_locked(struct nana_readers *rl, const nana_future_t *f)
{
    for (struct nana_job *j = rl->head; j; j = j->next) {
        if (j->future == f) {
            lane_remove(rl, j, NULL);
            return j;
        }
    }
    return NULL;
}

static int on_reader_progress(void *ctx)
{
    struct nana_reader *r = ctx;
    nana_future_t *f = atomic_load_explicit(&r->running_read, memory_order_relaxed);
    return f && nana__future_cancel_requested(f);
}

static void reader_close(struct nana_readers *rl, struct nana_reader *r)
{
    if (!r->conn)
        return;
    if (rl->conns.closing)
        rl->conns.closing(rl->conns.ctx, r->conn, r->slot);
    sqlite3_close_v2(r->conn);
    r->conn = NULL;
}

static bool reader_open(struct nana_readers *rl, struct nana_reader *r)
{
    char *msg = NULL;
    r->conn = rl->conns.open ? rl->conns.open(rl->conns.ctx, r->slot, &msg) : NULL;
    free(msg); /* nothing fails for it: the reads go to the writer */
    if (r->conn)
        sqlite3_progress_handler(r->conn, 1000, on_reader_progress, r);
    return r->conn != NULL;
}

/* Opens a read snapshot on r: BEGIN and a first read (a deferred BEGIN
 * takes its snapshot at the first read).  false when it could not. */
static bool snapshot_open(struct nana_reader *r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(r->conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return false;
    int rc = sqlite3_prepare_v2(r->conn, "SELECT 1 FROM sqlite_schema LIMIT 1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return true;
    sqlite3_exec(r->conn, "ROLLBACK", NULL, NULL, NULL);
    return false;
}

static void snapshot_close(struct nana_reader *r)
{
    if (!sqlite3_get_autocommit(r->conn))
        sqlite3_exec(r->conn, "COMMIT", NULL, NULL, NULL);
}

/* Takes the reads whose need the snapshot at clock c0 meets (lock held):
 * from the head, so each is the head of its bucket too. */
static struct nana_job *take_reads_locked(struct nana_readers *rl, unsigned long c0)
{
    struct nana_job *first = NULL, *last = NULL;
    long n = 0;
    while (rl->head && rl->head->need <= c0 && n < READS_MAX) {
        struct nana_job *j = rl->head;
        lane_remove(rl, j, NULL);
        push_moved(&first, &last, j);
        n++;
    }
    if (n > 0)
        rl->host.taken_locked(rl->host.ctx, n);
    return first;
}

/* Runs reads on r inside its snapshot. */
static void run_reads(struct nana_readers *rl, struct nana_reader *r, struct nana_job *batch)
{
    struct nana_exec ex = {.conn = r->conn, .reader = r->slot, .engine = rl->host.engine};
    for (struct nana_job *j = batch; j; j = j->next) {
        count(&rl->stat.ran, 1);
        if (nana__future_cancel_requested(j->future)) {
            rl->host.cancelled(rl->host.ctx, j, strdup("cancelled before it ran"));
            continue;
        }
        atomic_store_explicit(&r->running_read, j->future, memory_order_relaxed);
        j->ops->run(j, &ex);
        atomic_store_explicit(&r->running_read, NULL, memory_order_relaxed);
        if (j->status != NANA_OK && nana__future_cancel_requested(j->future))
            rl->host.cancelled(rl->host.ctx, j, strdup("cancelled while it ran"));
    }
}

struct nana_reader *nana__readers_claim_locked(struct nana_readers *rl)
{
    struct nana_reader *r = NULL;
    for (int i = 0; i < rl->n && !r; i++)
        if (!rl->slots[i].busy)
            r = &rl->slots[i];
    r->busy = true;
    r->reopen = r->stale;
    r->stale = false;
    rl->running++;
    return r;
}

struct nana_job *nana__readers_run(struct nana_readers *rl, struct nana_reader *r, bool *usable)
{
    if (r->reopen)
        reader_close(rl, r);
    *usable = r->conn || reader_open(rl, r);
    struct nana_job *batch = NULL;
    while (*usable) {
        unsigned long c0 = atomic_load(&rl->clock);
        if (!(*usable = snapshot_open(r)))
            break;
        pthread_mutex_lock(rl->host.lock);
        batch = take_reads_locked(rl, c0);
        bool more = rl->head != NULL;
        pthread_mutex_unlock(rl->host.lock);
        if (batch || !more)
            break;
        /* The head needs a commit this snapshot may lack: a newer one. */
        snapshot_close(r);
    }
    if (batch) {
        count(&rl->stat.busy, 1);
        run_reads(rl, r, batch);
        count(&rl->stat.busy, -1);
        snapshot_close(r);
        for (struct nana_job *j = batch; j; j = j->next)
            if (j->ops->settle)
                j->ops->settle(j, j->status == NANA_OK);
    } else if (*usable) {
        snapshot_close(r);
    }
    return batch;
}

bool nana__readers_end_locked(struct nana_readers *rl, struct nana_reader *r, bool usable)
{
    /* Not opened: route nothing more to readers until they are set again. */
    if (!usable && !r->conn)
        rl->failed = true;
    rl->running--;
    bool retire = r->slot > rl->n;
    r->busy = retire; /* nobody takes it while it closes */
    return retire;
}

void nana__readers_retire(struct nana_readers *rl, struct nana_reader *r)
{
    reader_close(rl, r);
}

void nana__readers_retired_locked(struct nana_reader *r)
{
    r->busy = false;
}

void nana__readers_set_locked(struct nana_readers *rl, int n, struct nana_reader **idle,
                              int *n_idle)
{
    rl->n = n;
    atomic_store_explicit(&rl->wanted, n, memory_order_relaxed);
    rl->failed = false;
    /* Those beyond n that nobody runs close now; a busy one when its turn
     * ends (retire). */
    *n_idle = 0;
    for (int i = n; i < NANA_READERS_MAX; i++) {
        if (!rl->slots[i].busy && rl->slots[i].conn) {
            rl->slots[i].busy = true;
            idle[(*n_idle)++] = &rl->slots[i];
        }
    }
}

void nana__readers_reopen_locked(struct nana_readers *rl)
{
    for (int i = 0; i < NANA_READERS_MAX; i++)
        rl->slots[i].stale = true;
}

bool nana__readers_on(const struct nana_readers *rl)
{
    return atomic_load_explicit(&rl->wanted, memory_order_relaxed) > 0;
}

void nana__readers_close_all(struct nana_readers *rl)
{
    for (int i = 0; i < NANA_READERS_MAX; i++)
        reader_close(rl, &rl->slots[i]);
}
