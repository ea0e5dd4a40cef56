/*
 * sql.c -- the SQL surface: direct SQL (execute, execute_many, fetch_*) and
 * the helpers that build their SQL from validated pieces.
 *
 * Every call becomes one NANA__JOB_SQL job in the root's queue, so SQL and
 * dict operations take effect in submission order.  The SQL text is built
 * and the parameters copied on the caller's thread; the executor prepares,
 * binds and steps.  Writes run as batches of their own (whole-table jobs):
 * when one commits, the caches of the dict tables it wrote are emptied,
 * which is what keeps them coherent -- the authorizer tells us, at prepare
 * time, every table a statement (and its triggers) may write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

enum sql_shape {
    SHAPE_EXEC,      /* {"columns", "rows", "changes", "last_insert_rowid"} */
    SHAPE_MANY,      /* integer: total changes */
    SHAPE_ONE,       /* first row (array) or null */
    SHAPE_ALL,       /* array of arrays */
    SHAPE_OBJECTS,   /* array of objects */
    SHAPE_PAGE,      /* {"rows", "total", "limit", "offset"} */
    SHAPE_CHANGES,   /* integer: changes */
    SHAPE_ROWID,     /* integer: last insert rowid */
    SHAPE_SCALAR,    /* integer: first column of the first row */
    SHAPE_ANY_ROW,   /* boolean: a row came back */
    SHAPE_COLUMN,    /* array of the first column's values */
    SHAPE_SCHEMA,    /* array of column objects; ENOTFOUND when none */
    SHAPE_NONE,      /* no value */
    SHAPE_PRAGMA,    /* as SHAPE_ALL, but run alone outside any transaction */
};

enum auth_mode {
    AUTH_OFF = 0,     /* the library's own statements */
    AUTH_USER,        /* direct SQL: no transaction control */
    AUTH_HELPER,      /* a helper: one table, no schema change */
    AUTH_HELPER_DDL,  /* a schema helper: its own schema change only */
};

struct nana_sql_job {
    char *sql;
    char *count_sql;      /* SHAPE_PAGE: the total's statement */
    json_t *params;       /* copy; for execute_many the array of sets */
    enum sql_shape shape;
    enum auth_mode auth;
    char table[NANA_TABLE_NAME_MAX + 1]; /* a helper's table ("" for none) */
    bool read_only;       /* refuse statements that write */
    int64_t limit, offset;
    char *what;           /* for messages: "execute", "query", ... */
};

/* ------------------------------------------------------- JSON strings */

/* jansson strings and (since 2.14) object keys carry a length and may hold
 * NUL bytes; a name read as a C string would stop at the first one, so that
 * what was checked would not be what was given.  These say whether the
 * whole string is a C string. */
static bool key_is_cstring(const char *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_iter_key_len(json_object_key_to_iter(key)) == strlen(key);
#else
    (void)key; /* older jansson refuses keys with a NUL */
    return true;
#endif
}

static bool string_is_cstring(const json_t *s)
{
    return json_is_string(s) && strlen(json_string_value(s)) == json_string_length(s);
}

static bool keys_are_cstrings(json_t *object)
{
    const char *name;
    json_t *v;
    json_object_foreach(object, name, v) {
        if (!key_is_cstring(name))
            return false;
    }
    return true;
}

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
        if (!keys_are_cstrings(params)) {
            *why = "a parameter name holds a NUL byte";
            return NANA_EINVAL;
        }
        json_object_foreach(params, name, v) {
            if (json_is_object(v) && !keys_are_cstrings(v))
                goto bad_value;
        }
    } else if (json_is_array(params)) {
        json_array_foreach(params, i, v) {
            if (json_is_object(v) && !keys_are_cstrings(v))
                goto bad_value;
        }
    }
    return NANA_OK;
bad_value:
    /* Not {"$blob": ...}: an object that cannot be bound. */
    *why = "a parameter's object has a member name holding a NUL byte";
    return NANA_ETYPE;
}

void nana__sql_job_free(struct nana_sql_job *sj)
{
    if (!sj)
        return;
    free(sj->sql);
    free(sj->count_sql);
    nana__json_release(sj->params);
    free(sj->what);
    free(sj);
}

/* ------------------------------------------------------------ authorizer */

static int helper_verdict(struct nana_root *root, int action, const char *a1, const char *a2);

/* SQLite compares table and column names without regard to ASCII case, and
 * reports them as the schema spells them, not as the statement did: "DATA"
 * and "data" are one table.  Not strcasecmp(), which follows the locale. */
static bool name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

static void note_written(struct nana_root *root, const char *table)
{
    if (!table)
        return;
    for (int i = 0; i < root->n_auth_written; i++)
        if (name_eq(root->auth_written[i], table))
            return;
    if (root->n_auth_written == 8 || strlen(table) > NANA_TABLE_NAME_MAX) {
        root->auth_written_overflow = true;
        return;
    }
    snprintf(root->auth_written[root->n_auth_written++], NANA_TABLE_NAME_MAX + 1, "%s", table);
}

static bool is_schema_table(const char *t)
{
    return t && (name_eq(t, "sqlite_master") || name_eq(t, "sqlite_schema") ||
                 name_eq(t, "sqlite_temp_master") || name_eq(t, "sqlite_sequence"));
}

static bool same_table(const struct nana_root *root, const char *t)
{
    return t && root->auth_table && name_eq(t, root->auth_table);
}

int nana__authorize(void *arg, int action, const char *a1, const char *a2, const char *db,
                    const char *trigger)
{
    struct nana_root *root = arg;
    (void)db;
    (void)trigger;
    int mode = root->auth_mode;
    if (mode == AUTH_OFF)
        return SQLITE_OK;

    /* Remember every table the statement may write, for the caches. */
    switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_DROP_TABLE:
        if (!is_schema_table(a1))
            note_written(root, a1);
        break;
    case SQLITE_ALTER_TABLE:
        note_written(root, a2);
        break;
    default:
        break;
    }

    if (action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT) {
        root->auth_denied = "transaction control (BEGIN, COMMIT, SAVEPOINT, ...) belongs to "
                            "the library";
        return SQLITE_DENY;
    }
    if (mode == AUTH_USER)
        return SQLITE_OK;
    int verdict = helper_verdict(root, action, a1, a2);
    if (verdict == SQLITE_DENY)
        root->auth_denied = "the statement reaches beyond what this helper may touch "
                            "(another table, ATTACH, PRAGMA or a schema change)";
    return verdict;
}

