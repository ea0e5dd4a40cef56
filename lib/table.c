/*
 * table.c -- the tables of a root: the registry (one entry, one cache per
 * table, whatever the case of the name it is opened with), the statements
 * kept per table, the one CREATE TABLE text of the dict layout, the stored
 * form of a value (JSON text, or sealed by crypt.c in an encrypted root),
 * loading every row into a cache, and the coherence counters.
 *
 * Cache coherence, stated once.  For each key a table's cache holds one of
 * PRESENT (with the value), ABSENT, UNKNOWN (nothing learnt: absent when
 * the table is fully loaded, else not cached) or FORGOTTEN (not cached,
 * even in a fully loaded table), plus a count of queued writes of the key.
 *   - Only the executor (the engine's role holder) changes a state, and
 *     only by staging: a job stages what it read or wrote; the batch's
 *     COMMIT applies every staged state in job order, a rollback drops
 *     them.  So the cache never changes unless the database did, and never
 *     by a thread resolving futures.
 *   - Reads of a key not cached stage what they read (PRESENT / ABSENT; a
 *     row that is not JSON: FORGOTTEN), batch_get for each key it read.
 *     set/delete/pop/setdefault and the read-modify-writes (increment,
 *     patch, compare_and_set: kvrmw.c) stage what they wrote; update stages
 *     FORGOTTEN for the keys it wrote (their values are not copied);
 *     batch_delete ABSENT.  Listings, scans and cursors stage nothing.
 *   - Whole-table events run as batches of their own and reset the cache:
 *     clear (every key ABSENT, fully loaded), load_all (rows PRESENT, fully
 *     loaded when every row decoded), refresh(NULL) and a committed SQL
 *     write to the table (nothing cached, not fully loaded); a restore
 *     (backup.c) does so to every table, holding pending_sql_writes.
 *   - Why a cached answer is never older than a queued write: a submitter
 *     answers from the cache only when the key's pending count, the
 *     table's pending_table_ops and the root's pending_sql_writes are all
 *     zero.  Each is raised before the write is queued and dropped only in
 *     its settle, after the batch's effects were applied; otherwise the
 *     read is queued behind the write and runs after it in order.
 *   - A transaction (engine.c) keeps its staged states until it ends:
 *     COMMIT applies them, ROLLBACK drops them, and its jobs settle only
 *     then, so their pins keep readers outside it queued meanwhile.  After
 *     a whole-table job, a SQL write or a rollback to a savepoint inside
 *     it, it stages nothing and its COMMIT forgets every key of the root
 *     (nana__tables_forget_all).  Views inside it are never answered from
 *     the cache.
 *   - A batch_get answered from the cache reads the cache's generation
 *     before and after its lookups (cache.c bumps it around every committed
 *     state and reset): the answers are one state, or the read is queued.
 *   - A bounded cache (a table's cache policy: cachepolicy.c) also drops
 *     what it knows -- over a bound, or past a lifetime -- but only on the
 *     executor (after a staging's COMMIT, in a sweep job), never an entry
 *     staged by the running batch or an open transaction, and never frees
 *     one with writes pending (pointers to both are held).  Dropping loses
 *     knowledge, not data: the key's next read is queued and reads SQLite,
 *     after every write the cache had seen, so no answer is older than the
 *     root's own last write.  A dropped entry that said more than "absent"
 *     takes fully_loaded down first (see forget_entry), and no generation
 *     is bumped: answers before and after a drop are of one state.
 * test/model checks these rules against a reference model and the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------ registry */

void nana__tables_init(struct nana_tables *ts, struct nana_crypt *crypt)
{
    pthread_mutex_init(&ts->lock, NULL);
    ts->list = NULL;
    ts->crypt = crypt;
    atomic_init(&ts->pending_sql_writes, 0);
    atomic_init(&ts->pending_observers, 0);
}

void nana__tables_close(struct nana_tables *ts)
{
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t; t = t->next) {
        for (int i = 0; i < NANA__ST_COUNT_OF; i++) {
            nana__stmt_finalize(t->stmts[i]);
            t->stmts[i] = NULL;
        }
        nana__hooks_close(&t->hooks);
        /* Sub-table handles still open answer NANA_ECLOSED from now on;
         * their cached values are of no further use. */
        nana__cache_reset(&t->cache, false);
    }
    pthread_mutex_unlock(&ts->lock);
}

