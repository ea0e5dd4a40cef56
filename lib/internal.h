/*
 * internal.h -- what the library's parts share.  Not installed, not API.
 *
 * The parts, top to bottom; an arrow only ever points down (test/arch-*
 * checks it from the objects' symbols):
 *
 *   handle.c      nana_open / nana_table / nana_close: composes a root from
 *                 the parts below and configures its connection.
 *   kv.c kvjob.c  sql.c  sqlhelpers.c  model.c
 *   kvrmw.c kvscan.c kvhooks.c  sqlutil.c  backup.c
 *                 the operations: answer from the cache, or build a job
 *                 (a base plus an ops table, kv.h for the dict's) and
 *                 submit it.
 *   table.c       the tables of a root: registry, statements, the one
 *                 CREATE TABLE text, loading rows, coherence counters.
 *   authorize.c   the authorizer policy for SQL the user or a helper gives.
 *   hooks.c       a table's write hooks: the installed set, calling them,
 *                 the keys after_commit is given (kvhooks.c: the dict
 *                 jobs' side).
 *   engine.c      the queue, the executor role, group commit, the worker
 *                 pool, fork handling.  It runs jobs it cannot name.
 *   rows.c        the row set of nana_fetch_rows: a result read in place,
 *                 held by its future as a payload.
 *   backend.c     connections: local SQLite.
 *   conn.h        the statement seam: every file above except the
 *                 local-only ones (backend.c, backup.c, authorize.c) and
 *                 engine.c / handle.c (a later pass) prepares, binds,
 *                 steps and reads through it, never sqlite3_* (test/arch-
 *                 job-code-... checks it); static inlines, no object.
 *   future.c      nana_future_t; knows no engine: an awaiting thread helps
 *                 through the hook whoever resolves the future installed.
 *   cq.c futuretext.c
 *                 the completion queue and a result as JSON text: clients
 *                 of the public future functions (and codec.c), above
 *                 future.c, used by nothing in the library.
 *   expr.c        the grammar of query columns, group_by and having.
 *   cache.c cachepolicy.c codec.c json.c validate.c status.c crypt.c
 *                 leaves used by many (crypt.c: the AEAD of encrypted
 *                 roots, whose values table.c seals and opens).
 *   dqstmt.c dqconn.c dqwire.c
 *                 a client of dqlite's wire protocol, for a replicated
 *                 backend (lib/dqlite.h, its own header), and the
 *                 statement seam over it (dqstmt.c): used by nothing
 *                 but tests yet.
 */
#ifndef NANA_INTERNAL_H
#define NANA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "conn.h"

#include "nanasqlite.h"

#define NANA_API __attribute__((visibility("default")))

/* The struct of type holding member at ptr (a job kind from its base). */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Longest table (and any other) name, in bytes. */
#define NANA_TABLE_NAME_MAX 128

struct nana_engine;
struct nana_table;
struct nana_tables;
struct nana_auth;
struct nana_job;
struct nana_kv_item;

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
 * NULL when value cannot be written as text that reads back exactly, or
 * out of memory. */
char *nana__json_encode(const json_t *value, size_t *len_out);
/* Parses stored text; NULL when it is not a single valid JSON value (or an
 * integer does not fit 64 bits).  New reference. */
json_t *nana__json_decode(const char *text, size_t len);
/* A growing string for SQL text; on allocation failure it turns NULL and
 * stays so, and nana__sqlbuf_take() returns NULL. */
struct nana_sqlbuf {
    char *s;
    size_t len, cap;
    bool failed;
};
void nana__sqlbuf_add(struct nana_sqlbuf *b, const char *text);
/* Adds "ident", double-quoted; ident is a validated identifier. */
void nana__sqlbuf_ident(struct nana_sqlbuf *b, const char *ident);
/* The text (malloc'd, the caller's), or NULL. */
char *nana__sqlbuf_take(struct nana_sqlbuf *b);
/* Base64 (RFC 4648, with padding), for BLOBs in JSON: {"$blob": "..."}, and
 * back (NULL: not valid base64). */
json_t *nana__base64_json(const unsigned char *data, size_t n);
unsigned char *nana__base64_decode(const char *text, size_t len, size_t *n_out);

/* ------------------------------------------------------------- crypt.c */

/* NanaSQLite's stored form of an encrypted value: nonce || ciphertext ||
 * tag (crypt.c says where that comes from). */
#define NANA_CRYPT_NONCE 12
#define NANA_CRYPT_TAG 16
#define NANA_CRYPT_OVERHEAD (NANA_CRYPT_NONCE + NANA_CRYPT_TAG)

/* Why a stored value could not be read (table.c words the message). */
enum nana_value_fault {
    NANA__VALUE_OK = 0,
    NANA__VALUE_NOT_JSON,  /* text (decrypted or not) that is not JSON */
    NANA__VALUE_BLOB_NOT_JSON, /* a BLOB, not JSON, in a plaintext table */
    NANA__VALUE_NULL,      /* SQL NULL */
    NANA__VALUE_PLAINTEXT, /* TEXT in an encrypted table: never decrypted */
    NANA__VALUE_SHORT,     /* shorter than a nonce and a tag */
    NANA__VALUE_FORGED,    /* the tag does not verify: another key or cipher, or changed */
    NANA__VALUE_NOMEM,
};

/* A root's key, as two libcrypto contexts keyed with it (crypt.c says
 * why); set by nana__crypt_init, used under their locks. */
struct evp_cipher_ctx_st;
struct nana_crypt {
    struct evp_cipher_ctx_st *seal_ctx, *open_ctx; /* OpenSSL's EVP_CIPHER_CTX */
    pthread_mutex_t seal_lock, open_lock;
};

/* Checks cipher and key_len and keys the contexts with key (not kept).
 * NANA_OK, or NANA_EINVAL / NANA_ENOMEM with *why (static). */
nana_status_t nana__crypt_init(struct nana_crypt *c, nana_cipher_t cipher, const void *key,
                               size_t key_len, const char **why);
/* Wipes and frees the contexts (nothing on a c init refused or never ran
 * on, zeroed). */
void nana__crypt_wipe(struct nana_crypt *c);
/* The stored form of plain (malloc'd, *sealed_len bytes), or NULL when out
 * of memory or the random source failed. */
unsigned char *nana__crypt_seal(struct nana_crypt *c, const void *plain, size_t len,
                                size_t *sealed_len);
/* Opens a stored value: NANA__VALUE_OK with *plain (malloc'd, *plain_len
 * bytes, not terminated), or why not. */
enum nana_value_fault nana__crypt_open(struct nana_crypt *c, const unsigned char *sealed,
                                       size_t len, char **plain, size_t *plain_len);

/* -------------------------------------------------------------- json.c */

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

/* jansson strings and (since 2.14) member names carry a length and may hold
 * NUL bytes; a name read as a C string would stop at the first one, so that
 * what was checked would not be what was given.  Is the whole of key (a
 * member name from json_object_foreach) / of s a C string? */