static int helper_verdict(struct nana_root *root, int action, const char *a1, const char *a2)
{
    bool ddl = root->auth_mode == AUTH_HELPER_DDL;
    switch (action) {
    case SQLITE_SELECT:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (a2 && strcasecmp(a2, "load_extension") == 0) {
            root->auth_denied = "load_extension() is not allowed";
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    case SQLITE_READ:
        /* "excluded" is the upsert's pseudo-table of the proposed row. */
        return same_table(root, a1) || (a1 && name_eq(a1, "excluded")) ||
                       (ddl && is_schema_table(a1))
                   ? SQLITE_OK
                   : SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        if (same_table(root, a1) || (ddl && is_schema_table(a1)))
            return SQLITE_OK;
        return SQLITE_DENY;
    case SQLITE_CREATE_TABLE:
    case SQLITE_DROP_TABLE:
        /* AUTOINCREMENT creates sqlite_sequence along with the table. */
        return ddl && (same_table(root, a1) || is_schema_table(a1)) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_REINDEX: /* CREATE INDEX asks for it too */
        return ddl ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:
        return ddl && same_table(root, a2) ? SQLITE_OK : SQLITE_DENY;
    default:
        /* ATTACH, DETACH, PRAGMA, triggers, views, temp objects, ... */
        return SQLITE_DENY;
    }
}

/* ---------------------------------------------------------------- base64 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *blob_json(const unsigned char *data, size_t n)
{
    size_t out_len = (n + 2) / 3 * 4;
    char *text = malloc(out_len + 1);
    if (!text)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        text[o++] = b64[v >> 18 & 63];
        text[o++] = b64[v >> 12 & 63];
        text[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        text[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    text[o] = '\0';
    json_t *obj = json_object();
    if (obj && json_object_set_new(obj, "$blob", json_stringn(text, o)) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    free(text);
    return obj;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decodes base64 text; NULL when it is not valid base64. */
static unsigned char *blob_decode(const char *text, size_t len, size_t *n_out)
{
    if (len % 4 != 0)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            bool pad = text[i + k] == '=' && i + 4 == len && k >= 2;
            v[k] = pad ? 0 : b64_value(text[i + k]);
            if (v[k] < 0 || (k == 2 && text[i + 2] == '=' && text[i + 3] != '=')) {
                free(out);
                return NULL;
            }
        }
        unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
                        (unsigned)v[3];
        out[n++] = (unsigned char)(bits >> 16);
        if (text[i + 2] != '=')
            out[n++] = (unsigned char)(bits >> 8);
        if (text[i + 3] != '=')
            out[n++] = (unsigned char)bits;
    }
    *n_out = n;
    return out;
}

/* ------------------------------------------------------ binding, results */

