/*
 * internal.h -- what the library's files share.  Not installed, not API.
 *
 * The moving parts, and which file owns each:
 *   future.c  nana_future_t: resolution, waiting (a striped parking lot),
 *             callbacks, then-chains.
 *   pool.c    the worker pool and the job queue of a root; the executor role
 *             (the one thread at a time that owns the connection) and group
 *             commit of the batches it runs.
 *   cache.c   the per-table key cache (sharded hash table).
 *   db.c      open / close / sub-tables, the connection and its statements,
 *             fork detection.
 *   kv.c      the dict operations: submission side and executor side.
 *   codec.c   JSON text <-> json_t, and the acquire-release reference drop.
 *   status.c  status texts, version, message formatting.
 */
#ifndef NANA_INTERNAL_H
#define NANA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "nanasqlite.h"

#define NANA_API __attribute__((visibility("default")))

/* Longest table name, in bytes (API.md). */
#define NANA_TABLE_NAME_MAX 128
/* How many queued jobs one executor turn takes, at most: the group-commit
 * size.  Bigger batches amortise the COMMIT; each future still waits for it. */
#define NANA_BATCH_MAX 1024

struct nana_root;
struct nana_table;
struct nana_job;

/* ------------------------------------------------------------ status.c */

/* A malloc'd message, printf-style.  NULL on allocation failure. */
char *nana__strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes key into buf for messages: quoted, cut at a fixed length, so a
 * message names the key without carrying an arbitrarily long input. */
const char *nana__key_for_msg(const char *key, char *buf, size_t size);
#define NANA_KEY_MSG_SIZE 96
/* Maps an SQLite result code to a status. */
nana_status_t nana__status_from_sqlite(int rc);

/* ------------------------------------------------------------- codec.c */

/* Compact JSON text of value (UTF-8 kept, member order kept); malloc'd.
 * NULL on failure (out of memory, or a value jansson cannot encode). */
char *nana__json_encode(const json_t *value, size_t *len_out);
/* Parses stored text; NULL when it is not a single valid JSON value (or an
 * integer does not fit 64 bits).  New reference. */
json_t *nana__json_decode(const char *text, size_t len);
/* A deep copy of value that keeps member names holding NUL whole (jansson's
 * json_deep_copy() cuts them).  New reference; NULL when out of memory. */
json_t *nana__json_copy(const json_t *value);
/* Takes a reference.  jansson's json_incref() reads the count with a plain
 * load before its atomic add; values shared between threads must only ever
 * see atomic accesses, so the library uses this instead. */
static inline json_t *nana__json_ref(json_t *value)
{
    if (value && __atomic_load_n(&value->refcount, __ATOMIC_RELAXED) != (size_t)-1)
        __atomic_add_fetch(&value->refcount, 1, __ATOMIC_RELAXED);
    return value;
}
/* Drops a reference; the thread that frees the value is ordered after every
 * other thread's release of it (see nana_json_release()). */
void nana__json_release(json_t *value);

/* ------------------------------------------------------------ future.c */

struct nana_callback {
    nana_callback_fn fn;
    void *arg;
    struct nana_callback *next;
};

struct nana_future {
    atomic_int state; /* NANA__FUT_PENDING / NANA__FUT_DONE */
    atomic_int refs;  /* the caller's reference + the producer's */
    nana_status_t status;
    bool immortal;    /* the static out-of-memory future: never freed */
    json_t *value;    /* owned reference, or NULL */
    char *errmsg;     /* malloc'd; NULL means "" (or nana_errstr on failure) */
    struct nana_callback *callbacks; /* guarded by the future's stripe lock */
    /* The root whose queue holds the job, so an awaiting caller can run it;
     * NULL for futures no job resolves.  Read only while pending, under the
     * stripe lock, and pinned before use. */
    struct nana_root *root;
};

enum { NANA__FUT_PENDING = 0, NANA__FUT_DONE = 1 };

/* A pending future with two references (caller + producer). */
nana_future_t *nana__future_new_pending(void);
/* An already resolved future (one reference).  value: reference stolen.
 * msg: copied.  Never NULL: allocation failure yields the ENOMEM future. */
nana_future_t *nana__future_new_done(nana_status_t st, json_t *value, const char *msg);
/* As above, with a malloc'd message whose ownership passes to the future. */
nana_future_t *nana__future_new_failed_owned(nana_status_t st, char *msg);
/* Resolves a pending future and drops the producer's reference: wakes
 * waiters, runs callbacks on this thread.  value stolen, msg stolen. */