bool nana__json_key_is_cstring(const char *key);
bool nana__json_string_is_cstring(const json_t *s);
/* Is every member name of object a C string? */
bool nana__json_keys_are_cstrings(const json_t *object);

/* ---------------------------------------------------------- validate.c */

/* The one identifier rule (tables, columns, indexes): [A-Za-z_][A-Za-z0-9_]*,
 * at most NANA_TABLE_NAME_MAX bytes, not starting with sqlite_ (any case). */
bool nana__ident_valid(const char *s);
/* ASCII case-insensitive equality: SQLite's rule for names. */
bool nana__name_eq(const char *a, const char *b);
/* Strict UTF-8 (RFC 3629), as jansson checks strings. */
bool nana__utf8_valid(const char *s, size_t len);
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

/* -------------------------------------------------------------- expr.c */

/* The expressions of the query helpers (nana_query(3) has the grammar). */
enum nana_expr_kind {
    NANA__EXPR_COLUMN,   /* one element of columns: name | expr AS alias | call */
    NANA__EXPR_GROUP_BY, /* expr [, expr]...: no aggregate, no parameter */
    NANA__EXPR_HAVING,   /* a condition: comparisons, AND, OR, NOT, parameters */
};
#define NANA_EXPR_COLUMN_MAX 1024
#define NANA_EXPR_GROUP_BY_MAX 1024
#define NANA_EXPR_HAVING_MAX 4096

struct nana_expr_info {
    bool aggregate; /* the expression calls an aggregate function */
    char *msg;      /* on refusal: why, malloc'd (the caller frees it) */
};

/* Checks text as kind and appends its re-spelling to out (names quoted,
 * keywords and functions written by us).  NANA_OK; NANA_EINVAL with
 * info->msg, out then holding a partial text to discard; NANA_ENOMEM. */
nana_status_t nana__expr_build(enum nana_expr_kind kind, const char *text,
                               struct nana_sqlbuf *out, struct nana_expr_info *info);

/* ------------------------------------------------------------ future.c */

/*
 * The helper hook: whoever will resolve a pending future may install one,
 * so that a thread awaiting it can help instead of sleeping.  await calls
 * hold(ctx) under the future's lock while it is pending (ctx stays valid
 * until release), then run_until(ctx, f) without the lock -- which returns
 * NANA_OK to go on waiting, or a status that means f can never resolve
 * here -- then release(ctx).  future.c knows nothing else of who helps.
 */
struct nana_future_helper {
    void (*hold)(void *ctx);
    nana_status_t (*run_until)(void *ctx, nana_future_t *f);
    void (*release)(void *ctx);
    /* nana_future_cancel(f), between hold and release: NANA_OK when the job
     * was taken off the queue and f resolved NANA_ECANCELED, NANA_PENDING
     * when it already runs (or is about to), NANA_EINVAL when it cannot be
     * cancelled.  NULL: nothing can be. */
    nana_status_t (*cancel)(void *ctx, nana_future_t *f);
};

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
    /* Read only while pending, under the stripe lock. */
    const struct nana_future_helper *helper;
    void *helper_ctx;
    struct nana_future_payload *payload; /* a non-JSON result, or NULL: see below */
    /* A then-chain's future: the one it waits for now (a reference), whom
     * a cancel is passed on to.  Under the stripe lock. */
    nana_future_t *upstream;
    /* nana_future_cancel() was called: a job that has not started reading
     * does not, one that reads stops at its next step. */
    atomic_bool cancel_requested;
};

enum { NANA__FUT_PENDING = 0, NANA__FUT_DONE = 1 };

/* A pending future with two references (caller + producer), and the helper
 * an awaiting thread may call (NULL: none). */
nana_future_t *nana__future_new_pending(const struct nana_future_helper *helper, void *ctx);
/* An already resolved future (one reference).  value: reference stolen.
 * msg: copied.  Never NULL: allocation failure yields the ENOMEM future. */
nana_future_t *nana__future_new_done(nana_status_t st, json_t *value, const char *msg);
/* As above, with a malloc'd message whose ownership passes to the future. */
nana_future_t *nana__future_new_failed_owned(nana_status_t st, char *msg);
/* Resolves a pending future and drops the producer's reference: wakes
 * waiters, runs callbacks on this thread.  value stolen (dropped when st is
 * a failure), msg stolen. */
void nana__future_resolve(nana_future_t *f, nana_status_t st, json_t *value, char *msg);
/* Hold / release every waiting stripe (around fork()). */
void nana__future_lock_all(void);
void nana__future_unlock_all(void);
/* nana_future_then(), and arg is free()d when fn is skipped (f failed). */
nana_future_t *nana__future_then_owning(nana_future_t *f, nana_then_fn fn, void *arg);
/* Was nana_future_cancel() called on f?  Any thread, while f is alive. */
static inline bool nana__future_cancel_requested(nana_future_t *f)
{
    return atomic_load_explicit(&f->cancel_requested, memory_order_relaxed);
}
/* Thread-local: false while a callback runs, or on pool threads. */
bool nana__future_may_block(void);
void nana__future_mark_worker(void);
/* Around user code that a job runs itself (not a future's callback): the
 * thread then counts as inside a callback, so that a wait or a close there
 * returns NANA_EDEADLK instead of waiting for the role the job holds. */
void nana__future_callback_enter(void);
void nana__future_callback_leave(void);

/*
 * A result that is not JSON (the row set of nana_fetch_rows), embedded in
 * the struct of whoever made it.  The future owns it once attached, and
 * calls destroy when it is freed; a getter knows its kind by destroy.
 * Attach it to a pending future before resolving it NANA_OK (a job does so
 * from its deliver op); nana__future_payload() gives it only once the
 * future resolved NANA_OK.  A then-chain passes it on with the JSON value.
 */
struct nana_future_payload {
    void (*destroy)(struct nana_future_payload *p);
};
void nana__future_set_payload(nana_future_t *f, struct nana_future_payload *p);
const struct nana_future_payload *nana__future_payload(const nana_future_t *f);

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
     * copy its value, or its text is not JSON.  nana__cache_peek() also
     * says it of an answer whose lifetime ran out. */
    NANA__FORGOTTEN = 4,
};

/*
 * One key.  state/value/pending are guarded by the shard lock; the staged_*
 * fields belong to the executor (the thread holding the connection) and hold
 * what the current batch did to the key until its COMMIT.  In a bounded
 * cache (see struct nana_cache_policy) every entry is allocated behind a
 * node of its own (cache.c), which the entries of an unbounded one do
 * without.
 */
struct nana_cache_entry {
    struct nana_cache_entry *next;        /* bucket chain */
    json_t *value;                        /* when PRESENT: owned reference */
    json_t *staged_value;                 /* when staged PRESENT */
    uint32_t hash;
    uint32_t pending;                     /* queued writes to this key */
    uint8_t state;
    uint8_t staged;                       /* NANA__UNKNOWN: nothing staged */
    uint16_t commits;                     /* states committed (for marks) */
    char key[];
};

