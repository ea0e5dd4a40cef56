/*
 * sql.c -- direct SQL (execute, execute_many, fetch_*) and the job every
 * SQL call becomes, helpers included (sqlhelpers.c builds their text).
 *
 * A SQL job runs in the root's queue, so SQL and dict operations take
 * effect in submission order.  The SQL text is built and the parameters
 * copied on the caller's thread; the executor prepares, binds and steps.
 * Writes run as batches of their own: when one commits, the caches of the
 * dict tables it wrote are emptied, which is what keeps them coherent --
 * the authorizer tells us, at prepare time, every table a statement (and
 * its triggers) may write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SQL_TEXT_MAX (1 << 20)

struct sql_job {
    struct nana_job base;
    struct nana_tables *tables;
    struct nana_auth *auth;     /* the connection's it runs on */
    struct nana_auth *reader_auth; /* the root's, per reader connection */
    struct nana_conn *conn; /* while it runs */
    char *sql;
    char *count_sql;      /* NANA__SHAPE_PAGE: the total's statement */
    json_t *params;       /* copy; for execute_many the array of sets */
    enum nana_sql_shape shape;
    enum nana_auth_mode auth_mode;
    char table[NANA_TABLE_NAME_MAX + 1]; /* a helper's table ("" for none) */
    bool read_only;       /* refuse statements that write */
    bool write;
    int64_t limit, offset;
    char *what;           /* for messages: "execute", "query", ... */
    nana_rows_t *rows;    /* NANA__SHAPE_ROWS: the result, until delivered */
};

/* ------------------------------------------------------- JSON strings */

/* Checks the member names of a set of parameters (an array or object), and
 * of the objects among its values ({"$blob": ...}), for a NUL byte.  This
 * runs before the job copies them: jansson 2.14's json_deep_copy() cuts a
 * name at its NUL, so that ":v\0x" would bind :v and {"$blob\0x": ...} a
 * BLOB.  NANA_OK, or the status with *why (static text). */
static nana_status_t param_names_check(json_t *params, const char **why)
{
    const char *name;
    json_t *v;
    size_t i;
    if (json_is_object(params)) {
        if (!nana__json_keys_are_cstrings(params)) {
            *why = "a parameter name holds a NUL byte";
            return NANA_EINVAL;
        }
        json_object_foreach(params, name, v) {
            if (json_is_object(v) && !nana__json_keys_are_cstrings(v))
                goto bad_value;
        }
    } else if (json_is_array(params)) {
        json_array_foreach(params, i, v) {
            if (json_is_object(v) && !nana__json_keys_are_cstrings(v))
                goto bad_value;
        }
    }
    return NANA_OK;
bad_value:
    /* Not {"$blob": ...}: an object that cannot be bound. */
    *why = "a parameter's object has a member name holding a NUL byte";
    return NANA_ETYPE;
}


/* ------------------------------------------------------ binding, results */

