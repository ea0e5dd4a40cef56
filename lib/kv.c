/*
 * kv.c -- the dict operations.
 *
 * Submission side (the caller's thread): check the arguments, answer from
 * the cache when nothing queued could change the answer, otherwise copy and
 * encode the inputs into a job and queue it.  Encoding here keeps JSON work
 * out of the executor's critical path.
 *
 * Executor side (the thread holding the connection): run the job's SQL and
 * stage its cache effects; pool.c commits the batch and applies them.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* -------------------------------------------------------------------- jobs */

/* Whole-table jobs run as batches of their own; table pins (counted in
 * pending_table_ops) keep every read of the table queued behind the job. */
static bool kind_whole_table(enum nana_job_kind k)
{
    return k == NANA__JOB_CLEAR || k == NANA__JOB_LOAD_ALL || k == NANA__JOB_REFRESH_ALL ||
           k == NANA__JOB_CREATE_TABLE;
}

static bool kind_pins_table(enum nana_job_kind k)
{
    return (kind_whole_table(k) && k != NANA__JOB_CREATE_TABLE) || k == NANA__JOB_UPDATE ||
           k == NANA__JOB_BATCH_DELETE;
}

static bool kind_is_write(enum nana_job_kind k)
{
    switch (k) {
    case NANA__JOB_SET:
    case NANA__JOB_DELETE:
    case NANA__JOB_POP:
    case NANA__JOB_SETDEFAULT:
    case NANA__JOB_UPDATE:
    case NANA__JOB_BATCH_DELETE:
    case NANA__JOB_CLEAR:
    case NANA__JOB_CREATE_TABLE:
        return true;
    default:
        return false;
    }
}

struct nana_job *nana__job_new(struct nana_table *t, enum nana_job_kind kind)
{
    struct nana_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->kind = kind;
    job->table = t;
    job->root = t ? t->root : NULL;
    job->is_write = kind_is_write(kind);
    job->whole_table = kind_whole_table(kind);
    job->status = NANA_OK;
    return job;
}

static void items_free(struct nana_kv_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].key);
        free(items[i].text);
        nana__json_release(items[i].value);
    }
    free(items);
}

void nana__job_free(struct nana_job *job)
{
    if (!job)
        return;
    free(job->key);
    free(job->text);
    nana__json_release(job->value);
    items_free(job->items, job->n_items);
    nana__sql_job_free(job->sql);
    nana__json_release(job->result);
    free(job->errmsg);
    free(job);
}

static void release_pins(struct nana_job *job)
{
    if (job->entry) {
        nana__cache_unpin(&job->table->cache, job->entry);
        job->entry = NULL;
    }
    if (job->table && kind_pins_table(job->kind))
        atomic_fetch_sub_explicit(&job->table->pending_table_ops, 1, memory_order_release);
    if (job->kind == NANA__JOB_SQL && job->is_write)
        atomic_fetch_sub_explicit(&job->root->pending_sql_writes, 1, memory_order_release);
}

void nana__job_discard(struct nana_job *job)
{
    release_pins(job);
    nana__job_free(job);
}

/* Replaces the table's cache by the rows in items (references stolen). */
static void apply_loaded(struct nana_table *t, struct nana_kv_item *items, size_t n,
                         size_t skipped)
{
    struct nana_staging sg = {0};
    nana__cache_reset(&t->cache, false);
    for (size_t i = 0; i < n; i++) {
        nana__stage(&sg, &t->cache, items[i].key, items[i].hash, NANA__PRESENT, items[i].value);
        items[i].value = NULL;
    }
    nana__staging_commit(&sg);
    free(sg.refs);
    /* With a row we could not decode, a missing entry no longer means
     * "absent": leave those keys to be read (and reported) one by one. */
    atomic_store(&t->fully_loaded, skipped == 0);
}

void nana__job_finish(struct nana_job *job, bool committed)
{
    struct nana_table *t = job->table;
    if (committed) {
        switch (job->kind) {
        case NANA__JOB_CLEAR:
            nana__cache_reset(&t->cache, true);
            atomic_store(&t->fully_loaded, true);
            break;
        case NANA__JOB_REFRESH_ALL:
            nana__cache_reset(&t->cache, false);
            atomic_store(&t->fully_loaded, false);
            break;
        case NANA__JOB_LOAD_ALL:
            apply_loaded(t, job->items, job->n_items, job->n_skipped);
            break;
        case NANA__JOB_SQL:
            nana__sql_finish(job, committed);
            break;
        default:
            break;
        }
    }
    release_pins(job);
}

/* ---------------------------------------------------------- executor side */

static void job_fail(struct nana_job *job, nana_status_t st, char *msg)
{
    job->status = st;
    free(job->errmsg);
    job->errmsg = msg;
    nana__json_release(job->result);
    job->result = NULL;
}