#define NANA_CACHE_SHARDS 16

struct nana_cache_shard {
    atomic_int lock;  /* a spinlock: see cache.c */
    struct nana_cache_entry **buckets;
    size_t mask;   /* bucket count - 1 */
    size_t count;
    /* Submitters' lookups answered / not (nana_stats): counted under the
     * lock, read without it. */
    atomic_ulong hits, misses;
} __attribute__((aligned(64)));

/* What a table's cache may keep, fixed when the table is first opened in a
 * root (cachepolicy.c resolves it from nana_table_options_t); 0 in a field:
 * no bound.  Any bound or a lifetime makes the cache bounded. */
struct nana_cache_policy {
    size_t max_entries;
    size_t max_bytes;   /* of the entries' costs: see cachepolicy.c */
    int64_t ttl_ns;     /* how long a committed state is an answer */
};

struct nana_cache {
    struct nana_cache_shard shards[NANA_CACHE_SHARDS];
    /* Read by every lookup, written once: on a line of their own, away
     * from the generation every commit writes. */
    struct nana_cache_policy policy; /* set at init, never changed */
    bool bounded;
    /* Odd while a committed state or a reset is being written, bumped
     * before and after each: a reader of several keys that sees the same
     * even value before and after its lookups saw one state (see
     * nana__cache_generation). */
    atomic_uint generation __attribute__((aligned(64)));
    atomic_uint resets;         /* nana__cache_reset()s, for marks */
    /* Every row is cached: a key with no entry is absent.  Submitters read
     * it under the shard lock of the key they look up, and the executor
     * clears it before it removes an entry that says more than "absent",
     * so that no lookup infers "absent" from an entry just dropped. */
    atomic_bool fully_loaded;
    /* With a lifetime: when being fully loaded stops meaning anything. */
    atomic_llong loaded_until;
    atomic_size_t entries;      /* every entry, pinned or not */
    /* Expiry and eviction (cachepolicy.c): a sweep would find work, and
     * one is queued (the Ops side queues it as a pool job: table.c's). */
    atomic_bool sweep_due;
    atomic_bool sweep_queued;
    atomic_llong next_expiry;   /* when the oldest committed state runs out */
    atomic_size_t orphans;      /* entries that may be unlisted leftovers */
    /* The executor's: the committed entries oldest first, SIEVE's hand, and
     * the sum of their costs (see cachepolicy.c). */
    struct nana_cache_entry *oldest, *newest, *hand;
    size_t listed;
    size_t bytes;
    bool dirty;                 /* states committed since the last trim */
    /* For nana_stats(): written by the executor, read by any thread. */
    atomic_size_t bytes_seen;   /* a copy of bytes, stored after each change */
    atomic_uint_fast64_t evictions; /* entries a bound pushed out */
    atomic_uint_fast64_t expirations; /* entries whose lifetime ran out */
};

/* cachepolicy.c: the policy of options over the one inherited (a parent's,
 * or the table's own); NANA_EINVAL with *why (static) when out of range. */
nana_status_t nana__cachepolicy_resolve(const struct nana_cache_policy *inherited,
                                        const nana_table_options_t *o,
                                        struct nana_cache_policy *out, const char **why);
bool nana__cachepolicy_same(const struct nana_cache_policy *a, const struct nana_cache_policy *b);

/* policy NULL: unbounded. */
int nana__cache_init(struct nana_cache *c, const struct nana_cache_policy *policy);
void nana__cache_destroy(struct nana_cache *c);
uint32_t nana__cache_hash(const char *key, size_t len);
/* Answers from the committed cache when it can.  Returns NANA__PRESENT (with
 * *value a new reference), NANA__ABSENT, or NANA__UNKNOWN when the key is not
 * cached, its answer expired, or it has a write pending.  A key with no
 * entry is absent while the cache is fully loaded. */
int nana__cache_lookup(struct nana_cache *c, const char *key, uint32_t hash, json_t **value);
/* As nana__cache_lookup, and *pinned says whether the key has a write
 * pending (so that a read of it must queue behind that write). */
int nana__cache_lookup_pinned(struct nana_cache *c, const char *key, uint32_t hash,
                              json_t **value, bool *pinned);
/*
 * Reads on reader connections (not the executor).  At submission a read
 * marks its key: the entry (made when missing) and the cache's resets as
 * they are now.  A commit that stages the key, or a reset, changes the
 * mark; so later, on the reader, an unchanged mark says that nothing
 * submitted after the read has reached the cache for that key -- its
 * committed state is what the read may answer, and what it read from the
 * file may be filled in.  Unbounded caches only (a bounded one's list is
 * the executor's): false there, or when out of memory.
 */
struct nana_cache_mark {
    unsigned resets;
    uint16_t commits;
    bool valid;
};
bool nana__cache_mark(struct nana_cache *c, const char *key, uint32_t hash,
                      struct nana_cache_mark *m);
/* The key's committed state while the mark holds: NANA__PRESENT (*value a
 * new reference), NANA__ABSENT (also for an entry that knows nothing in a
 * fully loaded table), else NANA__UNKNOWN (read the file). */
int nana__cache_marked_state(struct nana_cache *c, const char *key, uint32_t hash,
                             const struct nana_cache_mark *m, json_t **value);
/* Stores state (NANA__PRESENT with value, a reference taken, or
 * NANA__ABSENT) while the mark holds, no write is pending and the entry
 * has no committed answer; otherwise drops value.  Whether it stored. */
bool nana__cache_fill_marked(struct nana_cache *c, const char *key, uint32_t hash,
                             const struct nana_cache_mark *m, int state, json_t *value);
/* Returns the entry for key, creating an UNKNOWN one, with pending + 1 when
 * pin is set.  NULL on allocation failure. */
struct nana_cache_entry *nana__cache_get_entry(struct nana_cache *c, const char *key,
                                               uint32_t hash, bool pin);
/* Finds key's entry (*entry, NULL when none) and returns its committed state
 * (NANA__UNKNOWN when none; NANA__FORGOTTEN when its lifetime ran out), with
 * *value a new reference when PRESENT: one trip through the shard lock
 * (executor side).  use: the answer serves a read, which counts as a use
 * for eviction (is_cached only looks). */
int nana__cache_peek(struct nana_cache *c, const char *key, uint32_t hash, bool use,
                     struct nana_cache_entry **entry, json_t **value);
/* The generation, to read before and after looking up several keys: the
 * lookups saw one state of the cache when both reads return the same even
 * value. */
unsigned nana__cache_generation(struct nana_cache *c);
/* The cache_* fields of *out: entries, lookups answered and not (summed
 * over the shards), evictions, expirations and bytes. */