static nana_status_t bind_value(struct nana_stmt *stmt, int idx, json_t *v, char **why)
{
    int rc;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        rc = nana__stmt_bind_int64(stmt, idx, json_integer_value(v));
        break;
    case JSON_REAL:
        rc = nana__stmt_bind_double(stmt, idx, json_real_value(v));
        break;
    case JSON_STRING:
        rc = nana__stmt_bind_text(stmt, idx, json_string_value(v), json_string_length(v),
                                  NANA__BIND_COPY);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        rc = nana__stmt_bind_int64(stmt, idx, json_is_true(v));
        break;
    case JSON_NULL:
        rc = nana__stmt_bind_null(stmt, idx);
        break;
    case JSON_OBJECT: {
        json_t *b = json_object_get(v, "$blob");
        size_t n = 0;
        unsigned char *data = NULL;
        if (json_object_size(v) == 1 && json_is_string(b))
            data = nana__base64_decode(json_string_value(b), json_string_length(b), &n);
        if (!data) {
            *why = nana__strdupf("parameter %d: an object must be {\"$blob\": \"<base64>\"}", idx);
            return NANA_ETYPE;
        }
        rc = nana__stmt_bind_blob(stmt, idx, data, n, NANA__BIND_FREE);
        break;
    }
    default:
        *why = nana__strdupf("parameter %d: arrays cannot be bound", idx);
        return NANA_ETYPE;
    }
    if (rc != SQLITE_OK) {
        *why = nana__strdupf("parameter %d: %s", idx, nana__errstr(rc));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

static nana_status_t bind_params(struct nana_stmt *stmt, json_t *params, char **why)
{
    int expected = nana__stmt_bind_count(stmt);
    nana__stmt_clear_bindings(stmt);
    if (!params || json_is_null(params)) {
        if (expected == 0)
            return NANA_OK;
        *why = nana__strdupf("the statement has %d parameters and none were given", expected);
        return NANA_EINVAL;
    }
    if (json_is_array(params)) {
        if ((int)json_array_size(params) != expected) {
            *why = nana__strdupf("the statement has %d parameters, %zu were given", expected,
                                 json_array_size(params));
            return NANA_EINVAL;
        }
        for (int i = 0; i < expected; i++) {
            nana_status_t st = bind_value(stmt, i + 1, json_array_get(params, (size_t)i), why);
            if (st != NANA_OK)
                return st;
        }
        return NANA_OK;
    }
    if (!json_is_object(params)) {
        *why = strdup("parameters must be a JSON array or object");
        return NANA_ETYPE;
    }
    int bound = 0;
    const char *name;
    json_t *v;
    json_object_foreach(params, name, v) {
        int idx = 0;
        if (!nana__json_key_is_cstring(name)) {
            *why = strdup("a parameter name holds a NUL byte");
            return NANA_EINVAL;
        }
        if (name[0] == ':' || name[0] == '@' || name[0] == '$') {
            idx = nana__stmt_bind_index(stmt, name);
        } else {
            char prefixed[NANA_TABLE_NAME_MAX + 2];
            for (const char *p = ":@$"; *p && !idx && strlen(name) <= NANA_TABLE_NAME_MAX; p++) {
                snprintf(prefixed, sizeof prefixed, "%c%s", *p, name);
                idx = nana__stmt_bind_index(stmt, prefixed);
            }
        }
        if (idx == 0) {
            *why = nana__strdupf("the statement has no parameter named \"%.64s\"", name);
            return NANA_EINVAL;
        }
        nana_status_t st = bind_value(stmt, idx, v, why);
        if (st != NANA_OK)
            return st;
        bound++;
    }
    if (bound != expected) {
        *why = nana__strdupf("the statement has %d parameters, %d were given", expected, bound);
        return NANA_EINVAL;
    }
    return NANA_OK;
}

static json_t *column_json(struct nana_stmt *stmt, int i)
{
    switch (nana__stmt_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        return json_integer(nana__stmt_column_int64(stmt, i));
    case SQLITE_FLOAT:
        return json_real(nana__stmt_column_double(stmt, i));
    case SQLITE_TEXT: {
        const char *text = (const char *)nana__stmt_column_text(stmt, i);
        return text ? nana__rows_text_json(text, (size_t)nana__stmt_column_bytes(stmt, i)) : NULL;
    }
    case SQLITE_BLOB:
        return nana__base64_json(nana__stmt_column_blob(stmt, i),
                                 (size_t)nana__stmt_column_bytes(stmt, i));
    default:
        return json_null();
    }
}

static json_t *row_json(struct nana_stmt *stmt, bool as_object)
{
    int n = nana__stmt_column_count(stmt);
    json_t *row = as_object ? json_object() : json_array();
    for (int i = 0; row && i < n; i++) {
        json_t *v = column_json(stmt, i);
        int rc = !v ? -1
                 : as_object ? json_object_set_new(row, nana__stmt_column_name(stmt, i), v)
                             : json_array_append_new(row, v);
        if (rc != 0) {
            json_decref(row);
            row = NULL;
        }
    }
    return row;
}

/* --------------------------------------------------------- executor side */

static void sql_fail(struct sql_job *job, nana_status_t st, char *msg)
{
    nana__job_fail(&job->base, st, msg);
}

static void sql_fail_sqlite(struct sql_job *job, int rc)
{
    struct nana_conn *conn = job->conn;
    const char *msg = nana__conn_errmsg(conn);
    /* Refused by the authorizer: an input problem, not a database one. */
    /* SQLite reports a denied function as a plain error: the authorizer's
     * note says it was a refusal all the same. */
    bool refused = (rc & 0xff) == SQLITE_AUTH || job->auth->denied;
    if (job->auth->denied)
        msg = job->auth->denied;
    nana_status_t st = refused ? NANA_EINVAL : nana__status_from_sqlite(rc);
    sql_fail(job, st, nana__strdupf("%s: %s%s", job->what, msg ? msg : nana__errstr(rc),
                                    nana__conn_error_hint(job->conn, rc)));
}

/* Prepares exactly one statement with the job's authorizer mode. */
static struct nana_stmt *prepare_one(struct sql_job *job, const char *sql)
{
    struct sql_job *sj = job;
    struct nana_stmt *stmt = NULL;
    const char *tail = NULL;
    nana__auth_begin(job->auth, sj->auth_mode, sj->table[0] ? sj->table : NULL);
    int rc = nana__conn_prepare(job->conn, sql, -1, false, &stmt, &tail);
    nana__auth_end(job->auth);
    if (rc != SQLITE_OK) {
        sql_fail_sqlite(job, rc);
        return NULL;
    }
    if (!stmt) {
        sql_fail(job, NANA_EINVAL, nana__strdupf("%s: no SQL statement", sj->what));
        return NULL;
    }
    if (!nana__tail_is_empty(tail)) {
        nana__stmt_finalize(stmt);
        sql_fail(job, NANA_EINVAL,
                 nana__strdupf("%s: exactly one SQL statement per call; nothing was run",
                               sj->what));
        return NULL;
    }
    if (sj->read_only && !nana__stmt_readonly(stmt)) {
        nana__stmt_finalize(stmt);
        sql_fail(job, NANA_EINVAL,
                 nana__strdupf("%s runs read-only statements; use nana_execute to write",
                               sj->what));
        return NULL;
    }
    return stmt;
}

/* Steps stmt to the end, collecting rows as the shape wants. */
static int run_stmt(struct nana_stmt *stmt, json_t *rows, bool as_object, bool first_only,
                    json_t **first)
{
    int rc;
    while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        if (first && !*first) {
            *first = row_json(stmt, as_object);
            if (!*first)
                return SQLITE_NOMEM;
        }
        if (rows) {
            json_t *row = row_json(stmt, as_object);
            if (!row || json_array_append_new(rows, row) != 0)
                return SQLITE_NOMEM;
        }
        if (first_only)
            return SQLITE_DONE;
    }
    return rc;
}

