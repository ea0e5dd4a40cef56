/*
 * conn.h -- the statement seam: how job code reaches a database.  Private,
 * not installed.
 *
 * Job code (the dict's, the SQL surface's, tables, hooks, row sets)
 * prepares, binds, steps and reads columns through these functions only
 * (test/arch-job-code-reaches-sqlite-only-through-the-seam checks it), so
 * that the same code runs over a local SQLite file and over a replicated
 * dqlite database (issue 16): lib/dqstmt.c implements every op over a
 * dqlite connection (its header comment says how); nothing above this
 * seam knows which one it runs on.
 *
 * Representation.  A struct nana_conn *, struct nana_stmt * or struct
 * nana_value * of the local backend IS the sqlite3 *, sqlite3_stmt * or
 * sqlite3_value * (cast, nothing allocated, nothing wrapped): the engine,
 * the reader lane and handle.c hand out sqlite3 pointers today and the
 * tables keep their persistent statements (SQLITE_PREPARE_PERSISTENT) as
 * they are.  Any other backend's object is a struct whose first member is
 * its ops table (struct nana_remote), passed with the pointer's low bit
 * set -- SQLite's and malloc's objects are at least 8-aligned, so the bit
 * is always clear on a local pointer.  Every op below is a static inline
 * that tests that bit (a branch always predicted: one kind per root) and
 * calls sqlite3_* directly for the local kind: the local path costs what
 * it cost before the seam.
 *
 * Result codes are SQLite's on every backend (dqlite's FAILURE responses
 * carry SQLite's codes), so SQLITE_OK / _ROW / _DONE / _BUSY ... and
 * nana__status_from_sqlite() stay the common currency.
 *
 * What only the local backend can do stays out of this seam, behind
 * functions that say so (nana__conn_local_db(), backend.c) and in files
 * that are local-only by their nature, each listed in the arch test:
 *   - backup.c: the online backup API (sqlite3_backup_*), opening and
 *     closing the backup's own file, sqlite3_db_readonly;
 *   - authorize.c: sqlite3_set_authorizer (the SQL surface's guard; a
 *     dqlite backend must refuse the same statements by another means, or
 *     not offer the SQL surface's writes);
 *   - backend.c: opening connections, checkpoints (sqlite3_wal_checkpoint_v2),
 *     the busy handler, error hints from the file system;
 *   - dqstmt.c: the dqlite implementation, which splits statements with
 *     SQLite's tokenizer (sqlite3_complete);
 *   - and, for a later pass (another change is moving the reader lane
 *     now): engine.c (BEGIN / COMMIT statements, wal hook, checkpoint,
 *     progress handler, interrupt, the readers' connections) and handle.c
 *     (opening, sqlite3_db_config, extended result codes, pragmas, busy
 *     handler), which hand jobs a sqlite3 * that nana__exec_conn() turns
 *     into the seam's connection.
 */
#ifndef NANA_CONN_H
#define NANA_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

struct nana_conn;  /* a connection: local, the sqlite3 itself */
struct nana_stmt;  /* a prepared statement: local, the sqlite3_stmt itself */
struct nana_value; /* one cell of the current row: local, the sqlite3_value */

/* Who owns bound text or a blob. */
enum nana_bind_owner {
    NANA__BIND_BORROWED, /* the caller's, valid until the statement is reset */
    NANA__BIND_COPY,     /* copied at once */
    NANA__BIND_FREE,     /* malloc'd, given: freed with free() once done with
                            (at once when binding fails) */
};

/* A remote backend's ops: every op of the seam, with the same contract as
 * its local version below (each says what a dqlite implementation must do
 * for it).  c, s and v are the remote objects, their tag bit cleared. */
struct nana_remote;
struct nana_remote_ops {
    int (*prepare)(struct nana_remote *c, const char *sql, int len, bool persistent,
                   struct nana_stmt **out, const char **tail);
    int (*exec)(struct nana_remote *c, const char *sql);
    const char *(*errmsg)(struct nana_remote *c);
    int (*errcode)(struct nana_remote *c);
    int64_t (*changes)(struct nana_remote *c);
    int64_t (*total_changes)(struct nana_remote *c);
    int64_t (*last_insert_rowid)(struct nana_remote *c);
    bool (*in_transaction)(struct nana_remote *c);
    const char *(*filename)(struct nana_remote *c);
    int (*max_params)(struct nana_remote *c);