/* Fails job with SQLite's message, captured now, while we own the
 * connection (the next statement would overwrite it). */
static void fail_sql(struct nana_job *job, const char *what, int rc)
{
    char kb[NANA_KEY_MSG_SIZE];
    const char *sqlmsg = sqlite3_errmsg(job->root->conn);
    if (!sqlmsg || rc == SQLITE_NOMEM)
        sqlmsg = sqlite3_errstr(rc);
    const char *hint = nana__readonly_hint(job->root, rc);
    char *msg = job->key && job->table
                    ? nana__strdupf("%s key %s in table \"%s\": %s%s", what,
                                    nana__key_for_msg(job->key, kb, sizeof kb),
                                    job->table->name, sqlmsg, hint)
                    : nana__strdupf("%s table \"%s\": %s%s", what,
                                    job->table ? job->table->name : job->key, sqlmsg, hint);
    job_fail(job, nana__status_from_sqlite(rc), msg);
}

static void fail_not_json(struct nana_job *job, const char *key)
{
    char kb[NANA_KEY_MSG_SIZE];
    /* Name the key, never echo the stored text: it may be anything. */
    job_fail(job, NANA_ETYPE,
             nana__strdupf("the value of key %s in table \"%s\" is not valid JSON "
                           "(or holds an integer beyond 64 bits)",
                           nana__key_for_msg(key, kb, sizeof kb), job->table->name));
}

static void fail_not_found(struct nana_job *job)
{
    char kb[NANA_KEY_MSG_SIZE];
    job_fail(job, NANA_ENOTFOUND,
             nana__strdupf("key %s not found in table \"%s\"",
                           nana__key_for_msg(job->key, kb, sizeof kb), job->table->name));
}

/*
 * What the executor knows of key without asking SQLite: what this batch
 * staged, else the committed cache.  *value: a new reference, or NULL.
 *
 * In a fully loaded table a key with no entry, or an UNKNOWN one, is known
 * absent; a FORGOTTEN key (a batch write did not copy its value, its text
 * is not JSON) is not, and must be read.
 */
static int lookup_exec(struct nana_table *t, const char *key, uint32_t hash, json_t **value)
{
    struct nana_cache_entry *e = nana__cache_find(&t->cache, key, hash);
    int state = NANA__UNKNOWN;
    *value = NULL;
    if (e && e->staged != NANA__UNKNOWN) {
        *value = nana__json_ref(e->staged_value);
        return e->staged == NANA__FORGET ? NANA__UNKNOWN : e->staged;
    }
    /* Submitters read the committed state concurrently: take it under the
     * shard lock. */
    if (e)
        state = nana__cache_committed(&t->cache, e, value);
    if (state == NANA__FORGOTTEN)
        return NANA__UNKNOWN;
    if (state == NANA__UNKNOWN && atomic_load(&t->fully_loaded))
        return NANA__ABSENT;
    return state;
}

enum row_outcome { ROW_ABSENT, ROW_PRESENT, ROW_NOT_JSON, ROW_ERROR };

/* Reads key's row.  ROW_PRESENT: *value is a new reference. */
static enum row_outcome read_row(struct nana_job *job, const char *key, json_t **value)
{
    int rc;
    sqlite3_stmt *stmt = nana__stmt(job->table, NANA__ST_GET, &rc);
    *value = NULL;
    if (!stmt) {
        fail_sql(job, "cannot read", rc);
        return ROW_ERROR;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    enum row_outcome out = ROW_ABSENT;
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
        *value = text ? nana__json_decode(text, len) : NULL;
        out = *value ? ROW_PRESENT : ROW_NOT_JSON;
    } else if (rc != SQLITE_DONE) {
        fail_sql(job, "cannot read", rc);
        out = ROW_ERROR;
    }
    sqlite3_reset(stmt);
    return out;
}

/* The key's value as the executor sees it: known, or read (and staged as a
 * cache fill).  Returns PRESENT (new reference in *value), ABSENT, or -1
 * after failing the job (not_json_ok: a row that is not JSON is PRESENT
 * with *value NULL). */
static int current_value(struct nana_job *job, struct nana_staging *sg, bool fresh,
                         bool not_json_ok, json_t **value)
{
    struct nana_table *t = job->table;
    int state = fresh ? NANA__UNKNOWN : lookup_exec(t, job->key, job->hash, value);
    if (state == NANA__PRESENT)
        return state;
    if (state == NANA__ABSENT)
        return state;
    switch (read_row(job, job->key, value)) {
    case ROW_PRESENT:
        nana__stage(sg, &t->cache, job->key, job->hash, NANA__PRESENT, nana__json_ref(*value));
        return NANA__PRESENT;
    case ROW_ABSENT:
        nana__stage(sg, &t->cache, job->key, job->hash, NANA__ABSENT, NULL);
        return NANA__ABSENT;
    case ROW_NOT_JSON:
        /* Not cacheable: forget what the cache held for it. */
        nana__stage(sg, &t->cache, job->key, job->hash, NANA__FORGET, NULL);
        if (not_json_ok)
            return NANA__PRESENT;
        fail_not_json(job, job->key);
        return -1;
    default:
        return -1;
    }
}

