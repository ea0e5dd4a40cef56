/*
 * nanasqlite.h -- a persistent dict of JSON values over SQLite, with an
 * in-memory key cache, whose every operation runs on a fixed-size pthread
 * worker pool and returns a future.
 *
 * This header is the API.  The man pages (nanasqlite(3) and one page per
 * function) are its long form; anything not declared here is not API.
 *
 * Ownership vocabulary, used on every function below and in the pages:
 *   - "borrowed" input: the library copies what it needs before returning,
 *     so the caller may change or free its value right after the call.
 *   - "borrowed reference, valid until nana_future_free()": the caller must
 *     not json_decref() it and must not modify it.
 *   - "new reference": the caller owns one reference and drops it with
 *     json_decref() (or nana_json_release()).
 *   Results are read-only: they may be the very value the cache holds.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NANASQLITE_H
#define NANASQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

#define NANA_VERSION_MAJOR 0
#define NANA_VERSION_MINOR 1
#define NANA_VERSION_PATCH 0
#define NANA_VERSION "0.1.0"
#define NANA_VERSION_NUMBER                                                   \
    (NANA_VERSION_MAJOR * 1000000 + NANA_VERSION_MINOR * 1000 +               \
     NANA_VERSION_PATCH)

/* The version of the library linked at run time (NANA_VERSION_NUMBER of the
 * header it was built from). */
int nana_libversion_number(void);

/* ----------------------------------------------------------- status codes */

/*
 * One table yields both the enum and nana_errstr().  New codes are only ever
 * appended, so the numeric values are stable.
 */
#define NANA_STATUS_TABLE(X)                                                   \
    X(NANA_OK, "success")                                                      \
    X(NANA_PENDING, "the future has not resolved yet")                         \
    X(NANA_ENOTFOUND, "key, table or file not found")                          \
    X(NANA_EINVAL, "invalid argument")                                         \
    X(NANA_ETYPE, "value of the wrong JSON type")                              \
    X(NANA_ESQL, "SQLite reported an error")                                   \
    X(NANA_EBUSY, "database locked past the busy timeout")                     \
    X(NANA_ECLOSED, "handle is closed")                                        \
    X(NANA_ECANCELED, "job cancelled before it ran")                           \
    X(NANA_ETIMEDOUT, "timed wait expired; the future is still pending")       \
    X(NANA_EDEADLK, "wait could never finish")                                 \
    X(NANA_ENOMEM, "out of memory")                                            \
    X(NANA_EIO, "disk I/O error")                                              \
    X(NANA_ERANGE, "result out of range")                                      \
    X(NANA_EROLLEDBACK, "the transaction was rolled back")                      \
    X(NANA_EAGAIN, "the queue is full; the operation was not queued")

typedef enum nana_status {
#define NANA_STATUS_ENUM_(name, text) name,
    NANA_STATUS_TABLE(NANA_STATUS_ENUM_)
#undef NANA_STATUS_ENUM_
} nana_status_t;

/* Static text for a status code; never NULL, distinct for every code. */
const char *nana_errstr(nana_status_t code);

/* ---------------------------------------------------------------- handles */

/* A table handle: the root returned by nana_open(), or a sub-table handle
 * returned by nana_table().  Opaque. */
typedef struct nana_db nana_db_t;

/* The result of one queued operation.  Opaque. */
typedef struct nana_future nana_future_t;

typedef struct nana_options {
    const char *table;              /* default "data" */
    bool bulk_load;                 /* default false: load every row at open */
    bool optimize;                  /* default true: WAL, synchronous=NORMAL,
                                       mmap, cache_size */
    int cache_size_mb;              /* default 64 */
    int max_workers;                /* default 5: size of the worker pool */
    const char *thread_name_prefix; /* default "nana"; truncated to fit the
                                       15 bytes of a pthread name with "-N" */
    int busy_timeout_ms;            /* default 5000 */
} nana_options_t;

/* Sets every field of *opts to its default.  opts NULL: does nothing. */
void nana_options_init(nana_options_t *opts);

/*
 * Opens (creating if needed) the database file at path and the table
 * opts->table in it, starts opts->max_workers threads.  opts NULL: defaults.
 * Always sets *out (when out is not NULL): to NULL when no handle could be
 * allocated or an argument is invalid, otherwise to a handle -- also on
 * failure, like sqlite3_open(), so that nana_db_errmsg() can say why; that
 * handle must be passed to nana_close().  A table opts->table that exists
 * must have the dict's layout (nana_open(3)), else NANA_ESQL.
 * Returns NANA_OK, NANA_EINVAL, NANA_ESQL, NANA_EBUSY, NANA_EIO, NANA_ENOMEM.
 * Same as nana_open_v2(path, opts, 0, out).
 */
nana_status_t nana_open(const char *path, const nana_options_t *opts,
                        nana_db_t **out);

/*
 * Flags of nana_open_v2(), or'ed together; 0 is nana_open().  Any other bit:
 * NANA_EINVAL, nothing opened -- so that a program asking a flag of a later
 * release is told, not ignored.
 *   NANA_OPEN_READONLY: read-only connection.  The file and the table must
 *     exist (else NANA_ENOTFOUND); the journal mode is left as it is;
 *     reads work, every write fails with NANA_EIO.  Implies NOCREATE.
 *   NANA_OPEN_NOCREATE: the file must exist (else NANA_ENOTFOUND, and no
 *     file is created); otherwise as nana_open(), table creation included.
 *   NANA_OPEN_CHECK: PRAGMA quick_check before anything is written: a
 *     damaged file is refused with NANA_ESQL and a message naming the file
 *     and the first problems found.  Reads every page of the file.
 * The options struct is not extended for these: its layout is part of the
 * ABI (README), and a field added to it would be read past the end of the
 * struct of a program built against the older header.  Added after 0.1.0:
 * version node NANA_0.2.
 */
#define NANA_OPEN_READONLY 0x1u
#define NANA_OPEN_NOCREATE 0x2u
#define NANA_OPEN_CHECK 0x4u

/* nana_open() with flags (above); everything else as nana_open(). */
nana_status_t nana_open_v2(const char *path, const nana_options_t *opts, unsigned flags,
                           nana_db_t **out);

/*
 * Value encryption, file-compatible with NanaSQLite's encryption_key and
 * encryption_mode: every value of every table of the root (sub-tables
 * included) is stored as a BLOB, nonce (12 random bytes) || AEAD
 * ciphertext of its JSON text || tag (16 bytes), with the key used as given
 * (no derivation).  Keys are not encrypted.  A value that does not decrypt
 * -- another key or cipher, a changed or short value, a row stored as text
 * -- fails that key's future with NANA_ETYPE and a message naming the key
 * and the table; it is never read as plaintext.  The cache holds decrypted
 * values; the key is wiped from memory by nana_close() of the root.  Added
 * after 0.1.0 (version node NANA_0.2); values may be appended.
 */
typedef enum nana_cipher {
    NANA_CIPHER_AES_GCM = 0, /* NanaSQLite's "aes-gcm" (its default):
                                AES-GCM, a 16-, 24- or 32-byte key */
    NANA_CIPHER_CHACHA20 = 1 /* "chacha20": ChaCha20-Poly1305, a 32-byte key */
} nana_cipher_t;

/*
 * nana_open_v2() of a root whose values are encrypted with cipher under
 * key (key_len bytes, borrowed: read before the call returns).  A key of
 * the wrong length, an unknown cipher or a NULL key is NANA_EINVAL with a
 * handle that says so, and nothing is opened.  A function of its own, not
 * fields of nana_options_t, whose layout is part of the ABI (README).
 */