static nana_status_t bind_value(sqlite3_stmt *stmt, int idx, json_t *v, char **why)
{
    int rc;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        rc = sqlite3_bind_int64(stmt, idx, json_integer_value(v));
        break;
    case JSON_REAL:
        rc = sqlite3_bind_double(stmt, idx, json_real_value(v));
        break;
    case JSON_STRING:
        rc = sqlite3_bind_text(stmt, idx, json_string_value(v), (int)json_string_length(v),
                               SQLITE_TRANSIENT);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        rc = sqlite3_bind_int(stmt, idx, json_is_true(v));
        break;
    case JSON_NULL:
        rc = sqlite3_bind_null(stmt, idx);
        break;
    case JSON_OBJECT: {
        json_t *b = json_object_get(v, "$blob");
        size_t n = 0;
        unsigned char *data = NULL;
        if (json_object_size(v) == 1 && json_is_string(b))
            data = blob_decode(json_string_value(b), json_string_length(b), &n);
        if (!data) {
            *why = nana__strdupf("parameter %d: an object must be {\"$blob\": \"<base64>\"}", idx);
            return NANA_ETYPE;
        }
        rc = sqlite3_bind_blob(stmt, idx, data, (int)n, free);
        break;
    }
    default:
        *why = nana__strdupf("parameter %d: arrays cannot be bound", idx);
        return NANA_ETYPE;
    }
    if (rc != SQLITE_OK) {
        *why = nana__strdupf("parameter %d: %s", idx, sqlite3_errstr(rc));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

static nana_status_t bind_params(sqlite3_stmt *stmt, json_t *params, char **why)
{
    int expected = sqlite3_bind_parameter_count(stmt);
    sqlite3_clear_bindings(stmt);
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
        if (!key_is_cstring(name)) {
            *why = strdup("a parameter name holds a NUL byte");
            return NANA_EINVAL;
        }
        if (name[0] == ':' || name[0] == '@' || name[0] == '$') {
            idx = sqlite3_bind_parameter_index(stmt, name);
        } else {
            char prefixed[NANA_TABLE_NAME_MAX + 2];
            for (const char *p = ":@$"; *p && !idx && strlen(name) <= NANA_TABLE_NAME_MAX; p++) {
                snprintf(prefixed, sizeof prefixed, "%c%s", *p, name);
                idx = sqlite3_bind_parameter_index(stmt, prefixed);
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

/* True when text is plain ASCII, eight bytes at a time: such text is valid
 * UTF-8, and jansson's byte-by-byte check can be skipped. */
static bool is_ascii(const char *text, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)text[i];
    return (acc & 0x8080808080808080ull) == 0;
}

static json_t *column_json(sqlite3_stmt *stmt, int i)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT: {
        const char *text = (const char *)sqlite3_column_text(stmt, i);
        size_t n = (size_t)sqlite3_column_bytes(stmt, i);
        json_t *s = is_ascii(text, n) ? json_stringn_nocheck(text, n) : json_stringn(text, n);
        /* Not UTF-8: hand the bytes over as a blob rather than fail. */
        return s ? s : blob_json((const unsigned char *)text, n);
    }
    case SQLITE_BLOB:
        return blob_json(sqlite3_column_blob(stmt, i), (size_t)sqlite3_column_bytes(stmt, i));
    default:
        return json_null();
    }
}

static json_t *row_json(sqlite3_stmt *stmt, bool as_object)
{
    int n = sqlite3_column_count(stmt);
    json_t *row = as_object ? json_object() : json_array();
    for (int i = 0; row && i < n; i++) {
        json_t *v = column_json(stmt, i);
        int rc = !v ? -1
                 : as_object ? json_object_set_new(row, sqlite3_column_name(stmt, i), v)
                             : json_array_append_new(row, v);
        if (rc != 0) {
            json_decref(row);
            row = NULL;
        }
    }
    return row;
}

/* --------------------------------------------------------- executor side */

static void sql_fail(struct nana_job *job, nana_status_t st, char *msg)
{
    job->status = st;
    free(job->errmsg);
    job->errmsg = msg;
    nana__json_release(job->result);
    job->result = NULL;
}

static void sql_fail_sqlite(struct nana_job *job, int rc)
{
    sqlite3 *conn = job->root->conn;
    const char *msg = sqlite3_errmsg(conn);
    /* Refused by the authorizer: an input problem, not a database one. */
    /* SQLite reports a denied function as a plain error: the authorizer's
     * note says it was a refusal all the same. */
    bool refused = (rc & 0xff) == SQLITE_AUTH || job->root->auth_denied;
    if (job->root->auth_denied)
        msg = job->root->auth_denied;
    nana_status_t st = refused ? NANA_EINVAL : nana__status_from_sqlite(rc);
    sql_fail(job, st, nana__strdupf("%s: %s%s", job->sql->what, msg ? msg : sqlite3_errstr(rc),
                                    nana__readonly_hint(job->root, rc)));
}

/* Prepares exactly one statement with the job's authorizer mode. */
static sqlite3_stmt *prepare_one(struct nana_job *job, const char *sql)
{
    struct nana_root *root = job->root;
    struct nana_sql_job *sj = job->sql;
    sqlite3_stmt *stmt = NULL;
    const char *tail = NULL;
    root->auth_mode = sj->auth;
    root->auth_table = sj->table[0] ? sj->table : NULL;
    root->auth_denied = NULL;
    int rc = sqlite3_prepare_v2(root->conn, sql, -1, &stmt, &tail);
    root->auth_mode = AUTH_OFF;
    if (rc != SQLITE_OK) {
        sql_fail_sqlite(job, rc);
        return NULL;
    }
    if (!stmt) {
        sql_fail(job, NANA_EINVAL, nana__strdupf("%s: no SQL statement", sj->what));
        return NULL;
    }
    if (!nana__tail_is_empty(tail)) {
        sqlite3_finalize(stmt);
        sql_fail(job, NANA_EINVAL,
                 nana__strdupf("%s: exactly one SQL statement per call; nothing was run",
                               sj->what));
        return NULL;
    }
    if (sj->read_only && !sqlite3_stmt_readonly(stmt)) {
        sqlite3_finalize(stmt);
        sql_fail(job, NANA_EINVAL,
                 nana__strdupf("%s runs read-only statements; use nana_execute to write",
                               sj->what));
        return NULL;
    }
    return stmt;
}

/* Steps stmt to the end, collecting rows as the shape wants. */
static int run_stmt(sqlite3_stmt *stmt, json_t *rows, bool as_object, bool first_only,
                    json_t **first)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
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

/* Rows the statement itself changed (not its triggers').  sqlite3_changes()
 * keeps the last INSERT/UPDATE/DELETE's count through other statements, so
 * it counts only when the total moved while this one ran. */
static int64_t stmt_changes(sqlite3_stmt *stmt, sqlite3_int64 total_before)
{
    sqlite3 *conn = sqlite3_db_handle(stmt);
    if (sqlite3_stmt_readonly(stmt) || sqlite3_total_changes64(conn) == total_before)
        return 0;
    return sqlite3_changes64(conn);
}

static json_t *column_names(sqlite3_stmt *stmt)
{
    json_t *cols = json_array();
    for (int i = 0; cols && i < sqlite3_column_count(stmt); i++)
        json_array_append_new(cols, json_string(sqlite3_column_name(stmt, i)));
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

static json_t *shape_result(struct nana_job *job, sqlite3_stmt *stmt, int *rc_out)
{
    struct nana_sql_job *sj = job->sql;
    sqlite3 *conn = job->root->conn;
    json_t *rows = NULL, *first = NULL, *out = NULL;
    int rc;

    switch (sj->shape) {
    case SHAPE_EXEC: {
        sqlite3_int64 total_before = sqlite3_total_changes64(conn);
        rows = json_array();
        rc = run_stmt(stmt, rows, false, false, NULL);
        if (rc == SQLITE_DONE)
            out = json_pack("{s:o, s:o, s:I, s:I}", "columns", column_names(stmt), "rows", rows,
                            "changes", (json_int_t)stmt_changes(stmt, total_before),
                            "last_insert_rowid", (json_int_t)sqlite3_last_insert_rowid(conn));
        else
            json_decref(rows);
        break;
    }
    case SHAPE_ONE:
        rc = run_stmt(stmt, NULL, false, true, &first);
        out = first ? first : json_null();
        break;
    case SHAPE_ALL:
    case SHAPE_PRAGMA:
    case SHAPE_OBJECTS:
    case SHAPE_PAGE:
        rows = json_array();
        rc = run_stmt(stmt, rows, sj->shape == SHAPE_OBJECTS || sj->shape == SHAPE_PAGE,
                      false, NULL);
        out = rows;
        break;
    case SHAPE_SCHEMA:
        rows = json_array();
        rc = run_stmt(stmt, rows, true, false, NULL);
        if (rc == SQLITE_DONE && schema_booleans(rows) != 0)
            rc = SQLITE_NOMEM;
        out = rows;
        break;
    case SHAPE_COLUMN: {
        rows = json_array();
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            json_array_append_new(rows, column_json(stmt, 0));
        out = rows;
        break;
    }
    case SHAPE_SCALAR:
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            out = json_integer(sqlite3_column_int64(stmt, 0));
            rc = run_stmt(stmt, NULL, false, false, NULL); /* RETURNING: finish */
        } else if (rc == SQLITE_DONE) {
            /* No row: an upsert whose DO NOTHING fired, as NanaSQLite's. */
            out = json_integer(0);
        }
        break;
    case SHAPE_ANY_ROW:
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            out = json_boolean(rc == SQLITE_ROW);
            rc = SQLITE_DONE;
        }
        break;
    case SHAPE_CHANGES: {
        sqlite3_int64 total_before = sqlite3_total_changes64(conn);
        rc = run_stmt(stmt, NULL, false, false, NULL);
        out = json_integer(stmt_changes(stmt, total_before));
        break;
    }
    case SHAPE_ROWID:
        rc = run_stmt(stmt, NULL, false, false, NULL);
        out = json_integer(sqlite3_last_insert_rowid(conn));
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

static void exec_many(struct nana_job *job, sqlite3_stmt *stmt)
{
    sqlite3 *conn = job->root->conn;
    json_t *sets = job->sql->params;
    int64_t total = 0;
    size_t i;
    json_t *params;
    json_array_foreach(sets, i, params) {
        char *why = NULL;
        nana_status_t st = bind_params(stmt, params, &why);
        if (st != NANA_OK) {
            sql_fail(job, st, nana__strdupf("execute_many: row %zu: %s; nothing was written", i,
                                            why ? why : nana_errstr(st)));
            free(why);
            return;
        }
        sqlite3_int64 total_before = sqlite3_total_changes64(conn);
        int rc = run_stmt(stmt, NULL, false, false, NULL);
        int64_t changed = stmt_changes(stmt, total_before);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE) {
            sql_fail(job, (rc & 0xff) == SQLITE_AUTH ? NANA_EINVAL : nana__status_from_sqlite(rc),
                     nana__strdupf("execute_many: row %zu: %s; nothing was written", i,
                                   sqlite3_errmsg(conn)));
            return;
        }
        total += changed;
    }
    job->result = json_integer(total);
}

void nana__sql_execute(struct nana_job *job)
{
    struct nana_sql_job *sj = job->sql;
    sqlite3 *conn = job->root->conn;
    bool savepoint = job->is_write && !sqlite3_get_autocommit(conn);
    job->root->n_auth_written = 0;
    job->root->auth_written_overflow = false;

    /* A savepoint, so that a failed job leaves nothing behind even when
     * it had already written rows (execute_many). */
    if (savepoint && sqlite3_exec(conn, "SAVEPOINT nana_sql", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail_sqlite(job, sqlite3_errcode(conn));
        return;
    }
    sqlite3_stmt *stmt = prepare_one(job, sj->sql);
    if (stmt) {
        if (sj->shape == SHAPE_MANY) {
            exec_many(job, stmt);
        } else {
            char *why = NULL;
            nana_status_t st = bind_params(stmt, sj->params, &why);
            if (st != NANA_OK) {
                sql_fail(job, st, nana__strdupf("%s: %s", sj->what, why ? why : nana_errstr(st)));
            } else {
                int rc;
                json_t *out = shape_result(job, stmt, &rc);
                if (rc != SQLITE_DONE) {
                    sql_fail_sqlite(job, rc);
                } else if (!out && sj->shape != SHAPE_NONE) {
                    sql_fail(job, NANA_ENOMEM, NULL);
                } else {
                    job->result = out;
                }
            }
            free(why);
        }
        sqlite3_finalize(stmt);
    }

    if (job->status == NANA_OK && sj->shape == SHAPE_SCHEMA && json_array_size(job->result) == 0)
        sql_fail(job, NANA_ENOTFOUND, nana__strdupf("no table \"%s\"", sj->table));

    if (job->status == NANA_OK && sj->shape == SHAPE_PAGE) {
        sqlite3_stmt *count = prepare_one(job, sj->count_sql);
        if (count) {
            char *why = NULL;
            nana_status_t st = bind_params(count, sj->params, &why);
            if (st != NANA_OK) {
                sql_fail(job, st, why);
                why = NULL;
            } else if (sqlite3_step(count) == SQLITE_ROW) {
                json_t *page = json_pack("{s:o, s:I, s:I, s:I}", "rows", job->result, "total",
                                         (json_int_t)sqlite3_column_int64(count, 0), "limit",
                                         (json_int_t)sj->limit, "offset", (json_int_t)sj->offset);
                job->result = page;
                if (!page)
                    sql_fail(job, NANA_ENOMEM, NULL);
            } else {
                sql_fail_sqlite(job, sqlite3_errcode(conn));
            }
            free(why);
            sqlite3_finalize(count);
        }
    }

    if (savepoint && !sqlite3_get_autocommit(conn)) {
        if (job->status != NANA_OK)
            sqlite3_exec(conn, "ROLLBACK TO nana_sql", NULL, NULL, NULL);
        sqlite3_exec(conn, "RELEASE nana_sql", NULL, NULL, NULL);
    }
}

/* After a SQL write committed: empty the caches of the dict tables it
 * wrote (all of them, if it wrote more tables than we kept track of). */
void nana__sql_finish(struct nana_job *job, bool committed)
{
    struct nana_root *root = job->root;
    /* Runs before the job's pending_sql_writes count is dropped, so no
     * reader sees the old cache answer in between. */
    if (!committed || !job->is_write)
        return;
    pthread_mutex_lock(&root->tables_lock);
    for (struct nana_table *t = root->tables; t; t = t->next) {
        bool hit = root->auth_written_overflow;
        for (int i = 0; !hit && i < root->n_auth_written; i++)
            hit = name_eq(root->auth_written[i], t->name);
        if (hit) {
            nana__cache_reset(&t->cache, false);
            atomic_store(&t->fully_loaded, false);
        }
    }
    pthread_mutex_unlock(&root->tables_lock);
}

/* ------------------------------------------------------- submission side */

#define SQL_TEXT_MAX (1 << 20)
#define ORDER_BY_BUILT_MAX 2048
#define WHERE_NUMBERED_MAX 8192

/* A growing SQL string; on allocation failure it turns NULL and stays so. */
struct sqlbuf {
    char *s;
    size_t len, cap;
    bool failed;
};

static void sb_add(struct sqlbuf *b, const char *text)
{
    size_t n = strlen(text);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

/* Adds "ident" -- only ever called with validated identifiers. */
static void sb_ident(struct sqlbuf *b, const char *ident)
{
    sb_add(b, "\"");
    sb_add(b, ident);
    sb_add(b, "\"");
}

static char *sb_take(struct sqlbuf *b)
{
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}

static nana_future_t *reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

static nana_future_t *reject_owned(nana_status_t st, char *msg)
{
    return nana__future_new_failed_owned(st, msg);
}

static nana_future_t *check_db(nana_db_t *db)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    return st == NANA_OK ? NULL : reject(st, why);
}

static nana_future_t *check_ident(const char *what, const char *ident)
{
    if (!ident)
        return reject_owned(NANA_EINVAL, nana__strdupf("NULL %s name", what));
    if (!nana__ident_valid(ident))
        return reject_owned(NANA_EINVAL,
                            nana__strdupf("invalid %s name: use [A-Za-z_][A-Za-z0-9_]*, at most "
                                          "128 bytes, not starting with sqlite_",
                                          what));
    return NULL;
}

/* A name given as a member name, as the columns of a row are. */
static nana_future_t *check_key_ident(const char *what, const char *key)
{
    if (!key_is_cstring(key))
        return reject_owned(NANA_EINVAL, nana__strdupf("a %s name holds a NUL byte", what));
    return check_ident(what, key);
}

/* A name given as a JSON string (an element of a column list). */
static nana_future_t *check_json_ident(const char *what, const json_t *name)
{
    if (!json_is_string(name))
        return reject_owned(NANA_EINVAL, nana__strdupf("a %s name must be a string", what));
    if (!string_is_cstring(name))
        return reject_owned(NANA_EINVAL, nana__strdupf("a %s name holds a NUL byte", what));
    return check_ident(what, json_string_value(name));
}

static nana_future_t *check_params(json_t *params)
{
    const char *why;
    nana_status_t st;
    if (params && !json_is_array(params) && !json_is_object(params) && !json_is_null(params))
        return reject(NANA_ETYPE, "parameters must be a JSON array or object");
    if ((st = param_names_check(params, &why)) != NANA_OK)
        return reject(st, why);
    return NULL;
}

static nana_future_t *check_where(const char *where)
{
    const char *why;
    if (where && nana__where_check(where, &why) != NANA_OK)
        return reject(NANA_EINVAL, why);
    return NULL;
}

/* Queues a SQL job whose text is sql (ownership taken; NULL: out of
 * memory) and whose parameters are a copy of params. */
static nana_future_t *submit_sql_paged(nana_db_t *db, char *sql, char *count_sql,
                                       int64_t limit, int64_t offset, json_t *params,
                                       enum sql_shape shape, enum auth_mode auth,
                                       const char *table, bool write, const char *what)
{
    struct nana_job *job = NULL;
    struct nana_sql_job *sj = NULL;
    const char *why;
    /* The values of a row or a set reach here without check_params(). */
    nana_status_t st = shape == SHAPE_MANY ? NANA_OK : param_names_check(params, &why);
    if (st != NANA_OK) {
        free(sql);
        free(count_sql);
        return reject(st, why);
    }
    sj = calloc(1, sizeof *sj);
    if (!sj || !sql || (shape == SHAPE_PAGE && !count_sql))
        goto oom;
    sj->sql = sql;
    sj->count_sql = count_sql;
    sql = count_sql = NULL;
    sj->shape = shape;
    sj->auth = auth;
    sj->limit = limit;
    sj->offset = offset;
    sj->read_only = !write && auth == AUTH_USER;
    if (table)
        snprintf(sj->table, sizeof sj->table, "%s", table);
    sj->what = strdup(what);
    if (!sj->what)
        goto oom;
    if (params && !json_is_null(params) && !(sj->params = json_deep_copy(params)))
        goto oom;
    job = nana__job_new(db->table, NANA__JOB_SQL);
    if (!job)
        goto oom;
    job->sql = sj;
    job->is_write = write;
    /* A write runs as a batch of its own: the cache reset it causes must
     * come after the writes staged before it and before those after it. */
    job->whole_table = write || shape == SHAPE_NONE || shape == SHAPE_PRAGMA;
    if (write)
        atomic_fetch_add_explicit(&db->root->pending_sql_writes, 1, memory_order_relaxed);
    return nana__pool_submit(db->root, job);
oom:
    free(sql);
    free(count_sql);
    nana__sql_job_free(sj);
    return reject(NANA_ENOMEM, NULL);
}

static nana_future_t *submit_sql(nana_db_t *db, char *sql, json_t *params, enum sql_shape shape,
                                 enum auth_mode auth, const char *table, bool write,
                                 const char *what)
{
    return submit_sql_paged(db, sql, NULL, -1, 0, params, shape, auth, table, write, what);
}

static nana_future_t *direct(nana_db_t *db, const char *sql, json_t *params, enum sql_shape shape,
                             bool write, const char *what)
{
    nana_future_t *f = check_db(db);
    if (f)
        return f;
    if (!sql)
        return reject(NANA_EINVAL, "NULL SQL text");
    if (strlen(sql) > SQL_TEXT_MAX)
        return reject(NANA_EINVAL, "SQL text longer than 1 MiB");
    if ((f = check_params(params)))
        return f;
    return submit_sql(db, strdup(sql), params, shape, AUTH_USER, NULL, write, what);
}

NANA_API nana_future_t *nana_execute(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, SHAPE_EXEC, true, "execute");
}

NANA_API nana_future_t *nana_execute_many(nana_db_t *db, const char *sql, json_t *param_sets)
{
    if (db && sql && !json_is_array(param_sets))
        return reject(param_sets ? NANA_ETYPE : NANA_EINVAL,
                      "execute_many needs an array of parameter sets");
    size_t i;
    json_t *set;
    json_array_foreach(param_sets, i, set) {
        if (!json_is_array(set) && !json_is_object(set))
            return reject_owned(NANA_ETYPE,
                                nana__strdupf("execute_many: parameter set %zu is not an array "
                                              "or object", i));
        const char *why;
        nana_status_t st = param_names_check(set, &why);
        if (st != NANA_OK)
            return reject_owned(st, nana__strdupf("execute_many: parameter set %zu: %s", i, why));
    }
    /* The sets travel as "params"; direct() only checks it is an array. */
    return direct(db, sql, param_sets, SHAPE_MANY, true, "execute_many");
}

NANA_API nana_future_t *nana_fetch_one(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, SHAPE_ONE, false, "fetch_one");
}