static int write_row(struct nana_job *job, const char *key, const char *text, size_t len)
{
    int rc;
    sqlite3_stmt *stmt = nana__stmt(job->table, NANA__ST_SET, &rc);
    if (!stmt)
        return rc;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, text, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Deletes key's row; *changed tells whether it existed. */
static int delete_row(struct nana_job *job, const char *key, bool *changed)
{
    int rc;
    sqlite3_stmt *stmt = nana__stmt(job->table, NANA__ST_DELETE, &rc);
    if (!stmt)
        return rc;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    *changed = rc == SQLITE_DONE && sqlite3_changes(job->root->conn) > 0;
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * get and get_fresh.  What the row holds is decoded here, while the
 * connection is held, and staged like every other cache effect: a fill made
 * by a later thread could not know whether a job after this one in the
 * batch wrote the key, and a read the batch's rollback undid must not stay.
 */
static void exec_get(struct nana_job *job, struct nana_staging *sg, bool fresh)
{
    json_t *v = NULL;
    int state = current_value(job, sg, fresh, false, &v);
    if (state == NANA__PRESENT) {
        job->result = v;
    } else if (state == NANA__ABSENT) {
        if (job->value) {
            job->result = job->value;
            job->value = NULL;
        } else {
            fail_not_found(job);
        }
    }
}

static void exec_pop(struct nana_job *job, struct nana_staging *sg)
{
    json_t *v = NULL;
    bool changed = false;
    int state = current_value(job, sg, false, false, &v);
    if (state < 0)
        return;
    if (state == NANA__ABSENT) {
        exec_get(job, sg, false); /* default or ENOTFOUND, known absent */
        return;
    }
    int rc = delete_row(job, job->key, &changed);
    if (rc != SQLITE_OK) {
        nana__json_release(v);
        fail_sql(job, "cannot delete", rc);
        return;
    }
    nana__stage(sg, &job->table->cache, job->key, job->hash, NANA__ABSENT, NULL);
    job->result = v;
}

static void exec_setdefault(struct nana_job *job, struct nana_staging *sg)
{
    json_t *v = NULL;
    int state = current_value(job, sg, false, false, &v);
    if (state < 0)
        return;
    if (state == NANA__PRESENT) {
        job->result = v;
        return;
    }
    int rc = write_row(job, job->key, job->text, job->text_len);
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot write", rc);
        return;
    }
    nana__stage(sg, &job->table->cache, job->key, job->hash, NANA__PRESENT,
                nana__json_ref(job->value));
    job->result = nana__json_ref(job->value);
}

/* update / batch_update / batch_delete: all rows or none (a savepoint inside
 * the batch's transaction). */
static void exec_multi(struct nana_job *job, struct nana_staging *sg, bool deleting)
{
    sqlite3 *conn = job->root->conn;
    int rc = sqlite3_exec(conn, "SAVEPOINT nana_multi", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot start", rc);
        return;
    }
    size_t i = 0;
    for (; i < job->n_items; i++) {
        struct nana_kv_item *it = &job->items[i];
        bool changed;
        rc = deleting ? delete_row(job, it->key, &changed)
                      : write_row(job, it->key, it->text, it->text_len);
        if (rc != SQLITE_OK)
            break;
    }
    if (rc != SQLITE_OK) {
        char kb[NANA_KEY_MSG_SIZE];
        job_fail(job, nana__status_from_sqlite(rc),
                 nana__strdupf("cannot %s key %s in table \"%s\": %s%s; no key was changed",
                               deleting ? "delete" : "write",
                               nana__key_for_msg(job->items[i].key, kb, sizeof kb),
                               job->table->name, sqlite3_errmsg(conn),
                               nana__readonly_hint(job->root, rc)));
        if (!sqlite3_get_autocommit(conn)) {
            sqlite3_exec(conn, "ROLLBACK TO nana_multi", NULL, NULL, NULL);
            sqlite3_exec(conn, "RELEASE nana_multi", NULL, NULL, NULL);
        }
        return;
    }
    rc = sqlite3_exec(conn, "RELEASE nana_multi", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot finish writing", rc);
        return;
    }
    /* Deletes are known absences.  Written values are not copied into the
     * cache (a batch of 100k values would hold them twice): the keys are
     * forgotten and read again on their next get.  In a fully loaded table
     * a key with no entry reads as absent, so there the forgetting needs an
     * entry of its own. */
    bool fully_loaded = atomic_load(&job->table->fully_loaded);
    for (i = 0; i < job->n_items; i++) {
        struct nana_kv_item *it = &job->items[i];
        if (deleting)
            nana__stage(sg, &job->table->cache, it->key, it->hash, NANA__ABSENT, NULL);
        else if (fully_loaded)
            nana__stage(sg, &job->table->cache, it->key, it->hash, NANA__FORGET, NULL);
        else
            nana__stage_forget(sg, &job->table->cache, it->key, it->hash);
    }
}

static void exec_len(struct nana_job *job)
{
    int rc;
    sqlite3_stmt *stmt = nana__stmt(job->table, NANA__ST_COUNT, &rc);
    if (stmt && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        job->result = json_integer(sqlite3_column_int64(stmt, 0));
        if (!job->result)
            job_fail(job, NANA_ENOMEM, NULL);
        rc = SQLITE_OK;
    }
    if (stmt)
        sqlite3_reset(stmt);
    if (rc != SQLITE_OK)
        fail_sql(job, "cannot count", rc);
}

static bool utf8_valid(const char *s, size_t n)
{
    json_t *probe = json_stringn(s, n); /* jansson's own UTF-8 check */
    json_decref(probe);
    return probe != NULL;
}

/* keys, values, items, to_dict, copy: one scan in rowid order.  Values
 * the cache holds are shared (copy: deep-copied) instead of decoded again. */
static void exec_scan(struct nana_job *job)
{
    struct nana_table *t = job->table;
    enum nana_job_kind kind = job->kind;
    int rc;
    sqlite3_stmt *stmt = nana__stmt(t, kind == NANA__JOB_KEYS ? NANA__ST_KEYS : NANA__ST_ALL, &rc);
    if (!stmt) {
        fail_sql(job, "cannot read", rc);
        return;
    }
    bool as_object = kind == NANA__JOB_TO_DICT || kind == NANA__JOB_COPY;
    json_t *out = as_object ? json_object() : json_array();
    if (!out) {
        job_fail(job, NANA_ENOMEM, NULL);
        return;
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(stmt, 0);
        size_t key_len = (size_t)sqlite3_column_bytes(stmt, 0);
        if (!key)
            continue; /* a NULL key cannot be addressed; not ours */
        json_t *key_json = NULL, *v = NULL;
        if (kind != NANA__JOB_TO_DICT && kind != NANA__JOB_COPY && kind != NANA__JOB_VALUES) {
            key_json = json_stringn(key, key_len);
            if (!key_json) {
                job_fail(job, NANA_ETYPE,
                         nana__strdupf("a key in table \"%s\" is not valid UTF-8", t->name));
                break;
            }
        }
        if (kind != NANA__JOB_KEYS) {
            json_t *cached;
            if (lookup_exec(t, key, nana__hash_key(key, key_len), &cached) == NANA__PRESENT) {
                v = cached;
                if (kind == NANA__JOB_COPY) {
                    v = nana__json_copy(cached);
                    nana__json_release(cached);
                }
            } else {
                const char *text = (const char *)sqlite3_column_text(stmt, 1);
                v = text ? nana__json_decode(text, (size_t)sqlite3_column_bytes(stmt, 1)) : NULL;
                if (!v) {
                    nana__json_release(key_json);
                    fail_not_json(job, key);
                    break;
                }
            }
        }
        int added;
        switch (kind) {
        case NANA__JOB_KEYS:
            added = json_array_append_new(out, key_json);
            break;
        case NANA__JOB_VALUES:
            added = json_array_append_new(out, v);
            break;
        case NANA__JOB_ITEMS: {
            json_t *pair = json_array();
            added = !pair || json_array_append_new(pair, key_json) ||
                    json_array_append_new(pair, v) || json_array_append_new(out, pair);
            if (!pair) {
                nana__json_release(key_json);
                nana__json_release(v);
            }
            break;
        }
        default:
#if JANSSON_VERSION_HEX >= 0x020e00
            added = json_object_setn_new(out, key, key_len, v);
#else
            /* No length-aware setter: a key holding NUL is refused. */
            added = strlen(key) == key_len ? json_object_set_new(out, key, v) : -1;
#endif
            if (added != 0 && !utf8_valid(key, key_len)) {
                job_fail(job, NANA_ETYPE,
                         nana__strdupf("a key in table \"%s\" is not valid UTF-8", t->name));
                goto done;
            }
            break;
        }
        if (added != 0) {
            job_fail(job, NANA_ENOMEM, NULL);
            break;
        }
    }
done:
    sqlite3_reset(stmt);
    if (job->status != NANA_OK) {
        nana__json_release(out);
        return;
    }
    if (rc != SQLITE_DONE) {
        nana__json_release(out);
        fail_sql(job, "cannot read", rc);
        return;
    }
    job->result = out;
}

/* Reads every row of t, decoded, into *items.  Rows that are not JSON are
 * counted in *skipped, not returned. */
static int collect_rows(struct nana_table *t, struct nana_kv_item **items_out, size_t *n_out,
                        size_t *skipped)
{
    int rc;
    sqlite3_stmt *stmt = nana__stmt(t, NANA__ST_ALL, &rc);
    struct nana_kv_item *items = NULL;
    size_t n = 0, cap = 0;
    *skipped = 0;
    if (!stmt)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(stmt, 0);
        const char *text = (const char *)sqlite3_column_text(stmt, 1);
        json_t *v = text ? nana__json_decode(text, (size_t)sqlite3_column_bytes(stmt, 1)) : NULL;
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
        size_t key_len = (size_t)sqlite3_column_bytes(stmt, 0);
        struct nana_kv_item *it = &items[n];
        memset(it, 0, sizeof *it);
        it->key = malloc(key_len + 1);
        if (!it->key) {
            nana__json_release(v);
            rc = SQLITE_NOMEM;
            break;
        }
        memcpy(it->key, key, key_len + 1);
        it->hash = nana__hash_key(key, key_len);
        it->value = v;
        n++;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        items_free(items, n);
        return rc;
    }
    *items_out = items;
    *n_out = n;
    return SQLITE_OK;
}