void nana__tables_free(struct nana_tables *ts)
{
    struct nana_table *t = ts->list, *next;
    for (; t; t = next) {
        next = t->next;
        nana__cache_destroy(&t->cache);
        nana__hooks_destroy(&t->hooks);
        free(t);
    }
    ts->list = NULL;
    pthread_mutex_destroy(&ts->lock);
}

/* SQLite compares table names without regard to ASCII case, so "DATA" is
 * the table "data" and shares its cache; the entry keeps the spelling it
 * was first opened with. */
struct nana_table *nana__table_lookup(struct nana_tables *ts, const char *name,
                                      const struct nana_cache_policy *create)
{
    pthread_mutex_lock(&ts->lock);
    struct nana_table *t = ts->list;
    for (; t; t = t->next)
        if (nana__name_eq(t->name, name))
            break;
    if (!t && create) {
        t = calloc(1, sizeof *t);
        if (t && nana__cache_init(&t->cache, create) != 0) {
            free(t);
            t = NULL;
        }
        if (t) {
            t->owner = ts;
            snprintf(t->name, sizeof t->name, "%s", name);
            atomic_init(&t->pending_table_ops, 0);
            nana__hooks_init(&t->hooks);
            t->next = ts->list;
            ts->list = t;
        }
    }
    pthread_mutex_unlock(&ts->lock);
    return t;
}

void nana__tables_forget_written(struct nana_tables *ts, const struct nana_auth *written)
{
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t; t = t->next) {
        if (nana__auth_wrote(written, t->name))
            nana__cache_reset(&t->cache, false);
    }
    pthread_mutex_unlock(&ts->lock);
}

void nana__tables_forget_all(void *tables)
{
    struct nana_tables *ts = tables;
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t; t = t->next)
        nana__cache_reset(&t->cache, false);
    pthread_mutex_unlock(&ts->lock);
}

/* ----------------------------------------------------- the dict layout */