nana_status_t nana_open_encrypted(const char *path, const nana_options_t *opts, unsigned flags,
                                  nana_cipher_t cipher, const void *key, size_t key_len,
                                  nana_db_t **out);

/* The message of the last failed synchronous call on db (nana_open,
 * nana_table, nana_close); "" when there was none.  Borrowed: valid until the
 * next synchronous call on db or nana_close(db).  db NULL: a static text. */
const char *nana_db_errmsg(const nana_db_t *db);

/*
 * A handle on table name of the same file as db (a root or sub-table), sharing
 * its worker pool, connection and, for the same table, its cache.  Creates the
 * table if missing; one that exists must have the dict's layout, as for
 * nana_open().  *out is set to NULL on failure.
 * Returns NANA_OK, NANA_EINVAL (bad name), NANA_ECLOSED, NANA_EDEADLK (called
 * from a callback or pool thread while the table had to be created),
 * NANA_ESQL (another layout), or the status of the CREATE TABLE.
 */
nana_status_t nana_table(nana_db_t *db, const char *name, nana_db_t **out);

/*
 * What a table's cache keeps: its policy, given when a root first opens the
 * table -- the root's own table by nana_open_v3(), others by nana_table_v2()
 * -- and kept while the root is open; every handle of the root on the table
 * shares it.  Each field is one of
 *   NANA_INHERIT (0, what nana_table_options_init() and a zeroed struct
 *     set): the value of the handle the table is opened from (db of
 *     nana_table_v2; nana_table() inherits every field), or for the root's
 *     own table the default, which is no bound;
 *   NANA_UNLIMITED (-1): no bound, whatever the parent's;
 *   a positive value:
 *     cache_max_entries  keys cached at most, present or absent;
 *     cache_max_bytes    at most this much cost, a key costing 64 + its
 *                        length + its value's length as compact JSON text;
 *     cache_ttl_ms       an answer (present or absent) is served from the
 *                        cache for this long after it was read or written,
 *                        then the key is read from SQLite again.
 * Over a bound, keys are dropped roughly least recently used first (the
 * SIEVE algorithm; nana_table(3) has the details); one with a write queued
 * keeps its entry, and its reads queue behind the write.  Dropping and expiry never change an answer's correctness, only
 * where it comes from: the dropped key is read from SQLite again.
 * reserved: zero.  The struct does not grow: its size is part of the ABI
 * (as nana_options_t's is, README), so later releases give fields in the
 * reserved slots meanings of their own, zero meaning "inherit"; this one
 * refuses a non-zero one (NANA_EINVAL).  Added after 0.1.0: NANA_0.2.
 */
#define NANA_INHERIT 0
#define NANA_UNLIMITED (-1)

typedef struct nana_table_options {
    int64_t cache_max_entries;
    int64_t cache_max_bytes;
    int64_t cache_ttl_ms;
    int64_t reserved[5];
} nana_table_options_t;

/* Sets every field of *opts to NANA_INHERIT.  opts NULL: does nothing. */
void nana_table_options_init(nana_table_options_t *opts);

/*
 * nana_table() with table options (NULL: inherit everything, as
 * nana_table()).  A table the root already has keeps its policy: an option
 * set to another value than it has is NANA_EINVAL, with
 * nana_db_errmsg(db) saying which.
 */
nana_status_t nana_table_v2(nana_db_t *db, const char *name, const nana_table_options_t *opts,
                            nana_db_t **out);

/* nana_open_v2() with the table options of the root's own table (NULL:
 * none, as nana_open_v2()); bulk_load then loads what the policy keeps. */
nana_status_t nana_open_v3(const char *path, const nana_options_t *opts, unsigned flags,
                           const nana_table_options_t *table_opts, nana_db_t **out);

/*
 * Root: drains queued jobs, joins the workers, closes the connection.
 * Sub-table: releases that handle only.  db NULL: NANA_OK.  From a callback
 * or a pool thread: NANA_EDEADLK and nothing is closed.  The handle is freed
 * in every other case, even when the connection reported an error on close.
 */
nana_status_t nana_close(nana_db_t *db);

/* ---------------------------------------------------------------- futures */

/* Blocks until f resolves; returns the job's status.  A caller whose job is
 * still queued may run queued jobs itself instead of sleeping.  From a pool
 * thread or a callback, on a pending future: NANA_EDEADLK (f stays valid). */
nana_status_t nana_future_await(nana_future_t *f);

/* As nana_future_await(), waiting at most timeout_ms (< 0: forever, 0: poll).
 * NANA_ETIMEDOUT: still pending.  Never runs queued jobs itself. */
nana_status_t nana_future_await_for(nana_future_t *f, int64_t timeout_ms);

/* True once f resolved.  Never blocks. */
bool nana_future_poll(const nana_future_t *f);

/* NANA_PENDING until resolved, then the job's status. */
nana_status_t nana_future_status(const nana_future_t *f);

/* "" while pending or on success, else the failure's message (never empty).
 * Owned by the future: valid until nana_future_free(). */
const char *nana_future_errmsg(const nana_future_t *f);

/* Borrowed reference, valid until nana_future_free(); read-only.  NULL while
 * pending, on failure, when the operation has no value, or after
 * nana_future_take_json(). */
json_t *nana_future_json(const nana_future_t *f);

/* New reference to the result, handed over once; NULL afterwards.  The value
 * is read-only when it is shared with the cache (see nanasqlite(3)). */
json_t *nana_future_take_json(nana_future_t *f);

/* Integer result (len, counts).  NANA_PENDING while pending, the job's status
 * on failure, NANA_ETYPE when the result is not an integer. */
nana_status_t nana_future_int(const nana_future_t *f, int64_t *out);

/* Boolean result (contains, is_cached).  As nana_future_int(). */
nana_status_t nana_future_bool(const nana_future_t *f, bool *out);

/* Releases the caller's reference.  Legal while pending: the job still runs
 * and its result is dropped.  f NULL: does nothing. */
void nana_future_free(nana_future_t *f);

/* Cancels f's operation.  NANA_OK: it was still queued, and will never run;
 * f has resolved NANA_ECANCELED.  NANA_PENDING: it already runs (or is in
 * the batch about to): a read stops at its next step and f resolves
 * NANA_ECANCELED, a write completes -- await f for the outcome, exactly one
 * of the two.  A future of nana_future_then() passes the cancel to the
 * future it waits for, and then fails with it.  NANA_EINVAL: f is NULL,
 * resolved, or not cancellable (not an operation's, or a transaction's
 * BEGIN, COMMIT, ROLLBACK or savepoint step).  Never blocks; any thread,
 * callbacks included. */
nana_status_t nana_future_cancel(nana_future_t *f);

/* Waits for every future; returns the first failure in array order, or
 * NANA_OK.  NULL fs with n > 0, or a NULL element: NANA_EINVAL (after the
 * others settled). */
nana_status_t nana_future_await_all(nana_future_t *const *fs, size_t n);

typedef void (*nana_callback_fn)(nana_future_t *f, void *arg);

/* Runs cb(f, arg) exactly once when f resolves: on the thread that resolves it
 * (a pool worker; a thread inside nana_future_await(), nana_future_await_all()
 * or nana_table() running queued jobs; for a chained future, the thread that
 * ran the then-function), or at once on the calling thread when f already
 * resolved.  A callback must not block on a
 * pending future nor close a root handle.  Several callbacks run in
 * registration order.  On failure (NULL f or cb) cb is never called. */