nana_status_t nana__table_load(struct nana_table *t, int64_t *count, char **errmsg)
{
    struct nana_kv_item *items = NULL;
    size_t n = 0, skipped = 0;
    int rc = collect_rows(t, &items, &n, &skipped);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot load table \"%s\": %s", t->name,
                                sqlite3_errmsg(t->root->conn));
        return nana__status_from_sqlite(rc);
    }
    apply_loaded(t, items, n, skipped);
    items_free(items, n);
    *count = (int64_t)n;
    return NANA_OK;
}

void nana__job_execute(struct nana_job *job, struct nana_staging *sg)
{
    struct nana_table *t = job->table;
    int rc;
    bool changed = false;
    json_t *v;

    switch (job->kind) {
    case NANA__JOB_GET:
        exec_get(job, sg, false);
        break;
    case NANA__JOB_GET_FRESH:
        exec_get(job, sg, true);
        break;
    case NANA__JOB_CONTAINS: {
        int state = current_value(job, sg, false, true, &v);
        if (state >= 0) {
            nana__json_release(v);
            job->result = json_boolean(state == NANA__PRESENT);
        }
        break;
    }
    case NANA__JOB_REFRESH_KEY:
        if (current_value(job, sg, true, true, &v) >= 0)
            nana__json_release(v);
        break;
    case NANA__JOB_IS_CACHED:
        job->result = json_boolean(lookup_exec(t, job->key, job->hash, &v) != NANA__UNKNOWN);
        nana__json_release(v);
        break;
    case NANA__JOB_SET:
        rc = write_row(job, job->key, job->text, job->text_len);
        if (rc != SQLITE_OK)
            fail_sql(job, "cannot write", rc);
        else
            nana__stage(sg, &t->cache, job->key, job->hash, NANA__PRESENT,
                        nana__json_ref(job->value));
        break;
    case NANA__JOB_DELETE:
        rc = delete_row(job, job->key, &changed);
        if (rc != SQLITE_OK) {
            fail_sql(job, "cannot delete", rc);
            break;
        }
        nana__stage(sg, &t->cache, job->key, job->hash, NANA__ABSENT, NULL);
        if (!changed)
            fail_not_found(job);
        break;
    case NANA__JOB_POP:
        exec_pop(job, sg);
        break;
    case NANA__JOB_SETDEFAULT:
        exec_setdefault(job, sg);
        break;
    case NANA__JOB_UPDATE:
        exec_multi(job, sg, false);
        break;
    case NANA__JOB_BATCH_DELETE:
        exec_multi(job, sg, true);
        break;
    case NANA__JOB_LEN:
        exec_len(job);
        break;
    case NANA__JOB_KEYS:
    case NANA__JOB_VALUES:
    case NANA__JOB_ITEMS:
    case NANA__JOB_TO_DICT:
    case NANA__JOB_COPY:
        exec_scan(job);
        break;
    case NANA__JOB_CLEAR: {
        sqlite3_stmt *stmt = nana__stmt(t, NANA__ST_CLEAR, &rc);
        if (stmt) {
            rc = sqlite3_step(stmt);
            sqlite3_reset(stmt);
        }
        if (rc != SQLITE_DONE && rc != SQLITE_OK)
            fail_sql(job, "cannot clear", rc);
        break;
    }
    case NANA__JOB_LOAD_ALL:
        rc = collect_rows(t, &job->items, &job->n_items, &job->n_skipped);
        if (rc != SQLITE_OK)
            fail_sql(job, "cannot load", rc);
        else if (!(job->result = json_integer((json_int_t)job->n_items)))
            job_fail(job, NANA_ENOMEM, NULL);
        break;
    case NANA__JOB_REFRESH_ALL:
        break; /* all in nana__job_finish */
    case NANA__JOB_SQL:
        nana__sql_execute(job);
        break;
    case NANA__JOB_CREATE_TABLE: {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS \"%s\" (key TEXT PRIMARY KEY, value TEXT)",
                 job->key);
        rc = sqlite3_exec(job->root->conn, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            fail_sql(job, "cannot create", rc);
        break;
    }
    }
}

