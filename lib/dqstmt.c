/*
 * dqstmt.c -- the statement seam (conn.h) over a dqlite connection
 * (dqconn.c): what job code prepares, binds, steps and reads runs on a
 * replicated database with the same calls as on a local file.
 *
 * A statement is PREPAREd on the node; its parameters are an array of
 * struct nana_dq_value, sent with EXEC or QUERY at the first step.  Which
 * of the two is decided at prepare: the protocol says how many parameters
 * a statement has, not whether it returns rows, so EXPLAIN of the same
 * text is asked once (QUERY_SQL) -- the widest ResultRow gives the column
 * count, a Transaction opcode with its write flag says the statement
 * writes.  A statement without result columns steps as one EXEC (DONE; its
 * RESULT gives changes and the last insert id); one with them as one
 * QUERY, every row of every ROWS part copied into the statement, then
 * given a row per step: a job may run other statements on the connection
 * between two steps, which an unfinished QUERY would forbid.
 *
 * A statement another connection's write transaction holds up (SQLITE_BUSY,
 * at once, from the node) is sent again with a growing pause, up to
 * DQ_BUSY_MS, as the local writer's busy handler waits.
 *
 * Not here yet (a later step of issue 16): reconnecting to a new leader
 * (a lost connection is SQLITE_IOERR, a node that stopped leading
 * SQLITE_BUSY, with dqconn's message), and text with NUL bytes, which the
 * wire's strings cannot carry (SQLITE_MISMATCH).  One statement's
 * parameters are at most 255, the wire's tuple of schema 0.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dqlite.h"
#include "internal.h"

#define DQ_MAX_PARAMS 255
/* How long a statement waits for another connection's write transaction
 * (dqlite answers SQLITE_BUSY at once), as the local writer's busy handler
 * waits for another process's. */
#define DQ_BUSY_MS 5000

struct dq_conn {
    struct nana_remote head; /* first: the seam's tagged pointer points here */
    struct nana_dqconn *dq;  /* borrowed */
    char *name;
    char *errmsg;
    int errcode;
    int64_t changes, total_changes, last_rowid;
    bool in_txn;
};

/* One cell of a buffered row, and what the value_* ops made of it. */
struct dq_cell {
    struct nana_remote head;
    struct nana_dq_value v; /* text and blobs point into the statement's rows */
    char *as_text;          /* value_text of a number, malloc'd on first use */
};

struct dq_stmt {
    struct nana_remote head;
    struct dq_conn *c;
    uint32_t id;
    int n_params, n_cols;
    bool readonly;
    int txn_effect; /* +1 BEGIN, -1 COMMIT / END / ROLLBACK, 0 */
    char *sql;      /* for bind_index */
    struct nana_dq_value *params;
    void **owned; /* the copy or the given buffer of each parameter */
    char **names;
    struct dq_cell *cells; /* n_rows * n_cols */
    char **data;           /* the copied bytes of each text and blob cell */
    size_t n_rows, cap_rows, n_data, cap_data;
    size_t row;          /* the current row + 1 (0: before the first) */
    enum { FRESH, ROWS, DONE } state;
    int last_rc;
};

static const struct nana_remote_ops dq_ops;

static struct dq_conn *conn_of(struct nana_remote *r)
{
    return container_of(r, struct dq_conn, head);
}
static struct dq_stmt *stmt_of(struct nana_remote *r)
{
    return container_of(r, struct dq_stmt, head);
}
static struct dq_cell *cell_of(struct nana_remote *r)
{
    return container_of(r, struct dq_cell, head);
}

/* ------------------------------------------------------------ failures */

static int set_error(struct dq_conn *c, int code, const char *msg)
{
    char *copy = strdup(msg ? msg : nana__errstr(code));
    free(c->errmsg);
    c->errmsg = copy;
    c->errcode = code;
    return code;
}

static int set_ok(struct dq_conn *c)
{
    free(c->errmsg);
    c->errmsg = NULL;
    c->errcode = SQLITE_OK;
    return SQLITE_OK;
}