nana_status_t nana_future_on_ready(nana_future_t *f, nana_callback_fn cb,
                                   void *arg);

typedef nana_future_t *(*nana_then_fn)(nana_future_t *done, void *arg);

/* Takes ownership of f; returns the chained future.  When f succeeds,
 * fn(f, arg) runs (on the thread that resolved f) and returns the next future,
 * or NULL to pass f's result on; the chained future settles with that
 * outcome.  When f fails, fn is skipped and the failure passes down.
 * f or fn NULL: a future failed with NANA_EINVAL (f is freed). */
nana_future_t *nana_future_then(nana_future_t *f, nana_then_fn fn, void *arg);

/* A future already resolved NANA_OK with a deep copy of value (NULL: no
 * value). */
nana_future_t *nana_future_resolved(json_t *value);

/* A future already failed with code and a copy of msg (NULL or "": the
 * code's nana_errstr()).  code NANA_OK or NANA_PENDING: NANA_EINVAL. */
nana_future_t *nana_future_failed(nana_status_t code, const char *msg);

/* Drops one reference to value with acquire-release ordering, so that the
 * thread that frees a value shared between threads is ordered after every
 * other thread's use of it (jansson's json_decref() only releases).  Prefer it
 * to json_decref() for results taken with nana_future_take_json().  NULL and
 * jansson's static values: does nothing. */
void nana_json_release(json_t *value);

/* The result of f as compact JSON text -- the text nana_set() stores: UTF-8
 * kept, member order kept -- in a new malloc'd, NUL-terminated string the
 * caller free()s; *len (when not NULL) its length.  NANA_PENDING while
 * pending, the job's status on failure, NANA_ETYPE when f has no value (a
 * write, or after nana_future_take_json()), NANA_EINVAL for NULL f or text
 * or a value JSON text cannot hold.  *text is NULL on every failure. */
nana_status_t nana_future_json_text(const nana_future_t *f, char **text, size_t *len);

/* As nana_future_json_text(), into buf (size bytes, NUL-terminated).  When
 * the text does not fit: NANA_EINVAL, buf holds "" and *len the length
 * needed (>= size), so that a buffer of *len + 1 bytes will do. */
nana_status_t nana_future_json_write(const nana_future_t *f, char *buf, size_t size,
                                     size_t *len);

/* ------------------------------------------------------- completion queue */

/*
 * A completion queue delivers futures on a thread of the caller's choice,
 * typically an event loop's, instead of a pool thread: futures attached
 * from any thread are delivered by nana_cq_drain(), which runs their
 * callbacks on the calling thread; nana_cq_fd() is readable while
 * completions wait, so a loop can watch it (include/nanasqlite/adapters/
 * has one-call adapters for epoll, libevent and libuv).  See nana_cq_new(3).
 */
typedef struct nana_cq nana_cq_t;

/* A new, empty queue with its descriptor (an eventfd, or a pipe where there
 * is none).  *out is NULL on failure.  NANA_OK, NANA_EINVAL (out NULL),
 * NANA_ENOMEM (no memory or no descriptor left). */
nana_status_t nana_cq_new(nana_cq_t **out);

/* Frees the queue.  First, on the calling thread, it runs the callback of
 * every future still attached, exactly once: resolved ones as
 * nana_cq_drain() would, pending ones with the future as it is (usually
 * still NANA_PENDING; its job still runs, its result is dropped).  Then the
 * cleanup function (nana_cq_set_cleanup()) runs and the descriptor is
 * closed.  cq NULL: does nothing.  No other call on cq may run at the same
 * time, nor follow, except from the callbacks it runs. */
void nana_cq_free(nana_cq_t *cq);

/* The descriptor to watch for reading: readable while completions wait,
 * reset by nana_cq_drain(); never read or close it.  Owned by the queue.
 * cq NULL: -1. */
int nana_cq_fd(const nana_cq_t *cq);

/* Takes ownership of f -- also on failure -- and arranges for cb(f, arg) to
 * run exactly once, on a thread that calls nana_cq_drain() (or
 * nana_cq_free()) after f resolved; the queue frees f when cb returns (keep
 * the value with nana_future_take_json()).  An already resolved future makes
 * the descriptor readable at once.  May be called from any thread, also
 * from callbacks.  NANA_OK; on failure cb is never called: NANA_EINVAL (cq,
 * f or cb NULL), NANA_ENOMEM, NANA_ECLOSED (nana_cq_free() has begun). */
nana_status_t nana_cq_attach(nana_cq_t *cq, nana_future_t *f, nana_callback_fn cb,
                             void *arg);

/* Runs, on the calling thread, the callbacks of the futures that have
 * resolved, in the order they resolved: at most max of them (0: all those
 * waiting when the call began; completions that arrive meanwhile wait for
 * the next call).  Never blocks.  Returns how many ran; cq NULL: 0. */
size_t nana_cq_drain(nana_cq_t *cq, size_t max);

/* How many attached futures' callbacks have not run yet (pending or
 * waiting for a drain).  cq NULL: 0. */
size_t nana_cq_attached(const nana_cq_t *cq);

/* Registers fn(data) to run once, in nana_cq_free(), after the last
 * callback and before the descriptor is closed: how an adapter takes the
 * descriptor off its loop.  One per queue: NANA_EINVAL when one is already
 * set, or cq or fn is NULL. */
nana_status_t nana_cq_set_cleanup(nana_cq_t *cq, void (*fn)(void *data), void *data);

/* --------------------------------------------------------------- dict API */

/*
 * Every function below returns a future, never NULL (out of memory yields a
 * static future failed with NANA_ENOMEM).  A NULL db or key or required
 * value resolves NANA_EINVAL; a closed root NANA_ECLOSED.  Keys and values
 * are borrowed.  Results are read through nana_future_json() (borrowed,
 * read-only) or nana_future_int() / nana_future_bool().
 */

/* The value of key; a copy of dflt if missing; NANA_ENOTFOUND if missing and
 * dflt is NULL.  A stored JSON null is a value. */
nana_future_t *nana_get(nana_db_t *db, const char *key, json_t *dflt);

/* Stores value (any JSON) under key; resolves after the commit.  No value. */
nana_future_t *nana_set(nana_db_t *db, const char *key, json_t *value);

/* Removes key; NANA_ENOTFOUND if missing.  No value. */
nana_future_t *nana_delete(nana_db_t *db, const char *key);

/* Boolean: is key stored? */
nana_future_t *nana_contains(nana_db_t *db, const char *key);

/* Integer: number of keys. */
nana_future_t *nana_len(nana_db_t *db);

/* Array of key strings, in rowid order. */
nana_future_t *nana_keys(nana_db_t *db);

/* Array of values (read-only, shared with the cache), in rowid order. */
nana_future_t *nana_values(nana_db_t *db);

/* Array of [key, value] pairs, in rowid order; values read-only, shared. */
nana_future_t *nana_items(nana_db_t *db);

/* Removes key and resolves to its value; a copy of dflt if missing;
 * NANA_ENOTFOUND if missing and dflt is NULL. */
nana_future_t *nana_pop(nana_db_t *db, const char *key, json_t *dflt);

/* Stores every member of object (key -> value) in one transaction.  Not an
 * object: NANA_ETYPE.  No value. */
nana_future_t *nana_update(nana_db_t *db, json_t *object);