static int create_on(struct nana_conn *conn, const char *name)
{
    /* The name was validated ([A-Za-z_][A-Za-z0-9_]*): quoting is enough.
     * NanaSQLite's layout, so both libraries share files. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" (key TEXT PRIMARY KEY, value TEXT)", name);
    return nana__conn_exec(conn, sql);
}

int nana__table_create(sqlite3 *db, const char *name)
{
    return create_on(nana__conn_local(db), name);
}

/* SQLite's affinity of a column declared decl (datatype3.html, 3.1). */
static const char *affinity_of(const char *decl)
{
    if (strcasestr(decl, "INT"))
        return "INTEGER";
    if (strcasestr(decl, "CHAR") || strcasestr(decl, "CLOB") || strcasestr(decl, "TEXT"))
        return "TEXT";
    if (!*decl || strcasestr(decl, "BLOB"))
        return "BLOB";
    if (strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") || strcasestr(decl, "DOUB"))
        return "REAL";
    return "NUMERIC";
}

/* The first column of the first row of sql with ?1 bound to name, copied
 * into out; *found: there was a row.  SQLite's code. */
static int first_text(struct nana_conn *conn, const char *sql, const char *name, char *out,
                      size_t size, bool *found)
{
    struct nana_stmt *stmt = NULL;
    out[0] = '\0';
    *found = false;
    int rc = nana__conn_prepare(conn, sql, -1, false, &stmt, NULL);
    if (rc == SQLITE_OK) {
        nana__stmt_bind_text(stmt, 1, name, strlen(name), NANA__BIND_BORROWED);
        rc = nana__stmt_step(stmt);
        if (rc == SQLITE_ROW) {
            const char *text = (const char *)nana__stmt_column_text(stmt, 0);
            snprintf(out, size, "%s", text ? text : "");
            *found = true;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    nana__stmt_finalize(stmt);
    return rc;
}

/* What the statements of the dict rely on, each a way in which a table of
 * the same name made by something else may differ; names resolve as the
 * statements resolve them (temp first). */
static const char layout_type_sql[] =
    "SELECT type FROM (SELECT 0 AS o, type FROM temp.sqlite_master WHERE name = ?1 "
    "COLLATE NOCASE AND type IN ('table', 'view') UNION ALL SELECT 1, type FROM "
    "main.sqlite_master WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')) "
    "ORDER BY o LIMIT 1";
static const char layout_key_sql[] =
    "SELECT type FROM pragma_table_info(?1) WHERE name = 'key' COLLATE NOCASE";
static const char layout_value_sql[] =
    "SELECT type FROM pragma_table_info(?1) WHERE name = 'value' COLLATE NOCASE";
/* A unique index (the primary key's, a UNIQUE constraint's or one made
 * with CREATE UNIQUE INDEX), not partial, of the one column key, compared
 * byte for byte: what INSERT OR REPLACE and WHERE key = ? need so that a
 * key is one row. */
static const char layout_unique_sql[] =
    "SELECT il.name FROM pragma_index_list(?1) AS il WHERE il.\"unique\" AND NOT il.partial "
    "AND (SELECT count(*) FROM pragma_index_xinfo(il.name) WHERE key) = 1 "
    "AND EXISTS (SELECT 1 FROM pragma_index_xinfo(il.name) WHERE key AND "
    "name = 'key' COLLATE NOCASE AND coll = 'BINARY' COLLATE NOCASE)";

static bool affinity_keeps_text(const char *decl)
{
    const char *a = affinity_of(decl);
    return strcmp(a, "TEXT") == 0 || strcmp(a, "BLOB") == 0;
}

static nana_status_t check_layout_on(struct nana_conn *conn, const char *name, char **why)
{
    char type[16], key_type[256], value_type[256], unique[NANA_TABLE_NAME_MAX + 64];
    bool found_table, has_key, has_value, has_unique;
    int rc = first_text(conn, layout_type_sql, name, type, sizeof type, &found_table);
    if (rc == SQLITE_OK)
        rc = first_text(conn, layout_key_sql, name, key_type, sizeof key_type, &has_key);
    if (rc == SQLITE_OK)
        rc = first_text(conn, layout_value_sql, name, value_type, sizeof value_type, &has_value);
    if (rc == SQLITE_OK)
        rc = first_text(conn, layout_unique_sql, name, unique, sizeof unique, &has_unique);
    const char *file = nana__conn_filename(conn);
    if (!file || !*file)
        file = "the database";
    if (rc != SQLITE_OK) {
        *why = nana__strdupf("cannot read the schema of %s (table \"%s\"): %s%s", file, name,
                             nana__conn_errmsg(conn), nana__conn_error_hint(conn, rc));
        return nana__status_from_sqlite(rc);
    }
    if (!found_table)
        return NANA_OK; /* made next, in the dict's layout */
    char differs[sizeof key_type + 160] = "";
    if (strcmp(type, "view") == 0) {
        snprintf(differs, sizeof differs, "it is a view");
    } else if (!has_key || !has_value) {
        snprintf(differs, sizeof differs, "it has no column \"%s\"", has_key ? "value" : "key");
    } else if (!affinity_keeps_text(key_type)) {
        snprintf(differs, sizeof differs,
                 "column \"key\" is declared \"%s\", a numeric affinity, which would store "
                 "keys such as \"1\" and \"01\" as one number",
                 key_type);
    } else if (!affinity_keeps_text(value_type)) {
        snprintf(differs, sizeof differs,
                 "column \"value\" is declared \"%s\", a numeric affinity, which would "
                 "store JSON text such as 1.0 as a number",
                 value_type);
    } else if (!has_unique) {
        snprintf(differs, sizeof differs,
                 "column \"key\" is neither its PRIMARY KEY nor UNIQUE (with the BINARY "
                 "collation), so a write would add a row beside the old one");
    } else {
        /* The dict lists keys in rowid order. */
        char sql[NANA_TABLE_NAME_MAX + 64];
        struct nana_stmt *stmt = NULL;
        snprintf(sql, sizeof sql, "SELECT rowid FROM \"%s\" LIMIT 0", name);
        if (nana__conn_prepare(conn, sql, -1, false, &stmt, NULL) != SQLITE_OK)
            snprintf(differs, sizeof differs, "it has no rowid (WITHOUT ROWID)");
        nana__stmt_finalize(stmt);
    }
    if (!differs[0])
        return NANA_OK;
    *why = nana__strdupf("table \"%s\" in %s is not a dict table: %s; the dict's layout is "
                         "(key TEXT PRIMARY KEY, value TEXT), NanaSQLite's; the table was "
                         "left as it is",
                         name, file, differs);
    return NANA_ESQL;
}

nana_status_t nana__table_check_layout(sqlite3 *db, const char *name, char **why)
{
    return check_layout_on(nana__conn_local(db), name, why);
}

/* nana_table of a table not yet made: CREATE TABLE in queue order. */
struct create_job {
    struct nana_job base;
    char name[NANA_TABLE_NAME_MAX + 1];
};

static void create_run(struct nana_job *base, struct nana_exec *ex)
{
    struct create_job *job = container_of(base, struct create_job, base);
    struct nana_conn *conn = nana__exec_conn(ex);
    char *why = NULL;
    nana_status_t st = check_layout_on(conn, job->name, &why);
    if (st != NANA_OK) {
        nana__job_fail(base, st, why);
        return;
    }
    int rc = create_on(conn, job->name);
    if (rc != SQLITE_OK)
        nana__job_fail(base, nana__status_from_sqlite(rc),
                       nana__strdupf("cannot create table \"%s\": %s%s", job->name,
                                     nana__conn_errmsg(conn), nana__conn_error_hint(conn, rc)));
}

static void create_destroy(struct nana_job *base)
{
    free(base->errmsg);
    nana__json_release(base->result);
    free(container_of(base, struct create_job, base));
}

static const struct nana_job_ops create_ops = {create_run, NULL, NULL, create_destroy};

struct nana_job *nana__table_create_job(const char *name)
{
    struct create_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->base.ops = &create_ops;
    job->base.flags = NANA__JOB_WRITES | NANA__JOB_ALONE;
    snprintf(job->name, sizeof job->name, "%s", name);
    return &job->base;
}

/* A bounded cache's sweep (cache.c, cachepolicy.c): a job, so that it runs
 * with the executor role, the one holder allowed to drop entries.  It
 * neither writes nor needs to run alone, and joins any batch. */
#define SWEEP_BUDGET 4096

struct sweep_job {
    struct nana_job base;
    struct nana_table *table;
};

static void sweep_run(struct nana_job *base, struct nana_exec *ex)
{
    (void)ex;
    nana__cachepolicy_sweep(&container_of(base, struct sweep_job, base)->table->cache,
                            SWEEP_BUDGET);
}

static void sweep_settle(struct nana_job *base, bool committed)
{
    (void)committed;
    nana__cache_sweep_done(&container_of(base, struct sweep_job, base)->table->cache);
}

static void sweep_destroy(struct nana_job *base)
{
    free(base->errmsg);
    nana__json_release(base->result);
    free(container_of(base, struct sweep_job, base));
}

static const struct nana_job_ops sweep_ops = {sweep_run, sweep_settle, NULL, sweep_destroy};

void nana__table_queue_sweep(struct nana_table *t, struct nana_engine *e)
{
    struct sweep_job *job = calloc(1, sizeof *job);
    if (!job) {
        /* A later lookup asks again. */
        nana__cache_sweep_done(&t->cache);
        return;
    }
    job->base.ops = &sweep_ops;
    job->base.lane = NANA__LANE_READER;
    job->table = t;
    /* Nobody waits for it: a pending future may be freed, the job runs. */
    nana_future_free(nana__engine_submit(e, &job->base));
}

/* ---------------------------------------------------------- statements */

static struct nana_stmt *prepare_once(struct nana_table *t, struct nana_conn *conn,
                                      enum nana_stmt_id id, struct nana_stmt **kept, int *rc);

static const char *const templates[NANA__ST_COUNT_OF] = {
    [NANA__ST_GET] = "SELECT value FROM \"%s\" WHERE key = ?1",
    [NANA__ST_SET] = "INSERT OR REPLACE INTO \"%s\" (key, value) VALUES (?1, ?2)",
    [NANA__ST_DELETE] = "DELETE FROM \"%s\" WHERE key = ?1",
    [NANA__ST_COUNT] = "SELECT COUNT(*) FROM \"%s\"",
    [NANA__ST_KEYS] = "SELECT key FROM \"%s\" ORDER BY rowid",
    [NANA__ST_ALL] = "SELECT key, value FROM \"%s\" ORDER BY rowid",
    [NANA__ST_CLEAR] = "DELETE FROM \"%s\"",
    /* Key order is SQLite's BINARY collation (the bytes of the UTF-8
     * text), served by the primary key's index; every TEXT value sorts
     * before every BLOB, so a zero-length BLOB as ?2 means no end. */
    [NANA__ST_SCAN_FROM] = "SELECT key, value FROM \"%s\" WHERE key >= ?1 AND key < ?2 "
                           "ORDER BY key LIMIT ?3",
    [NANA__ST_SCAN_AFTER] = "SELECT key, value FROM \"%s\" WHERE key > ?1 AND key < ?2 "
                            "ORDER BY key LIMIT ?3",
};

struct nana_stmt *nana__table_stmt(struct nana_table *t, struct nana_conn *conn,
                                   enum nana_stmt_id id, int *rc)
{
    return prepare_once(t, conn, id, &t->stmts[id], rc);
}

struct nana_stmt *nana__table_reader_get(struct nana_table *t, struct nana_conn *conn, int slot,
                                         int *rc)
{
    return prepare_once(t, conn, NANA__ST_GET, &t->reader_get[slot - 1], rc);
}

void nana__tables_reader_closing(struct nana_tables *ts, int slot)
{
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t; t = t->next) {
        nana__stmt_finalize(t->reader_get[slot - 1]);
        t->reader_get[slot - 1] = NULL;
    }
    pthread_mutex_unlock(&ts->lock);
}

/* The statement id of t in *kept, prepared on conn when *kept is NULL. */
static struct nana_stmt *prepare_once(struct nana_table *t, struct nana_conn *conn,
                                      enum nana_stmt_id id, struct nana_stmt **kept, int *rc)
{
    if (*kept) {
        *rc = SQLITE_OK;
        return *kept;
    }
    /* The name was validated ([A-Za-z_][A-Za-z0-9_]*): quoting is enough. */
    char sql[256 + 2 * NANA_GET_MANY_MAX];
    if (id == NANA__ST_GET_MANY) {
        int width = nana__conn_max_params(conn);
        width = width < 1 ? 1 : width > NANA_GET_MANY_MAX ? NANA_GET_MANY_MAX : width;
        int n = snprintf(sql, sizeof sql, "SELECT key, value FROM \"%s\" WHERE key IN (?", t->name);
        for (int i = 1; i < width; i++)
            n += snprintf(sql + n, sizeof sql - (size_t)n, ",?");
        snprintf(sql + n, sizeof sql - (size_t)n, ") ORDER BY key");
    } else {
        snprintf(sql, sizeof sql, templates[id], t->name);
    }
    *rc = nana__conn_prepare(conn, sql, -1, true, kept, NULL);
    if (*rc != SQLITE_OK) {
        nana__stmt_finalize(*kept);
        *kept = NULL;
    }
    return *kept;
}

/* ------------------------------------------- the stored form of values */

/*
 * The one place where a dict value meets its column: compact JSON text in
 * a plaintext root; in an encrypted one, the JSON text sealed (crypt.c)
 * and bound as a BLOB, as Python's sqlite3 binds NanaSQLite's bytes.
 */
int nana__table_bind_value(const struct nana_table *t, struct nana_stmt *stmt, int idx,
                           const char *text, size_t len)
{
    struct nana_crypt *c = t->owner->crypt;
    if (!c)
        return nana__stmt_bind_text(stmt, idx, text, len, NANA__BIND_BORROWED);
    size_t sealed_len;
    unsigned char *sealed = nana__crypt_seal(c, text, len, &sealed_len);
    if (!sealed)
        return SQLITE_NOMEM;
    /* SQLite frees it when the parameter is bound again or the statement
     * is finalized (and at once if binding fails). */
    return nana__stmt_bind_blob(stmt, idx, sealed, sealed_len, NANA__BIND_FREE);
}

json_t *nana__table_value(const struct nana_table *t, struct nana_stmt *stmt, int col,
                          enum nana_value_fault *fault)
{
    struct nana_crypt *c = t->owner->crypt;
    /* The type first: reading the column as text or bytes converts it. */
    int type = nana__stmt_column_type(stmt, col);
    json_t *v = NULL;
    *fault = NANA__VALUE_OK;
    if (type == SQLITE_NULL) {
        *fault = NANA__VALUE_NULL;
        return NULL;
    }
    if (!c) {
        /* Any JSON text, stored as TEXT or as a BLOB of its bytes (which
         * NanaSQLite also reads). */
        const char *text = (const char *)nana__stmt_column_text(stmt, col);
        if (!text)
            *fault = NANA__VALUE_NOMEM;
        else if (!(v = nana__json_decode(text, (size_t)nana__stmt_column_bytes(stmt, col))))
            *fault = type == SQLITE_BLOB ? NANA__VALUE_BLOB_NOT_JSON : NANA__VALUE_NOT_JSON;
        return v;
    }
    /* Strict: no plaintext fallback.  NanaSQLite reads a text row of an
     * encrypted table as plaintext, with a logged warning (its audit's
     * BUG-02); a library has no log to warn in, and such a row may be one
     * someone put there to be read as the application's own data. */
    if (type != SQLITE_BLOB) {
        *fault = NANA__VALUE_PLAINTEXT;
        return NULL;
    }
    const unsigned char *sealed = nana__stmt_column_blob(stmt, col);
    size_t sealed_len = (size_t)nana__stmt_column_bytes(stmt, col);
    char *plain;
    size_t plain_len;
    if (!sealed && sealed_len > 0) {
        *fault = NANA__VALUE_NOMEM;
        return NULL;
    }
    *fault = nana__crypt_open(c, sealed, sealed_len, &plain, &plain_len);
    if (*fault != NANA__VALUE_OK)
        return NULL;
    if (!(v = nana__json_decode(plain, plain_len)))
        *fault = NANA__VALUE_NOT_JSON;
    free(plain);
    return v;
}

nana_status_t nana__table_value_error(const struct nana_table *t, const char *key,
                                      enum nana_value_fault fault, char **msg)
{
    char kb[NANA_KEY_MSG_SIZE];
    const char *k = nana__key_for_msg(key, kb, sizeof kb);
    const char *why = NULL;
    /* Messages name the key and the table, never the stored bytes. */
    if (fault == NANA__VALUE_NOMEM) {
        *msg = nana__strdupf("out of memory reading the value of key %s in table \"%s\"", k,
                             t->name);
        return NANA_ENOMEM;
    }
    if (!t->owner->crypt) {
        *msg = nana__strdupf(
            "the value of key %s in table \"%s\" is not valid JSON (or holds an integer "
            "beyond 64 bits)%s",
            k, t->name,
            fault == NANA__VALUE_BLOB_NOT_JSON
                ? "; it is a BLOB: encrypted by NanaSQLite? open the file with its key "
                  "(nana_open_encrypted)"
                : "");
        return NANA_ETYPE;
    }
    switch (fault) {
    case NANA__VALUE_NOT_JSON:
        *msg = nana__strdupf("the value of key %s in table \"%s\" decrypts to text that is "
                             "not valid JSON (or holds an integer beyond 64 bits)",
                             k, t->name);
        return NANA_ETYPE;
    case NANA__VALUE_NULL:
        why = "the value is NULL";
        break;
    case NANA__VALUE_PLAINTEXT:
        why = "the value is stored unencrypted (as text or a number), and an encrypted "
              "root reads no plaintext";
        break;
    case NANA__VALUE_SHORT:
        why = "the value is shorter than a nonce and a tag (28 bytes)";
        break;
    default:
        why = "the authentication tag does not match: another key or cipher, or the "
              "stored value was changed";
        break;
    }
    *msg = nana__strdupf("decryption failed for key %s in table \"%s\": %s", k, t->name, why);
    return NANA_ETYPE;
}

/* -------------------------------------------------------------- loading */

void nana__table_items_free(struct nana_kv_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].key);
        free(items[i].text);
        nana__json_release(items[i].value);
    }
    free(items);
}