/* ------------------------------------------------------- submission side */

static nana_future_t *reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

/*
 * Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), as jansson checks strings.  A key that is not would be stored,
 * and then every keys/items/to_dict of its table would fail for good.
 * Keys are checked on every call, cache hits included: eight ASCII bytes
 * at a time.
 */
static bool key_is_utf8(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key, *end = p + len;
    while (p < end) {
        if (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!(w & 0x8080808080808080ull)) {
                p += 8;
                continue;
            }
        }
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int n;
        unsigned lo = 0x80, hi = 0xBF; /* bounds of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;      /* overlong */
            else if (c == 0xED)
                hi = 0x9F;      /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;      /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;      /* above U+10FFFF */
        } else
            return false;
        if (end - p <= n || p[1] < lo || p[1] > hi)
            return false;
        for (int i = 2; i <= n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += n + 1;
    }
    return true;
}

static const char key_not_utf8[] = "the key is not valid UTF-8";

/* Checks the handle (and key, when needed); a failed future, or NULL. */
static nana_future_t *check_call(nana_db_t *db, const char *key, bool need_key)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return reject(st, why);
    if (need_key && !key)
        return reject(NANA_EINVAL, "NULL key");
    if (need_key && !key_is_utf8(key, strlen(key)))
        return reject(NANA_EINVAL, key_not_utf8);
    return NULL;
}

