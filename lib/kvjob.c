/*
 * kvjob.c -- the dict operations on the executor's side: the ops of their
 * job.  run does a job's SQL on the connection and stages its cache
 * effects (table.c states the rules they follow); settle applies the
 * whole-table effects of a committed job and releases its pins.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static void kv_destroy(struct nana_job *base)
{
    struct kv_job *job = KV(base);
    free(job->key);
    free(job->text);
    nana__json_release(job->value);
    nana__table_items_free(job->items, job->n_items);
    nana__json_release(job->base.result);
    free(job->base.errmsg);
    nana__hookset_release(job->hook.set);
    free(job);
}

/* After the batch (or for a job that never ran): whole-table effects of a
 * committed job, then the pins go, so that readers may use the cache
 * again only once it holds what the job did. */
static void kv_settle(struct nana_job *base, bool committed)
{
    struct kv_job *job = KV(base);
    struct nana_table *t = job->table;
    nana__kv_hook_settle(job, committed);
    if (committed) {
        switch (job->kind) {
        case KV_CLEAR: /* every key absent: fully loaded */
            nana__cache_reset(&t->cache, true);
            break;
        case KV_REFRESH_ALL:
            nana__cache_reset(&t->cache, false);
            break;
        case KV_LOAD_ALL:
            nana__table_apply_loaded(t, job->items, job->n_items, job->n_skipped);
            break;
        default:
            break;
        }
    }
    if (job->entry) {
        nana__cache_unpin(&t->cache, job->entry);
        job->entry = NULL;
    }
    if (kind_pins_table(job->kind))
        atomic_fetch_sub_explicit(&t->pending_table_ops, 1, memory_order_release);
    if (job->kind == KV_IS_CACHED)
        atomic_fetch_sub_explicit(&t->owner->pending_observers, 1, memory_order_release);
}

void nana__kv_discard(struct kv_job *job)
{
    kv_settle(&job->base, false);
    kv_destroy(&job->base);
}

/* ---------------------------------------------------------- executor side */

static void job_fail(struct kv_job *job, nana_status_t st, char *msg)
{
    nana__job_fail(&job->base, st, msg);
}

/* Fails job with SQLite's message, captured now, while we own the
 * connection (the next statement would overwrite it). */
static void fail_sql(struct kv_job *job, const char *what, int rc)
{
    char kb[NANA_KEY_MSG_SIZE];
    const char *sqlmsg = nana__conn_errmsg(job->conn);
    if (!sqlmsg || rc == SQLITE_NOMEM)
        sqlmsg = nana__errstr(rc);
    const char *hint = nana__conn_error_hint(job->conn, rc);
    char *msg = job->key && job->table
                    ? nana__strdupf("%s key %s in table \"%s\": %s%s", what,
                                    nana__key_for_msg(job->key, kb, sizeof kb),
                                    job->table->name, sqlmsg, hint)
                    : nana__strdupf("%s table \"%s\": %s%s", what,
                                    job->table ? job->table->name : job->key, sqlmsg, hint);
    job_fail(job, nana__status_from_sqlite(rc), msg);
}

/* A value that does not decode (or decrypt): fault says why. */
static void fail_not_json(struct kv_job *job, const char *key, enum nana_value_fault fault)
{
    char *msg;
    nana_status_t st = nana__table_value_error(job->table, key, fault, &msg);
    job_fail(job, st, msg);
}

static void fail_not_found(struct kv_job *job)
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
 * is not JSON, its cached answer expired) is not, and must be read.  In a blind transaction (one the
 * cache cannot follow: see struct nana_staging) nothing is known.
 */