/* SQLite's code for a dqconn outcome, with the message kept. */
static int from_dq(struct dq_conn *c, int rc)
{
    char msg[512];
    switch (rc) {
    case NANA_DQ_OK:
        return set_ok(c);
    case NANA_DQ_EFAIL: {
        uint64_t code = nana__dqconn_fail_code(c->dq);
        /* SQLite's extended codes fit 16 bits; dqlite's own are above. */
        return set_error(c, code > 0 && code <= 0xffff ? (int)code : SQLITE_ERROR,
                         nana__dqconn_fail_message(c->dq));
    }
    case NANA_DQ_ENOMEM:
        return set_error(c, SQLITE_NOMEM, NULL);
    case NANA_DQ_EINVAL:
        return set_error(c, SQLITE_TOOBIG, "the request cannot be encoded for dqlite");
    case NANA_DQ_ENOTLEADER:
        snprintf(msg, sizeof msg, "dqlite node %s: %s", nana__dqconn_address(c->dq),
                 nana__dqwire_strerror(rc));
        return set_error(c, SQLITE_BUSY, msg);
    default:
        snprintf(msg, sizeof msg, "dqlite node %s: %s: %s", nana__dqconn_address(c->dq),
                 nana__dqwire_strerror(rc), nana__dqconn_fail_message(c->dq));
        return set_error(c, SQLITE_IOERR, msg);
    }
}

/* Is rc the node's "locked by another connection"?  Then waits a little
 * longer each time (*waited_ms, up to DQ_BUSY_MS) and says to try again. */
static bool busy_again(struct dq_conn *c, int rc, int *waited_ms)
{
    if (rc != NANA_DQ_EFAIL || (nana__dqconn_fail_code(c->dq) & 0xff) != SQLITE_BUSY ||
        *waited_ms >= DQ_BUSY_MS)
        return false;
    int ms = *waited_ms < 10 ? 1 : *waited_ms < 100 ? 5 : 20;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
    *waited_ms += ms;
    return true;
}

/* ------------------------------------------------------- the connection */

struct nana_conn *nana__dqstmt_conn(struct nana_dqconn *dq, const char *name)
{
    struct dq_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return NULL;
    }
    c->head.ops = &dq_ops;
    c->dq = dq;
    return nana__remote_tag(&c->head);
}

void nana__dqstmt_conn_free(struct nana_conn *conn)
{
    if (!conn)
        return;
    struct dq_conn *c = conn_of(nana__remote(conn));
    free(c->name);
    free(c->errmsg);
    free(c);
}

/* What a statement does to the transaction: BEGIN opens one, COMMIT / END
 * / ROLLBACK (not ROLLBACK TO) ends it. */
static bool word_at(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncasecmp(*p, word, n) != 0 || isalnum((unsigned char)(*p)[n]) || (*p)[n] == '_')
        return false;
    *p += n;
    while (isspace((unsigned char)**p))
        (*p)++;
    return true;
}

static int txn_effect(const char *sql)
{
    while (isspace((unsigned char)*sql))
        sql++;
    if (word_at(&sql, "BEGIN"))
        return 1;
    if (word_at(&sql, "COMMIT") || word_at(&sql, "END"))
        return -1;
    if (!word_at(&sql, "ROLLBACK"))
        return 0;
    word_at(&sql, "TRANSACTION");
    return word_at(&sql, "TO") ? 0 : -1;
}

static void apply_result(struct dq_conn *c, const struct nana_dq_result *res, int effect)
{
    c->changes = (int64_t)res->rows_affected;
    c->total_changes += (int64_t)res->rows_affected;
    if (res->rows_affected)
        c->last_rowid = res->last_insert_id;
    if (effect)
        c->in_txn = effect > 0;
}

static int dq_exec(struct nana_remote *r, const char *sql)
{
    struct dq_conn *c = conn_of(r);
    struct nana_dq_result res = {0};
    int dq, waited = 0;
    do
        dq = nana__dqconn_exec_sql(c->dq, sql, NULL, 0, &res);
    while (busy_again(c, dq, &waited));
    int rc = from_dq(c, dq);
    if (rc == SQLITE_OK)
        apply_result(c, &res, txn_effect(sql));
    return rc;
}

static const char *dq_errmsg(struct nana_remote *r)
{
    struct dq_conn *c = conn_of(r);
    return c->errmsg ? c->errmsg : "not an error";
}
static int dq_errcode(struct nana_remote *r)
{
    return conn_of(r)->errcode;
}
static int64_t dq_changes(struct nana_remote *r)
{
    return conn_of(r)->changes;
}
static int64_t dq_total_changes(struct nana_remote *r)
{
    return conn_of(r)->total_changes;
}
static int64_t dq_last_insert_rowid(struct nana_remote *r)
{
    return conn_of(r)->last_rowid;
}
static bool dq_in_transaction(struct nana_remote *r)
{
    return conn_of(r)->in_txn;
}
static const char *dq_filename(struct nana_remote *r)
{
    return conn_of(r)->name;
}
static int dq_max_params(struct nana_remote *r)
{
    (void)r;
    return DQ_MAX_PARAMS;
}