void nana__cache_counts(struct nana_cache *c, nana_stats_t *out);
/* pending - 1 (under the shard lock). */
void nana__cache_unpin(struct nana_cache *c, struct nana_cache_entry *e);
/* Forgets every entry without pending writes; keeps pinned ones as UNKNOWN
 * (absent_all: as ABSENT -- the table was emptied).  Afterwards the cache
 * is fully loaded when absent_all is set, else not.  Executor only. */
void nana__cache_reset(struct nana_cache *c, bool absent_all);
/* Whether a key with no entry is absent, as the executor sees it (false
 * once a lifetime ran out), and setting it.  Executor only. */
bool nana__cache_fully_loaded(struct nana_cache *c);
void nana__cache_set_fully_loaded(struct nana_cache *c, bool fully_loaded);
/* Drops expired entries, at most budget of them, and evicts down to the
 * bounds (executor only; a pool job's, see cachepolicy.c).  Nothing
 * staged or pinned is dropped. */
void nana__cachepolicy_sweep(struct nana_cache *c, size_t budget);
/* Is a sweep due and none queued?  Then the caller is to queue one (the
 * flag is taken) and call nana__cache_sweep_done() when it ran or was
 * dropped.  Any thread; false at once for an unbounded cache. */
static inline bool nana__cache_sweep_claim(struct nana_cache *c)
{
    return c->bounded && atomic_load_explicit(&c->sweep_due, memory_order_relaxed) &&
           !atomic_exchange_explicit(&c->sweep_queued, true, memory_order_relaxed);
}
void nana__cache_sweep_done(struct nana_cache *c);

/* What the current batch staged, entry by entry, for its COMMIT (executor
 * only).  An entry is listed once: when its staged state leaves UNKNOWN. */
struct nana_staging {
    struct nana_staged_ref {
        struct nana_cache *cache;
        struct nana_cache_entry *entry;
    } *refs;
    size_t n, cap;
    /* The cache cannot follow what this transaction did (it ran a
     * whole-table job or SQL write, or rolled back to a savepoint): nothing
     * is staged any more, executor lookups read SQLite, and its COMMIT
     * forgets every cached key of the root instead (engine.c). */
    bool blind;
};

/* Stages state (and value, reference stolen) for key in c.  On allocation
 * failure, or when sg is blind, the key is just left uncached. */
void nana__cache_stage(struct nana_staging *sg, struct nana_cache *c, const char *key,
                       uint32_t hash, int state, json_t *value);
/* Stages "no longer known" for key, if the cache has an entry for it. */
void nana__cache_stage_forget(struct nana_staging *sg, struct nana_cache *c, const char *key,
                              uint32_t hash);
/* Makes every staged state committed, or drops them; empties sg. */
void nana__cache_staging_commit(struct nana_staging *sg);
void nana__cache_staging_discard(struct nana_staging *sg);

/* ----------------------------------------------------------- backend.c */

/* Where jobs run.  One writer connection today; a reader lane and other
 * backends (a replicated one) later, behind the same functions.  The
 * checkpointer is a second connection, opened on first use by the one
 * thread that checkpoints at a time, so that copying the WAL into the
 * database never stops the writer. */
struct nana_backend {
    sqlite3 *writer;
    sqlite3 *checkpointer;
    char *path;
    /* The writer's busy handler (nana__backend_set_busy_handler). */
    int (*busy)(void *ctx, int count);
    void *busy_ctx;
};

/* Opens path for reading and writing (read-only when the file cannot be
 * written), as flags (NANA_OPEN_*) say: NANA_ENOTFOUND when they forbid
 * creating a file that is missing.  NANA_OK, or a status with *msg
 * (malloc'd) saying why; on failure b->writer may still need
 * nana__backend_close(). */
nana_status_t nana__backend_open(struct nana_backend *b, const char *path, unsigned flags,
                                 char **msg);
void nana__backend_close(struct nana_backend *b);
/* A PASSIVE checkpoint on the checkpointer connection: it copies what is
 * committed in the WAL into the database while the writer goes on.  One
 * thread at a time.  false when the checkpointer cannot be opened: the
 * writer must checkpoint for itself. */
bool nana__backend_checkpoint(struct nana_backend *b);
/* A read-only connection to the backend's file, for a reader (not
 * configured: handle.c does that), or NULL with *msg (malloc'd). */
sqlite3 *nana__backend_open_reader(struct nana_backend *b, char **msg);
/* Installs the writer's busy handler and keeps it for
 * nana__backend_catch_up(), which waits with it between attempts. */
void nana__backend_set_busy_handler(struct nana_backend *b, int (*busy)(void *ctx, int count),
                                    void *ctx);
/* On the writer, between transactions: copies every committed frame of
 * the WAL into the database, waiting (with the busy handler's back-off, up
 * to its timeout) for readers that still use older frames, holding no lock
 * while it waits -- so that the next commit may start the log over.  true
 * when every frame was copied. */
bool nana__backend_catch_up(struct nana_backend *b, const char *schema);
/* Did the backend open the file read-only? */
bool nana__backend_read_only(const struct nana_backend *b);
/* What to add after SQLite's message when a statement on conn failed with
 * rc, so that the message says what to do: for a write refused on a file
 * opened read-only, why; for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB),
 * which file and the check to run; for a journal that could not be made,
 * the directory.  "" or a text starting with a space, in a buffer of the
 * calling thread: valid until its next call.  Every message built from an
 * SQLite failure adds it. */
const char *nana__backend_error_hint(sqlite3 *conn, int rc);
/* Is conn's file in a directory this process cannot create files in? */
bool nana__backend_dir_unwritable(sqlite3 *conn);
/* The hint for a failure on a connection of the seam: the local
 * backend's, or none (another backend's messages say it all). */
static inline const char *nana__conn_error_hint(struct nana_conn *c, int rc)
{
    sqlite3 *db = nana__conn_local_db(c);
    return db ? nana__backend_error_hint(db, rc) : "";
}

/* ---------------------------------------------------------------- jobs */

/*
 * A job is a base the engine knows plus a struct of its own kind, private
 * to the file that makes it (container_of the base).  The engine calls only
 * the ops:
 *   run     with the executor role held, inside the batch's transaction:
 *           do the work on ex->conn and stage cache effects in ex->staged;
 *           leave the outcome in status / errmsg / result.
 *   settle  after the batch's COMMIT (committed) or rollback (!committed),
 *           role still held, staged effects applied: whole-table effects,
 *           release the pins that keep readers queued.  Also for a job that
 *           never runs (closed engine), with committed false.  A job of a
 *           transaction settles when the transaction ends, after its
 *           future resolved: its pins keep readers outside it queued until
 *           then.
 *   deliver optional: after the role is given up, before the future
 *           resolves (a transaction's job: role held, after run).
 *   destroy always, last.
 */
struct nana_exec {
    sqlite3 *conn;
    struct nana_staging *staged; /* the batch's, or the open transaction's;
                                    NULL on a reader connection */
    /* On a reader connection (a job flagged NANA__JOB_READER_OK /
     * _IDLE): which one (1..NANA_READERS_MAX; 0: the writer). */
    int reader;
    struct nana_engine *engine;
};