NANA_API nana_future_t *nana_fetch_all(nana_db_t *db, const char *sql, json_t *params)
{
    return direct(db, sql, params, SHAPE_ALL, false, "fetch_all");
}

/* --------------------------------------------------------------- helpers */

NANA_API nana_future_t *nana_create_table(nana_db_t *db, const char *table, json_t *columns,
                                          const char *primary_key, bool if_not_exists)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    if (!json_is_object(columns) || json_object_size(columns) == 0)
        return reject(columns ? NANA_ETYPE : NANA_EINVAL,
                      "create_table needs a non-empty object of column -> type");
    if (primary_key && (f = check_ident("primary key column", primary_key)))
        return f;

    struct sqlbuf b = {0};
    sb_add(&b, if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    sb_ident(&b, table);
    sb_add(&b, " (");
    const char *name;
    json_t *type;
    bool first = true, primary_key_found = false;
    json_object_foreach(columns, name, type) {
        char built[320];
        const char *why = "the type must be a string";
        if ((f = check_key_ident("column", name))) {
            free(b.s);
            return f;
        }
        if (json_is_string(type) && !string_is_cstring(type))
            why = "the type holds a NUL byte";
        else if (json_is_string(type) &&
                 nana__type_build(json_string_value(type), built, sizeof built, &why) == NANA_OK)
            why = NULL;
        if (why) {
            free(b.s);
            return reject_owned(NANA_EINVAL, nana__strdupf("column \"%s\": %s", name, why));
        }
        primary_key_found |= primary_key && name_eq(name, primary_key);
        if (!first)
            sb_add(&b, ", ");
        first = false;
        sb_ident(&b, name);
        sb_add(&b, " ");
        sb_add(&b, built);
    }
    if (primary_key && !primary_key_found) {
        free(b.s);
        return reject(NANA_EINVAL, "the primary key must be one of the columns");
    }
    if (primary_key) {
        sb_add(&b, ", PRIMARY KEY (");
        sb_ident(&b, primary_key);
        sb_add(&b, ")");
    }
    sb_add(&b, ")");
    return submit_sql(db, sb_take(&b), NULL, SHAPE_NONE, AUTH_HELPER_DDL, table, true,
                      "create_table");
}