/* Removes every key of the table.  No value. */
nana_future_t *nana_clear(nana_db_t *db);

/* The value of key if stored; else stores dflt (NULL: JSON null) and
 * resolves to it. */
nana_future_t *nana_setdefault(nana_db_t *db, const char *key, json_t *dflt);

/* Reads every row into the cache (replacing what it held).  Integer: the
 * number of rows loaded. */
nana_future_t *nana_load_all(nana_db_t *db);

/* key: re-reads that key from SQLite into the cache.  key NULL: empties the
 * table's cache.  No value. */
nana_future_t *nana_refresh(nana_db_t *db, const char *key);

/* Boolean: is key cached (as present or as absent)? */
nana_future_t *nana_is_cached(nana_db_t *db, const char *key);

/* As nana_update(): every member of object in one transaction. */
nana_future_t *nana_batch_update(nana_db_t *db, json_t *object);

/* Removes each of the n keys in one transaction, skipping keys that do not
 * exist.  keys NULL with n > 0, or a NULL key: NANA_EINVAL.  No value. */
nana_future_t *nana_batch_delete(nana_db_t *db, const char *const *keys,
                                 size_t n);

/* Object of every key -> value; the values are read-only, shared. */
nana_future_t *nana_to_dict(nana_db_t *db);

/* Object of every key -> value, deep-copied: the caller may change it. */
nana_future_t *nana_copy(nana_db_t *db);

/* As nana_get(), but reads SQLite and refreshes the cache with the answer. */
nana_future_t *nana_get_fresh(nana_db_t *db, const char *key, json_t *dflt);

/* ------------------------------------------------- read-modify-write */

/*
 * Atomic read-modify-write of one key: each call is one job that reads the
 * stored value and writes the new one with no other operation of the root
 * in between, so that concurrent calls never lose an update, and the cache
 * learns the new value from the write.  Like nana_set(), the write replaces
 * the row (the key moves to the end of rowid order) and resolves after the
 * commit.  A failure writes nothing.  Added after 0.1.0: version node
 * NANA_0.2.
 */

/* Adds delta to the number stored under key (field NULL), or to the number
 * in the top-level member field of the object stored under key.  A missing
 * key counts as 0 (with field: as {}), a missing member as 0.  Resolves to
 * the new number: an integer when the stored number and delta are both
 * integers, else a real.  Not a number (or not an object, with field):
 * NANA_ETYPE; an integer sum beyond 64 bits, or a real one not finite:
 * NANA_ERANGE. */
nana_future_t *nana_increment(nana_db_t *db, const char *key, const char *field,
                              int64_t delta);
/* As nana_increment(), delta a real (not finite: NANA_EINVAL); the new
 * number is a real. */
nana_future_t *nana_increment_real(nana_db_t *db, const char *key, const char *field,
                                   double delta);

/* Shallow merge: every member of changes (a JSON object, borrowed) replaces
 * the member of that name of the object stored under key, in its place, or
 * is added after the others; JSON null is stored as a value.  A missing key
 * is stored as a copy of changes when create is true, else NANA_ENOTFOUND.
 * changes not an object, or the stored value not one: NANA_ETYPE.  Resolves
 * to the new object (read-only, shared with the cache). */
nana_future_t *nana_patch(nana_db_t *db, const char *key, json_t *changes, bool create);

/* Stores value under key only if the stored value equals expected (as
 * json_equal() says: 1 and 1.0 differ; member order does not matter);
 * expected NULL: only if key is not stored; value NULL: deletes key
 * instead.  Both borrowed.  Boolean: true when it matched (and wrote). */
nana_future_t *nana_compare_and_set(nana_db_t *db, const char *key, json_t *expected,
                                    json_t *value);

/* ---------------------------------------------- reads in bulk and in order */

/*
 * Added after 0.1.0: version node NANA_0.2.  Key order is the order of the
 * keys' UTF-8 bytes (SQLite's BINARY collation), which is code point order.
 * Scans and cursors read values as nana_items() does: a value the cache
 * holds is shared, the others are decoded from SQLite and not cached; a
 * row whose value is not JSON fails the call with NANA_ETYPE naming its
 * key.  Bounds and prefixes are plain strings: no character is special.
 */

/* Object of the keys found among keys[0..n) -> value (read-only, shared),
 * in the order of keys; keys missing are left out; one state of the table
 * (a write is in it for every key or for none).  Answered at once when the
 * cache knows every key; else one job reads them all, the cache filled as
 * nana_get() fills it.  keys NULL with n > 0, or a NULL key: NANA_EINVAL;
 * a stored value not JSON: NANA_ETYPE naming the key. */
nana_future_t *nana_batch_get(nana_db_t *db, const char *const *keys, size_t n);

/* Array of at most limit [key, value] pairs in key order: the keys that
 * begin with prefix ("": every key), or those from start (inclusive; NULL:
 * the first) to end (exclusive; NULL: no end).  limit >= 0 (else
 * NANA_EINVAL); INT64_MAX: no limit. */
nana_future_t *nana_scan_prefix(nana_db_t *db, const char *prefix, int64_t limit);
nana_future_t *nana_scan_range(nana_db_t *db, const char *start, const char *end,
                               int64_t limit);

/*
 * A cursor streams the pairs of a key range or prefix a page at a time,
 * for tables larger than memory: each nana_cursor_next() reads the next
 * page_size pairs (at most) after the last key returned, as one job at its
 * place in the queue, so it sees the writes submitted before it.  Opaque;
 * db must stay open until nana_cursor_close().  nana_cursor_open(): NANA_OK,
 * NANA_EINVAL (db or out NULL, page_size 0, a bound not UTF-8), NANA_ECLOSED,
 * NANA_ENOMEM; *out is NULL on failure.
 */
typedef struct nana_cursor nana_cursor_t;

nana_status_t nana_cursor_open(nana_db_t *db, const char *start, const char *end,
                               size_t page_size, nana_cursor_t **out);
nana_status_t nana_cursor_open_prefix(nana_db_t *db, const char *prefix, size_t page_size,
                                      nana_cursor_t **out);
/* The next page: an array of [key, value] pairs, empty once the range is
 * exhausted (and from then on, without reading).  A row whose value is not
 * JSON fails its own page with NANA_ETYPE, and the cursor moves past it.
 * Calls may overlap: pages are read in call order.  cur NULL: NANA_EINVAL. */
nana_future_t *nana_cursor_next(nana_cursor_t *cur);
/* Frees the cursor; pages still pending resolve as usual.  NULL: nothing. */
void nana_cursor_close(nana_cursor_t *cur);

/* ------------------------------------------------------------ backpressure */

/*
 * Bounds the jobs waiting in db's root's queue to max_queued (0, the
 * default: no bound).  A submission that finds the queue full waits for
 * room up to wait_ms milliseconds (< 0: as long as it takes; 0: not at
 * all), then resolves at once NANA_EAGAIN, queuing nothing.  A callback or
 * pool thread never waits.  Jobs of a transaction are never held back (the
 * queue may be full of jobs waiting for it).  Any thread, any time; applies
 * to later submissions.  NANA_OK; NANA_EINVAL for db NULL; NANA_ECLOSED.
 */
nana_status_t nana_set_queue_limit(nana_db_t *db, size_t max_queued, int64_t wait_ms);

/* ------------------------------------------------------ reader connections */

