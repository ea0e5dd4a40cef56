/*
 * readers.h -- the reader lane, between engine.c (its only client) and
 * readers.c (which owns every field below).  The lane is the engine's: it
 * runs under the engine's lock ("_locked": that lock held), and the
 * engine decides when a thread takes a turn on it; readers.c knows
 * nothing of the engine but the callbacks it was given (struct
 * nana_readers_host).  See "reader connections" in readers.c.
 */
#ifndef NANA_READERS_H
#define NANA_READERS_H

#include "internal.h"

/* What the lane calls back into its owner. */
struct nana_readers_host {
    pthread_mutex_t *lock;      /* the owner's: guards the lane */
    struct nana_engine *engine; /* for the jobs' nana_exec */
    /* n reads were taken off the lane to run (lock held). */
    void (*taken_locked)(void *ctx, long n);
    /* A read stops, cancelled (msg: malloc'd, taken; lock not held). */
    void (*cancelled)(void *ctx, struct nana_job *j, char *msg);
    void *ctx;
};

/* Buckets of the lane's key index (a power of two). */
#define NANA__LANE_BUCKETS 1024

/* A reader connection and whoever runs it. */
struct nana_reader {
    struct nana_readers *lane;
    int slot;                   /* 1..NANA_READERS_MAX */
    sqlite3 *conn;              /* the slot's holder's; NULL until opened */
    bool busy;                  /* a thread runs a turn on it (under lock) */
    bool stale;                 /* to be reopened before its next turn (lock) */
    bool reopen;                /* this turn reopens it first (the turn's) */
    /* The read job running on it, for its progress handler. */
    _Atomic(nana_future_t *) running_read;
};

struct nana_readers {
    struct nana_readers_host host;
    struct nana_reader_conns conns; /* set before start */
    /* Under the host's lock but for the atomics: */
    struct nana_reader slots[NANA_READERS_MAX];
    int n;                      /* how many may be used */
    atomic_int wanted;          /* the same, read without the lock */
    int running;                /* slots a thread runs a turn on */
    bool held;                  /* fork(): no turn starts */
    bool failed;                /* one could not open: nothing is routed */
    struct nana_job *head, *tail; /* the reads routed to them, in order */
    /* The waiting reads of one key, by the key's hash: each bucket a list
     * in submission order (job->lane_same), so that a key write finds the
     * reads it could affect without walking the lane; and how many waiting
     * reads have a wider footprint (those a key write must look at all). */
    struct {
        struct nana_job *head, *tail;
    } buckets[NANA__LANE_BUCKETS];
    long n_wide;
    /* Ticks before and after every COMMIT (and around every batch that
     * may change the file without one), so that a read submitted after a
     * commit ended needs a snapshot opened after it did. */
    atomic_ulong clock;
    struct {
        atomic_ulong busy, ran, moved;
    } stat;
};

void nana__readers_init(struct nana_readers *rl, const struct nana_readers_host *host);
void nana__readers_set_conns(struct nana_readers *rl, const struct nana_reader_conns *rc);
/* The writer is about to commit, or has: the clock moves (no lock). */
void nana__readers_tick(struct nana_readers *rl);

/* Submission (lock held).  Takes job when it may go to a reader (flagged
 * for one; writer_idle: nothing queued for or running on the writer, for
 * NANA__JOB_READER_IDLE); false: it is the writer's. */
bool nana__readers_admit_locked(struct nana_readers *rl, struct nana_job *job, bool writer_idle);
/* A job touching w is queued for the writer: the reads waiting here that
 * it could affect leave the lane, in order (NULL when none; *last the
 * last, *n how many), for the writer's queue ahead of it. */
struct nana_job *nana__readers_yield_locked(struct nana_readers *rl,
                                            const struct nana_footprint *w,
                                            struct nana_job **last, long *n);
/* Takes f's read off the lane: the job, or NULL. */
struct nana_job *nana__readers_unlink_locked(struct nana_readers *rl, const nana_future_t *f);
/* Reads wait here. */
bool nana__readers_waiting_locked(const struct nana_readers *rl);
/* Could a thread take a turn now? */
bool nana__readers_may_turn_locked(const struct nana_readers *rl);
/* Does a thread run a turn? */
bool nana__readers_running_locked(const struct nana_readers *rl);
/* fork(): held, no turn starts until released. */
void nana__readers_hold_locked(struct nana_readers *rl, bool held);

/*
 * One turn, in three steps: claim a free slot (lock held; may_turn was
 * true); run it (lock not held): open the connection and a snapshot, take
 * the reads the snapshot serves, run and settle them, and return them for
 * the owner to resolve (*usable false: the connection or the snapshot
 * would not open, and the owner is to send the waiting reads to the
 * writer); end it (lock held): true when the slot is to retire -- the
 * owner then calls nana__readers_retire without the lock and
 * nana__readers_retired_locked after.
 */
struct nana_reader *nana__readers_claim_locked(struct nana_readers *rl);
struct nana_job *nana__readers_run(struct nana_readers *rl, struct nana_reader *r,
                                   bool *usable);
bool nana__readers_end_locked(struct nana_readers *rl, struct nana_reader *r, bool usable);
void nana__readers_retire(struct nana_readers *rl, struct nana_reader *r);
void nana__readers_retired_locked(struct nana_reader *r);

/* Up to n readers from now on (lock held); those beyond n that nobody runs
 * are marked busy and put in idle[] (*n_idle): the owner closes them with
 * nana__readers_retire without the lock, then nana__readers_retired_locked. */
void nana__readers_set_locked(struct nana_readers *rl, int n, struct nana_reader **idle,
                              int *n_idle);
/* The file was replaced: every connection reopens before its next turn. */
void nana__readers_reopen_locked(struct nana_readers *rl);
bool nana__readers_on(const struct nana_readers *rl);
/* The root closes (no turn runs, none can start): every connection closes. */
void nana__readers_close_all(struct nana_readers *rl);

#endif