static int lookup_exec(struct kv_job *job, const char *key, uint32_t hash, json_t **value)
{
    struct nana_table *t = job->table;
    *value = NULL;
    if (job->staged && job->staged->blind)
        return NANA__UNKNOWN;
    /* Submitters read the committed state concurrently: it is taken under
     * the shard lock.  The staged state is the executor's own. */
    struct nana_cache_entry *e;
    int state = nana__cache_peek(&t->cache, key, hash, job->kind != KV_IS_CACHED, &e, value);
    if (e && e->staged != NANA__UNKNOWN) {
        nana__json_release(*value);
        *value = nana__json_ref(e->staged_value);
        return e->staged == NANA__FORGET ? NANA__UNKNOWN : e->staged;
    }
    if (state == NANA__FORGOTTEN)
        return NANA__UNKNOWN;
    if (state == NANA__UNKNOWN && nana__cache_fully_loaded(&t->cache))
        return NANA__ABSENT;
    return state;
}

enum row_outcome { ROW_ABSENT, ROW_PRESENT, ROW_NOT_JSON, ROW_ERROR };

/* Reads key's row.  ROW_PRESENT: *value is a new reference; ROW_NOT_JSON:
 * *fault says why not. */
static enum row_outcome read_row(struct kv_job *job, const char *key, json_t **value,
                                 enum nana_value_fault *fault)
{
    int rc;
    struct nana_stmt *stmt =
        job->reader ? nana__table_reader_get(job->table, job->conn, job->reader, &rc)
                    : nana__table_stmt(job->table, job->conn, NANA__ST_GET, &rc);
    *value = NULL;
    if (!stmt) {
        fail_sql(job, "cannot read", rc);
        return ROW_ERROR;
    }
    if ((rc = nana__stmt_bind_text(stmt, 1, key, strlen(key), NANA__BIND_BORROWED)) != SQLITE_OK) {
        fail_sql(job, "cannot read", rc);
        return ROW_ERROR;
    }
    rc = nana__stmt_step(stmt);
    enum row_outcome out = ROW_ABSENT;
    if (rc == SQLITE_ROW) {
        *value = nana__table_value(job->table, stmt, 0, fault);
        out = *value ? ROW_PRESENT : ROW_NOT_JSON;
    } else if (rc != SQLITE_DONE) {
        fail_sql(job, "cannot read", rc);
        out = ROW_ERROR;
    }
    nana__stmt_reset(stmt);
    return out;
}

/* The key's value as the executor sees it: known, or read (and staged as a
 * cache fill).  Returns PRESENT (new reference in *value), ABSENT, or -1
 * after failing the job (not_json_ok: a row that is not JSON is PRESENT
 * with *value NULL). */
static int current_value(struct kv_job *job, struct nana_staging *sg, bool fresh,
                         bool not_json_ok, json_t **value)
{
    struct nana_table *t = job->table;
    int state = fresh ? NANA__UNKNOWN : lookup_exec(job, job->key, job->hash, value);
    if (state == NANA__PRESENT)
        return state;
    if (state == NANA__ABSENT)
        return state;
    enum nana_value_fault fault = NANA__VALUE_OK;
    switch (read_row(job, job->key, value, &fault)) {
    case ROW_PRESENT:
        nana__cache_stage(sg, &t->cache, job->key, job->hash, NANA__PRESENT,
                          nana__json_ref(*value));
        return NANA__PRESENT;
    case ROW_ABSENT:
        nana__cache_stage(sg, &t->cache, job->key, job->hash, NANA__ABSENT, NULL);
        return NANA__ABSENT;
    case ROW_NOT_JSON:
        /* Not cacheable: forget what the cache held for it. */
        nana__cache_stage(sg, &t->cache, job->key, job->hash, NANA__FORGET, NULL);
        if (not_json_ok)
            return NANA__PRESENT;
        fail_not_json(job, job->key, fault);
        return -1;
    default:
        return -1;
    }
}