/*
 * Gives db's root up to n read-only connections (0..16; 0, the default:
 * none) beside the writer.  A get or contains the cache cannot answer, and
 * that has no write of its key (nor a whole-table job or SQL write of the
 * root) queued before it, then reads the file on one of them: it no longer
 * waits behind writes -- not even a write blocked on another process's
 * lock -- and such reads run in parallel with each other and with the
 * writer.  Read-your-writes and submission order hold as without them.
 * Connections open on first use, read-only, and close when the root
 * closes or n is lowered.  Any thread, any time; applies to later
 * submissions.  NANA_OK; NANA_EINVAL for db NULL or n out of range (the
 * message in nana_db_errmsg(db)); NANA_ECLOSED.
 */
nana_status_t nana_set_read_connections(nana_db_t *db, int n);

/* ------------------------------------------------------------------ stats */

/*
 * A snapshot of what a root's engine and one table's cache have done, each
 * field read on its own (relaxed): the fields may be a few operations apart
 * from each other while the root is busy.  Counters count from the open.
 */
typedef struct nana_stats {
    /* The root (the same through every handle of it): */
    uint64_t queued;           /* jobs waiting now, in the root's queue and its
                                  transactions' */
    uint64_t in_flight;        /* jobs taken to run and not yet resolved */
    uint64_t submitted;        /* jobs accepted */
    uint64_t batches_committed; /* group commits (one COMMIT each) */
    uint64_t jobs_committed;   /* jobs in those batches */
    double mean_jobs_per_commit; /* jobs_committed / batches_committed, or 0 */
    uint64_t batches_failed;   /* batches whose transaction failed or was refused */
    uint64_t txns_committed;   /* transactions (nana_txn_begin) committed */
    uint64_t txns_rolled_back; /* ... and rolled back, by request or not */
    uint64_t cancelled;        /* jobs that nana_future_cancel() stopped */
    uint64_t checkpoints;      /* WAL checkpoints run (see nana_pragma(3)) */
    uint64_t busy_retries;     /* waits of the busy handler for another
                                  connection's lock */
    uint64_t readers_busy;     /* reader connections running reads now
                                  (nana_set_read_connections) */
    uint64_t reads_on_readers; /* reads that ran on a reader connection */
    uint64_t reads_moved;      /* reads routed to a reader connection that
                                  moved to the writer's queue, ahead of a
                                  job that could change what they read */
    /* The table of the handle passed: */
    uint64_t cache_entries;    /* keys the cache holds an entry for */
    uint64_t cache_hits;       /* reads answered from the cache at once */
    uint64_t cache_misses;     /* reads that had to be queued */
    uint64_t cache_evictions;  /* entries a bound (entries, bytes) pushed out */
    uint64_t cache_expired;    /* entries dropped when their lifetime ran out */
    uint64_t cache_bytes;      /* the cost of the cached keys and values, as
                                  cache_max_bytes counts it; 0 when the table
                                  has no bound */
} nana_stats_t;

/* Fills *out for db (a root or sub-table handle).  Never blocks on the
 * pool; any thread.  NANA_EINVAL when db or out is NULL; NANA_ECLOSED when
 * the root is closed (*out then holds the counts at close). */
nana_status_t nana_stats(nana_db_t *db, nana_stats_t *out);

/* ------------------------------------------------------------ transactions */

/*
 * A transaction groups dict and SQL operations on a root and its
 * sub-tables into one SQLite transaction.  nana_txn_begin() queues BEGIN in
 * order with the root's jobs; from when it runs until COMMIT or ROLLBACK the
 * transaction owns the writer: only operations on its views (nana_txn_db())
 * run, in the order they are submitted, and every other operation that
 * needs the connection waits behind it (reads the cache answers still are
 * answered).  Inside, reads see the transaction's writes; outside, nothing
 * does -- the cache included -- until COMMIT.  nana_txn(3) has the rules.
 */
typedef struct nana_txn nana_txn_t;

typedef enum nana_txn_mode {
    NANA_TXN_IMMEDIATE = 0, /* BEGIN IMMEDIATE: the write lock at BEGIN (default) */
    NANA_TXN_DEFERRED = 1,  /* BEGIN DEFERRED: locks when first needed */
    NANA_TXN_EXCLUSIVE = 2, /* BEGIN EXCLUSIVE */
} nana_txn_mode_t;

typedef struct nana_txn_options {
    nana_txn_mode_t mode;
    /* The longest the transaction may own the writer, from when BEGIN ran;
     * past it, it is rolled back, and its operations (COMMIT included)
     * fail NANA_EROLLEDBACK.  0: no deadline. */
    int64_t deadline_ms;
} nana_txn_options_t;

/* Sets *opts to the defaults: IMMEDIATE, no deadline. */
void nana_txn_options_init(nana_txn_options_t *opts);
/* Begins a transaction on db's root (db: the root or a sub-table; opts
 * NULL: the defaults) and returns BEGIN's future; *txn is the new handle at
 * once (its operations queue behind BEGIN, and fail with BEGIN's status if
 * it fails).  Bad arguments, a closed root, a view: a failed future and
 * *txn NULL. */
nana_future_t *nana_txn_begin(nana_db_t *db, const nana_txn_options_t *opts, nana_txn_t **txn);
/* The view of table (a handle of txn's root) inside txn: every nana_*
 * operation on it runs in the transaction.  Borrowed: owned by txn, valid
 * until nana_txn_free(); the same view for the same table.  NULL (with
 * nana_errmsg(table)) when table is of another root or a view of another
 * transaction, or out of memory. */
nana_db_t *nana_txn_db(nana_txn_t *txn, nana_db_t *table);
/* Savepoints nest inside: nana_txn_savepoint() opens one; nana_txn_release()
 * keeps the changes since the innermost one and closes it;
 * nana_txn_rollback_to() undoes them and closes it. */
nana_future_t *nana_txn_savepoint(nana_txn_t *txn);
nana_future_t *nana_txn_release(nana_txn_t *txn);
nana_future_t *nana_txn_rollback_to(nana_txn_t *txn);
/* Ends the transaction.  After either is queued, further operations in it
 * fail NANA_ECLOSED at once. */
nana_future_t *nana_txn_commit(nana_txn_t *txn);
nana_future_t *nana_txn_rollback(nana_txn_t *txn);
/* Frees the handle and its views, rolling the transaction back unless
 * COMMIT or ROLLBACK was queued.  Never blocks.  NULL: nothing. */
void nana_txn_free(nana_txn_t *txn);


/* ------------------------------------------------------------- write hooks */

/*
 * Write hooks: a table's own validation and notification, run by the
 * library on every dict write of that table -- nana_set, nana_update,
 * nana_batch_update, nana_setdefault (when it stores), nana_delete,
 * nana_pop, nana_batch_delete, nana_clear, nana_increment(_real),
 * nana_patch, nana_compare_and_set (when it writes), models, and all of
 * these inside transactions -- but not on SQL-surface writes (nana_execute
 * and the SQL helpers, nana_import_from_dict_list included).  One set per
 * table of a root, shared by every handle of it, as its cache is.
 * before_write and before_delete run inside the write's transaction, on the
 * thread holding the root's executor role, before the write takes effect:
 * a failure status refuses that call alone (nothing written or cached), with
 * the hook's message.  after_commit runs after the COMMIT that made writes
 * of the table durable, never for writes rolled back.  Hooks of one root
 * never run at the same time as each other.  A hook must not block or
 * await (awaiting returns NANA_EDEADLK); it may submit operations.
 * nana_set_hooks(3) has the rules.  Added after 0.1.0: version node
 * NANA_0.2.
 */