static nana_future_t *out_of_memory(struct nana_job *job)
{
    if (job)
        nana__job_discard(job);
    return reject(NANA_ENOMEM, NULL);
}

/* A job on key; pin: the key will be written (or re-read), so reads of it
 * must queue behind this job. */
static struct nana_job *key_job(nana_db_t *db, enum nana_job_kind kind, const char *key, bool pin)
{
    struct nana_job *job = nana__job_new(db->table, kind);
    if (!job)
        return NULL;
    size_t len = strlen(key);
    job->key = malloc(len + 1);
    if (!job->key) {
        free(job);
        return NULL;
    }
    memcpy(job->key, key, len + 1);
    job->hash = nana__hash_key(key, len);
    if (pin) {
        job->entry = nana__cache_get_entry(&db->table->cache, key, job->hash, true);
        if (!job->entry) {
            nana__job_free(job);
            return NULL;
        }
    }
    return job;
}

static struct nana_job *table_job(nana_db_t *db, enum nana_job_kind kind)
{
    struct nana_job *job = nana__job_new(db->table, kind);
    if (job && kind_pins_table(kind))
        atomic_fetch_add_explicit(&db->table->pending_table_ops, 1, memory_order_relaxed);
    return job;
}

/* Copies an optional default into job->value; false when out of memory. */
static bool take_default(struct nana_job *job, json_t *dflt)
{
    if (!dflt)
        return true;
    job->value = nana__json_copy(dflt);
    return job->value != NULL;
}

/* Encodes value into job->text and keeps a private copy for the cache. */
static nana_status_t take_value(struct nana_job *job, json_t *value)
{
    job->text = nana__json_encode(value, &job->text_len);
    if (!job->text)
        return NANA_EINVAL;
    job->value = nana__json_copy(value);
    return job->value ? NANA_OK : NANA_ENOMEM;
}

/*
 * The cache answers without a queue hop when nothing queued could change
 * the answer: no whole-table job pending and no write pending on the key.
 * Returns NANA__PRESENT (*value: new reference), NANA__ABSENT, or
 * NANA__UNKNOWN (queue the read).
 */
static int cache_answer(nana_db_t *db, const char *key, uint32_t hash, json_t **value)
{
    struct nana_table *t = db->table;
    if (atomic_load_explicit(&t->pending_table_ops, memory_order_acquire) != 0 ||
        atomic_load_explicit(&db->root->pending_sql_writes, memory_order_acquire) != 0)
        return NANA__UNKNOWN;
    return nana__cache_lookup(&t->cache, key, hash,
                              atomic_load_explicit(&t->fully_loaded, memory_order_acquire), value);
}