/* Adds "a", "b", ... from a JSON array of identifiers; a failed future on
 * bad input. */
static nana_future_t *add_column_list(struct sqlbuf *b, json_t *columns, const char *what)
{
    if (!json_is_array(columns) || json_array_size(columns) == 0)
        return reject_owned(columns ? NANA_ETYPE : NANA_EINVAL,
                            nana__strdupf("%s must be a non-empty array of column names", what));
    size_t i;
    json_t *c;
    json_array_foreach(columns, i, c) {
        nana_future_t *f = check_json_ident("column", c);
        if (f)
            return f;
        if (i)
            sb_add(b, ", ");
        sb_ident(b, json_string_value(c));
    }
    return NULL;
}

NANA_API nana_future_t *nana_create_index(nana_db_t *db, const char *index, const char *table,
                                          json_t *columns, bool unique, bool if_not_exists)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("index", index)) || (f = check_ident("table", table)))
        return f;
    struct sqlbuf b = {0};
    sb_add(&b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (if_not_exists)
        sb_add(&b, "IF NOT EXISTS ");
    sb_ident(&b, index);
    sb_add(&b, " ON ");
    sb_ident(&b, table);
    sb_add(&b, " (");
    if ((f = add_column_list(&b, columns, "columns"))) {
        free(b.s);
        return f;
    }
    sb_add(&b, ")");
    return submit_sql(db, sb_take(&b), NULL, SHAPE_NONE, AUTH_HELPER_DDL, table, true,
                      "create_index");
}

