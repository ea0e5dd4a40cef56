/*
 * crash.h -- the crash tester's parts (test/crash-sigkill-*.c is the
 * scenario): what the writer child stores, what it tells the parent, and
 * the parent's record of it.
 *
 *   common.c  the key space, the one value each (thread, table, key, seq)
 *             stores, records on the pipe, the PRNG
 *   writer.c  the child: opens the file, runs CRASH_THREADS writer threads
 *             until it is killed, reporting every submission and every
 *             acknowledgement
 *   verify.c  the parent: what the file held before the round, what the
 *             round submitted and acknowledged, and the check of the
 *             reopened file against both
 *
 * Every write a thread makes is a "submission" with a sequence number of
 * its own (increasing across rounds, never reused).  The thread reports it
 * on the pipe before it calls the library, and reports it acknowledged
 * once its future resolved NANA_OK.  Only the thread writes its keys and
 * its counter, and the root runs operations in submission order, so after
 * a kill the file must hold, for each thread, the effect of exactly a
 * prefix of its submissions -- one that takes in every acknowledged one.
 */
#ifndef NANA_CRASH_H
#define NANA_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nanasqlite.h"

#define CRASH_THREADS 8
/* 0 is the root's table; the others are sub-tables (nana_table). */
#define CRASH_TABLES 3
/* Keys per thread and table: w<thread>-<key>.  At most 32 (a mask). */
#define CRASH_KEYS 12
/* Each thread's counter ("n<thread>" in the root's table, {"n": count},
 * nana_increment with a field), and the counter every thread increments
 * ("shared" in the last table, a bare integer). */
#define CRASH_SHARED_TABLE (CRASH_TABLES - 1)
#define CRASH_SHARED_KEY "shared"
#define CRASH_GROUP_MAX 8  /* sets submitted before they are awaited together */
#define CRASH_BATCH_MAX 6  /* keys of one batch_update */

extern const char *const crash_table_names[CRASH_TABLES];

/* What a submission does. */
enum crash_op {
    CRASH_SET,         /* nana_set, awaited at once */
    CRASH_GROUP_SET,   /* nana_set, one of several submitted then awaited together */
    CRASH_BATCH,       /* nana_batch_update (or nana_update) of several keys of a table */
    CRASH_INCR_OWN,    /* nana_increment(root, "n<t>", "n", 1) */
    CRASH_INCR_SHARED, /* nana_increment(last table, "shared", NULL, 1) */
    /* A transaction (nana_txn_*): sets of the thread's keys in several
     * tables, through views, as one submission, all or nothing; each key
     * holds crash_value(thread, table, key, seq) of the one seq, as a
     * batch's keys do.  Acknowledged when COMMIT's future resolved. */
    CRASH_TXN,
    CRASH_OP_COUNT
};
extern const char *const crash_op_names[CRASH_OP_COUNT];

/* Does the op leave a trace in the thread's own keys or counter?  (A
 * shared increment does not: it shows only in the sum.) */
bool crash_op_own_visible(enum crash_op op);

/* ----------------------------------------------------------- the pipe */

enum crash_rec_kind {
    CRASH_REC_READY = 1, /* the child opened the file and its tables */
    CRASH_REC_SUBMIT,    /* about to call the library for seq */
    CRASH_REC_ACK,       /* seq's future resolved NANA_OK */
    CRASH_REC_FAIL,      /* something went wrong: a message of seq bytes follows */
};

/* One write(2) each, at most PIPE_BUF bytes: writes of several threads to
 * one pipe never interleave. */
struct crash_rec {
    uint8_t kind;
    uint8_t thread;
    uint8_t op;      /* enum crash_op */
    uint8_t unused;
    uint32_t keys[CRASH_TABLES]; /* per table, the mask of key indexes written */
    int64_t seq;
};

/* Writes one record (and the failure message); _exit(3)s when the pipe
 * is gone: the parent no longer listens. */
void crash_send(int fd, const struct crash_rec *r);
void crash_send_fail(int fd, int thread, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ----------------------------------------------------------- the data */

/* "w<thread>-<key>", "n<thread>" into buf. */
void crash_key(char *buf, size_t size, int thread, int key);
void crash_counter_key(char *buf, size_t size, int thread);
/* The value a submission stores under (thread, table, key): its seq and a
 * pad whose length and bytes follow from the seq (up to a few kB: some
 * rows spill onto overflow pages), so that a value is checked whole by
 * making it again.  New reference. */
json_t *crash_value(int thread, int table, int key, int64_t seq);
/* When v is a value crash_value() makes for (thread, table, key), its seq
 * (>= 1); else 0. */
int64_t crash_value_seq(const json_t *v, int thread, int table, int key);

/* ----------------------------------------------------------- the PRNG */

/* splitmix64: every choice of a round follows from the run's seed. */
uint64_t crash_rand(uint64_t *state);
/* Uniform in [0, n), n > 0. */
uint32_t crash_below(uint64_t *state, uint32_t n);

/* ----------------------------------------------------------- writer.c */

/* What a child starts from: the file's state as the parent last verified
 * it (each thread's counter, the shared one) and each thread's first seq. */
struct crash_start {
    int64_t own_count[CRASH_THREADS];
    int64_t shared_count;
    int64_t first_seq[CRASH_THREADS];
    uint64_t seed;
};

/* The child: opens path, starts the writers, reports on fd; never
 * returns (it is killed, or _exit()s after reporting a failure). */
_Noreturn void crash_child(const char *path, const struct crash_start *start, int fd);

/* ----------------------------------------------------------- verify.c */

/* A submission of the current round, as the parent learnt it. */
struct crash_sub {
    int64_t seq;
    uint8_t op;
    uint32_t keys[CRASH_TABLES];
    bool acked;
};

/* What the parent knows: the verified state of the file and the round's
 * submissions. */
struct crash_state {
    /* Verified: the seq each key holds (0: absent), the counters. */
    int64_t key_seq[CRASH_THREADS][CRASH_TABLES][CRASH_KEYS];
    int64_t own_count[CRASH_THREADS];
    int64_t shared_count;
    int64_t next_seq[CRASH_THREADS];
    /* This round, in each thread's submission order. */
    struct crash_sub *subs[CRASH_THREADS];
    size_t n_subs[CRASH_THREADS], cap_subs[CRASH_THREADS];
    /* Totals over the run. */
    long acks_verified, rows_verified;
};

void crash_state_init(struct crash_state *s);
void crash_state_free(struct crash_state *s);
/* The child a round forks starts from this. */
void crash_state_start(const struct crash_state *s, uint64_t seed, struct crash_start *out);
/* Records a SUBMIT or ACK; false with *why (malloc'd) when it makes no
 * sense (an ACK of nothing submitted, a seq out of order). */
bool crash_state_record(struct crash_state *s, const struct crash_rec *r, char **why);
/* After the kill: opens path with the library, checks every row against
 * the state and the round's submissions, and SQLite's integrity_check;
 * on success the file's state becomes the verified state and the round's
 * submissions are forgotten.  false with *why (malloc'd) on a violation. */
bool crash_state_verify(struct crash_state *s, const char *path, char **why);
/* This round's submissions and acknowledgements, all threads. */
void crash_state_counts(const struct crash_state *s, long *submitted, long *acked);

#endif