/* Rows the statement itself changed (not its triggers').  nana__conn_changes()
 * keeps the last INSERT/UPDATE/DELETE's count through other statements, so
 * it counts only when the total moved while this one ran. */
static int64_t stmt_changes(struct nana_stmt *stmt, int64_t total_before)
{
    struct nana_conn *conn = nana__stmt_conn(stmt);
    if (nana__stmt_readonly(stmt) || nana__conn_total_changes(conn) == total_before)
        return 0;
    return nana__conn_changes(conn);
}

static json_t *column_names(struct nana_stmt *stmt)
{
    json_t *cols = json_array();
    for (int i = 0; cols && i < nana__stmt_column_count(stmt); i++)
        json_array_append_new(cols, json_string(nana__stmt_column_name(stmt, i)));
    return cols;
}

/* PRAGMA table_info gives notnull and pk as integers; NanaSQLite's
 * get_table_schema gives booleans.  Replacing a member keeps its place. */
static int schema_booleans(json_t *rows)
{
    static const char *const flags[] = {"notnull", "pk"};
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        for (size_t k = 0; k < 2; k++) {
            json_t *v = json_object_get(row, flags[k]);
            if (json_object_set_new(row, flags[k],
                                    json_boolean(json_is_integer(v) && json_integer_value(v))))
                return -1;
        }
    }
    return 0;
}