void nana__future_resolve(nana_future_t *f, nana_status_t st, json_t *value, char *msg);
/* Hold / release every waiting stripe (around fork()). */
void nana__stripes_lock_all(void);
void nana__stripes_unlock_all(void);
/* nana_future_then(), and arg is free()d when fn is skipped (f failed). */
nana_future_t *nana__future_then_owning(nana_future_t *f, nana_then_fn fn, void *arg);
/* Thread-local: set while a callback runs, or on pool threads. */
bool nana__thread_may_block(void);
void nana__thread_mark_worker(void);

/* -------------------------------------------------------------- cache.c */

enum nana_cache_state {
    /* Nothing learnt about the key: an entry made only to count pending
     * writes, or kept through a reset.  It means what no entry means: in
     * a fully loaded table, absent; otherwise, not cached. */
    NANA__UNKNOWN = 0,
    NANA__PRESENT = 1,
    NANA__ABSENT = 2,
    NANA__FORGET = 3,    /* staged only: becomes FORGOTTEN at commit */
    /* Not cached, also in a fully loaded table: a batch write did not
     * copy its value, or its text is not JSON. */
    NANA__FORGOTTEN = 4,
};

/*
 * One key.  state/value/pending are guarded by the shard lock; the staged_*
 * fields belong to the executor (the thread holding the connection) and hold
 * what the current batch did to the key until its COMMIT.
 */
struct nana_cache_entry {
    struct nana_cache_entry *next;        /* bucket chain */
    json_t *value;                        /* when PRESENT: owned reference */
    json_t *staged_value;                 /* when staged PRESENT */
    uint32_t hash;
    uint32_t pending;                     /* queued writes to this key */
    uint8_t state;
    uint8_t staged;                       /* NANA__UNKNOWN: nothing staged */
    char key[];
};

#define NANA_CACHE_SHARDS 16

struct nana_cache_shard {
    atomic_int lock;  /* a spinlock: see cache.c */
    struct nana_cache_entry **buckets;
    size_t mask;   /* bucket count - 1 */
    size_t count;
} __attribute__((aligned(64)));

struct nana_cache {
    struct nana_cache_shard shards[NANA_CACHE_SHARDS];
};

int nana__cache_init(struct nana_cache *c);
void nana__cache_destroy(struct nana_cache *c);
uint32_t nana__hash_key(const char *key, size_t len);
/* Answers from the committed cache when it can.  Returns NANA__PRESENT (with
 * *value a new reference), NANA__ABSENT, or NANA__UNKNOWN when the key is not
 * cached or has a write pending.  fully_loaded: a missing entry is absent. */
int nana__cache_lookup(struct nana_cache *c, const char *key, uint32_t hash,
                       bool fully_loaded, json_t **value);
/* Returns the entry for key, creating an UNKNOWN one, with pending + 1 when
 * pin is set.  NULL on allocation failure. */
struct nana_cache_entry *nana__cache_get_entry(struct nana_cache *c, const char *key,
                                               uint32_t hash, bool pin);
/* Finds an entry without creating it (executor side). */
struct nana_cache_entry *nana__cache_find(struct nana_cache *c, const char *key, uint32_t hash);
/* e's committed state, and its value as a new reference when PRESENT. */
int nana__cache_committed(struct nana_cache *c, struct nana_cache_entry *e, json_t **value);
/* pending - 1 (under the shard lock). */
void nana__cache_unpin(struct nana_cache *c, struct nana_cache_entry *e);
/* Makes e's staged state its committed state (under the shard lock). */
void nana__cache_commit_staged(struct nana_cache *c, struct nana_cache_entry *e);
/* Forgets every entry without pending writes; keeps pinned ones as UNKNOWN
 * (absent_all: as ABSENT -- the table was emptied). */
void nana__cache_reset(struct nana_cache *c, bool absent_all);

/* What the current batch staged, entry by entry, for its COMMIT (executor
 * only).  An entry is listed once: when its staged state leaves UNKNOWN. */
struct nana_staging {
    struct nana_staged_ref {
        struct nana_cache *cache;
        struct nana_cache_entry *entry;
    } *refs;
    size_t n, cap;
};

/* Stages state (and value, reference stolen) for key in t's cache.  On
 * allocation failure the key is just left uncached. */
void nana__stage(struct nana_staging *sg, struct nana_cache *c, const char *key,
                 uint32_t hash, int state, json_t *value);
/* Stages "no longer known" for key, if the cache has an entry for it. */
void nana__stage_forget(struct nana_staging *sg, struct nana_cache *c, const char *key,
                        uint32_t hash);