/* The job's connection, as the seam (conn.h) speaks to it. */
static inline struct nana_conn *nana__exec_conn(const struct nana_exec *ex)
{
    return nana__conn_local(ex->conn);
}

struct nana_job_ops {
    void (*run)(struct nana_job *job, struct nana_exec *ex);
    void (*settle)(struct nana_job *job, bool committed);
    void (*deliver)(struct nana_job *job);
    void (*destroy)(struct nana_job *job);
};

/* What the engine must know to batch a job. */
enum {
    NANA__JOB_WRITES = 1 << 0, /* needs the write transaction (BEGIN IMMEDIATE) */
    NANA__JOB_ALONE = 1 << 1,  /* runs as a batch of its own */
    /* A read whose run knows a reader connection (ex->reader) and whose
     * submitter found nothing queued that it must see: the engine may run
     * it on a reader connection (see "reader connections" in readers.c). */
    NANA__JOB_READER_OK = 1 << 2,
    /* A read of anything (SQL): it may run on a reader connection when,
     * besides, nothing is queued for the writer or running on it. */
    NANA__JOB_READER_IDLE = 1 << 3,
};
/* The most reader connections a root may have (nana_set_read_connections). */
#define NANA_READERS_MAX 16
enum nana_lane {
    NANA__LANE_WRITER = 0, /* the connection that writes */
    NANA__LANE_READER,     /* any connection that reads (today: the writer) */
};

struct nana_engine_txn;

/*
 * What a job may read (a read bound for a reader connection) or change (a
 * job bound for the writer): the engine's only knowledge of where a job
 * acts, for routing (see "reader connections" in readers.c).  Zeroed it says
 * NANA__TOUCHES_ANY, the safe default for a job nobody described.  The
 * names and key are borrowed from the job, and live as long as it does.
 */
enum nana_touches {
    NANA__TOUCHES_ANY = 0, /* unknown: anything in the file */
    NANA__TOUCHES_TABLE,   /* any row of table */
    NANA__TOUCHES_KEY,     /* the row key of table */
};
struct nana_footprint {
    enum nana_touches kind;
    const char *table;     /* the SQLite table's name (case-insensitive) */
    const char *key;       /* NANA__TOUCHES_KEY: the key, its length, its hash */
    size_t key_len;
    uint32_t hash;
};

struct nana_job {
    struct nana_job *next;     /* engine only */
    /* The reader lane's only (readers.c): the previous read waiting, and
     * the next one waiting in the same key bucket. */
    struct nana_job *lane_prev, *lane_same;
    /* The transaction it belongs to (NULL: none), set by whoever submits
     * it (nana__db_submit); the engine runs it inside that transaction. */
    struct nana_engine_txn *txn;
    const struct nana_job_ops *ops;
    /* The producer's reference; engine only, but for deliver, which may
     * attach a payload to it (nana__future_set_payload). */
    nana_future_t *future;
    unsigned flags;
    enum nana_lane lane;
    bool done_early;           /* failed before running (engine only) */
    unsigned long need;        /* engine only: the commit clock at submission */
    struct nana_footprint touches; /* set by whoever makes the job */
    /* The outcome. */
    nana_status_t status;
    char *errmsg;
    json_t *result;
};

/* Sets the job's outcome to a failure (msg: malloc'd, stolen; NULL: the
 * status text), dropping any result. */
void nana__job_fail(struct nana_job *job, nana_status_t st, char *msg);

/* ------------------------------------------------------------ engine.c */

/* A new engine for a root, no threads yet (one reference). */
struct nana_engine *nana__engine_new(void);
/* Starts n workers named prefix-N over the backend's connections; 0, or -1
 * when the threads cannot start (the engine is then stopped). */
int nana__engine_start(struct nana_engine *e, struct nana_backend *b, int n, const char *prefix);
/* Refuses further jobs (NANA_ECLOSED), drains the queue, joins the workers
 * and gives the connections back: the backend may be closed afterwards. */
void nana__engine_stop(struct nana_engine *e);
void nana__engine_release(struct nana_engine *e);
/* Was the engine made in another process (this one is a fork() child)? */
bool nana__engine_inherited(const struct nana_engine *e);
/* NANA_OK, or NANA_ECLOSED (stopped, never started, or inherited across
 * fork()) with *msg a static text. */
nana_status_t nana__engine_check(const struct nana_engine *e, const char **msg);
/* Queues job and returns the caller's future; when the engine is stopped,
 * settles and destroys the job and returns a future failed NANA_ECLOSED.
 * The job's status must be NANA_OK. */
nana_future_t *nana__engine_submit(struct nana_engine *e, struct nana_job *job);
/* What the engine calls, role held, when a transaction it cannot follow in
 * the cache commits: forget every cached key (handle.c wires it to the
 * tables, before the engine starts). */
void nana__engine_set_forget_all(struct nana_engine *e, void (*fn)(void *ctx), void *ctx);

/*
 * Transactions.  A transaction is a lane of its own: BEGIN is queued in
 * order with the engine's jobs; from when it ran until COMMIT or ROLLBACK
 * the transaction owns the writer -- only its jobs run, in submission
 * order, every other job waits in the queue behind it.  Its jobs stage
 * cache effects in the transaction's staging, applied at COMMIT; their
 * futures resolve when they ran, their settle waits for the end.
 */
enum nana_txn_ctl {
    NANA__TXN_SAVEPOINT,   /* SAVEPOINT: a level deeper */
    NANA__TXN_RELEASE,     /* the innermost savepoint's changes join its parent */
    NANA__TXN_ROLLBACK_TO, /* the innermost savepoint's changes are undone */
    NANA__TXN_COMMIT,
    NANA__TXN_ROLLBACK,
};
/* A new transaction (mode: NANA_TXN_*; deadline_ms: the longest it may
 * hold the writer, 0 none) with BEGIN queued; *begun is BEGIN's future.
 * One reference, the caller's.  NULL when out of memory or closed, with
 * *begun a failed future. */
struct nana_engine_txn *nana__engine_txn_begin(struct nana_engine *e, int mode,
                                               int64_t deadline_ms, nana_future_t **begun);
/* Queues a control step in the transaction; misuse (after COMMIT or
 * ROLLBACK was queued, RELEASE without a savepoint) fails at once. */
nana_future_t *nana__engine_txn_control(struct nana_engine_txn *t, enum nana_txn_ctl op);
/* Is a COMMIT or ROLLBACK queued, or has it ended? */
bool nana__engine_txn_closing(struct nana_engine_txn *t);
/* Drops the caller's reference; an open transaction goes on. */
void nana__engine_txn_release(struct nana_engine_txn *t);
/* Is some transaction open on e, or queued to begin? */
bool nana__engine_txn_any(struct nana_engine *e);