    int (*bind_int64)(struct nana_remote *s, int idx, int64_t v);
    int (*bind_double)(struct nana_remote *s, int idx, double v);
    int (*bind_text)(struct nana_remote *s, int idx, const char *p, size_t n,
                     enum nana_bind_owner own);
    int (*bind_blob)(struct nana_remote *s, int idx, const void *p, size_t n,
                     enum nana_bind_owner own);
    int (*bind_null)(struct nana_remote *s, int idx);
    int (*bind_count)(struct nana_remote *s);
    int (*bind_index)(struct nana_remote *s, const char *name);
    int (*clear_bindings)(struct nana_remote *s);
    int (*step)(struct nana_remote *s);
    int (*reset)(struct nana_remote *s);
    int (*finalize)(struct nana_remote *s);
    struct nana_conn *(*stmt_conn)(struct nana_remote *s);
    bool (*readonly)(struct nana_remote *s);
    int (*column_count)(struct nana_remote *s);
    const char *(*column_name)(struct nana_remote *s, int col);
    struct nana_value *(*column_value)(struct nana_remote *s, int col);

    int (*value_type)(struct nana_remote *v);
    int64_t (*value_int64)(struct nana_remote *v);
    double (*value_double)(struct nana_remote *v);
    const unsigned char *(*value_text)(struct nana_remote *v);
    const void *(*value_blob)(struct nana_remote *v);
    int (*value_bytes)(struct nana_remote *v);
};

/* The head of every remote object (connection, statement, value). */
struct nana_remote {
    const struct nana_remote_ops *ops;
};

#define NANA__REMOTE_TAG ((uintptr_t)1)

static inline bool nana__is_remote(const void *p)
{
    return __builtin_expect(((uintptr_t)p & NANA__REMOTE_TAG) != 0, 0);
}
static inline struct nana_remote *nana__remote(const void *p)
{
    return (struct nana_remote *)((uintptr_t)p & ~NANA__REMOTE_TAG);
}
/* A remote object as the seam's pointer (its first member is the ops). */
static inline void *nana__remote_tag(struct nana_remote *r)
{
    return (void *)((uintptr_t)r | NANA__REMOTE_TAG);
}

/* ----------------------------------------------------- the local kind */

/* The seam's view of a local connection, and back: the same pointer. */
static inline struct nana_conn *nana__conn_local(sqlite3 *db)
{
    return (struct nana_conn *)(void *)db;
}
/* The SQLite handle of a local connection, for what only the local
 * backend can do (the capability functions); NULL on any other kind. */
static inline sqlite3 *nana__conn_local_db(struct nana_conn *c)
{
    return nana__is_remote(c) ? NULL : (sqlite3 *)(void *)c;
}
static inline struct nana_stmt *nana__stmt_local(sqlite3_stmt *s)
{
    return (struct nana_stmt *)(void *)s;
}
#define LDB(c) ((sqlite3 *)(void *)(c))
#define LST(s) ((sqlite3_stmt *)(void *)(s))
#define LVAL(v) ((sqlite3_value *)(void *)(v))

/* ------------------------------------------------------- connections */

/* Compiles the first statement of sql (len bytes, < 0: to its NUL) into
 * *out (NULL for text with no statement), *tail (may be NULL) after it.
 * persistent: kept for the connection's life (SQLITE_PREPARE_PERSISTENT).
 * dqlite: PREPARE, keeping the statement id and its parameter count;
 * persistent statements are prepared once per connection and must be
 * prepared again after a reconnect (the implementation's business: the
 * caller keeps the pointer). */
static inline int nana__conn_prepare(struct nana_conn *c, const char *sql, int len,
                                     bool persistent, struct nana_stmt **out, const char **tail)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->prepare(nana__remote(c), sql, len, persistent, out, tail);
    return sqlite3_prepare_v3(LDB(c), sql, len, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                              (sqlite3_stmt **)(void *)out, tail);
}

/* Runs sql (statements without results: transaction control, savepoints,
 * DDL).  dqlite: EXEC_SQL. */
static inline int nana__conn_exec(struct nana_conn *c, const char *sql)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->exec(nana__remote(c), sql);
    return sqlite3_exec(LDB(c), sql, NULL, NULL, NULL);
}

/* The message of the connection's last failure.  dqlite: the FAILURE
 * response's message (kept until the next request). */
static inline const char *nana__conn_errmsg(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->errmsg(nana__remote(c));
    return sqlite3_errmsg(LDB(c));
}
/* Its code (SQLite's).  dqlite: the FAILURE response's code. */
static inline int nana__conn_errcode(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->errcode(nana__remote(c));
    return sqlite3_errcode(LDB(c));
}

/* Rows the last finished INSERT / UPDATE / DELETE changed.  dqlite: the
 * last EXEC's RESULT ("rows affected"). */
static inline int64_t nana__conn_changes(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->changes(nana__remote(c));
    return sqlite3_changes64(LDB(c));
}
/* Rows changed since the connection opened, triggers' too.  dqlite: the
 * implementation sums its EXECs' rows affected (it sees no triggers':
 * sql.c uses only whether it moved, and asks readonly first). */