int nana__table_read_all(struct nana_table *t, struct nana_conn *conn,
                         struct nana_kv_item **items_out, size_t *n_out, size_t *skipped)
{
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(t, conn, NANA__ST_ALL, &rc);
    struct nana_kv_item *items = NULL;
    size_t n = 0, cap = 0;
    *skipped = 0;
    if (!stmt)
        return rc;
    while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        const char *key = (const char *)nana__stmt_column_text(stmt, 0);
        enum nana_value_fault fault;
        json_t *v = nana__table_value(t, stmt, 1, &fault);
        if (!key || !v) {
            nana__json_release(v);
            (*skipped)++;
            continue;
        }
        if (n == cap) {
            size_t new_cap = cap ? cap * 2 : 256;
            struct nana_kv_item *grown = realloc(items, new_cap * sizeof *grown);
            if (!grown) {
                nana__json_release(v);
                rc = SQLITE_NOMEM;
                break;
            }
            items = grown;
            cap = new_cap;
        }
        size_t key_len = (size_t)nana__stmt_column_bytes(stmt, 0);
        struct nana_kv_item *it = &items[n];
        memset(it, 0, sizeof *it);
        it->key = malloc(key_len + 1);
        if (!it->key) {
            nana__json_release(v);
            rc = SQLITE_NOMEM;
            break;
        }
        memcpy(it->key, key, key_len + 1);
        it->hash = nana__cache_hash(key, key_len);
        it->value = v;
        n++;
    }
    nana__stmt_reset(stmt);
    if (rc != SQLITE_DONE) {
        nana__table_items_free(items, n);
        return rc;
    }
    *items_out = items;
    *n_out = n;
    return SQLITE_OK;
}