/* Backpressure: at most max_queued jobs (0: no limit) wait in the queue;
 * a submission past it waits up to wait_ms (< 0: as long as it takes; 0:
 * not at all) and then fails NANA_EAGAIN. */
void nana__engine_set_queue_limit(struct nana_engine *e, size_t max_queued, int64_t wait_ms);

/* What the engine counts (relaxed atomics; nana_stats fills its fields). */
void nana__engine_stats(struct nana_engine *e, nana_stats_t *out);

/* Reader connections (see readers.c).  handle.c gives the engine how to
 * open one (NULL with *msg, malloc'd, on failure) and what to do before
 * one closes (finalize the statements prepared on it: slot 1..N). */
struct nana_reader_conns {
    sqlite3 *(*open)(void *ctx, int slot, char **msg);
    void (*closing)(void *ctx, sqlite3 *conn, int slot);
    void *ctx;
};
void nana__engine_set_reader_conns(struct nana_engine *e, const struct nana_reader_conns *rc);
/* Up to n reader connections from now on (0: none, every job on the
 * writer); those beyond n close once idle.  n in 0..NANA_READERS_MAX. */
void nana__engine_set_readers(struct nana_engine *e, int n);
/* The file was replaced (nana_restore): every reader connection is closed
 * and opened again before its next read.  Role held. */
void nana__engine_readers_reopen(struct nana_engine *e);
/* May jobs go to reader connections now (a hint: any thread, a load)? */
bool nana__engine_readers_on(const struct nana_engine *e);
/* Waits until no reader connection runs reads (role held): a job that
 * reports what the cache holds then sees every fill of the reads before
 * it.  Reads submitted meanwhile do not go to readers (the caller's
 * count keeps them off), so this ends. */
void nana__engine_readers_quiesce(struct nana_engine *e);

/* ------------------------------------------------------------- hooks.c */

/*
 * A table's write hooks (nana_set_hooks(3)).  The installed set is a copy
 * of the user's nana_hooks_t, shared by reference: a write job takes one
 * when it runs and keeps it until it settled, so that installing or
 * removing hooks meanwhile never changes what a running write calls, and
 * release runs once nothing uses the set.
 *
 * after_commit learns the keys from the jobs' settle: a job counts itself
 * (register) right before it writes, says it wrote, and at settle gives its
 * keys when its write committed; the table's last counted job to settle --
 * every job of a batch settles after its COMMIT, every job of a
 * transaction at its end -- calls after_commit with them.  The memory for
 * the keys is reserved at register, so that settle never fails.
 *
 * A transaction's settle says committed=false when the cache could not
 * follow it (a rollback to a savepoint, a clear, a SQL write inside), even
 * if it committed.  So a write inside a transaction also logs a row of its
 * own in temp.nana_hook_log, before writing, in the same transaction: the
 * row survives exactly when the write does (COMMIT, no rollback to a
 * savepoint around it), and settle looks for it.
 */
struct nana_hookset {
    atomic_int refs;
    nana_hooks_t h;
};

struct nana_hook_exec; /* hooks.c: the executor's keys and log statements */

struct nana_table_hooks {
    pthread_mutex_t lock;                   /* current's swaps and references */
    _Atomic(struct nana_hookset *) current; /* NULL: none (read without the lock first) */
    bool closed;                            /* the root closed: nothing more installed */
    struct nana_hook_exec *exec;            /* executor only; made at the first register */
};

/* A write job's use of its table's hooks. */
struct nana_hook_use {
    struct nana_hookset *set;  /* found when it ran: a reference, or NULL */
    bool acquired;             /* set was looked up */
    bool registered;           /* counted for after_commit */
    bool wrote;                /* the write itself succeeded */
    bool deletes;              /* ... and deleted */
    bool replaced;             /* the last before_write gave a replacement */
    uint64_t log_id;           /* its row in temp.nana_hook_log; 0: none */
    size_t reserved_keys, reserved_bytes; /* what register reserved */
    /* The keys it writes: one, or the first n of items. */
    const char *key;
    const struct nana_kv_item *items;
    size_t n;
};

void nana__hooks_init(struct nana_table_hooks *th);
/* The root is closing (no job runs any more): finalizes the log's
 * statements, drops the installed set and refuses new ones. */
void nana__hooks_close(struct nana_table_hooks *th);
void nana__hooks_destroy(struct nana_table_hooks *th);
/* Installs a copy of *h (NULL: removes).  NANA_OK, NANA_ECLOSED, NANA_ENOMEM. */
nana_status_t nana__hooks_install(struct nana_table_hooks *th, const nana_hooks_t *h);
/* The installed set (a new reference), or NULL. */
struct nana_hookset *nana__hooks_acquire(struct nana_table_hooks *th);
void nana__hookset_release(struct nana_hookset *s);
/* Runs s's before_write of key in table (s has one).  NANA_OK, with
 * *stored a private copy of the replacement (new reference) and *text,
 * *len its encoding (malloc'd) when the hook replaced value, else NULL;
 * or a failure with *msg (malloc'd). */
nana_status_t nana__hooks_before_write(const struct nana_hookset *s, const char *table,
                                       const char *key, json_t *value, json_t **stored,
                                       char **text, size_t *len, char **msg);
nana_status_t nana__hooks_before_delete(const struct nana_hookset *s, const char *table,
                                        const char *key, char **msg);
/* Counts u (its keys filled in) for after_commit before it writes, in
 * table t, on conn; in_txn: in a transaction (logs its row).  SQLite's code
 * (SQLITE_NOMEM: the keys' memory could not be reserved); on failure u is
 * not counted.  Role held. */
int nana__hooks_register(struct nana_table *t, struct nana_hook_use *u, struct nana_conn *conn,
                         bool in_txn);
/* At u's settle (role held): gives its keys when its write committed,
 * calls after_commit once the table's last counted job settled, and drops
 * u's set. */
void nana__hooks_settle(struct nana_table *t, struct nana_hook_use *u, struct nana_conn *conn,
                        bool committed);

/* ------------------------------------------------------------- table.c */

#define NANA_GET_MANY_MAX 256

/* Statements kept per table; prepared on first use by the executor. */
enum nana_stmt_id {
    NANA__ST_GET,
    NANA__ST_SET,
    NANA__ST_DELETE,
    NANA__ST_COUNT,
    NANA__ST_KEYS,
    NANA__ST_ALL,
    NANA__ST_CLEAR,
    NANA__ST_SCAN_FROM,  /* key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3 */
    NANA__ST_SCAN_AFTER, /* key > ?1 AND key < ?2 ORDER BY key LIMIT ?3 */
    NANA__ST_GET_MANY,   /* key IN (?, ...) ORDER BY key: as many parameters as
                            fit, up to NANA_GET_MANY_MAX (the statement's
                            nana__stmt_bind_count() says how many) */
    NANA__ST_COUNT_OF
};