void nana__staging_commit(struct nana_staging *sg);
void nana__staging_discard(struct nana_staging *sg);

/* ---------------------------------------------------------------- jobs */

enum nana_job_kind {
    NANA__JOB_GET,
    NANA__JOB_GET_FRESH,
    NANA__JOB_CONTAINS,
    NANA__JOB_IS_CACHED,
    NANA__JOB_REFRESH_KEY,
    NANA__JOB_SET,
    NANA__JOB_DELETE,
    NANA__JOB_POP,
    NANA__JOB_SETDEFAULT,
    NANA__JOB_UPDATE,       /* update and batch_update */
    NANA__JOB_BATCH_DELETE,
    NANA__JOB_LEN,
    NANA__JOB_KEYS,
    NANA__JOB_VALUES,
    NANA__JOB_ITEMS,
    NANA__JOB_TO_DICT,
    NANA__JOB_COPY,
    /* Whole-table jobs: each runs as a batch of its own, because what they
     * do to the cache cannot be staged per key. */
    NANA__JOB_CLEAR,
    NANA__JOB_LOAD_ALL,
    NANA__JOB_REFRESH_ALL,
    NANA__JOB_CREATE_TABLE,
    NANA__JOB_SQL,          /* the SQL surface (sql.c); details in job->sql */
};

/* One key and its encoded value, for multi-key writes. */
struct nana_kv_item {
    char *key;
    char *text;       /* NULL for deletes */
    size_t text_len;
    json_t *value;    /* the cache's copy */
    uint32_t hash;
};

struct nana_job {
    struct nana_job *next;
    enum nana_job_kind kind;
    bool is_write;
    bool whole_table;  /* counted in table->pending_table_ops */
    struct nana_root *root;
    struct nana_table *table; /* NULL for CREATE_TABLE */
    nana_future_t *future; /* the producer's reference */

    /* Inputs, owned. */
    char *key;
    uint32_t hash;
    struct nana_cache_entry *entry; /* pinned entry of a single-key write */
    char *text;                     /* encoded value of a single-key write */
    size_t text_len;
    json_t *value;                  /* cache copy of that value, or default */
    struct nana_kv_item *items;
    size_t n_items;
    struct nana_sql_job *sql;       /* NANA__JOB_SQL only */

    /* Outcome, filled by the executor. */
    nana_status_t status;
    char *errmsg;
    json_t *result;
    size_t n_skipped; /* load_all: rows whose value is not valid JSON */
    bool done_early;  /* failed before execution (could not BEGIN) */
};

/* ----------------------------------------------------------------- db.c */

/* Statements kept per table; prepared on first use by the executor. */
enum nana_stmt_id {
    NANA__ST_GET,
    NANA__ST_SET,
    NANA__ST_DELETE,
    NANA__ST_COUNT,
    NANA__ST_KEYS,
    NANA__ST_ALL,
    NANA__ST_CLEAR,
    NANA__ST_COUNT_OF
};

struct nana_table {
    struct nana_root *root;
    struct nana_table *next;   /* root->tables */
    struct nana_cache cache;
    /* Whole-table jobs queued and not finished: while non-zero, reads of
     * this table queue behind them instead of answering from the cache. */
    atomic_int pending_table_ops;
    /* Every row is cached: a key with no entry is absent. */
    atomic_bool fully_loaded;
    sqlite3_stmt *stmts[NANA__ST_COUNT_OF]; /* executor only */
    char name[NANA_TABLE_NAME_MAX + 1];
};

struct nana_root {
    sqlite3 *conn;
    char *path;
    unsigned fork_generation;  /* nana__fork_generation at open */
    atomic_bool closed;
    atomic_int refs;           /* handles + pinned awaiters */
    int busy_timeout_ms;
    /* SQLite opened the file read-only (the process may not write it):
     * reads work, writes fail, and only a reopen changes that. */
    bool read_only;

    /* The job queue and the pool (pool.c). */
    pthread_mutex_t lock;
    pthread_cond_t work_cond;  /* idle workers sleep here */
    struct nana_job *head, *tail;
    size_t queued;             /* jobs in the queue */
    bool executing;            /* someone holds the executor role */
    bool stopping;
    bool fork_claimed;         /* the role is held across a fork() */
    int role_waiters;          /* threads waiting to take the role (fork) */
    int resolving;             /* batches taken and not yet resolved */
    struct nana_root *next_open; /* the list of open roots (db.c) */
    int idle_workers;
    bool sentinel;             /* an idle worker is polling the queue */
    int64_t last_submit_ns;    /* CLOCK_MONOTONIC of the last submission */
    pthread_t *threads;
    int n_threads;