static inline int64_t nana__conn_total_changes(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->total_changes(nana__remote(c));
    return sqlite3_total_changes64(LDB(c));
}
/* dqlite: the last EXEC's RESULT ("last insert id"). */
static inline int64_t nana__conn_last_insert_rowid(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->last_insert_rowid(nana__remote(c));
    return sqlite3_last_insert_rowid(LDB(c));
}
/* Is a transaction open on the connection?  dqlite: the implementation
 * tracks its own BEGIN / COMMIT / ROLLBACK (and a failed COMMIT: none). */
static inline bool nana__conn_in_transaction(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->in_transaction(nana__remote(c));
    return !sqlite3_get_autocommit(LDB(c));
}
/* What messages call the database: the main file's path ("" or NULL in
 * memory).
 * dqlite: the database name given to OPEN. */
static inline const char *nana__conn_filename(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->filename(nana__remote(c));
    return sqlite3_db_filename(LDB(c), "main");
}
/* The most parameters one statement may have.  dqlite: the node's
 * SQLite's default (32766 since 3.32; 999 before). */
static inline int nana__conn_max_params(struct nana_conn *c)
{
    if (nana__is_remote(c))
        return nana__remote(c)->ops->max_params(nana__remote(c));
    return sqlite3_limit(LDB(c), SQLITE_LIMIT_VARIABLE_NUMBER, -1);
}

/* SQLite's text for a code: needs no connection, the same on every
 * backend. */
static inline const char *nana__errstr(int rc)
{
    return sqlite3_errstr(rc);
}

/* ----------------------------------------------------------- binding */

/* Parameters are numbered from 1 and bound until changed, cleared or the
 * statement finalized.  dqlite: each writes one entry of the statement's
 * array of struct nana_dq_value (text and blobs borrowed or owned as own
 * says), sent with the next EXEC or QUERY. */
static inline int nana__stmt_bind_int64(struct nana_stmt *s, int idx, int64_t v)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_int64(nana__remote(s), idx, v);
    return sqlite3_bind_int64(LST(s), idx, v);
}
static inline int nana__stmt_bind_double(struct nana_stmt *s, int idx, double v)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_double(nana__remote(s), idx, v);
    return sqlite3_bind_double(LST(s), idx, v);
}
static inline sqlite3_destructor_type nana__bind_dtor(enum nana_bind_owner own)
{
    return own == NANA__BIND_BORROWED ? SQLITE_STATIC
           : own == NANA__BIND_COPY   ? SQLITE_TRANSIENT
                                      : free;
}
/* UTF-8 text of n bytes (NULs kept). */
static inline int nana__stmt_bind_text(struct nana_stmt *s, int idx, const char *p, size_t n,
                                       enum nana_bind_owner own)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_text(nana__remote(s), idx, p, n, own);
    return sqlite3_bind_text64(LST(s), idx, p, n, nana__bind_dtor(own), SQLITE_UTF8);
}
/* A BLOB of n bytes (p may be NULL when n is 0: an empty BLOB). */
static inline int nana__stmt_bind_blob(struct nana_stmt *s, int idx, const void *p, size_t n,
                                       enum nana_bind_owner own)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_blob(nana__remote(s), idx, p, n, own);
    if (!p)
        return sqlite3_bind_zeroblob(LST(s), idx, 0);
    return sqlite3_bind_blob64(LST(s), idx, p, n, nana__bind_dtor(own));
}
static inline int nana__stmt_bind_null(struct nana_stmt *s, int idx)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_null(nana__remote(s), idx);
    return sqlite3_bind_null(LST(s), idx);
}
/* How many parameters the statement has.  dqlite: PREPARE's response
 * says. */
static inline int nana__stmt_bind_count(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_count(nana__remote(s));
    return sqlite3_bind_parameter_count(LST(s));
}
/* The index of a named parameter (":name", "$name", "@name"), 0 if none.
 * dqlite: the protocol knows no names; the implementation must parse them
 * from the SQL it prepared (SQLite numbers them in order of first use). */
static inline int nana__stmt_bind_index(struct nana_stmt *s, const char *name)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->bind_index(nana__remote(s), name);
    return sqlite3_bind_parameter_index(LST(s), name);
}
/* Every parameter back to NULL (what is owned, freed). */
static inline int nana__stmt_clear_bindings(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->clear_bindings(nana__remote(s));
    return sqlite3_clear_bindings(LST(s));
}

/* ------------------------------------------------------------ running */

/* SQLITE_ROW with a row to read, SQLITE_DONE, or a failure's code.
 * dqlite: the first step sends EXEC for a statement without result
 * columns (DONE; changes and last insert id from its RESULT) or QUERY
 * otherwise, keeping the ROWS response (every part, until DONE) and
 * answering ROW for each row of it; the row's cells stay valid until the
 * next step, reset or finalize, as SQLite's. */