struct nana_table {
    struct nana_tables *owner;
    struct nana_table *next;   /* owner->list */
    struct nana_cache cache;
    /* Whole-table jobs queued and not finished: while non-zero, reads of
     * this table queue behind them instead of answering from the cache. */
    atomic_int pending_table_ops;
    struct nana_table_hooks hooks;          /* hooks.c */
    struct nana_stmt *stmts[NANA__ST_COUNT_OF]; /* executor only */
    /* The get statement on each reader connection: [slot - 1], used only
     * by the thread running that reader. */
    struct nana_stmt *reader_get[NANA_READERS_MAX];
    char name[NANA_TABLE_NAME_MAX + 1];
};

/* The tables of one root. */
struct nana_tables {
    pthread_mutex_t lock;      /* the list */
    struct nana_table *list;
    /* The root's key, shared by every table (NULL: values are plaintext). */
    struct nana_crypt *crypt;
    /* SQL-surface writes queued and not finished: while non-zero, no read
     * is answered from any cache (the write may touch any table). */
    atomic_int pending_sql_writes;
    /* Jobs that report what a cache holds (is_cached) queued and not
     * settled: while non-zero no read goes to a reader connection, whose
     * fill the report could otherwise see early or miss (kv.c). */
    atomic_int pending_observers;
};

/* crypt: the root's key, borrowed for the registry's life, or NULL. */
void nana__tables_init(struct nana_tables *ts, struct nana_crypt *crypt);
/* Finalizes every statement (before the connection closes) and forgets
 * every cached value. */
void nana__tables_close(struct nana_tables *ts);
void nana__tables_free(struct nana_tables *ts);
/* The table called name (in any ASCII case), made with the cache policy
 * create (not NULL) when it is missing; NULL when missing or out of
 * memory.  An existing table keeps its policy. */
struct nana_table *nana__table_lookup(struct nana_tables *ts, const char *name,
                                      const struct nana_cache_policy *create);
/* Queues a sweep of t's cache on e, taken with nana__cache_sweep_claim();
 * nobody waits for it. */
void nana__table_queue_sweep(struct nana_table *t, struct nana_engine *e);
/* CREATE TABLE IF NOT EXISTS of the dict layout, on conn: SQLite's code.
 * This, check_layout and load take handle.c's local sqlite3 handle (its
 * open path is local-only until the later pass); jobs reach the same code
 * through the seam. */
int nana__table_create(sqlite3 *conn, const char *name);
/* Can the dict use table name on conn -- a table with columns key and
 * value of TEXT (or no) affinity, key unique byte for byte, a rowid -- as
 * it uses the tables it makes?  NANA_OK, also when there is no such table
 * (it is made next); NANA_ESQL with *why (malloc'd) saying what differs; or
 * the status of an SQLite failure, with *why.  Reads only. */
nana_status_t nana__table_check_layout(sqlite3 *conn, const char *name, char **why);
/* A job that checks the layout of table name (when it exists) and creates
 * it, in order with the queued jobs; NULL when out of memory. */
struct nana_job *nana__table_create_job(const char *name);
/* The table's statement id on conn, prepared on first use.  Executor only. */
struct nana_stmt *nana__table_stmt(struct nana_table *t, struct nana_conn *conn,
                                   enum nana_stmt_id id, int *rc);
/* The get statement of t on reader connection slot (1..NANA_READERS_MAX),
 * conn, prepared on first use.  Only the thread running that reader. */
struct nana_stmt *nana__table_reader_get(struct nana_table *t, struct nana_conn *conn, int slot,
                                         int *rc);
/* Finalizes every table's statement on reader slot (before it closes). */
void nana__tables_reader_closing(struct nana_tables *ts, int slot);
/* Forgets every key of each table the SQL just committed wrote: all tables
 * when written says so (see authorize.c). */
void nana__tables_forget_written(struct nana_tables *ts, const struct nana_auth *written);
/* Forgets every key of every table of the root (tables: its struct
 * nana_tables): the engine's forget-all, when a transaction the cache could
 * not follow committed.  Executor only. */
void nana__tables_forget_all(void *tables);
/* Forgets every key of every table and finalizes their statements: the
 * whole file was replaced (nana_restore).  Executor only, in a settle. */
void nana__tables_replaced(struct nana_tables *ts);
/* Creates each table of the registry the file lacks (after a restore);
 * SQLite's code, *failed naming the table that failed.  Executor only. */
int nana__tables_create_all(struct nana_tables *ts, struct nana_conn *conn, const char **failed);

/* The stored form of a dict value, the one place where a value meets its
 * column (executor only, or the opening thread before the pool starts):
 * binds value text (len bytes, borrowed until the statement is reset) as
 * parameter idx -- the text itself, or sealed when the root encrypts;
 * SQLite's code (SQLITE_NOMEM when sealing failed). */
int nana__table_bind_value(const struct nana_table *t, struct nana_stmt *stmt, int idx,
                           const char *text, size_t len);
/* The value in column col of stmt's row, decrypted and decoded: a new
 * reference, or NULL with *fault saying why. */
json_t *nana__table_value(const struct nana_table *t, struct nana_stmt *stmt, int col,
                          enum nana_value_fault *fault);
/* The status and message (malloc'd, may be NULL when out of memory) of a
 * value of key that nana__table_value() refused with fault. */
nana_status_t nana__table_value_error(const struct nana_table *t, const char *key,
                                      enum nana_value_fault fault, char **msg);

/* One key and its encoded value, for multi-key writes and loads. */
struct nana_kv_item {
    char *key;
    char *text;       /* NULL for deletes */
    size_t text_len;
    json_t *value;    /* decoded / the cache's copy */
    uint32_t hash;
};
void nana__table_items_free(struct nana_kv_item *items, size_t n);
/* Reads every row of t, decoded, into *items (rowid order).  Rows that are
 * not JSON are counted in *skipped, not returned.  SQLite's code. */
int nana__table_read_all(struct nana_table *t, struct nana_conn *conn, struct nana_kv_item **items,
                         size_t *n, size_t *skipped);
/* Replaces t's cache with items (their values taken); fully loaded unless a
 * row was skipped.  Executor only. */
void nana__table_apply_loaded(struct nana_table *t, struct nana_kv_item *items, size_t n,
                              size_t skipped);
/* Reads every row of t into its cache now (open with bulk_load). */
nana_status_t nana__table_load(struct nana_table *t, sqlite3 *conn, int64_t *count,
                               char **errmsg);

/* --------------------------------------------------------- authorize.c */

/* What the authorizer enforces for the statement being prepared. */
enum nana_auth_mode {
    NANA__AUTH_OFF = 0,     /* the library's own statements */
    NANA__AUTH_USER,        /* direct SQL: no transaction control */
    NANA__AUTH_HELPER,      /* a helper: one table, no schema change */
    NANA__AUTH_HELPER_DDL,  /* a schema helper: its own schema change only */
};

#define NANA_AUTH_WRITTEN_MAX 8