static int write_row(struct kv_job *job, const char *key, const char *text, size_t len)
{
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(job->table, job->conn, NANA__ST_SET, &rc);
    if (!stmt)
        return rc;
    /* A bind that fails (a text past SQLite's length limit) would leave
     * NULL bound: the row would be written as NULL and acknowledged. */
    if ((rc = nana__stmt_bind_text(stmt, 1, key, strlen(key), NANA__BIND_BORROWED)) != SQLITE_OK ||
        (rc = nana__table_bind_value(job->table, stmt, 2, text, len)) != SQLITE_OK) {
        nana__stmt_clear_bindings(stmt);
        return rc;
    }
    rc = nana__stmt_step(stmt);
    nana__stmt_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Deletes key's row; *changed tells whether it existed. */
static int delete_row(struct kv_job *job, const char *key, bool *changed)
{
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(job->table, job->conn, NANA__ST_DELETE, &rc);
    if (!stmt)
        return rc;
    *changed = false;
    if ((rc = nana__stmt_bind_text(stmt, 1, key, strlen(key), NANA__BIND_BORROWED)) != SQLITE_OK)
        return rc; /* not NULL bound: that would delete the rows keyed NULL */
    rc = nana__stmt_step(stmt);
    *changed = rc == SQLITE_DONE && nana__conn_changes(job->conn) > 0;
    nana__stmt_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * get and get_fresh.  What the row holds is decoded here, while the
 * connection is held, and staged like every other cache effect: a fill made
 * by a later thread could not know whether a job after this one in the
 * batch wrote the key, and a read the batch's rollback undid must not stay.
 */
static void exec_get(struct kv_job *job, struct nana_staging *sg, bool fresh)
{
    json_t *v = NULL;
    int state = current_value(job, sg, fresh, false, &v);
    if (state == NANA__PRESENT) {
        job->base.result = v;
    } else if (state == NANA__ABSENT) {
        if (job->value) {
            job->base.result = job->value;
            job->value = NULL;
        } else {
            fail_not_found(job);
        }
    }
}

static void exec_pop(struct kv_job *job, struct nana_staging *sg)
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
    if (!nana__kv_hook_delete(job, job->key, false) ||
        !nana__kv_hook_register(job, job->key, NULL, 0, true)) {
        nana__json_release(v);
        return;
    }
    int rc = delete_row(job, job->key, &changed);
    if (rc != SQLITE_OK) {
        nana__json_release(v);
        fail_sql(job, "cannot delete", rc);
        return;
    }
    nana__kv_hook_wrote(job, 1);
    nana__cache_stage(sg, &job->table->cache, job->key, job->hash, NANA__ABSENT, NULL);
    job->base.result = v;
}

static void exec_setdefault(struct kv_job *job, struct nana_staging *sg)
{
    json_t *v = NULL;
    int state = current_value(job, sg, false, false, &v);
    if (state < 0)
        return;
    if (state == NANA__PRESENT) {
        job->base.result = v;
        return;
    }
    /* Only a default that is stored goes through before_write. */
    if (!nana__kv_hook_write(job, job->key, &job->value, &job->text, &job->text_len, false) ||
        !nana__kv_hook_register(job, job->key, NULL, 0, false))
        return;
    int rc = write_row(job, job->key, job->text, job->text_len);
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot write", rc);
        return;
    }
    nana__kv_hook_wrote(job, 1);
    nana__cache_stage(sg, &job->table->cache, job->key, job->hash, NANA__PRESENT,
                nana__json_ref(job->value));
    job->base.result = nana__json_ref(job->value);
}

/* update / batch_update / batch_delete: all rows or none (a savepoint inside
 * the batch's transaction). */