typedef struct nana_hooks {
    /* Before value (read-only, borrowed) is stored under key.  NANA_OK lets
     * it be stored, or, with *replacement set to a new reference (taken by
     * the library, which stores and caches a copy), that value instead.  A
     * failure status refuses the write; msg (msg_size bytes, "" on entry)
     * may receive its message.  NULL: every write is let through. */
    nana_status_t (*before_write)(void *arg, const char *key, json_t *value,
                                  json_t **replacement, char *msg, size_t msg_size);
    /* Before key, which is stored, is deleted; as before_write. */
    nana_status_t (*before_delete)(void *arg, const char *key, char *msg, size_t msg_size);
    /* After a COMMIT: the n keys of the table its writes changed, each once,
     * in the order first written; deleted[i]: keys[i] was deleted by the
     * last of them.  Both arrays borrowed for the call.  n > 0. */
    void (*after_commit)(void *arg, const char *const *keys, const bool *deleted, size_t n);
    /* Once these hooks are no longer installed and no write uses them
     * (replaced, removed, or the root closed): arg may be freed.  NULL:
     * nothing to do. */
    void (*release)(void *arg);
    void *arg;
} nana_hooks_t;

/* Installs a copy of *hooks on db's table (any handle of it; NULL, or no
 * hook set, removes them), replacing what was installed.  A write uses the
 * hooks installed when it runs.  NANA_OK; NANA_EINVAL (db NULL);
 * NANA_ECLOSED; NANA_ENOMEM.  On failure nothing changed and release is
 * never called for arg. */
nana_status_t nana_set_hooks(nana_db_t *db, const nana_hooks_t *hooks);

/* -------------------------------------------------------------- SQL surface */

/*
 * Direct SQL and helpers, on the same pool, connection and queue as the dict
 * API: they take effect in submission order with it.  Every function returns
 * a future (never NULL); a NULL db, or a NULL required argument, resolves
 * NANA_EINVAL.
 *
 * Parameters (params): NULL (none), a JSON array bound to positional
 * parameters (?, ?NNN) in order, or a JSON object bound to named parameters
 * (:name, @name, $name; a member may be written with or without the
 * prefix).  The count must match the statement's.  Values: integer, real,
 * string, null, true/false (bound as 1/0), and BLOBs written as
 * {"$blob": "<base64>"}.  Any other value: NANA_ETYPE.
 *
 * Result values: INTEGER -> integer, REAL -> real, TEXT -> string,
 * NULL -> null, BLOB -> {"$blob": "<base64>"}.  Rows are JSON arrays in
 * column order (nana_fetch_*, nana_execute) or objects column -> value
 * (nana_query).  Results are new values owned by the future.
 *
 * Exactly one statement per call: text after the first statement (other
 * than a ';', whitespace or comments) is NANA_EINVAL and nothing runs.
 * Transaction control (BEGIN, COMMIT, SAVEPOINT, ...) is the library's:
 * NANA_EINVAL.  A write through any of these to a table a dict handle
 * caches empties that table's cache when it commits.
 */

/* Runs one statement inside a write transaction.  Object:
 * {"columns": [names], "rows": [[...], ...], "changes": n,
 *  "last_insert_rowid": n} (changes and rowid read while the statement still
 * held the connection). */
nana_future_t *nana_execute(nana_db_t *db, const char *sql, json_t *params);

/* Runs one statement once per element of param_sets (an array of parameter
 * arrays or objects), all in one transaction: if any run fails, none of them
 * took effect.  Integer: the total number of changed rows. */
nana_future_t *nana_execute_many(nana_db_t *db, const char *sql, json_t *param_sets);

/* A read-only statement (a statement that writes: NANA_EINVAL).  fetch_one:
 * the first row as an array, or JSON null when there is none.  fetch_all:
 * an array of every row. */
nana_future_t *nana_fetch_one(nana_db_t *db, const char *sql, json_t *params);
nana_future_t *nana_fetch_all(nana_db_t *db, const char *sql, json_t *params);

/*
 * Row sets: nana_fetch_rows() runs a read-only statement as nana_fetch_all()
 * does (same parameters, same refusals, same errors) and resolves to a row
 * set instead of JSON: every row copied once into one block the future owns,
 * with no allocation per row or value, and read in place.
 * nana_future_rows() returns it: borrowed, read-only, valid until
 * nana_future_free() (NULL while pending, on failure, for a future of
 * another kind, or f NULL); the future has no JSON value.  Any number of
 * threads may read a row set at once.
 *
 * Rows and columns count from 0.  A cell outside the set (row or column out
 * of range, rows NULL) reads as a NULL cell.  Getters of the wrong type
 * return 0, 0.0 or NULL (length 0): nana_rows_int() reads INTEGER cells,
 * nana_rows_double() REAL cells and INTEGER ones converted, nana_rows_text()
 * TEXT cells, nana_rows_blob() BLOB cells.  Text and BLOB pointers are
 * borrowed like the set, point to the value's bytes -- which may hold NUL
 * bytes, *len (when len is not NULL) says how many -- followed by a NUL byte
 * not counted in *len; an empty BLOB is a non-NULL pointer with *len 0.
 * TEXT comes back as SQLite holds it, valid UTF-8 or not.  The getters
 * never fail.  Added after 0.1.0: version node NANA_0.2.
 */
typedef struct nana_rows nana_rows_t;

typedef enum nana_cell_type {
    NANA_CELL_NULL,    /* SQL NULL, and any cell outside the set */
    NANA_CELL_INTEGER, /* nana_rows_int() */
    NANA_CELL_REAL,    /* nana_rows_double() */
    NANA_CELL_TEXT,    /* nana_rows_text() */
    NANA_CELL_BLOB     /* nana_rows_blob() */
} nana_cell_type_t;

nana_future_t *nana_fetch_rows(nana_db_t *db, const char *sql, json_t *params);
const nana_rows_t *nana_future_rows(const nana_future_t *f);

/* Rows / columns of the set (0 for rows NULL); a column's name (NULL out of
 * range), borrowed like the set. */
size_t nana_rows_count(const nana_rows_t *rows);
size_t nana_rows_columns(const nana_rows_t *rows);
const char *nana_rows_column_name(const nana_rows_t *rows, size_t col);

nana_cell_type_t nana_rows_type(const nana_rows_t *rows, size_t row, size_t col);
int64_t nana_rows_int(const nana_rows_t *rows, size_t row, size_t col);
double nana_rows_double(const nana_rows_t *rows, size_t row, size_t col);
const char *nana_rows_text(const nana_rows_t *rows, size_t row, size_t col, size_t *len);
const void *nana_rows_blob(const nana_rows_t *rows, size_t row, size_t col, size_t *len);

/* New references, as nana_fetch_all() would have given them: one row as an
 * array (NULL out of range), or every row as an array of arrays.  NULL also
 * for rows NULL and when out of memory. */
json_t *nana_rows_row_json(const nana_rows_t *rows, size_t row);
json_t *nana_rows_json(const nana_rows_t *rows);