    /* SQL-surface writes queued and not finished: while non-zero, no read
     * is answered from any cache (the write may touch any table). */
    atomic_int pending_sql_writes;
    /* What the authorizer enforces for the statement being prepared, and
     * the tables it saw written (executor only; sql.c). */
    int auth_mode;
    const char *auth_table;
    char auth_written[8][NANA_TABLE_NAME_MAX + 1];
    int n_auth_written;
    const char *auth_denied; /* why the authorizer last said no */
    bool auth_written_overflow;

    /* BEGIN IMMEDIATE, BEGIN, COMMIT, ROLLBACK, kept prepared: they run
     * once per batch, and parsing them each time costs a write's worth. */
    sqlite3_stmt *txn_stmts[4];

    /* Sub-table registry (db.c). */
    pthread_mutex_t tables_lock;
    struct nana_table *tables;
};

struct nana_db {
    struct nana_root *root;
    struct nana_table *table;
    bool is_root;
    char *errmsg;  /* last synchronous failure; NULL means "" */
};

extern atomic_uint nana__fork_generation;

/* NANA_OK, NANA_EINVAL or NANA_ECLOSED (closed, or inherited across fork);
 * fills *msg (static text) when not OK. */
nana_status_t nana__db_check(const nana_db_t *db, const char **msg);
bool nana__table_name_valid(const char *name);
/* What to add to the message of a write that SQLite refused with rc: on a
 * root opened read-only, why and what to do; "" otherwise. */
const char *nana__readonly_hint(const struct nana_root *root, int rc);
/* The table's statement id, prepared on first use.  Executor only. */
sqlite3_stmt *nana__stmt(struct nana_table *t, enum nana_stmt_id id, int *rc);
void nana__root_release(struct nana_root *root);
void nana__root_pin(struct nana_root *root);

/* --------------------------------------------------------------- pool.c */

int nana__pool_start(struct nana_root *root, int n, const char *prefix);
/* Drains the queue and joins the workers. */
void nana__pool_stop(struct nana_root *root);
/* Queues job (or resolves it NANA_ECLOSED when the root is closing) and
 * returns the caller's future. */
nana_future_t *nana__pool_submit(struct nana_root *root, struct nana_job *job);
/* Called by an awaiting thread: runs queued batches itself while f is
 * pending and no one else holds the executor role. */
void nana__pool_help(struct nana_root *root, nana_future_t *f);

/* ----------------------------------------------------------- validate.c */

bool nana__ident_valid(const char *s);
/* Re-spells a column type from its grammar into buf; NANA_EINVAL with *why. */
nana_status_t nana__type_build(const char *type, char *buf, size_t size, const char **why);
/* Re-spells "col [ASC|DESC], ..." with quoted identifiers into buf. */
nana_status_t nana__order_by_build(const char *order_by, char *buf, size_t size,
                                   const char **why);
nana_status_t nana__where_check(const char *where, const char **why);
/* ... *highest: the highest parameter number the clause uses. */
nana_status_t nana__where_number(const char *where, char *buf, size_t size, int *n_bare,
                                 int *highest);
/* True when what follows a statement is only ';', whitespace, comments. */
bool nana__tail_is_empty(const char *tail);

/* ---------------------------------------------------------------- sql.c */

struct nana_sql_job;
void nana__sql_job_free(struct nana_sql_job *sj);
void nana__sql_execute(struct nana_job *job);
void nana__sql_finish(struct nana_job *job, bool committed);
int nana__authorize(void *root, int action, const char *a1, const char *a2, const char *db,
                    const char *trigger);

/* ----------------------------------------------------------------- kv.c */

struct nana_job *nana__job_new(struct nana_table *t, enum nana_job_kind kind);
void nana__job_free(struct nana_job *job);
/* Executor side: runs one job's SQL, staging its cache effects on the entries
 * it touches.  Leaves its outcome in the job. */
void nana__job_execute(struct nana_job *job, struct nana_staging *sg);
/* After the batch committed (ok) or was rolled back (!ok): applies or drops
 * the job's own effects, releases its pins. */
void nana__job_finish(struct nana_job *job, bool committed);
/* Releases a job that will never run (closed root, no memory): undoes its
 * pins and frees it.  Its future, if any, is the caller's to resolve. */
void nana__job_discard(struct nana_job *job);
/* Reads every row of t into its cache (open with bulk_load, load_all). */
nana_status_t nana__table_load(struct nana_table *t, int64_t *count, char **errmsg);

#endif