/* " WHERE (where)" after checking it; a failed future on bad input. */
static nana_future_t *add_where(struct sqlbuf *b, const char *where, json_t *params)
{
    nana_future_t *f = check_params(params);
    if (f || (f = check_where(where)))
        return f;
    if (where) {
        sb_add(b, " WHERE (");
        sb_add(b, where);
        sb_add(b, ")");
    }
    return NULL;
}

static nana_future_t *select_query(nana_db_t *db, const char *table, json_t *columns,
                                   const char *where, json_t *params, const char *order_by,
                                   int64_t limit, int64_t offset, bool paginate)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    if (limit < 0)
        return reject(NANA_EINVAL, "limit must not be negative (INT64_MAX: no limit)");
    if (offset < 0)
        return reject(NANA_EINVAL, "offset must not be negative");
    if (paginate && limit < 1)
        return reject(NANA_EINVAL, "query_with_pagination needs a limit of at least 1");
    struct sqlbuf b = {0}, count = {0};
    sb_add(&b, "SELECT ");
    if (columns) {
        if ((f = add_column_list(&b, columns, "columns")))
            goto fail;
    } else {
        sb_add(&b, "*");
    }
    sb_add(&b, " FROM ");
    sb_ident(&b, table);
    sb_add(&count, "SELECT COUNT(*) FROM ");
    sb_ident(&count, table);
    if ((f = add_where(&b, where, params)))
        goto fail;
    add_where(&count, where, params);
    if (order_by) {
        char built[ORDER_BY_BUILT_MAX];
        const char *why;
        if (nana__order_by_build(order_by, built, sizeof built, &why) != NANA_OK) {
            f = reject(NANA_EINVAL, why);
            goto fail;
        }
        sb_add(&b, " ORDER BY ");
        sb_add(&b, built);
    }
    char tail[64];
    snprintf(tail, sizeof tail, " LIMIT %lld OFFSET %lld", (long long)limit, (long long)offset);
    sb_add(&b, tail);
    if (!paginate) {
        free(count.s);
        return submit_sql(db, sb_take(&b), params, SHAPE_OBJECTS, AUTH_HELPER, table, false,
                          "query");
    }
    f = submit_sql_paged(db, sb_take(&b), sb_take(&count), limit, offset, params, SHAPE_PAGE,
                         AUTH_HELPER, table, false, "query_with_pagination");
    return f;
fail:
    free(b.s);
    free(count.s);
    return f;
}

NANA_API nana_future_t *nana_query(nana_db_t *db, const char *table, json_t *columns,
                                   const char *where, json_t *params, const char *order_by,
                                   int64_t limit, int64_t offset)
{
    return select_query(db, table, columns, where, params, order_by, limit, offset, false);
}

NANA_API nana_future_t *nana_query_with_pagination(nana_db_t *db, const char *table,
                                                   json_t *columns, const char *where,
                                                   json_t *params, const char *order_by,
                                                   int64_t limit, int64_t offset)
{
    return select_query(db, table, columns, where, params, order_by, limit, offset, true);
}

/* A query of the library's own about one table, named by a bound parameter
 * (NULL table: no parameter). */
static nana_future_t *about_table(nana_db_t *db, const char *table, const char *sql,
                                  enum sql_shape shape, const char *what)
{
    nana_future_t *f = check_db(db);
    if (f || (table && (f = check_ident("table", table))))
        return f;
    json_t *params = table ? json_pack("[s]", table) : NULL;
    f = submit_sql(db, strdup(sql), params, shape, AUTH_OFF, table, false, what);
    json_decref(params);
    return f;
}

NANA_API nana_future_t *nana_table_exists(nana_db_t *db, const char *table)
{
    if (db && !table)
        return reject(NANA_EINVAL, "NULL table name");
    return about_table(db, table,
                       "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
                       "AND name = ? COLLATE NOCASE",
                       SHAPE_ANY_ROW, "table_exists");
}

NANA_API nana_future_t *nana_list_tables(nana_db_t *db)
{
    nana_future_t *f = check_db(db);
    if (f)
        return f;
    return submit_sql(db,
                      strdup("SELECT name FROM sqlite_master WHERE type = 'table' "
                             "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"),
                      NULL, SHAPE_COLUMN, AUTH_OFF, NULL, false, "list_tables");
}

static nana_future_t *drop(nana_db_t *db, const char *kind, const char *name, bool if_exists)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident(kind, name)))
        return f;
    struct sqlbuf b = {0};
    sb_add(&b, strcmp(kind, "table") == 0 ? "DROP TABLE " : "DROP INDEX ");
    if (if_exists)
        sb_add(&b, "IF EXISTS ");
    sb_ident(&b, name);
    return submit_sql(db, sb_take(&b), NULL, SHAPE_NONE, AUTH_HELPER_DDL,
                      strcmp(kind, "table") == 0 ? name : NULL, true,
                      strcmp(kind, "table") == 0 ? "drop_table" : "drop_index");
}

NANA_API nana_future_t *nana_drop_table(nana_db_t *db, const char *table, bool if_exists)
{
    return drop(db, "table", table, if_exists);
}

NANA_API nana_future_t *nana_drop_index(nana_db_t *db, const char *index, bool if_exists)
{
    return drop(db, "index", index, if_exists);
}