void nana__table_apply_loaded(struct nana_table *t, struct nana_kv_item *items, size_t n,
                              size_t skipped)
{
    struct nana_staging sg = {0};
    nana__cache_reset(&t->cache, false);
    /* With a row we could not decode, a missing entry no longer means
     * "absent": leave those keys to be read (and reported) one by one.
     * Set before the rows go in: a bounded cache that cannot keep them all
     * drops some at the commit, and says then that it is not fully loaded
     * after all.  (Nobody reads the cache meanwhile: the table's readers
     * queue behind load_all, and bulk_load runs before any.) */
    nana__cache_set_fully_loaded(&t->cache, skipped == 0);
    for (size_t i = 0; i < n; i++) {
        nana__cache_stage(&sg, &t->cache, items[i].key, items[i].hash, NANA__PRESENT,
                          items[i].value);
        items[i].value = NULL;
    }
    nana__cache_staging_commit(&sg);
    free(sg.refs);
}

nana_status_t nana__table_load(struct nana_table *t, sqlite3 *db, int64_t *count,
                               char **errmsg)
{
    struct nana_conn *conn = nana__conn_local(db);
    struct nana_kv_item *items = NULL;
    size_t n = 0, skipped = 0;
    int rc = nana__table_read_all(t, conn, &items, &n, &skipped);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot load table \"%s\": %s%s", t->name,
                                nana__conn_errmsg(conn), nana__conn_error_hint(conn, rc));
        return nana__status_from_sqlite(rc);
    }
    nana__table_apply_loaded(t, items, n, skipped);
    nana__table_items_free(items, n);
    *count = (int64_t)n;
    return NANA_OK;
}