/* ---------------------------------------------------------- preparing */

/* EXPLAIN of sql: the widest ResultRow (columns) and whether a Transaction
 * opcode asks to write. */
static int explain(struct dq_conn *c, const char *sql, int *n_cols, bool *writes)
{
    *n_cols = 0;
    *writes = false;
    size_t len = strlen(sql);
    char *text = malloc(len + 9);
    if (!text)
        return set_error(c, SQLITE_NOMEM, NULL);
    memcpy(text, "EXPLAIN ", 8);
    memcpy(text + 8, sql, len + 1);
    int rc = nana__dqconn_query_sql(c->dq, text, NULL, 0);
    free(text);
    const struct nana_dq_value *v;
    while (rc == NANA_DQ_OK && (rc = nana__dqconn_step(c->dq, &v)) == NANA_DQ_ROW) {
        rc = NANA_DQ_OK;
        /* addr, opcode, p1, p2, ... */
        if (nana__dqconn_column_count(c->dq) < 4 || v[1].type != NANA_DQ_TEXT ||
            v[3].type != NANA_DQ_INTEGER)
            continue;
        if (strcmp(v[1].text.ptr, "ResultRow") == 0 && v[3].integer > *n_cols)
            *n_cols = (int)v[3].integer;
        if (strcmp(v[1].text.ptr, "Transaction") == 0 && v[3].integer != 0)
            *writes = true;
    }
    return from_dq(c, rc == NANA_DQ_DONE ? NANA_DQ_OK : rc);
}

/* Where the first statement of sql ends: after its ';' as SQLite's own
 * tokenizer sees it (a trigger's body holds several), or at the end. */
static size_t first_statement(const char *sql, size_t len, char **text)
{
    size_t end = len;
    for (size_t i = 0; i < len; i++) {
        if (sql[i] != ';')
            continue;
        char *prefix = strndup(sql, i + 1);
        bool complete = prefix && sqlite3_complete(prefix);
        free(prefix);
        if (complete) {
            end = i + 1;
            break;
        }
    }
    *text = strndup(sql, end);
    return end;
}

static bool only_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

static void stmt_free(struct dq_stmt *s);

static int dq_prepare(struct nana_remote *r, const char *sql, int len, bool persistent,
                      struct nana_stmt **out, const char **tail)
{
    struct dq_conn *c = conn_of(r);
    (void)persistent; /* every statement lives until its FINALIZE */
    *out = NULL;
    size_t n = len < 0 ? strlen(sql) : (size_t)len;
    char *text;
    size_t end = first_statement(sql, n, &text);
    if (tail)
        *tail = sql + end;
    if (!text)
        return set_error(c, SQLITE_NOMEM, NULL);
    if (only_space(text)) { /* SQLite too gives no statement for these */
        free(text);
        return set_ok(c);
    }
    struct dq_stmt *s = calloc(1, sizeof *s);
    if (!s) {
        free(text);
        return set_error(c, SQLITE_NOMEM, NULL);
    }
    s->head.ops = &dq_ops;
    s->c = c;
    s->sql = text;
    bool writes;
    int rc = explain(c, text, &s->n_cols, &writes);
    uint64_t n_params = 0;
    if (rc == SQLITE_OK)
        rc = from_dq(c, nana__dqconn_prepare(c->dq, text, &s->id, &n_params));
    if (rc != SQLITE_OK) {
        free(s->sql);
        free(s);
        return rc;
    }
    s->readonly = !writes && !txn_effect(text);
    s->txn_effect = txn_effect(text);
    s->n_params = (int)n_params;
    if (n_params > DQ_MAX_PARAMS ||
        (n_params && (!(s->params = calloc(n_params, sizeof *s->params)) ||
                      !(s->owned = calloc(n_params, sizeof *s->owned))))) {
        nana__dqconn_finalize(c->dq, s->id);
        rc = n_params > DQ_MAX_PARAMS ? set_error(c, SQLITE_RANGE, "too many SQL variables")
                                      : set_error(c, SQLITE_NOMEM, NULL);
        stmt_free(s);
        return rc;
    }
    for (size_t i = 0; i < n_params; i++)
        s->params[i].type = NANA_DQ_NULL;
    *out = nana__remote_tag(&s->head);
    return SQLITE_OK;
}