static nana_future_t *read_key(nana_db_t *db, enum nana_job_kind kind, const char *key,
                               json_t *dflt)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    if (kind == NANA__JOB_GET || kind == NANA__JOB_CONTAINS) {
        json_t *v = NULL;
        uint32_t hash = nana__hash_key(key, strlen(key));
        int state = cache_answer(db, key, hash, &v);
        if (state == NANA__PRESENT && kind == NANA__JOB_GET)
            return nana__future_new_done(NANA_OK, v, NULL);
        if (kind == NANA__JOB_CONTAINS && state != NANA__UNKNOWN) {
            nana__json_release(v);
            return nana__future_new_done(NANA_OK, json_boolean(state == NANA__PRESENT), NULL);
        }
        if (state == NANA__ABSENT) {
            if (dflt) {
                json_t *copy = nana__json_copy(dflt);
                return copy ? nana__future_new_done(NANA_OK, copy, NULL) : reject(NANA_ENOMEM, NULL);
            }
            char kb[NANA_KEY_MSG_SIZE];
            return nana__future_new_failed_owned(
                NANA_ENOTFOUND, nana__strdupf("key %s not found in table \"%s\"",
                                              nana__key_for_msg(key, kb, sizeof kb),
                                              db->table->name));
        }
    }
    /* get_fresh and refresh re-read the key: later reads queue behind them. */
    bool pin = kind == NANA__JOB_GET_FRESH || kind == NANA__JOB_REFRESH_KEY;
    struct nana_job *job = key_job(db, kind, key, pin);
    if (!job || !take_default(job, dflt))
        return out_of_memory(job);
    return nana__pool_submit(db->root, job);
}

NANA_API nana_future_t *nana_get(nana_db_t *db, const char *key, json_t *dflt)
{
    return read_key(db, NANA__JOB_GET, key, dflt);
}

NANA_API nana_future_t *nana_get_fresh(nana_db_t *db, const char *key, json_t *dflt)
{
    return read_key(db, NANA__JOB_GET_FRESH, key, dflt);
}

NANA_API nana_future_t *nana_contains(nana_db_t *db, const char *key)
{
    return read_key(db, NANA__JOB_CONTAINS, key, NULL);
}

NANA_API nana_future_t *nana_is_cached(nana_db_t *db, const char *key)
{
    return read_key(db, NANA__JOB_IS_CACHED, key, NULL);
}

NANA_API nana_future_t *nana_refresh(nana_db_t *db, const char *key)
{
    if (!key) {
        nana_future_t *f = check_call(db, NULL, false);
        if (f)
            return f;
        struct nana_job *job = table_job(db, NANA__JOB_REFRESH_ALL);
        return job ? nana__pool_submit(db->root, job) : out_of_memory(NULL);
    }
    return read_key(db, NANA__JOB_REFRESH_KEY, key, NULL);
}

/* set and setdefault: value encoded now. */
static nana_future_t *write_key(nana_db_t *db, enum nana_job_kind kind, const char *key,
                                json_t *value)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct nana_job *job = key_job(db, kind, key, true);
    if (!job)
        return out_of_memory(NULL);
    nana_status_t st = take_value(job, value);
    if (st != NANA_OK) {
        nana__job_discard(job);
        return reject(st, st == NANA_EINVAL ? "the value cannot be encoded as JSON" : NULL);
    }
    return nana__pool_submit(db->root, job);
}

NANA_API nana_future_t *nana_set(nana_db_t *db, const char *key, json_t *value)
{
    if (db && key && !value)
        return reject(NANA_EINVAL, "NULL value");
    return write_key(db, NANA__JOB_SET, key, value);
}

NANA_API nana_future_t *nana_setdefault(nana_db_t *db, const char *key, json_t *dflt)
{
    return write_key(db, NANA__JOB_SETDEFAULT, key, dflt ? dflt : json_null());
}

NANA_API nana_future_t *nana_delete(nana_db_t *db, const char *key)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct nana_job *job = key_job(db, NANA__JOB_DELETE, key, true);
    return job ? nana__pool_submit(db->root, job) : out_of_memory(NULL);
}

NANA_API nana_future_t *nana_pop(nana_db_t *db, const char *key, json_t *dflt)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct nana_job *job = key_job(db, NANA__JOB_POP, key, true);
    if (!job || !take_default(job, dflt))
        return out_of_memory(job);
    return nana__pool_submit(db->root, job);
}