static void exec_multi(struct kv_job *job, struct nana_staging *sg, bool deleting)
{
    struct nana_conn *conn = job->conn;
    bool hooked_write = !deleting && nana__kv_hooks_write(job);
    bool hooked_delete = deleting && nana__kv_hooks_delete(job);
    if (!nana__kv_hook_register(job, NULL, job->items, job->n_items, deleting))
        return;
    int rc = nana__conn_exec(conn, "SAVEPOINT nana_multi");
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot start", rc);
        return;
    }
    size_t i = 0, n_deleted = 0;
    bool refused = false;
    for (; i < job->n_items && !refused; i++) {
        struct nana_kv_item *it = &job->items[i];
        bool changed = false;
        if (hooked_write) {
            /* The hook sees the value: decoded from our own encoding. */
            json_t *v = nana__json_decode(it->text, it->text_len);
            if (!v) {
                job_fail(job, NANA_ENOMEM, NULL);
                refused = true;
                break;
            }
            refused = !nana__kv_hook_write(job, it->key, &v, &it->text, &it->text_len, true);
            nana__json_release(v);
            if (refused)
                break;
        }
        rc = deleting ? delete_row(job, it->key, &changed)
                      : write_row(job, it->key, it->text, it->text_len);
        if (rc != SQLITE_OK)
            break;
        if (changed) {
            /* before_delete for a key that was stored: asked right after
             * its row went, inside the savepoint that undoes it all when
             * the hook refuses.  The keys deleted move to the front, for
             * after_commit. */
            if (hooked_delete && !nana__kv_hook_delete(job, it->key, true)) {
                refused = true;
                break;
            }
            struct nana_kv_item hit = *it;
            job->items[i] = job->items[n_deleted];
            job->items[n_deleted++] = hit;
        }
    }
    if (refused) {
        if (nana__conn_in_transaction(conn)) {
            nana__conn_exec(conn, "ROLLBACK TO nana_multi");
            nana__conn_exec(conn, "RELEASE nana_multi");
        }
        return;
    }
    if (rc != SQLITE_OK) {
        char kb[NANA_KEY_MSG_SIZE];
        job_fail(job, nana__status_from_sqlite(rc),
                 nana__strdupf("cannot %s key %s in table \"%s\": %s%s; no key was changed",
                               deleting ? "delete" : "write",
                               nana__key_for_msg(job->items[i].key, kb, sizeof kb),
                               job->table->name, nana__conn_errmsg(conn),
                               nana__conn_error_hint(job->conn, rc)));
        if (nana__conn_in_transaction(conn)) {
            nana__conn_exec(conn, "ROLLBACK TO nana_multi");
            nana__conn_exec(conn, "RELEASE nana_multi");
        }
        return;
    }
    rc = nana__conn_exec(conn, "RELEASE nana_multi");
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot finish writing", rc);
        return;
    }
    nana__kv_hook_wrote(job, deleting ? n_deleted : job->n_items);
    /* Deletes are known absences.  Written values are not copied into the
     * cache (a batch of 100k values would hold them twice): the keys are
     * forgotten and read again on their next get.  In a fully loaded table
     * a key with no entry reads as absent, so there the forgetting needs an
     * entry of its own. */
    bool fully_loaded = nana__cache_fully_loaded(&job->table->cache);
    for (i = 0; i < job->n_items; i++) {
        struct nana_kv_item *it = &job->items[i];
        if (deleting)
            nana__cache_stage(sg, &job->table->cache, it->key, it->hash, NANA__ABSENT, NULL);
        else if (fully_loaded)
            nana__cache_stage(sg, &job->table->cache, it->key, it->hash, NANA__FORGET, NULL);
        else
            nana__cache_stage_forget(sg, &job->table->cache, it->key, it->hash);
    }
}

static void exec_delete(struct kv_job *job, struct nana_staging *sg)
{
    bool changed = false;
    if (nana__kv_hooks_delete(job)) {
        /* before_delete is asked only for a key that is stored -- as the
         * file says, which decides a delete without hooks too. */
        json_t *v = NULL;
        int state = current_value(job, sg, true, true, &v);
        nana__json_release(v);
        if (state < 0)
            return;
        if (state == NANA__ABSENT) {
            fail_not_found(job);
            return;
        }
        if (!nana__kv_hook_delete(job, job->key, false))
            return;
    }
    if (!nana__kv_hook_register(job, job->key, NULL, 0, true))
        return;
    int rc = delete_row(job, job->key, &changed);
    if (rc != SQLITE_OK) {
        fail_sql(job, "cannot delete", rc);
        return;
    }
    nana__cache_stage(sg, &job->table->cache, job->key, job->hash, NANA__ABSENT, NULL);
    if (!changed)
        fail_not_found(job);
    else
        nana__kv_hook_wrote(job, 1);
}

