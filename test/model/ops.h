/*
 * ops.h -- the vocabulary of the model-based tester: the key space, the
 * handles, the operations and the steps a test sequence is made of, and the
 * deterministic PRNG every choice comes from.
 *
 * A sequence is plain data (generated from a seed by gen.c, run by check.c,
 * cut down by shrink.c), so that a failing run can be replayed, printed and
 * shrunk without the generator.
 */
#ifndef NANA_MODEL_OPS_H
#define NANA_MODEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** seeded through splitmix64: the whole sequence follows from
 * one 64-bit seed. */
struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* True with probability percent / 100. */
bool rng_pct(struct rng *r, unsigned percent);
uint64_t splitmix64(uint64_t *state);

/* ------------------------------------------------------------- key space */

/* Eight ordinary keys (one empty, two non-ASCII, one with a quote) and two
 * poison keys that the triggers of step ST_TRIGGERS refuse to insert into
 * table "data": M_POISON_ABORT with RAISE(ABORT) (that statement fails),
 * M_POISON_ROLLBACK with RAISE(ROLLBACK) (the whole transaction is gone). */
enum { M_NKEYS_PLAIN = 8, M_POISON_ABORT = 8, M_POISON_ROLLBACK = 9, M_NKEYS = 10 };
extern const char *const m_key_names[M_NKEYS];

/* Tables of the file: 0 "data" (the roots' table), 1 "t2". */
enum { M_NTABLES = 2 };
extern const char *const m_table_names[M_NTABLES];

/* Roots: A (always open, busy_timeout_ms 50) and B, a second root on the
 * same file, opened and closed by steps. */
enum { ROOT_A = 0, ROOT_B = 1, M_NROOTS = 2 };

/* Handles.  A_CASE is nana_table(A, "DATA"): the same table as A, so the
 * same cache.  B_T2 is nana_table(B, "T2"). */
enum handle_id { H_A = 0, H_A_CASE, H_A_T2, H_B, H_B_T2, M_NHANDLES };
extern const int m_handle_root[M_NHANDLES];
extern const int m_handle_table[M_NHANDLES];
extern const char *const m_handle_names[M_NHANDLES];   /* for printing */
extern const char *const m_handle_spelling[M_NHANDLES]; /* the name passed to nana_table */

/* ------------------------------------------------------------ operations */

enum op_kind {
    /* reads */
    OP_GET, OP_GET_DFLT, OP_GET_FRESH, OP_GET_FRESH_DFLT, OP_CONTAINS, OP_IS_CACHED,
    OP_LEN, OP_KEYS, OP_VALUES, OP_ITEMS, OP_TO_DICT, OP_COPY,
    OP_LOAD_ALL, OP_REFRESH_KEY, OP_REFRESH_ALL,
    OP_BATCH_GET,    /* keys[0..n_keys) */
    OP_SCAN_PREFIX,  /* prefix m_bounds[bound_a], limit */
    OP_SCAN_RANGE,   /* m_bounds[bound_a] (-1: NULL) .. m_bounds[bound_b], limit */
    /* dict writes */
    OP_SET, OP_DELETE, OP_POP, OP_POP_DFLT, OP_SETDEFAULT, OP_SETDEFAULT_NULL,
    OP_UPDATE, OP_BATCH_UPDATE, OP_BATCH_DELETE, OP_CLEAR,
    /* read-modify-write */
    OP_INCREMENT,      /* value: the delta (integer); field: m_fields[field] or -1 */
    OP_INCREMENT_REAL, /* value: the delta (real) */
    OP_PATCH,          /* value: the changes; create */
    OP_CAS,            /* expected (NULL: absent), value (NULL: delete) */
    /* SQL surface writes on a dict table (value: op->text) */
    OP_EXEC_UPDATE,  /* nana_execute("UPDATE <t> SET value=? WHERE key=?") */
    OP_EXEC_DELETE,  /* nana_execute("DELETE FROM <t> WHERE key=?") */
    OP_EXEC_REPLACE, /* nana_execute("INSERT OR REPLACE INTO <t>(key,value) VALUES(?,?)") */
    OP_SQL_INSERT,   /* nana_sql_insert(<t>, {key, value}) */
    OP_SQL_UPDATE,   /* nana_sql_update(<t>, {value}, "key = ?", [key]) */
    OP_SQL_DELETE,   /* nana_sql_delete(<t>, "key = ?", [key]) */
    OP_UPSERT_KEY,   /* nana_upsert(<t>, {key, value}, ["key"]) */
    OP_UPSERT_REPLACE, /* nana_upsert(<t>, {key, value}, NULL) */
    /* neither: nana_table(db, "x<key>") and nana_close of it, synchronously,
     * in the middle of the pipeline (its CREATE TABLE runs as a batch of its
     * own, after the jobs queued before it); no future */
    OP_SUBTABLE,
    /* transaction control, in a transaction pipeline only (no handle) */
    OP_TXN_SAVEPOINT, OP_TXN_RELEASE, OP_TXN_ROLLBACK_TO,
    OP__COUNT
};
extern const char *const m_op_names[OP__COUNT];