static json_t *shape_result(struct sql_job *job, struct nana_stmt *stmt, int *rc_out)
{
    struct sql_job *sj = job;
    struct nana_conn *conn = job->conn;
    json_t *rows = NULL, *first = NULL, *out = NULL;
    int rc;

    switch (sj->shape) {
    case NANA__SHAPE_EXEC: {
        int64_t total_before = nana__conn_total_changes(conn);
        rows = json_array();
        rc = run_stmt(stmt, rows, false, false, NULL);
        if (rc == SQLITE_DONE)
            out = json_pack("{s:o, s:o, s:I, s:I}", "columns", column_names(stmt), "rows", rows,
                            "changes", (json_int_t)stmt_changes(stmt, total_before),
                            "last_insert_rowid", (json_int_t)nana__conn_last_insert_rowid(conn));
        else
            json_decref(rows);
        break;
    }
    case NANA__SHAPE_ONE:
        rc = run_stmt(stmt, NULL, false, true, &first);
        out = first ? first : json_null();
        break;
    case NANA__SHAPE_ALL:
    case NANA__SHAPE_PRAGMA:
    case NANA__SHAPE_OBJECTS:
    case NANA__SHAPE_PAGE:
        rows = json_array();
        rc = run_stmt(stmt, rows, sj->shape == NANA__SHAPE_OBJECTS || sj->shape == NANA__SHAPE_PAGE,
                      false, NULL);
        out = rows;
        break;
    case NANA__SHAPE_SCHEMA:
        rows = json_array();
        rc = run_stmt(stmt, rows, true, false, NULL);
        if (rc == SQLITE_DONE && schema_booleans(rows) != 0)
            rc = SQLITE_NOMEM;
        out = rows;
        break;
    case NANA__SHAPE_COLUMN: {
        rows = json_array();
        while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW)
            json_array_append_new(rows, column_json(stmt, 0));
        out = rows;
        break;
    }
    case NANA__SHAPE_SCALAR:
        rc = nana__stmt_step(stmt);
        if (rc == SQLITE_ROW) {
            out = json_integer(nana__stmt_column_int64(stmt, 0));
            rc = run_stmt(stmt, NULL, false, false, NULL); /* RETURNING: finish */
        } else if (rc == SQLITE_DONE) {
            /* No row: an upsert whose DO NOTHING fired, as NanaSQLite's. */
            out = json_integer(0);
        }
        break;
    case NANA__SHAPE_ANY_ROW:
        rc = nana__stmt_step(stmt);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            out = json_boolean(rc == SQLITE_ROW);
            rc = SQLITE_DONE;
        }
        break;
    case NANA__SHAPE_CHANGES: {
        int64_t total_before = nana__conn_total_changes(conn);
        rc = run_stmt(stmt, NULL, false, false, NULL);
        out = json_integer(stmt_changes(stmt, total_before));
        break;
    }
    case NANA__SHAPE_ROWID:
        rc = run_stmt(stmt, NULL, false, false, NULL);
        out = json_integer(nana__conn_last_insert_rowid(conn));
        break;
    default:
        rc = run_stmt(stmt, NULL, false, false, NULL);
        break;
    }
    *rc_out = rc;
    if (rc != SQLITE_DONE) {
        nana__json_release(out);
        return NULL;
    }
    return out;
}

static void exec_many(struct sql_job *job, struct nana_stmt *stmt)
{
    struct nana_conn *conn = job->conn;
    json_t *sets = job->params;
    int64_t total = 0;
    size_t i;
    json_t *params;
    json_array_foreach(sets, i, params) {
        char *why = NULL;
        nana_status_t st = bind_params(stmt, params, &why);
        if (st != NANA_OK) {
            sql_fail(job, st, nana__strdupf("%s: row %zu: %s; nothing was written", job->what,
                                            i, why ? why : nana_errstr(st)));
            free(why);
            return;
        }
        int64_t total_before = nana__conn_total_changes(conn);
        int rc = run_stmt(stmt, NULL, false, false, NULL);
        int64_t changed = stmt_changes(stmt, total_before);
        nana__stmt_reset(stmt);
        if (rc != SQLITE_DONE) {
            sql_fail(job, (rc & 0xff) == SQLITE_AUTH ? NANA_EINVAL : nana__status_from_sqlite(rc),
                     nana__strdupf("%s: row %zu: %s%s; nothing was written", job->what, i,
                                   nana__conn_errmsg(conn), nana__conn_error_hint(conn, rc)));
            return;
        }
        total += changed;
    }
    job->base.result = json_integer(total);
}