/* With hooks, clear deletes key by key as far as they can tell: every
 * stored key goes through before_delete (one refusal and nothing is
 * deleted), and after_commit gets them all.  The keys, in rowid order, go
 * to job->items. */
static bool clear_keys(struct kv_job *job)
{
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(job->table, job->conn, NANA__ST_KEYS, &rc);
    if (!stmt) {
        fail_sql(job, "cannot read", rc);
        return false;
    }
    size_t cap = 0;
    bool ok = true;
    while (ok && (rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        /* A key holding NUL (written by something else) is seen up to it. */
        const char *key = (const char *)nana__stmt_column_text(stmt, 0);
        if (!key)
            continue; /* a NULL key cannot be addressed; not ours */
        if (!nana__kv_hook_delete(job, key, true)) {
            ok = false;
            break;
        }
        if (job->n_items == cap) {
            size_t more = cap ? 2 * cap : 64;
            struct nana_kv_item *items = realloc(job->items, more * sizeof *items);
            if (!items) {
                job_fail(job, NANA_ENOMEM, NULL);
                ok = false;
                break;
            }
            job->items = items;
            cap = more;
        }
        struct nana_kv_item *it = &job->items[job->n_items];
        memset(it, 0, sizeof *it);
        if (!(it->key = strdup(key))) {
            job_fail(job, NANA_ENOMEM, NULL);
            ok = false;
            break;
        }
        job->n_items++;
    }
    nana__stmt_reset(stmt);
    if (ok && rc != SQLITE_DONE) {
        fail_sql(job, "cannot read", rc);
        ok = false;
    }
    return ok;
}

static void exec_clear(struct kv_job *job)
{
    int rc;
    if ((nana__kv_hooks_delete(job) || nana__kv_hooks_commit(job)) && !clear_keys(job))
        return;
    if (!nana__kv_hook_register(job, NULL, job->items, job->n_items, true))
        return;
    struct nana_stmt *stmt = nana__table_stmt(job->table, job->conn, NANA__ST_CLEAR, &rc);
    if (stmt) {
        rc = nana__stmt_step(stmt);
        nana__stmt_reset(stmt);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK)
        fail_sql(job, "cannot clear", rc);
    else
        nana__kv_hook_wrote(job, job->n_items);
}

static void exec_len(struct kv_job *job)
{
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(job->table, job->conn, NANA__ST_COUNT, &rc);
    if (stmt && (rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        job->base.result = json_integer(nana__stmt_column_int64(stmt, 0));
        if (!job->base.result)
            job_fail(job, NANA_ENOMEM, NULL);
        rc = SQLITE_OK;
    }
    if (stmt)
        nana__stmt_reset(stmt);
    if (rc != SQLITE_OK)
        fail_sql(job, "cannot count", rc);
}

/* keys, values, items, to_dict, copy: one scan in rowid order.  Values
 * the cache holds are shared (copy: deep-copied) instead of decoded again. */
static void exec_scan(struct kv_job *job)
{
    struct nana_table *t = job->table;
    enum kv_kind kind = job->kind;
    int rc;
    struct nana_stmt *stmt =
        nana__table_stmt(t, job->conn, kind == KV_KEYS ? NANA__ST_KEYS : NANA__ST_ALL, &rc);
    if (!stmt) {
        fail_sql(job, "cannot read", rc);
        return;
    }
    bool as_object = kind == KV_TO_DICT || kind == KV_COPY;
    json_t *out = as_object ? json_object() : json_array();
    if (!out) {
        job_fail(job, NANA_ENOMEM, NULL);
        return;
    }
    while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        const char *key = (const char *)nana__stmt_column_text(stmt, 0);
        size_t key_len = (size_t)nana__stmt_column_bytes(stmt, 0);
        if (!key)
            continue; /* a NULL key cannot be addressed; not ours */
        json_t *key_json = NULL, *v = NULL;
        if (kind != KV_TO_DICT && kind != KV_COPY && kind != KV_VALUES) {
            key_json = json_stringn(key, key_len);
            if (!key_json) {
                job_fail(job, NANA_ETYPE,
                         nana__strdupf("a key in table \"%s\" is not valid UTF-8", t->name));
                break;
            }
        }
        if (kind != KV_KEYS) {
            json_t *cached;
            if (lookup_exec(job, key, nana__cache_hash(key, key_len), &cached) == NANA__PRESENT) {
                v = cached;
                if (kind == KV_COPY) {
                    v = nana__json_copy(cached);
                    nana__json_release(cached);
                }
            } else {
                enum nana_value_fault fault;
                v = nana__table_value(t, stmt, 1, &fault);
                if (!v) {
                    nana__json_release(key_json);
                    fail_not_json(job, key, fault);
                    break;
                }
            }
        }
        int added;
        switch (kind) {
        case KV_KEYS:
            added = json_array_append_new(out, key_json);
            break;
        case KV_VALUES:
            added = json_array_append_new(out, v);
            break;
        case KV_ITEMS: {
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
            if (added != 0 && !nana__utf8_valid(key, key_len)) {
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
    nana__stmt_reset(stmt);
    if (job->base.status != NANA_OK) {
        nana__json_release(out);
        return;
    }
    if (rc != SQLITE_DONE) {
        nana__json_release(out);
        fail_sql(job, "cannot read", rc);
        return;
    }
    job->base.result = out;
}

/* ------------------------------------------------ on a reader connection */

/*
 * get and contains on a reader connection (the submitter found nothing
 * queued they must see, and marked the key).  What the executor would know
 * without reading -- the committed cache, while the mark says no later
 * write reached it: a fill since submission, a fully loaded table's
 * absence -- answers first, so that the answer is the writer's; staged
 * states are the executor's alone, and none can be of a write these reads
 * must see.  Otherwise the row is read in the reader's snapshot, which
 * holds every commit before the submission (engine.c), and filled into
 * the cache while the mark holds.
 */
static void exec_on_reader(struct kv_job *job)
{
    struct nana_table *t = job->table;
    const struct nana_cache_mark *m = &job->mark;
    json_t *v = NULL;
    int state = nana__cache_marked_state(&t->cache, job->key, job->hash, m, &v);
    if (state != NANA__PRESENT && state != NANA__ABSENT) {
        enum nana_value_fault fault = NANA__VALUE_OK;
        switch (read_row(job, job->key, &v, &fault)) {
        case ROW_PRESENT:
            state = NANA__PRESENT;
            nana__cache_fill_marked(&t->cache, job->key, job->hash, m, state, nana__json_ref(v));
            break;
        case ROW_ABSENT:
            state = NANA__ABSENT;
            nana__cache_fill_marked(&t->cache, job->key, job->hash, m, state, NULL);
            break;
        case ROW_NOT_JSON:
            /* Not cacheable: the key stays uncached. */
            if (job->kind == KV_CONTAINS) {
                state = NANA__PRESENT;
                break;
            }
            fail_not_json(job, job->key, fault);
            return;
        default:
            return;
        }
    }
    if (job->kind == KV_CONTAINS) {
        nana__json_release(v);
        if (!(job->base.result = json_boolean(state == NANA__PRESENT)))
            job_fail(job, NANA_ENOMEM, NULL);
    } else if (state == NANA__PRESENT) {
        job->base.result = v;
    } else if (job->value) {
        job->base.result = job->value;
        job->value = NULL;
    } else {
        fail_not_found(job);
    }
}

static void kv_run(struct nana_job *base, struct nana_exec *ex)
{
    struct kv_job *job = KV(base);
    struct nana_staging *sg = ex->staged;
    job->conn = nana__exec_conn(ex);
    job->staged = sg;
    job->reader = ex->reader;
    if (ex->reader) {
        exec_on_reader(job);
        return;
    }
    struct nana_table *t = job->table;
    int rc;
    json_t *v;

    switch (job->kind) {
    case KV_GET:
        exec_get(job, sg, false);
        break;
    case KV_GET_FRESH:
        exec_get(job, sg, true);
        break;
    case KV_CONTAINS: {
        int state = current_value(job, sg, false, true, &v);
        if (state >= 0) {
            nana__json_release(v);
            job->base.result = json_boolean(state == NANA__PRESENT);
        }
        break;
    }
    case KV_REFRESH_KEY:
        if (current_value(job, sg, true, true, &v) >= 0)
            nana__json_release(v);
        break;
    case KV_IS_CACHED:
        /* Every read before it that runs on a reader has filled by now. */
        nana__engine_readers_quiesce(ex->engine);
        job->base.result = json_boolean(lookup_exec(job, job->key, job->hash, &v) != NANA__UNKNOWN);
        nana__json_release(v);
        break;
    case KV_SET:
        if (!nana__kv_hook_write(job, job->key, &job->value, &job->text, &job->text_len, false) ||
            !nana__kv_hook_register(job, job->key, NULL, 0, false))
            break;
        rc = write_row(job, job->key, job->text, job->text_len);
        if (rc != SQLITE_OK) {
            fail_sql(job, "cannot write", rc);
        } else {
            nana__kv_hook_wrote(job, 1);
            nana__cache_stage(sg, &t->cache, job->key, job->hash, NANA__PRESENT,
                        nana__json_ref(job->value));
        }
        break;
    case KV_DELETE:
        exec_delete(job, sg);
        break;
    case KV_POP:
        exec_pop(job, sg);
        break;
    case KV_SETDEFAULT:
        exec_setdefault(job, sg);
        break;
    case KV_UPDATE:
        exec_multi(job, sg, false);
        break;
    case KV_BATCH_DELETE:
        exec_multi(job, sg, true);
        break;
    case KV_LEN:
        exec_len(job);
        break;
    case KV_KEYS:
    case KV_VALUES:
    case KV_ITEMS:
    case KV_TO_DICT:
    case KV_COPY:
        exec_scan(job);
        break;
    case KV_CLEAR:
        exec_clear(job);
        break;
    case KV_LOAD_ALL:
        rc = nana__table_read_all(t, job->conn, &job->items, &job->n_items, &job->n_skipped);
        if (rc != SQLITE_OK)
            fail_sql(job, "cannot load", rc);
        else if (!(job->base.result = json_integer((json_int_t)job->n_items)))
            job_fail(job, NANA_ENOMEM, NULL);
        break;
    case KV_REFRESH_ALL:
        break; /* all in kv_settle */
    }
}

const struct nana_job_ops nana__kv_ops = {kv_run, kv_settle, NULL, kv_destroy};


/* ------------------------------------------- for the other dict files */

int nana__kv_lookup(struct kv_job *job, const char *key, uint32_t hash, json_t **value)
{
    return lookup_exec(job, key, hash, value);
}

int nana__kv_current_value(struct kv_job *job, struct nana_staging *sg, json_t **value)
{
    return current_value(job, sg, false, false, value);
}

int nana__kv_write_row(struct kv_job *job, const char *key, const char *text, size_t len)
{
    return write_row(job, key, text, len);
}

int nana__kv_delete_row(struct kv_job *job, const char *key, bool *changed)
{
    return delete_row(job, key, changed);
}

void nana__kv_fail_sql(struct kv_job *job, const char *what, int rc)
{
    fail_sql(job, what, rc);
}

void nana__kv_fail_not_json(struct kv_job *job, const char *key, enum nana_value_fault fault)
{
    fail_not_json(job, key, fault);
}

void nana__kv_fail_not_found(struct kv_job *job)
{
    fail_not_found(job);
}