static inline int nana__stmt_step(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->step(nana__remote(s));
    return sqlite3_step(LST(s));
}
/* Back to before the first step, bindings kept; SQLite's code of the last
 * step.  dqlite: drops the buffered rows. */
static inline int nana__stmt_reset(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->reset(nana__remote(s));
    return sqlite3_reset(LST(s));
}
/* Frees it (NULL: nothing).  dqlite: FINALIZE. */
static inline int nana__stmt_finalize(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->finalize(nana__remote(s));
    return sqlite3_finalize(LST(s));
}
/* The connection it was prepared on. */
static inline struct nana_conn *nana__stmt_conn(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->stmt_conn(nana__remote(s));
    return nana__conn_local(sqlite3_db_handle(LST(s)));
}
/* Does it leave the database as it was (the SQL surface's fetch refuses
 * writes by it)?  dqlite: PREPARE does not say; the implementation finds
 * out with EXPLAIN (no Transaction opcode with its write flag, no BEGIN /
 * COMMIT / ROLLBACK). */
static inline bool nana__stmt_readonly(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->readonly(nana__remote(s));
    return sqlite3_stmt_readonly(LST(s)) != 0;
}

/* ----------------------------------------------------------- results */

/* How many columns a row has (0: the statement returns no rows), known
 * before the first step.  dqlite: PREPARE does not say; the implementation
 * learns it when it prepares (EXPLAIN's widest ResultRow), and it is what
 * step uses to choose EXEC or QUERY. */
static inline int nana__stmt_column_count(struct nana_stmt *s)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->column_count(nana__remote(s));
    return sqlite3_column_count(LST(s));
}
/* dqlite: the names of the ROWS response (asked before the first step,
 * the QUERY runs then and its rows wait for the steps). */
static inline const char *nana__stmt_column_name(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->column_name(nana__remote(s), col);
    return sqlite3_column_name(LST(s), col);
}
/* Cell col of the current row, read with the nana__value_* functions; valid
 * until the next step, reset or finalize.  dqlite: a cell of the buffered
 * row.  The column helpers below are these two calls in one. */
static inline struct nana_value *nana__stmt_column_value(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__remote(s)->ops->column_value(nana__remote(s), col);
    return (struct nana_value *)(void *)sqlite3_column_value(LST(s), col);
}
/* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB or _NULL.  dqlite: its types map
 * onto these (BOOLEAN and UNIXTIME as INTEGER, ISO8601 as TEXT). */
static inline int nana__value_type(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_type(nana__remote(v));
    return sqlite3_value_type(LVAL(v));
}
static inline int64_t nana__value_int64(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_int64(nana__remote(v));
    return sqlite3_value_int64(LVAL(v));
}
static inline double nana__value_double(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_double(nana__remote(v));
    return sqlite3_value_double(LVAL(v));
}
/* The cell as UTF-8 text, NUL-terminated (NULL: out of memory, or SQL
 * NULL). */
static inline const unsigned char *nana__value_text(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_text(nana__remote(v));
    return sqlite3_value_text(LVAL(v));
}
/* The cell's bytes (NULL for an empty BLOB). */
static inline const void *nana__value_blob(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_blob(nana__remote(v));
    return sqlite3_value_blob(LVAL(v));
}
/* How many bytes text or blob gave (after the call that gave them). */
static inline int nana__value_bytes(struct nana_value *v)
{
    if (nana__is_remote(v))
        return nana__remote(v)->ops->value_bytes(nana__remote(v));
    return sqlite3_value_bytes(LVAL(v));
}

/* The same, by column of the current row. */
static inline int nana__stmt_column_type(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_type(nana__stmt_column_value(s, col));
    return sqlite3_column_type(LST(s), col);
}
static inline int64_t nana__stmt_column_int64(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_int64(nana__stmt_column_value(s, col));
    return sqlite3_column_int64(LST(s), col);
}
static inline double nana__stmt_column_double(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_double(nana__stmt_column_value(s, col));
    return sqlite3_column_double(LST(s), col);
}
static inline const unsigned char *nana__stmt_column_text(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_text(nana__stmt_column_value(s, col));
    return sqlite3_column_text(LST(s), col);
}
static inline const void *nana__stmt_column_blob(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_blob(nana__stmt_column_value(s, col));
    return sqlite3_column_blob(LST(s), col);
}
static inline int nana__stmt_column_bytes(struct nana_stmt *s, int col)
{
    if (nana__is_remote(s))
        return nana__value_bytes(nana__stmt_column_value(s, col));
    return sqlite3_column_bytes(LST(s), col);
}

#undef LDB
#undef LST
#undef LVAL

#endif