/* The row set: steps stmt into job->rows. */
static void read_rows(struct sql_job *job, struct nana_stmt *stmt)
{
    int rc = nana__rows_read(stmt, &job->rows);
    if (rc == SQLITE_NOMEM)
        sql_fail(job, NANA_ENOMEM, nana__strdupf("%s: out of memory for the rows", job->what));
    else if (rc != SQLITE_DONE)
        sql_fail_sqlite(job, rc);
}

static void sql_run(struct nana_job *base, struct nana_exec *ex)
{
    struct sql_job *job = container_of(base, struct sql_job, base), *sj = job;
    struct nana_conn *conn = job->conn = nana__exec_conn(ex);
    if (ex->reader)
        job->auth = &job->reader_auth[ex->reader - 1]; /* that connection's */
    bool savepoint = job->write && nana__conn_in_transaction(conn);
    nana__auth_begin(job->auth, NANA__AUTH_OFF, NULL);

    /* A savepoint, so that a failed job leaves nothing behind even when
     * it had already written rows (execute_many). */
    if (savepoint && nana__conn_exec(conn, "SAVEPOINT nana_sql") != SQLITE_OK) {
        sql_fail_sqlite(job, nana__conn_errcode(conn));
        return;
    }
    struct nana_stmt *stmt = prepare_one(job, sj->sql);
    if (stmt) {
        if (sj->shape == NANA__SHAPE_MANY) {
            exec_many(job, stmt);
        } else {
            char *why = NULL;
            nana_status_t st = bind_params(stmt, sj->params, &why);
            if (st != NANA_OK) {
                sql_fail(job, st, nana__strdupf("%s: %s", sj->what, why ? why : nana_errstr(st)));
            } else if (sj->shape == NANA__SHAPE_ROWS) {
                read_rows(job, stmt);
            } else {
                int rc;
                json_t *out = shape_result(job, stmt, &rc);
                if (rc != SQLITE_DONE) {
                    sql_fail_sqlite(job, rc);
                } else if (!out && sj->shape != NANA__SHAPE_NONE) {
                    sql_fail(job, NANA_ENOMEM, NULL);
                } else {
                    job->base.result = out;
                }
            }
            free(why);
        }
        nana__stmt_finalize(stmt);
    }

    if (job->base.status == NANA_OK && sj->shape == NANA__SHAPE_SCHEMA &&
        json_array_size(job->base.result) == 0)
        sql_fail(job, NANA_ENOTFOUND, nana__strdupf("no table \"%s\"", sj->table));

    if (job->base.status == NANA_OK && sj->shape == NANA__SHAPE_PAGE) {
        struct nana_stmt *count = prepare_one(job, sj->count_sql);
        if (count) {
            char *why = NULL;
            nana_status_t st = bind_params(count, sj->params, &why);
            if (st != NANA_OK) {
                sql_fail(job, st, why);
                why = NULL;
            } else if (nana__stmt_step(count) == SQLITE_ROW) {
                json_t *page = json_pack("{s:o, s:I, s:I, s:I}", "rows", job->base.result, "total",
                                         (json_int_t)nana__stmt_column_int64(count, 0), "limit",
                                         (json_int_t)sj->limit, "offset", (json_int_t)sj->offset);
                job->base.result = page;
                if (!page)
                    sql_fail(job, NANA_ENOMEM, NULL);
            } else {
                sql_fail_sqlite(job, nana__conn_errcode(conn));
            }
            free(why);
            nana__stmt_finalize(count);
        }
    }

    if (savepoint && nana__conn_in_transaction(conn)) {
        if (job->base.status != NANA_OK)
            nana__conn_exec(conn, "ROLLBACK TO nana_sql");
        nana__conn_exec(conn, "RELEASE nana_sql");
    }
}