static nana_future_t *submit_table_job(nana_db_t *db, enum nana_job_kind kind)
{
    nana_future_t *f = check_call(db, NULL, false);
    if (f)
        return f;
    struct nana_job *job = table_job(db, kind);
    return job ? nana__pool_submit(db->root, job) : out_of_memory(NULL);
}

NANA_API nana_future_t *nana_len(nana_db_t *db) { return submit_table_job(db, NANA__JOB_LEN); }
NANA_API nana_future_t *nana_keys(nana_db_t *db) { return submit_table_job(db, NANA__JOB_KEYS); }
NANA_API nana_future_t *nana_values(nana_db_t *db) { return submit_table_job(db, NANA__JOB_VALUES); }
NANA_API nana_future_t *nana_items(nana_db_t *db) { return submit_table_job(db, NANA__JOB_ITEMS); }
NANA_API nana_future_t *nana_to_dict(nana_db_t *db) { return submit_table_job(db, NANA__JOB_TO_DICT); }
NANA_API nana_future_t *nana_copy(nana_db_t *db) { return submit_table_job(db, NANA__JOB_COPY); }
NANA_API nana_future_t *nana_clear(nana_db_t *db) { return submit_table_job(db, NANA__JOB_CLEAR); }
NANA_API nana_future_t *nana_load_all(nana_db_t *db) { return submit_table_job(db, NANA__JOB_LOAD_ALL); }

/* Fills job->items from object (every member encoded now); *why says what
 * was refused. */
static nana_status_t take_object(struct nana_job *job, json_t *object, const char **why)
{
    size_t n = json_object_size(object), i = 0;
    const char *key;
    json_t *value;
    job->items = calloc(n ? n : 1, sizeof *job->items);
    if (!job->items)
        return NANA_ENOMEM;
    json_object_foreach(object, key, value) {
        struct nana_kv_item *it = &job->items[i++];
        job->n_items = i;
        size_t len = strlen(key);
#if JANSSON_VERSION_HEX >= 0x020e00
        /* jansson lets a member name hold NUL; a key cannot. */
        if (json_object_iter_key_len(json_object_key_to_iter(key)) != len) {
            *why = "a member name holds a NUL byte, which a key cannot";
            return NANA_EINVAL;
        }
#endif
        if (!key_is_utf8(key, len)) { /* set with json_object_set_nocheck() */
            *why = "a member name is not valid UTF-8";
            return NANA_EINVAL;
        }
        it->key = malloc(len + 1);
        if (!it->key)
            return NANA_ENOMEM;
        memcpy(it->key, key, len + 1);
        it->hash = nana__hash_key(key, len);
        it->text = nana__json_encode(value, &it->text_len);
        if (!it->text) {
            *why = "a value cannot be encoded as JSON";
            return NANA_EINVAL;
        }
    }
    return NANA_OK;
}

static nana_future_t *update_object(nana_db_t *db, json_t *object)
{
    nana_future_t *f = check_call(db, NULL, false);
    if (f)
        return f;
    if (!object)
        return reject(NANA_EINVAL, "NULL object");
    if (!json_is_object(object))
        return reject(NANA_ETYPE, "update needs a JSON object of key -> value");
    struct nana_job *job = table_job(db, NANA__JOB_UPDATE);
    if (!job)
        return out_of_memory(NULL);
    const char *why = NULL;
    nana_status_t st = take_object(job, object, &why);
    if (st != NANA_OK) {
        nana__job_discard(job);
        return reject(st, why);
    }
    return nana__pool_submit(db->root, job);
}

NANA_API nana_future_t *nana_update(nana_db_t *db, json_t *object)
{
    return update_object(db, object);
}

NANA_API nana_future_t *nana_batch_update(nana_db_t *db, json_t *object)
{
    return update_object(db, object);
}

NANA_API nana_future_t *nana_batch_delete(nana_db_t *db, const char *const *keys, size_t n)
{
    nana_future_t *f = check_call(db, NULL, false);
    if (f)
        return f;
    if (!keys && n > 0)
        return reject(NANA_EINVAL, "NULL keys array");
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            return reject(NANA_EINVAL, "NULL key in the keys array");
        if (!key_is_utf8(keys[i], strlen(keys[i])))
            return reject(NANA_EINVAL, "a key in the keys array is not valid UTF-8");
    }
    struct nana_job *job = table_job(db, NANA__JOB_BATCH_DELETE);
    if (!job)
        return out_of_memory(NULL);
    job->items = calloc(n ? n : 1, sizeof *job->items);
    if (!job->items)
        return out_of_memory(job);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        job->items[i].key = malloc(len + 1);
        job->n_items = i + 1;
        if (!job->items[i].key)
            return out_of_memory(job);
        memcpy(job->items[i].key, keys[i], len + 1);
        job->items[i].hash = nana__hash_key(keys[i], len);
    }
    return nana__pool_submit(db->root, job);
}