/* ------------------------------------------------ the whole file replaced */

/*
 * After every page of the file was replaced (backup.c's restore), nothing a
 * cache holds is known any more: every table forgets every key (pinned
 * entries stay, as UNKNOWN, for the writes still queued) and is no longer
 * fully loaded.  Their statements are finalized too, to be prepared again
 * on first use: SQLite would also re-prepare them on SQLITE_SCHEMA (the
 * restore changes the schema cookie), but this costs one prepare each and
 * leaves nothing compiled against the file that was replaced.  Executor
 * only, in a settle: the coherence rules above.
 */
void nana__tables_replaced(struct nana_tables *ts)
{
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t; t = t->next) {
        for (int i = 0; i < NANA__ST_COUNT_OF; i++) {
            nana__stmt_finalize(t->stmts[i]);
            t->stmts[i] = NULL;
        }
        nana__cache_reset(&t->cache, false);
    }
    pthread_mutex_unlock(&ts->lock);
}

/* After the whole file was replaced: the tables of the registry the new
 * file lacks are created, empty, as nana_table() made them, so that every
 * open handle stays usable.  SQLite's code; on failure *failed names the
 * table.  Executor only. */
int nana__tables_create_all(struct nana_tables *ts, struct nana_conn *conn, const char **failed)
{
    int rc = SQLITE_OK;
    pthread_mutex_lock(&ts->lock);
    for (struct nana_table *t = ts->list; t && rc == SQLITE_OK; t = t->next) {
        rc = create_on(conn, t->name);
        *failed = t->name; /* entries live as long as the root */
    }
    pthread_mutex_unlock(&ts->lock);
    return rc;
}