/* After the batch: a committed write empties the caches of the dict tables
 * it wrote (all of them, if it wrote more tables than the authorizer kept
 * track of) -- before its pending_sql_writes count drops, so that no reader
 * sees the old cache answer in between. */
static void sql_settle(struct nana_job *base, bool committed)
{
    struct sql_job *job = container_of(base, struct sql_job, base);
    if (committed && job->write && job->conn)
        nana__tables_forget_written(job->tables, job->auth);
    if (job->write)
        atomic_fetch_sub_explicit(&job->tables->pending_sql_writes, 1, memory_order_release);
}

static void sql_destroy(struct nana_job *base)
{
    struct sql_job *job = container_of(base, struct sql_job, base);
    free(job->sql);
    free(job->count_sql);
    nana__json_release(job->params);
    free(job->what);
    free(job->base.errmsg);
    nana__json_release(job->base.result);
    nana__rows_free(job->rows);
    free(job);
}

/* A row set reaches its future as a payload, once the job's outcome is
 * final: a batch that rolls back fails its reads too (engine.c). */
static void rows_deliver(struct nana_job *base)
{
    struct sql_job *job = container_of(base, struct sql_job, base);
    if (job->rows && base->status == NANA_OK) {
        nana__future_set_payload(base->future, nana__rows_payload(job->rows));
        job->rows = NULL;
    }
}

static const struct nana_job_ops sql_ops = {sql_run, sql_settle, NULL, sql_destroy};
static const struct nana_job_ops rows_ops = {sql_run, sql_settle, rows_deliver, sql_destroy};

/* ------------------------------------------------------- submission side */

nana_future_t *nana__sql_reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

nana_future_t *nana__sql_check_db(nana_db_t *db)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    return st == NANA_OK ? NULL : nana__sql_reject(st, why);
}

nana_future_t *nana__sql_check_params(json_t *params)
{
    const char *why;
    nana_status_t st;
    if (params && !json_is_array(params) && !json_is_object(params) && !json_is_null(params))
        return nana__sql_reject(NANA_ETYPE, "parameters must be a JSON array or object");
    if ((st = param_names_check(params, &why)) != NANA_OK)
        return nana__sql_reject(st, why);
    return NULL;
}