/* ------------------------------------------------------------- binding */

static int param(struct dq_stmt *s, int idx)
{
    if (idx < 1 || idx > s->n_params)
        return set_error(s->c, SQLITE_RANGE, "column index out of range");
    free(s->owned[idx - 1]);
    s->owned[idx - 1] = NULL;
    return SQLITE_OK;
}

static int dq_bind_int64(struct nana_remote *r, int idx, int64_t v)
{
    struct dq_stmt *s = stmt_of(r);
    int rc = param(s, idx);
    if (rc == SQLITE_OK)
        s->params[idx - 1] = (struct nana_dq_value){.type = NANA_DQ_INTEGER, .integer = v};
    return rc;
}

static int dq_bind_double(struct nana_remote *r, int idx, double v)
{
    struct dq_stmt *s = stmt_of(r);
    int rc = param(s, idx);
    if (rc == SQLITE_OK)
        s->params[idx - 1] = (struct nana_dq_value){.type = NANA_DQ_FLOAT, .real = v};
    return rc;
}

static int dq_bind_null(struct nana_remote *r, int idx)
{
    struct dq_stmt *s = stmt_of(r);
    int rc = param(s, idx);
    if (rc == SQLITE_OK)
        s->params[idx - 1] = (struct nana_dq_value){.type = NANA_DQ_NULL};
    return rc;
}

/* Text or a blob: borrowed, copied or taken, as own says. */
static int bind_bytes(struct dq_stmt *s, int idx, int type, const void *p, size_t n,
                      enum nana_bind_owner own)
{
    int rc = param(s, idx);
    if (rc == SQLITE_OK && type == NANA_DQ_TEXT && memchr(p, '\0', n))
        rc = set_error(s->c, SQLITE_MISMATCH, "dqlite cannot carry text with NUL bytes");
    if (rc != SQLITE_OK) {
        if (own == NANA__BIND_FREE)
            free((void *)p);
        return rc;
    }
    const void *at = p;
    if (own == NANA__BIND_COPY) {
        void *copy = malloc(n + 1);
        if (!copy)
            return set_error(s->c, SQLITE_NOMEM, NULL);
        if (n)
            memcpy(copy, p, n);
        ((char *)copy)[n] = '\0';
        s->owned[idx - 1] = copy;
        at = copy;
    } else if (own == NANA__BIND_FREE) {
        s->owned[idx - 1] = (void *)p;
    }
    struct nana_dq_value *v = &s->params[idx - 1];
    v->type = type;
    if (type == NANA_DQ_TEXT)
        v->text.ptr = at, v->text.len = n;
    else
        v->blob.ptr = at, v->blob.len = n;
    return SQLITE_OK;
}

static int dq_bind_text(struct nana_remote *r, int idx, const char *p, size_t n,
                        enum nana_bind_owner own)
{
    return bind_bytes(stmt_of(r), idx, NANA_DQ_TEXT, p, n, own);
}

static int dq_bind_blob(struct nana_remote *r, int idx, const void *p, size_t n,
                        enum nana_bind_owner own)
{
    return bind_bytes(stmt_of(r), idx, NANA_DQ_BLOB, p ? p : "", n, p ? own : NANA__BIND_BORROWED);
}

static int dq_bind_count(struct nana_remote *r)
{
    return stmt_of(r)->n_params;
}

/* SQLite's numbering: "?" takes the next number, "?N" is N, a name takes
 * the next number at its first use and keeps it. */
static int dq_bind_index(struct nana_remote *r, const char *name)
{
    struct dq_stmt *s = stmt_of(r);
    const char *p = s->sql;
    int max = 0;
    char seen[DQ_MAX_PARAMS + 1][64];
    int n_seen = 0;
    size_t want = strlen(name);
    while (*p) {
        if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
            char close = *p == '[' ? ']' : *p;
            for (p++; *p && *p != close; p++)
                ;
            if (*p)
                p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (*p == '?') {
            char *e;
            long n = strtol(p + 1, &e, 10);
            max = e > p + 1 ? (n > max ? (int)n : max) : max + 1;
            p = e > p + 1 ? e : p + 1;
        } else if (*p == ':' || *p == '@' || *p == '$') {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            size_t len = (size_t)(q - p);
            if (len > 1 && len < sizeof seen[0]) {
                int found = 0;
                for (int i = 0; i < n_seen && !found; i++)
                    if (strlen(seen[i] + 1) == len && memcmp(seen[i] + 1, p, len) == 0)
                        found = (unsigned char)seen[i][0];
                if (!found && n_seen <= DQ_MAX_PARAMS) {
                    found = ++max;
                    seen[n_seen][0] = (char)found;
                    memcpy(seen[n_seen] + 1, p, len);
                    seen[n_seen][len + 1] = '\0';
                    n_seen++;
                }
                if (len == want && memcmp(p, name, len) == 0)
                    return found;
            }
            p = q;
        } else {
            p++;
        }
    }
    return 0;
}