/*
 * Helpers build their SQL from validated pieces:
 *  - identifiers (tables, columns, indexes): [A-Za-z_][A-Za-z0-9_]*, at most
 *    128 bytes, not starting with sqlite_ (any case); always double-quoted
 *    in the SQL built; compared without regard to ASCII case, as SQLite
 *    does.  A name taken from a JSON string holding a NUL byte is refused.
 *  - column types: a type name (up to three words of letters), optional
 *    (n) or (n,m), then constraints from a fixed list: NOT NULL, NULL,
 *    UNIQUE, PRIMARY KEY [ASC|DESC] [AUTOINCREMENT], COLLATE BINARY|NOCASE|
 *    RTRIM, DEFAULT <number | 'string' | NULL | TRUE | FALSE |
 *    CURRENT_TIME | CURRENT_DATE | CURRENT_TIMESTAMP>.  At most 256 bytes.
 *  - order_by: column [ASC|DESC] (, column [ASC|DESC])*.
 *  - query columns, group_by, having: the expression grammar of
 *    nana_query(3), re-spelled with every name quoted.
 *  - where: one expression over the table's columns, values bound through
 *    params: no ';', no comments, balanced parentheses, no subqueries or
 *    statement keywords (SELECT, UNION, ATTACH, PRAGMA, ...), at most 4096
 *    bytes.  While a helper's statement is prepared, SQLite's authorizer
 *    refuses ATTACH, DETACH, PRAGMA, schema changes other than the helper's
 *    own, and reading any table but the one named.
 * Anything else: NANA_EINVAL, and nothing runs.
 */

/* columns: object of name -> type, in declared order (jansson keeps
 * insertion order).  primary_key: NULL, or a column made the table's
 * PRIMARY KEY.  No value. */
nana_future_t *nana_create_table(nana_db_t *db, const char *table, json_t *columns,
                                 const char *primary_key, bool if_not_exists);

/* columns: array of column names.  No value. */
nana_future_t *nana_create_index(nana_db_t *db, const char *index, const char *table,
                                 json_t *columns, bool unique, bool if_not_exists);

/* SELECT columns (NULL: every column) FROM table [WHERE where]
 * [ORDER BY order_by] [LIMIT limit] [OFFSET offset]; limit and offset >= 0
 * (else NANA_EINVAL); INT64_MAX: no limit.  Array of row objects.
 * columns: an array of strings, each a column name, an expression AS
 * alias (arithmetic, ||, literals, and calls of a fixed list of functions:
 * COUNT, SUM, TOTAL, AVG, MIN, MAX, GROUP_CONCAT, ABS, ROUND, ...), or one
 * function call alone, whose row member is named by its text: "COUNT(*)",
 * "SUM(price * qty) AS total", "name AS username".  Subqueries, statement
 * keywords, parameters, comments and other functions: NANA_EINVAL (the
 * grammar is in nana_query(3)).  Expressions: since 0.2. */
nana_future_t *nana_query(nana_db_t *db, const char *table, json_t *columns,
                          const char *where, json_t *params, const char *order_by,
                          int64_t limit, int64_t offset);

/* As nana_query() with limit >= 1 and offset >= 0 required (NANA_EINVAL
 * otherwise).  Object: {"rows": [...], "total": rows matching where,
 *  "limit": n, "offset": n}. */
nana_future_t *nana_query_with_pagination(nana_db_t *db, const char *table, json_t *columns,
                                          const char *where, json_t *params,
                                          const char *order_by, int64_t limit,
                                          int64_t offset);

/* As nana_query() and nana_query_with_pagination(), with
 * [GROUP BY group_by] [HAVING having] after the where clause.  group_by:
 * expressions separated by ',' (no aggregate, no parameter); having (needs
 * group_by): a condition over aggregates and grouped columns -- comparisons,
 * IS [NOT] NULL, [NOT] BETWEEN / IN (...) / LIKE, AND, OR, NOT -- whose
 * parameters are bound from params after those of where.  NULL: none.
 * The paginated form's "total" counts the groups.  Added after 0.1.0:
 * version node NANA_0.2. */
nana_future_t *nana_query_grouped(nana_db_t *db, const char *table, json_t *columns,
                                  const char *where, json_t *params, const char *group_by,
                                  const char *having, const char *order_by, int64_t limit,
                                  int64_t offset);
nana_future_t *nana_query_grouped_with_pagination(nana_db_t *db, const char *table,
                                                  json_t *columns, const char *where,
                                                  json_t *params, const char *group_by,
                                                  const char *having, const char *order_by,
                                                  int64_t limit, int64_t offset);

/* Boolean: does the table (or view) exist? */
nana_future_t *nana_table_exists(nana_db_t *db, const char *table);

/* Array of the names of every table, sorted (SQLite's internal tables
 * excluded). */
nana_future_t *nana_list_tables(nana_db_t *db);

/* No value. */
nana_future_t *nana_drop_table(nana_db_t *db, const char *table, bool if_exists);
nana_future_t *nana_drop_index(nana_db_t *db, const char *index, bool if_exists);

/* row: object of column -> value.  Integer: the new row's rowid. */
nana_future_t *nana_sql_insert(nana_db_t *db, const char *table, json_t *row);

/* set: object of column -> new value; where and params as for nana_query
 * (where NULL: every row).  Integer: the number of rows changed. */
nana_future_t *nana_sql_update(nana_db_t *db, const char *table, json_t *set,
                               const char *where, json_t *params);

/* Integer: the number of rows deleted (where NULL: every row). */
nana_future_t *nana_sql_delete(nana_db_t *db, const char *table, const char *where,
                               json_t *params);

/* Rebuilds the database file.  No value. */
nana_future_t *nana_vacuum(nana_db_t *db);

/* Integer: the number of rows of table matching where (NULL: all). */
nana_future_t *nana_count(nana_db_t *db, const char *table, const char *where,
                          json_t *params);

/* Boolean: does a row of table match where? */
nana_future_t *nana_exists(nana_db_t *db, const char *table, const char *where,
                           json_t *params);

/* INSERT row; when conflict_columns (an array of column names with a
 * UNIQUE or PRIMARY KEY constraint) is given, a row that conflicts on them
 * is updated with the other columns of row instead (ON CONFLICT DO UPDATE);
 * when it is NULL, INSERT OR REPLACE.  Integer: the rowid written, or 0
 * when the conflict left the row as it was (ON CONFLICT DO NOTHING, when
 * row has no column but the conflict columns). */
nana_future_t *nana_upsert(nana_db_t *db, const char *table, json_t *row,
                           json_t *conflict_columns);

/* ALTER TABLE table ADD COLUMN column type (type as for create_table).
 * No value. */
nana_future_t *nana_alter_table_add_column(nana_db_t *db, const char *table,
                                           const char *column, const char *type);

/* Array of {"cid", "name", "type", "notnull", "default_value", "pk"}
 * objects, one per column (notnull and pk are booleans); NANA_ENOTFOUND
 * when the table does not exist. */
nana_future_t *nana_get_table_schema(nana_db_t *db, const char *table);

/* Array of {"name", "table", "unique", "sql"} objects for the indexes of
 * table (NULL: of every table); SQLite's automatic indexes
 * (sqlite_autoindex_*) left out. */
nana_future_t *nana_list_indexes(nana_db_t *db, const char *table);

/*
 * PRAGMA name (value NULL) or PRAGMA name = value.  Reading is allowed for
 * the read-only PRAGMAs of a fixed list (table_info, index_list,
 * journal_mode, page_count, page_size, freelist_count, user_version,
 * application_id, foreign_keys, integrity_check, quick_check, ...); writing
 * only for user_version, application_id, foreign_keys, cache_size,
 * busy_timeout, synchronous, temp_store, optimize, wal_checkpoint.
 * Argument-taking read PRAGMAs (table_info, index_list, index_info) take an
 * identifier as value.  Array of result rows (arrays).  Anything else:
 * NANA_EINVAL.
 */