/* INSERT [OR REPLACE] INTO "t" ("a", ...) VALUES (?, ...); *values gets
 * the row's values in column order. */
static nana_future_t *build_insert(struct sqlbuf *b, const char *table, json_t *row,
                                   bool or_replace, json_t **values)
{
    if (!json_is_object(row))
        return reject(row ? NANA_ETYPE : NANA_EINVAL, "the row must be an object of column -> value");
    sb_add(b, or_replace ? "INSERT OR REPLACE INTO " : "INSERT INTO ");
    sb_ident(b, table);
    *values = json_array();
    if (json_object_size(row) == 0) {
        sb_add(b, " DEFAULT VALUES");
        return NULL;
    }
    sb_add(b, " (");
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach(row, name, v) {
        nana_future_t *f = check_key_ident("column", name);
        if (f)
            return f;
        if (i++)
            sb_add(b, ", ");
        sb_ident(b, name);
        json_array_append(*values, v);
    }
    sb_add(b, ") VALUES (");
    for (size_t k = 0; k < i; k++)
        sb_add(b, k ? ", ?" : "?");
    sb_add(b, ")");
    return NULL;
}

NANA_API nana_future_t *nana_sql_insert(nana_db_t *db, const char *table, json_t *row)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct sqlbuf b = {0};
    json_t *values = NULL;
    if ((f = build_insert(&b, table, row, false, &values))) {
        free(b.s);
        json_decref(values);
        return f;
    }
    f = submit_sql(db, sb_take(&b), values, SHAPE_ROWID, AUTH_HELPER, table, true, "sql_insert");
    json_decref(values);
    return f;
}

NANA_API nana_future_t *nana_upsert(nana_db_t *db, const char *table, json_t *row,
                                    json_t *conflict_columns)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    if (conflict_columns && json_is_object(row) && json_object_size(row) == 0)
        return reject(NANA_EINVAL, "upsert with conflict columns needs a non-empty row");
    struct sqlbuf b = {0};
    json_t *values = NULL;
    if ((f = build_insert(&b, table, row, !conflict_columns, &values)))
        goto fail;
    if (conflict_columns) {
        sb_add(&b, " ON CONFLICT (");
        if ((f = add_column_list(&b, conflict_columns, "conflict_columns")))
            goto fail;
        sb_add(&b, ") DO ");
        const char *name;
        json_t *v;
        size_t updated = 0;
        json_object_foreach(row, name, v) {
            bool is_key = false;
            size_t i;
            json_t *c;
            json_array_foreach(conflict_columns, i, c)
                is_key |= name_eq(json_string_value(c), name);
            if (is_key)
                continue;
            sb_add(&b, updated++ ? ", " : "UPDATE SET ");
            sb_ident(&b, name);
            sb_add(&b, " = excluded.");
            sb_ident(&b, name);
        }
        /* Every column is a key: nothing to update.  RETURNING then yields
         * no row when the conflict fires, and the future resolves 0. */
        if (!updated)
            sb_add(&b, "NOTHING");
    }
    sb_add(&b, " RETURNING rowid");
    f = submit_sql(db, sb_take(&b), values, SHAPE_SCALAR, AUTH_HELPER, table, true, "upsert");
    json_decref(values);
    return f;
fail:
    free(b.s);
    json_decref(values);
    return f;
}

NANA_API nana_future_t *nana_sql_update(nana_db_t *db, const char *table, json_t *set,
                                        const char *where, json_t *params)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)) || (f = check_params(params)) ||
        (f = check_where(where)))
        return f;
    if (!json_is_object(set) || json_object_size(set) == 0)
        return reject(set ? NANA_ETYPE : NANA_EINVAL,
                      "sql_update needs a non-empty object of column -> value");
    if (!where && params && !json_is_null(params) &&
        (json_array_size(params) > 0 || json_object_size(params) > 0))
        return reject(NANA_EINVAL, "parameters given without a where clause");
    /* The SET values come first in the statement but must not take the
     * numbers of the where clause's parameters: named where parameters get
     * named SET values; positional ones get explicit numbers after them. */
    bool named = json_is_object(params);
    size_t n_where = json_is_array(params) ? json_array_size(params) : 0;
    struct sqlbuf b = {0};
    json_t *all = named ? json_deep_copy(params) : json_array();
    if (!named && json_is_array(params))
        json_array_extend(all, params);
    sb_add(&b, "UPDATE ");
    sb_ident(&b, table);
    sb_add(&b, " SET ");
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach(set, name, v) {
        if ((f = check_key_ident("column", name)))
            goto fail;
        char pname[48];
        if (named)
            snprintf(pname, sizeof pname, ":nana_set_%zu", i);
        else
            snprintf(pname, sizeof pname, "?%zu", n_where + i + 1);
        sb_add(&b, i ? ", " : "");
        sb_ident(&b, name);
        sb_add(&b, " = ");
        sb_add(&b, pname);
        if (named)
            json_object_set(all, pname, v);
        else
            json_array_append(all, v);
        i++;
    }
    if (where) {
        char numbered[WHERE_NUMBERED_MAX];
        int n_bare, highest;
        if (nana__where_number(where, numbered, sizeof numbered, &n_bare, &highest) != NANA_OK) {
            f = reject(NANA_EINVAL, "where clause too long");
            goto fail;
        }
        if (!named && (size_t)highest != n_where) {
            f = reject_owned(NANA_EINVAL,
                             nana__strdupf("the where clause has %d parameters, %zu were given",
                                           highest, n_where));
            goto fail;
        }
        sb_add(&b, " WHERE (");
        sb_add(&b, numbered);
        sb_add(&b, ")");
    }
    f = submit_sql(db, sb_take(&b), all, SHAPE_CHANGES, AUTH_HELPER, table, true, "sql_update");
    json_decref(all);
    return f;
fail:
    free(b.s);
    json_decref(all);
    return f;
}

NANA_API nana_future_t *nana_sql_delete(nana_db_t *db, const char *table, const char *where,
                                        json_t *params)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct sqlbuf b = {0};
    sb_add(&b, "DELETE FROM ");
    sb_ident(&b, table);
    if ((f = add_where(&b, where, params))) {
        free(b.s);
        return f;
    }
    return submit_sql(db, sb_take(&b), params, SHAPE_CHANGES, AUTH_HELPER, table, true,
                      "sql_delete");
}

NANA_API nana_future_t *nana_vacuum(nana_db_t *db)
{
    nana_future_t *f = check_db(db);
    if (f)
        return f;
    /* Not a write job: VACUUM cannot run inside a transaction. */
    return submit_sql(db, strdup("VACUUM"), NULL, SHAPE_NONE, AUTH_OFF, NULL, false, "vacuum");
}