struct op;
bool op_is_write(enum op_kind k);     /* fails NANA_EBUSY while the file is locked */
bool op_is_sql(enum op_kind k);       /* goes through the SQL surface */
/* The table op reads or writes: the handle's, or for SQL ops sql_table. */
int op_table(const struct op *op);

#define M_MAX_BATCH_KEYS 5
#define M_MAX_PIPELINE 60

struct op {
    enum op_kind kind;
    int handle;
    int key;
    json_t *value;     /* set / setdefault / defaults; update: the object */
    char *text;        /* SQL ops: the value text bound (NULL: SQL NULL) */
    int keys[M_MAX_BATCH_KEYS];
    int n_keys;        /* batch_delete */
    int sql_table;     /* SQL ops: the table written (any handle of the root
                          may run SQL on any table) */
    char table_spelling[16]; /* SQL ops: that table's name as written */
    int delay_us;      /* pause before submitting it: other batch boundaries */
    bool in_txn;       /* transaction pipeline: on the handle's view inside it */
    /* read-modify-write and scans */
    int field;         /* increment: index into m_fields, -1: the value itself */
    bool create;       /* patch */
    json_t *expected;  /* compare_and_set (NULL: the key must be absent) */
    int bound_a, bound_b; /* scans: indexes into m_bounds, -1: NULL */
    int64_t limit;     /* scans */
};

/* Member names increment may name, and the bounds and prefixes of scans. */
#define M_NFIELDS 6
extern const char *const m_fields[M_NFIELDS];
#define M_NBOUNDS 14
extern const char *const m_bounds[M_NBOUNDS];

enum step_kind {
    ST_PIPELINE,   /* n_ops operations submitted, then all awaited in order */
    ST_RAW_PUT,    /* another connection: INSERT OR REPLACE (text may be non-JSON) */
    ST_RAW_UPDATE, /* another connection: UPDATE in place */
    ST_RAW_DELETE, /* another connection: DELETE */
    ST_RAW_NULL_KEY, /* another connection: a row whose key is NULL */
    ST_RAW_DELETE_NULL_KEYS,
    ST_REOPEN_A,   /* close root A (and its sub-tables), open it again */
    ST_OPEN_B,     /* open the second root */
    ST_CLOSE_B,
    ST_TRIGGERS,   /* another connection creates the poison triggers */
    ST__COUNT
};

/* How a transaction pipeline ends. */
enum txn_end { TXN_END_COMMIT, TXN_END_ROLLBACK, TXN_END_FREE };

struct step {
    enum step_kind kind;
    /* ST_PIPELINE */
    int root;
    bool locked; /* another connection holds the write lock meanwhile */
    bool await_all;   /* awaited with nana_future_await_all, not one by one */
    bool await_reverse; /* awaited last to first (checked first to last) */
    bool close_after; /* root A closed (draining the queue) before the awaits,
                         then opened again */
    /* A transaction pipeline (root A only): nana_txn_begin with mode
     * txn - 1 (0: an ordinary pipeline), the operations marked in_txn on
     * views inside it, the others outside, then txn_end. */
    int txn;
    enum txn_end txn_end;
    int n_ops;
    struct op *ops;
    /* raw steps */
    int table, key;
    char *text; /* NULL: SQL NULL */
    /* ST_REOPEN_A / ST_OPEN_B */
    bool bulk_load;
    bool root_first; /* ST_REOPEN_A: close the root before its sub-tables */
};