static int dq_clear_bindings(struct nana_remote *r)
{
    struct dq_stmt *s = stmt_of(r);
    for (int i = 0; i < s->n_params; i++) {
        free(s->owned[i]);
        s->owned[i] = NULL;
        s->params[i] = (struct nana_dq_value){.type = NANA_DQ_NULL};
    }
    return SQLITE_OK;
}

/* ------------------------------------------------------------ running */

static void drop_rows(struct dq_stmt *s)
{
    for (size_t i = 0; i < s->n_rows * (size_t)s->n_cols; i++)
        free(s->cells[i].as_text);
    for (size_t i = 0; i < s->n_data; i++)
        free(s->data[i]);
    s->n_rows = s->n_data = 0;
    s->row = 0;
}

/* A copy of bytes the next request overwrites, NUL-terminated. */
static const void *keep(struct dq_stmt *s, const void *p, size_t n)
{
    if (s->n_data == s->cap_data) {
        size_t cap = s->cap_data ? 2 * s->cap_data : 64;
        char **grown = realloc(s->data, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->data = grown;
        s->cap_data = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    if (n)
        memcpy(copy, p, n);
    copy[n] = '\0';
    return s->data[s->n_data++] = copy;
}

static int add_row(struct dq_stmt *s, const struct nana_dq_value *v)
{
    if (s->n_rows == s->cap_rows) {
        size_t cap = s->cap_rows ? 2 * s->cap_rows : 16;
        struct dq_cell *grown = realloc(s->cells, cap * (size_t)s->n_cols * sizeof *grown);
        if (!grown)
            return SQLITE_NOMEM;
        s->cells = grown;
        s->cap_rows = cap;
    }
    struct dq_cell *row = &s->cells[s->n_rows * (size_t)s->n_cols];
    for (int i = 0; i < s->n_cols; i++) {
        row[i] = (struct dq_cell){.head.ops = &dq_ops, .v = v[i]};
        if (v[i].type == NANA_DQ_TEXT || v[i].type == NANA_DQ_ISO8601) {
            if (!(row[i].v.text.ptr = keep(s, v[i].text.ptr, v[i].text.len)))
                return SQLITE_NOMEM;
        } else if (v[i].type == NANA_DQ_BLOB) {
            if (!(row[i].v.blob.ptr = keep(s, v[i].blob.ptr, v[i].blob.len)))
                return SQLITE_NOMEM;
        }
    }
    s->n_rows++;
    return SQLITE_OK;
}

/* QUERY, every row kept. */
static int run_query(struct dq_stmt *s)
{
    struct dq_conn *c = s->c;
    int rc, waited = 0;
    do
        rc = nana__dqconn_query(c->dq, s->id, s->params, (size_t)s->n_params);
    while (busy_again(c, rc, &waited));
    if (rc != NANA_DQ_OK)
        return from_dq(c, rc);
    /* The names come with the first part, rows or none. */
    if ((int)nana__dqconn_column_count(c->dq) != s->n_cols) {
        nana__dqconn_rows_drain(c->dq);
        return set_error(c, SQLITE_SCHEMA, "the statement's columns changed");
    }
    if (!s->names && (s->names = calloc((size_t)s->n_cols, sizeof *s->names)))
        for (int i = 0; i < s->n_cols; i++)
            s->names[i] = strdup(nana__dqconn_column_name(c->dq, (size_t)i));
    const struct nana_dq_value *v;
    int kept = SQLITE_OK;
    while ((rc = nana__dqconn_step(c->dq, &v)) == NANA_DQ_ROW) {
        if (kept == SQLITE_OK)
            kept = add_row(s, v);
    }
    if (rc != NANA_DQ_DONE)
        return from_dq(c, rc);
    return kept == SQLITE_OK ? set_ok(c) : set_error(c, kept, NULL);
}

static int dq_step(struct nana_remote *r)
{
    struct dq_stmt *s = stmt_of(r);
    struct dq_conn *c = s->c;
    if (s->state == DONE) { /* SQLite runs a finished statement again */
        drop_rows(s);
        s->state = FRESH;
    }
    if (s->state == FRESH) {
        int rc;
        if (s->n_cols == 0) {
            struct nana_dq_result res = {0};
            int dq, waited = 0;
            do
                dq = nana__dqconn_exec(c->dq, s->id, s->params, (size_t)s->n_params, &res);
            while (busy_again(c, dq, &waited));
            rc = from_dq(c, dq);
            if (rc == SQLITE_OK)
                apply_result(c, &res, s->txn_effect);
            s->state = DONE;
            return s->last_rc = rc == SQLITE_OK ? SQLITE_DONE : rc;
        }
        if ((rc = run_query(s)) != SQLITE_OK) {
            drop_rows(s);
            s->state = DONE;
            return s->last_rc = rc;
        }
        s->state = ROWS;
    }
    if (s->row < s->n_rows) {
        s->row++;
        return s->last_rc = SQLITE_ROW;
    }
    s->state = DONE;
    return s->last_rc = SQLITE_DONE;
}

static int dq_reset(struct nana_remote *r)
{
    struct dq_stmt *s = stmt_of(r);
    int rc = s->last_rc == SQLITE_ROW || s->last_rc == SQLITE_DONE ? SQLITE_OK : s->last_rc;
    drop_rows(s);
    s->state = FRESH;
    s->last_rc = SQLITE_OK;
    return rc;
}

static void stmt_free(struct dq_stmt *s)
{
    drop_rows(s);
    for (int i = 0; s->owned && i < s->n_params; i++)
        free(s->owned[i]);
    for (int i = 0; s->names && i < s->n_cols; i++)
        free(s->names[i]);
    free(s->names);
    free(s->owned);
    free(s->params);
    free(s->cells);
    free(s->data);
    free(s->sql);
    free(s);
}

static int dq_finalize(struct nana_remote *r)
{
    struct dq_stmt *s = stmt_of(r);
    int rc = s->last_rc == SQLITE_ROW || s->last_rc == SQLITE_DONE ? SQLITE_OK : s->last_rc;
    int fin = from_dq(s->c, nana__dqconn_finalize(s->c->dq, s->id));
    stmt_free(s);
    return rc != SQLITE_OK ? rc : fin;
}

static struct nana_conn *dq_stmt_conn(struct nana_remote *r)
{
    return nana__remote_tag(&stmt_of(r)->c->head);
}
static bool dq_readonly(struct nana_remote *r)
{
    return stmt_of(r)->readonly;
}

/* ------------------------------------------------------------ results */

static int dq_column_count(struct nana_remote *r)
{
    return stmt_of(r)->n_cols;
}

/* Names come with the rows: a name asked before the first step runs the
 * query (the rows then wait for the steps). */
static const char *dq_column_name(struct nana_remote *r, int col)
{
    struct dq_stmt *s = stmt_of(r);
    if (col < 0 || col >= s->n_cols)
        return NULL;
    if (s->state == FRESH && !s->names) {
        if (run_query(s) != SQLITE_OK) {
            drop_rows(s);
            return NULL;
        }
        s->state = ROWS;
    }
    return s->names ? s->names[col] : NULL;
}

static struct dq_cell null_cell = {.head.ops = &dq_ops, .v.type = NANA_DQ_NULL};

static struct nana_value *dq_column_value(struct nana_remote *r, int col)
{
    struct dq_stmt *s = stmt_of(r);
    if (s->state != ROWS || s->row == 0 || col < 0 || col >= s->n_cols)
        return nana__remote_tag(&null_cell.head);
    return nana__remote_tag(&s->cells[(s->row - 1) * (size_t)s->n_cols + (size_t)col].head);
}

static int dq_value_type(struct nana_remote *r)
{
    switch (cell_of(r)->v.type) {
    case NANA_DQ_INTEGER:
    case NANA_DQ_UNIXTIME:
    case NANA_DQ_BOOLEAN:
        return SQLITE_INTEGER;
    case NANA_DQ_FLOAT:
        return SQLITE_FLOAT;
    case NANA_DQ_TEXT:
    case NANA_DQ_ISO8601:
        return SQLITE_TEXT;
    case NANA_DQ_BLOB:
        return SQLITE_BLOB;
    default:
        return SQLITE_NULL;
    }
}

static int64_t dq_value_int64(struct nana_remote *r)
{
    const struct nana_dq_value *v = &cell_of(r)->v;
    switch (v->type) {
    case NANA_DQ_INTEGER:
    case NANA_DQ_UNIXTIME:
        return v->integer;
    case NANA_DQ_BOOLEAN:
        return v->boolean != 0;
    case NANA_DQ_FLOAT:
        return (int64_t)v->real;
    case NANA_DQ_TEXT:
    case NANA_DQ_ISO8601:
        return strtoll(v->text.ptr, NULL, 10);
    default:
        return 0;
    }
}

static double dq_value_double(struct nana_remote *r)
{
    const struct nana_dq_value *v = &cell_of(r)->v;
    switch (v->type) {
    case NANA_DQ_FLOAT:
        return v->real;
    case NANA_DQ_TEXT:
    case NANA_DQ_ISO8601:
        return strtod(v->text.ptr, NULL);
    case NANA_DQ_NULL:
    case NANA_DQ_BLOB:
        return 0;
    default:
        return (double)dq_value_int64(r);
    }
}

static const unsigned char *dq_value_text(struct nana_remote *r)
{
    struct dq_cell *cell = cell_of(r);
    const struct nana_dq_value *v = &cell->v;
    switch (v->type) {
    case NANA_DQ_TEXT:
    case NANA_DQ_ISO8601:
        return (const unsigned char *)v->text.ptr;
    case NANA_DQ_BLOB:
        return v->blob.ptr; /* kept NUL-terminated */
    case NANA_DQ_NULL:
        return NULL;
    default:
        /* A number as SQLite writes it (its "%!.15g" for reals). */
        if (!cell->as_text) {
            char buf[32];
            if (v->type == NANA_DQ_FLOAT)
                snprintf(buf, sizeof buf, "%.15g", v->real);
            else
                snprintf(buf, sizeof buf, "%lld", (long long)dq_value_int64(r));
            cell->as_text = strdup(buf);
        }
        return (const unsigned char *)cell->as_text;
    }
}

static const void *dq_value_blob(struct nana_remote *r)
{
    struct dq_cell *cell = cell_of(r);
    if (cell->v.type == NANA_DQ_BLOB)
        return cell->v.blob.len ? cell->v.blob.ptr : NULL;
    return dq_value_text(r);
}

static int dq_value_bytes(struct nana_remote *r)
{
    struct dq_cell *cell = cell_of(r);
    if (cell->v.type == NANA_DQ_TEXT || cell->v.type == NANA_DQ_ISO8601)
        return (int)cell->v.text.len;
    if (cell->v.type == NANA_DQ_BLOB)
        return (int)cell->v.blob.len;
    if (cell->v.type == NANA_DQ_NULL)
        return 0;
    return dq_value_text(r) && cell->as_text ? (int)strlen(cell->as_text) : 0;
}

static const struct nana_remote_ops dq_ops = {
    .prepare = dq_prepare,
    .exec = dq_exec,
    .errmsg = dq_errmsg,
    .errcode = dq_errcode,
    .changes = dq_changes,
    .total_changes = dq_total_changes,
    .last_insert_rowid = dq_last_insert_rowid,
    .in_transaction = dq_in_transaction,
    .filename = dq_filename,
    .max_params = dq_max_params,
    .bind_int64 = dq_bind_int64,
    .bind_double = dq_bind_double,
    .bind_text = dq_bind_text,
    .bind_blob = dq_bind_blob,
    .bind_null = dq_bind_null,
    .bind_count = dq_bind_count,
    .bind_index = dq_bind_index,
    .clear_bindings = dq_clear_bindings,
    .step = dq_step,
    .reset = dq_reset,
    .finalize = dq_finalize,
    .stmt_conn = dq_stmt_conn,
    .readonly = dq_readonly,
    .column_count = dq_column_count,
    .column_name = dq_column_name,
    .column_value = dq_column_value,
    .value_type = dq_value_type,
    .value_int64 = dq_value_int64,
    .value_double = dq_value_double,
    .value_text = dq_value_text,
    .value_blob = dq_value_blob,
    .value_bytes = dq_value_bytes,
};