static nana_future_t *count_or_exists(nana_db_t *db, const char *table, const char *where,
                                      json_t *params, bool exists)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct sqlbuf b = {0};
    sb_add(&b, exists ? "SELECT 1 FROM " : "SELECT COUNT(*) FROM ");
    sb_ident(&b, table);
    if ((f = add_where(&b, where, params))) {
        free(b.s);
        return f;
    }
    if (exists)
        sb_add(&b, " LIMIT 1");
    return submit_sql(db, sb_take(&b), params, exists ? SHAPE_ANY_ROW : SHAPE_SCALAR, AUTH_HELPER,
                      table, false, exists ? "exists" : "count");
}

NANA_API nana_future_t *nana_count(nana_db_t *db, const char *table, const char *where,
                                   json_t *params)
{
    return count_or_exists(db, table, where, params, false);
}

NANA_API nana_future_t *nana_exists(nana_db_t *db, const char *table, const char *where,
                                    json_t *params)
{
    return count_or_exists(db, table, where, params, true);
}

NANA_API nana_future_t *nana_alter_table_add_column(nana_db_t *db, const char *table,
                                                    const char *column, const char *type)
{
    nana_future_t *f = check_db(db);
    if (f || (f = check_ident("table", table)) || (f = check_ident("column", column)))
        return f;
    char built[320];
    const char *why;
    if (!type || nana__type_build(type, built, sizeof built, &why) != NANA_OK)
        return reject(NANA_EINVAL, type ? why : "NULL column type");
    struct sqlbuf b = {0};
    sb_add(&b, "ALTER TABLE ");
    sb_ident(&b, table);
    sb_add(&b, " ADD COLUMN ");
    sb_ident(&b, column);
    sb_add(&b, " ");
    sb_add(&b, built);
    return submit_sql(db, sb_take(&b), NULL, SHAPE_NONE, AUTH_HELPER_DDL, table, true,
                      "alter_table_add_column");
}

NANA_API nana_future_t *nana_get_table_schema(nana_db_t *db, const char *table)
{
    if (db && !table)
        return reject(NANA_EINVAL, "NULL table name");
    return about_table(db, table,
                       "SELECT cid, name, type, \"notnull\", dflt_value AS default_value, pk "
                       "FROM pragma_table_info(?) ORDER BY cid",
                       SHAPE_SCHEMA, "get_table_schema");
}

NANA_API nana_future_t *nana_list_indexes(nana_db_t *db, const char *table)
{
#define INDEXES_SQL(filter)                                                              \
    "SELECT m.name AS name, m.tbl_name AS \"table\", il.\"unique\" AS \"unique\", "          \
    "m.sql AS sql FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) il "           \
    "ON il.name = m.name WHERE m.type = 'index' "                                        \
    "AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'" filter " ORDER BY m.name"
    return about_table(db, table,
                       table ? INDEXES_SQL(" AND m.tbl_name = ? COLLATE NOCASE") : INDEXES_SQL(""),
                       SHAPE_OBJECTS, "list_indexes");
#undef INDEXES_SQL
}

/* PRAGMAs: which may be read, which written, which take an identifier.
 * compile_options is left out, as NanaSQLite leaves it out of its list. */
static const struct pragma_rule {
    const char *name;
    bool writable;
    bool takes_ident; /* read form is PRAGMA name(identifier) */
} pragma_rules[] = {
    {"application_id", true, false},   {"auto_vacuum", false, false},
    {"busy_timeout", true, false},     {"cache_size", true, false},
    {"data_version", false, false},    {"database_list", false, false},
    {"encoding", false, false},        {"foreign_keys", true, false},
    {"freelist_count", false, false},  {"index_info", false, true},
    {"index_list", false, true},       {"index_xinfo", false, true},
    {"integrity_check", false, false}, {"journal_mode", false, false},
    {"mmap_size", false, false},       {"optimize", true, false},
    {"page_count", false, false},      {"page_size", false, false},
    {"quick_check", false, false},     {"schema_version", false, false},
    {"synchronous", true, false},      {"table_info", false, true},
    {"table_xinfo", false, true},      {"temp_store", true, false},
    {"user_version", true, false},     {"wal_autocheckpoint", false, false},
    {"wal_checkpoint", true, false},
};

NANA_API nana_future_t *nana_pragma(nana_db_t *db, const char *name, json_t *value)
{
    nana_future_t *f = check_db(db);
    if (f)
        return f;
    if (!name)
        return reject(NANA_EINVAL, "NULL pragma name");
    const struct pragma_rule *rule = NULL;
    for (size_t i = 0; i < sizeof pragma_rules / sizeof pragma_rules[0]; i++)
        if (strcasecmp(pragma_rules[i].name, name) == 0)
            rule = &pragma_rules[i];
    if (!rule)
        return reject_owned(NANA_EINVAL,
                            nana__strdupf("PRAGMA %.64s is not in the allowed list", name));
    char arg[NANA_TABLE_NAME_MAX + 32] = "";
    if (value) {
        if (json_is_integer(value)) {
            snprintf(arg, sizeof arg, "%lld", (long long)json_integer_value(value));
        } else if (json_is_boolean(value)) {
            snprintf(arg, sizeof arg, "%s", json_is_true(value) ? "ON" : "OFF");
        } else if (string_is_cstring(value) && nana__ident_valid(json_string_value(value))) {
            snprintf(arg, sizeof arg, "\"%s\"", json_string_value(value));
        } else {
            return reject(NANA_EINVAL, "a PRAGMA value must be an integer, a boolean or an "
                                       "identifier");
        }
        if (!rule->writable && !rule->takes_ident)
            return reject_owned(NANA_EINVAL,
                                nana__strdupf("PRAGMA %s may be read, not set", rule->name));
        if (rule->takes_ident && !json_is_string(value))
            return reject_owned(NANA_EINVAL,
                                nana__strdupf("PRAGMA %s takes a table or index name", rule->name));
    } else if (rule->takes_ident) {
        return reject_owned(NANA_EINVAL,
                            nana__strdupf("PRAGMA %s needs a table or index name", rule->name));
    }
    char sql[256];
    if (!value)
        snprintf(sql, sizeof sql, "PRAGMA %s", rule->name);
    else if (rule->takes_ident || strcmp(rule->name, "wal_checkpoint") == 0)
        snprintf(sql, sizeof sql, "PRAGMA %s(%s)", rule->name, arg);
    else
        snprintf(sql, sizeof sql, "PRAGMA %s = %s", rule->name, arg);
    /* Not a write job: several PRAGMAs refuse to run inside a transaction.
     * It runs alone in its batch, so there is none. */
    return submit_sql(db, strdup(sql), NULL, SHAPE_PRAGMA, AUTH_OFF, NULL, false, "pragma");
}
