/*
 * soak.h -- the soak's parts (test/soak-*.c is the scenario).
 *
 *   own.c     operations on a thread's own keys: nobody else writes them,
 *             so the thread keeps a mirror of them and every answer must
 *             be exactly the mirror's
 *   shared.c  operations on the keys every thread writes, on the counters
 *             every thread increments, and on whole tables: only what
 *             holds whatever the others did is checked
 *   check.c   awaiting a submitted operation and checking its answer,
 *             reporting a wrong one
 *
 * Keys of table soak<n>: "o<t>-<j>" (thread t's own, j < SOAK_OWN_KEYS),
 * "s-<j>" (shared, j < SOAK_SHARED_KEYS) and "ctr" (the shared counter).
 */
#ifndef NANA_SOAK_H
#define NANA_SOAK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nanasqlite.h"

#define SOAK_THREADS 16
#define SOAK_TABLES 4
#define SOAK_OWN_KEYS 12
#define SOAK_SHARED_KEYS 12
#define SOAK_PIPE_MAX 6 /* operations submitted before the first is awaited */
#define SOAK_CTR_KEY "ctr"
/* Every key a table can hold. */
#define SOAK_UNIVERSE (SOAK_THREADS * SOAK_OWN_KEYS + SOAK_SHARED_KEYS + 1)

extern const char *const soak_table_names[SOAK_TABLES];

/* What is shared between the threads. */
struct soak_world {
    nana_db_t *root;
    atomic_bool stop;
    /* Shared values thread t has made so far (a value's "n" is below). */
    atomic_long issued[SOAK_THREADS];
    /* Increments of each table's counter that resolved NANA_OK. */
    atomic_long ctr_ok[SOAK_TABLES];
    atomic_long failures;
};
extern struct soak_world soak;

/* How the answer of a submitted operation is checked. */
enum soak_check {
    SC_STATUS,       /* the status is want */
    SC_JSON,         /* want; when NANA_OK, the value equals want_json */
    SC_INT,          /* NANA_OK and want_int */
    SC_BOOL,         /* NANA_OK and want_bool */
    SC_CHANGES,      /* NANA_OK, nana_execute's "changes" is want_int */
    SC_QUERY_ROWS,   /* NANA_OK, nana_query's row objects {key, value text} are want_json's pairs */
    SC_EXEC_ROWS,    /* NANA_OK, nana_execute's "rows" [key, value text] are want_json's pairs */
    SC_SHARED_READ,  /* a shared value, or NANA_ENOTFOUND */
    SC_SHARED_VALUE, /* NANA_OK and a shared value */
    SC_SHARED_GONE,  /* NANA_OK or NANA_ENOTFOUND, no value */
    SC_SHARED_CAS,   /* NANA_OK and a boolean */
    SC_SHARED_BATCH, /* NANA_OK, an object of shared keys to shared values */
    SC_COUNTER,      /* NANA_OK, an integer above the last this thread saw */
    SC_RANGE,        /* NANA_OK and an integer in [lo, hi] */
    SC_LISTING,      /* keys / items / to_dict of a table: want_json is the
                        mirror when submitted; the thread's keys must be
                        exactly it, every other row a legal one */
};

struct soak_pending {
    const char *what;
    int table;
    char key[32];
    nana_future_t *f;
    enum soak_check check;
    nana_status_t want;
    json_t *want_json; /* owned */
    int64_t want_int, lo, hi;
    bool want_bool;
};

struct soak_thread {
    int id;
    uint64_t rng;
    nana_db_t *h[SOAK_TABLES];       /* its own handles on the tables */
    json_t *mirror[SOAK_TABLES];     /* its keys -> value, as they must be */
    char names[SOAK_OWN_KEYS][32];   /* its keys */
    char prefix[16], prefix_end[16]; /* "o<t>-", and just past every such key */
    int64_t ctr_seen[SOAK_TABLES];
    long shared_made;
    struct soak_pending pipe[SOAK_PIPE_MAX];
    int n_pipe;
    long ops; /* answers checked */
};

/* own.c: submits one operation on the thread's keys of a random table. */
void soak_own_op(struct soak_thread *t);
/* shared.c: one operation on the shared keys or counter, or a read of a
 * whole table. */
void soak_shared_op(struct soak_thread *t);
/* A shared value: made by thread w as its n-th, with a checksum. */
json_t *soak_shared_value(int w, long n);
bool soak_shared_valid(const json_t *v);

/* check.c: the next pipeline slot (the caller fills it). */
struct soak_pending *soak_slot(struct soak_thread *t, const char *what, int table,
                               const char *key);
/* Awaits and checks every pending operation, in submission order. */
void soak_drain(struct soak_thread *t);
/* Reports a wrong answer (once per thread's first few) and stops the run. */
void soak_report(const struct soak_thread *t, const struct soak_pending *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Is key one of thread's own keys, or any legal key (*owner: the thread,
 * or -1 for a shared key or the counter)? */
bool soak_key_legal(const char *key, int *owner);
/* Thread's j-th key into buf. */
void soak_own_name(char *buf, size_t size, int thread, int j);
/* The pairs [key, value] of the mirror in key order (bytes), at most
 * limit.  New reference. */
json_t *soak_sorted_pairs(const json_t *mirror, int64_t limit);

/* The PRNG (splitmix64). */
uint64_t soak_rand(uint64_t *state);
uint32_t soak_below(uint64_t *state, uint32_t n);

#endif