/* The hook mode (chosen per sequence from its seed): root A's table "data"
 * has write hooks that refuse every dict write and delete of key
 * M_HOOK_REFUSED (NANA_ECANCELED) and store every value written under
 * M_HOOK_REPLACED as {"hooked": value}; the model applies the same rules.
 * Root B, table "t2" and the SQL surface have none. */
enum { M_HOOK_REFUSED = 1, M_HOOK_REPLACED = 2 };


/*
 * The cache policy root A's tables run with, chosen from the seed apart from
 * the rest of the generation (so a seed without one is the sequence it was
 * before policies existed); root B's caches are never bounded.
 *   POL_NONE  nothing bounded;
 *   POL_LRU   "data" with cache_max_entries 3 (nana_open_v3; A.DATA and the
 *             sub-tables made by OP_SUBTABLE inherit it), "t2" overriding it
 *             with NANA_UNLIMITED;
 *   POL_TTL   "t2" with cache_ttl_ms 1 and cache_max_bytes 260 (about three
 *             small values), "data" unbounded.
 * A bounded cache may drop any entry at any time, so is_cached there may
 * say false where the model says cached (the model then forgets it too),
 * never true where it says not cached.  Every value stays exact: another
 * connection's write would leave a cached value the file no longer holds,
 * and a read would then answer the one or the other as the library
 * evicted or not, so in such a sequence the raw writes and root B's writes
 * go to the other table (gen.c), and the checker asserts that a bounded
 * table's cached states always equal the file's.
 */
enum seq_policy { POL_NONE = 0, POL_LRU, POL_TTL };
extern const char *const m_policy_names[3];
/* Is the cache of root's table bounded under policy? */
bool m_policy_bounded(int policy, int root, int table);

/* The readers mode (chosen per sequence from its seed, or for every one
 * with --readers / NANA_MODEL_READERS=1): both roots run with two reader
 * connections (nana_set_read_connections), so that their uncached gets,
 * contains and helper reads run on readers beside the writer; every
 * answer and every cached state must still be exactly the model's, which
 * knows nothing of readers. */
extern bool m_readers_forced;

struct seq {
    uint64_t seed;
    bool hooks;
    bool readers;
    int policy; /* enum seq_policy */
    int n_steps;
    struct step *steps;
};

/* ------------------------------------------------------------- generator */

struct gen_params {
    int n_steps;       /* steps per sequence */
    int max_pipeline;  /* 1..max_pipeline operations per pipeline (and, rarely,
                          a burst of up to M_MAX_PIPELINE) */
};

/* A sequence made from seed alone. */
void gen_sequence(struct seq *out, uint64_t seed, const struct gen_params *p);
void seq_free(struct seq *s);
/* Deep copy of s without the steps for which drop[i] is true (drop NULL:
 * all kept), and with steps after last_step cut (last_step < 0: none cut). */
void seq_copy(struct seq *out, const struct seq *s, const bool *drop, int last_step);
int seq_count_ops(const struct seq *s);

/* Printing: one line per operation, "step.op handle op(args)"; upto_op
 * (>= 0) marks the operation where the run diverged, upto_step is the last
 * step printed. */
void op_print(FILE *out, const struct op *op);
void op_print_names(FILE *out, const struct op *op, const char *const *names);
void step_print(FILE *out, int index, const struct step *st, int upto_op);
void seq_print(FILE *out, const struct seq *s, int upto_step, int upto_op);
/* Compact text of any JSON value (or "(none)"); malloc'd. */
char *m_json_text(const json_t *v);
/* A C-escaped, quoted rendering of text (NULL: "NULL"); malloc'd. */
char *m_quote(const char *text);

/* JSON value equality that also requires the same member order in objects
 * and the same type (integer vs real). */
bool m_json_same(const json_t *a, const json_t *b);

#endif