nana_future_t *nana_pragma(nana_db_t *db, const char *name, json_t *value);

/*
 * NanaSQLite's utilities.  Added after 0.1.0: version node NANA_0.2.
 * nana_get_last_insert_rowid() and nana_changes() read the root's
 * connection at their place in the queue: the last row inserted, and the
 * rows changed by the last INSERT, UPDATE or DELETE run on it by any handle
 * of the root, the dict's own writes included (see nana_execute() for a
 * statement's own counts).  Integers.
 */
nana_future_t *nana_get_last_insert_rowid(nana_db_t *db);
nana_future_t *nana_changes(nana_db_t *db);

/* Integer: the size in bytes of the database file (0 for an in-memory or
 * temporary database).  Committed pages still in the -wal file count once
 * a checkpoint has copied them. */
nana_future_t *nana_get_db_size(nana_db_t *db);

/* Array of every row of table (an identifier) as an object column -> value,
 * in the table's order.  The whole table in memory: a dict table larger
 * than memory is read with a cursor (nana_cursor_open()). */
nana_future_t *nana_export_table_to_dict(nana_db_t *db, const char *table);

/* Inserts every object of rows (an array, borrowed) into table, all in one
 * transaction: if any insert fails, none took effect.  The columns are the
 * member names of the first object; a later object lacking one inserts
 * NULL there, one with another member is NANA_EINVAL.  Integer: the number
 * of rows inserted (0 for an empty array). */
nana_future_t *nana_import_from_dict_list(nana_db_t *db, const char *table, json_t *rows);

/* ------------------------------------------------------ backup and restore */

/*
 * Online backup and restore of the whole file of db's root, through
 * SQLite's backup API, from and into the root's own connection.  Added
 * after 0.1.0: version node NANA_0.2.  See nana_backup(3).
 */

/* Called after each step of a backup, with the pages still to copy and the
 * file's pages in all (remaining 0 after the last step); nonzero cancels
 * the backup.  It runs on the thread running the root's queue, which holds
 * the connection: keep it short; awaiting a future or closing a root there
 * returns NANA_EDEADLK. */
typedef int (*nana_backup_progress_fn)(int64_t remaining, int64_t total, void *arg);

/* Its layout is part of the ABI: it does not grow (README). */
typedef struct nana_backup_options {
    int pages_per_step;               /* default 64; -1: every page in one
                                         step; 0 or below -1: NANA_EINVAL */
    nana_backup_progress_fn progress; /* default NULL: none */
    void *progress_arg;               /* passed to progress */
} nana_backup_options_t;

/* Sets every field of *opts to its default.  opts NULL: does nothing. */
void nana_backup_options_init(nana_backup_options_t *opts);

/* Copies the database into dest_path (borrowed), one job per step of
 * opts->pages_per_step pages so that other operations run between steps
 * (what they commit reaches the copy: it is the database as of the last
 * step); the copy is written to a temporary file in dest_path's directory, checked
 * (PRAGMA integrity_check), synced, and renamed over dest_path.  A copy in
 * rollback-journal mode (journal_mode DELETE), one self-contained file.
 * opts NULL: defaults.  Integer: the size of the copy in bytes.  A
 * cancelled backup resolves NANA_ECANCELED; a cancelled or failed one
 * leaves no file behind. */
nana_future_t *nana_backup(nana_db_t *db, const char *dest_path,
                           const nana_backup_options_t *opts);

/* Replaces the whole database with the SQLite file src_path (borrowed),
 * after checking it (PRAGMA integrity_check), as one job that runs alone;
 * tables the root has handles on and src_path lacks are then created,
 * empty, and every cache of the root forgets what it held.  A file that is not
 * SQLite, is empty, is the database itself or has another page size than a
 * WAL database: NANA_EINVAL; a damaged one: NANA_ESQL; a transaction of the
 * root open: NANA_EBUSY; nothing is changed.  No value. */
nana_future_t *nana_restore(nana_db_t *db, const char *src_path);

/* ------------------------------------------------------------------ models */

/*
 * Models: C structs stored as JSON objects, described once by a field table
 * (the C counterpart of NanaSQLite's Pydantic models), so no encoder is
 * written by hand.
 *
 *     struct user { int64_t id; char *name; double score; bool admin; };
 *     static const nana_field_t user_fields[] = {
 *         NANA_FIELD(struct user, id, NANA_FIELD_INT64, true),
 *         NANA_FIELD(struct user, name, NANA_FIELD_STRING, true),
 *         NANA_FIELD(struct user, score, NANA_FIELD_DOUBLE, false),
 *         NANA_FIELD(struct user, admin, NANA_FIELD_BOOL, false),
 *     };
 *     static const nana_model_t user_model = NANA_MODEL(struct user, user_fields);
 */
typedef enum nana_field_type {
    NANA_FIELD_INT64,  /* int64_t; JSON integer */
    NANA_FIELD_INT,    /* int; JSON integer within INT_MIN..INT_MAX */
    NANA_FIELD_DOUBLE, /* double; JSON real or integer */
    NANA_FIELD_BOOL,   /* bool; JSON true/false */
    NANA_FIELD_STRING, /* char *, owned (malloc'd copy); NULL <-> JSON null */
    NANA_FIELD_STRUCT  /* a nested struct member described by .model */
} nana_field_type_t;

typedef struct nana_model nana_model_t;

typedef struct nana_field {
    const char *name;          /* the JSON member name */
    nana_field_type_t type;
    size_t offset;             /* offsetof(struct, member) */
    bool required;             /* decoding: a missing (or null) member is NANA_ETYPE */
    const nana_model_t *model; /* NANA_FIELD_STRUCT only */
} nana_field_t;

struct nana_model {
    const char *name;          /* for messages */
    size_t size;               /* sizeof(struct) */
    const nana_field_t *fields;
    size_t n_fields;
};

#define NANA_FIELD(stype, member, ftype, req)                                  \
    { #member, ftype, offsetof(stype, member), req, NULL }
#define NANA_FIELD_NESTED(stype, member, submodel, req)                        \
    { #member, NANA_FIELD_STRUCT, offsetof(stype, member), req, submodel }
#define NANA_MODEL(stype, fields_array)                                        \
    { #stype, sizeof(stype), fields_array,                                     \
      sizeof(fields_array) / sizeof((fields_array)[0]) }

/* Encodes *obj (read before the call returns) as a JSON object and stores it
 * under key, as nana_set().  A bad model (NULL, a nested field without a
 * model, nesting deeper than 16): NANA_EINVAL. */
nana_future_t *nana_set_model(nana_db_t *db, const char *key, const nana_model_t *model,
                              const void *obj);

/* Reads key (as nana_get()) and decodes it into *out, which must stay valid
 * until the future resolves.  On NANA_OK every field present in the stored
 * object was written (strings as new malloc'd copies, owned by *out: free
 * them with nana_model_free()); fields absent and not required keep what
 * *out held.  A missing required field or a value of the wrong type is
 * NANA_ETYPE with the field's path ("address.city") in the message, and *out
 * is untouched.  The future's value is the stored object (read-only). */
nana_future_t *nana_get_model(nana_db_t *db, const char *key, const nana_model_t *model,
                              void *out);

/* Frees what a decoded struct owns (its strings, also in nested structs) and
 * sets those pointers to NULL.  NULL model or obj: does nothing. */
void nana_model_free(const nana_model_t *model, void *obj);

#ifdef __cplusplus
}
#endif

#endif /* NANASQLITE_H */