/* The authorizer's state for one connection (executor only). */
struct nana_auth {
    enum nana_auth_mode mode;
    const char *table;        /* a helper's one table */
    const char *denied;       /* why it last said no (static), or NULL */
    /* The tables the statements prepared since begin may write. */
    char written[NANA_AUTH_WRITTEN_MAX][NANA_TABLE_NAME_MAX + 1];
    int n_written;
    bool written_overflow;    /* more than fit: assume every table */
};

/* Installs the authorizer on conn, with mode NANA__AUTH_OFF. */
void nana__auth_install(struct nana_auth *a, sqlite3 *conn);
/* Sets the policy for the statements prepared next, and forgets what was
 * written before. */
void nana__auth_begin(struct nana_auth *a, enum nana_auth_mode mode, const char *table);
/* Back to NANA__AUTH_OFF. */
void nana__auth_end(struct nana_auth *a);
/* Did the statements prepared since begin write table name? */
bool nana__auth_wrote(const struct nana_auth *a, const char *name);

/* ----------------------------------------------------------- handles */

/* The root: a composition of the parts, each field written by handle.c. */
struct nana_root {
    struct nana_engine *engine;
    struct nana_backend backend;
    struct nana_tables tables;
    struct nana_auth auth;
    struct nana_crypt crypt;   /* used when encrypted */
    bool encrypted;
    char *path;
    atomic_int refs;           /* the root handle + open sub-table handles */
    int busy_timeout_ms;       /* the writer's busy handler waits this long */
    int cache_size_mb;         /* nana_options_t's, for reader connections */
    /* The authorizer's state on each reader connection ([slot - 1]), used
     * by the thread running that reader. */
    struct nana_auth reader_auth[NANA_READERS_MAX];
    bool optimize;
    atomic_ulong busy_retries; /* ... and counts its waits */
};

/* A handle's magic: open, or closed (see nana__db_check). */
#define NANA__DB_OPEN 0x616e616eu
#define NANA__DB_CLOSED 0x65736f6cu

struct nana_db {
    uint32_t magic;            /* NANA__DB_OPEN until nana_close */
    struct nana_root *root;
    struct nana_table *table;
    bool is_root;
    /* A view inside a transaction (nana_txn_db): its operations run in it,
     * and none is answered from the cache. */
    struct nana_engine_txn *txn;
    char *errmsg;  /* last synchronous failure; NULL means "" */
};

/*
 * Checks a handle a call was given: NANA_OK, or NANA_EINVAL (NULL) /
 * NANA_ECLOSED (closed, its root closed or inherited across fork()) with
 * *why a static text.  A handle is invalid after nana_close(), as memory is
 * after free(): its magic is overwritten before it is freed, so a use
 * after close is caught as long as the memory was not reused -- and always
 * in builds with NANA_DEBUG_HANDLES, which keep closed handles' memory.
 */
static inline nana_status_t nana__db_check(const nana_db_t *db, const char **why)
{
    if (!db) {
        *why = "NULL handle";
        return NANA_EINVAL;
    }
    if (db->magic != NANA__DB_OPEN) {
        *why = "the handle was closed (nana_close): it must not be used again";
        return NANA_ECLOSED;
    }
    return nana__engine_check(db->root->engine, why);
}

/* Queues job on db's engine, inside db's transaction if it is a view. */
static inline nana_future_t *nana__db_submit(nana_db_t *db, struct nana_job *job)
{
    job->txn = db->txn;
    return nana__engine_submit(db->root->engine, job);
}

/* handle.c: a reference on a root, for a handle made above it (txn.c). */
void nana__root_hold(struct nana_root *root);
void nana__root_release(struct nana_root *root);
/* Frees a closed handle db (embedded in the allocation block): its magic
 * overwritten; kept instead with NANA_DEBUG_HANDLES (nana__db_check). */
void nana__handle_free(nana_db_t *db, void *block);
/* Sets db's message of its last synchronous failure (msg malloc'd, taken). */
void nana__db_set_errmsg(nana_db_t *db, char *msg);

/* -------------------------------------------------------------- rows.c */

/* Steps stmt to its end, copying every row into a new row set, *out (NULL
 * on failure).  Returns SQLITE_DONE, the failing step's code, or
 * SQLITE_NOMEM when the set could not grow. */
int nana__rows_read(struct nana_stmt *stmt, nana_rows_t **out);
/* The row set as a future's payload (the future frees it). */
struct nana_future_payload *nana__rows_payload(nana_rows_t *rows);
void nana__rows_free(nana_rows_t *rows);
/* SQLite TEXT as JSON, the one rule of every SQL result: a string, or the
 * BLOB object of its bytes when they are not UTF-8.  New reference. */
json_t *nana__rows_text_json(const char *text, size_t n);

/* ----------------------------------------------------------------- sql.c */

enum nana_sql_shape {
    NANA__SHAPE_EXEC,      /* {"columns", "rows", "changes", "last_insert_rowid"} */
    NANA__SHAPE_MANY,      /* integer: total changes */
    NANA__SHAPE_ONE,       /* first row (array) or null */
    NANA__SHAPE_ALL,       /* array of arrays */
    NANA__SHAPE_OBJECTS,   /* array of objects */
    NANA__SHAPE_PAGE,      /* {"rows", "total", "limit", "offset"} */
    NANA__SHAPE_CHANGES,   /* integer: changes */
    NANA__SHAPE_ROWID,     /* integer: last insert rowid */
    NANA__SHAPE_SCALAR,    /* integer: first column of the first row */
    NANA__SHAPE_ANY_ROW,   /* boolean: a row came back */
    NANA__SHAPE_COLUMN,    /* array of the first column's values */
    NANA__SHAPE_SCHEMA,    /* array of column objects; ENOTFOUND when none */
    NANA__SHAPE_NONE,      /* no value */
    NANA__SHAPE_PRAGMA,    /* as SHAPE_ALL, but run alone outside any transaction */
    NANA__SHAPE_ROWS,      /* no JSON value: a row set (rows.c) */
};

/* What a SQL job is to run. */
struct nana_sql_request {
    char *sql;             /* taken; NULL means out of memory */
    char *count_sql;       /* taken; NANA__SHAPE_PAGE: the total's statement */
    int64_t limit, offset; /* NANA__SHAPE_PAGE */
    json_t *params;        /* borrowed (copied) */
    enum nana_sql_shape shape;
    enum nana_auth_mode auth;
    const char *table;     /* a helper's table, or NULL */
    bool write;
    const char *what;      /* for messages: "execute", "query", ... */
};

/* Queues the request on db (checked) and returns its future. */
nana_future_t *nana__sql_submit(nana_db_t *db, struct nana_sql_request *rq);
/* Checks db for the SQL functions: a failed future, or NULL. */
nana_future_t *nana__sql_check_db(nana_db_t *db);
/* A future failed with st and msg (static text). */
nana_future_t *nana__sql_reject(nana_status_t st, const char *msg);
/* Parameters must be an array, object or null; member names without NUL. */
nana_future_t *nana__sql_check_params(json_t *params);

#endif