nana_future_t *nana__sql_submit(nana_db_t *db, struct nana_sql_request *rq)
{
    struct sql_job *job = NULL;
    const char *why;
    /* The values of a row or a set reach here without check_params(). */
    nana_status_t st =
        rq->shape == NANA__SHAPE_MANY ? NANA_OK : param_names_check(rq->params, &why);
    if (st != NANA_OK) {
        free(rq->sql);
        free(rq->count_sql);
        return nana__sql_reject(st, why);
    }
    job = calloc(1, sizeof *job);
    if (!job || !rq->sql || (rq->shape == NANA__SHAPE_PAGE && !rq->count_sql)) {
        free(job);
        free(rq->sql);
        free(rq->count_sql);
        return nana__sql_reject(NANA_ENOMEM, NULL);
    }
    job->base.ops = rq->shape == NANA__SHAPE_ROWS ? &rows_ops : &sql_ops;
    job->tables = &db->root->tables;
    job->auth = &db->root->auth;
    job->reader_auth = db->root->reader_auth;
    job->sql = rq->sql;
    job->count_sql = rq->count_sql;
    job->shape = rq->shape;
    job->auth_mode = rq->auth;
    job->limit = rq->limit;
    job->offset = rq->offset;
    job->write = rq->write;
    job->read_only = !rq->write && rq->auth == NANA__AUTH_USER;
    if (rq->table)
        snprintf(job->table, sizeof job->table, "%s", rq->table);
    job->what = strdup(rq->what);
    if (!job->what || (rq->params && !json_is_null(rq->params) &&
                       !(job->params = nana__json_copy(rq->params)))) {
        sql_destroy(&job->base);
        return nana__sql_reject(NANA_ENOMEM, NULL);
    }
    /* A write runs as a batch of its own: the cache reset it causes must
     * come after the writes staged before it and before the reads after
     * it.  So do statements that must run outside a transaction. */
    job->base.lane = rq->write ? NANA__LANE_WRITER : NANA__LANE_READER;
    if (rq->write)
        job->base.flags |= NANA__JOB_WRITES;
    if (rq->write || rq->shape == NANA__SHAPE_NONE || rq->shape == NANA__SHAPE_PRAGMA)
        job->base.flags |= NANA__JOB_ALONE;
    /* A helper's read (nana_query, nana_count, ...: one table of the
     * file, statements the library wrote) may run on a reader when nothing
     * waits for the writer (engine.c).  Not the user's own SQL: it may
     * read what only the writer connection has -- its temp tables,
     * changes(), last_insert_rowid(). */
    else if (rq->auth == NANA__AUTH_HELPER && rq->shape != NANA__SHAPE_MANY)
        job->base.flags |= NANA__JOB_READER_IDLE;
    /* It reads one table (the rest: anything, the default). */
    if (!rq->write && rq->auth == NANA__AUTH_HELPER && rq->table)
        job->base.touches = (struct nana_footprint){.kind = NANA__TOUCHES_TABLE,
                                                    .table = job->table};
    /* Counted before it is queued: from now on no read of this root is
     * answered from a cache (settle drops the count). */
    if (rq->write)
        atomic_fetch_add_explicit(&job->tables->pending_sql_writes, 1, memory_order_relaxed);
    return nana__db_submit(db, &job->base);
}

static nana_future_t *direct(nana_db_t *db, const char *sql, json_t *params,
                             enum nana_sql_shape shape, bool write, const char *what)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    if (!sql)
        return nana__sql_reject(NANA_EINVAL, "NULL SQL text");
    if (strlen(sql) > SQL_TEXT_MAX)
        return nana__sql_reject(NANA_EINVAL, "SQL text longer than 1 MiB");
    if ((f = nana__sql_check_params(params)))
        return f;
    struct nana_sql_request rq = {.sql = strdup(sql), .params = params, .shape = shape,
                                  .auth = NANA__AUTH_USER, .write = write, .what = what};
    return nana__sql_submit(db, &rq);
}

NANA_API nana_future_t *nana_execute(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, NANA__SHAPE_EXEC, true, "execute");
}

NANA_API nana_future_t *nana_execute_many(nana_db_t *db, const char *sql, json_t *param_sets)
{
    if (db && sql && !json_is_array(param_sets))
        return nana__sql_reject(param_sets ? NANA_ETYPE : NANA_EINVAL,
                      "execute_many needs an array of parameter sets");
    size_t i;
    json_t *set;
    json_array_foreach(param_sets, i, set) {
        if (!json_is_array(set) && !json_is_object(set))
            return nana__future_new_failed_owned(NANA_ETYPE,
                                nana__strdupf("execute_many: parameter set %zu is not an array "
                                              "or object", i));
        const char *why;
        nana_status_t st = param_names_check(set, &why);
        if (st != NANA_OK)
            return nana__future_new_failed_owned(
                st, nana__strdupf("execute_many: parameter set %zu: %s", i, why));
    }
    /* The sets travel as "params"; direct() only checks it is an array. */
    return direct(db, sql, param_sets, NANA__SHAPE_MANY, true, "execute_many");
}

NANA_API nana_future_t *nana_fetch_one(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, NANA__SHAPE_ONE, false, "fetch_one");
}

NANA_API nana_future_t *nana_fetch_all(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, NANA__SHAPE_ALL, false, "fetch_all");
}

NANA_API nana_future_t *nana_fetch_rows(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, NANA__SHAPE_ROWS, false, "fetch_rows");
}

/* --------------------------------------------------------------- helpers */

