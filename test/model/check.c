/*
 * check.c -- the checker/driver: runs a sequence of steps against the
 * library and the reference model side by side.
 *
 * A pipeline submits all its operations before awaiting any, then awaits
 * them in submission order, and compares each future with what the model
 * says once every operation before it took effect: status, value (same JSON,
 * same member order, integer vs real), integer and boolean results, and
 * for a failed future a message and no value.  A future that failed with a
 * message beginning "transaction rolled back" is taken as not applied; it
 * must come before a RAISE(ROLLBACK) operation of its pipeline.  After each
 * pipeline: is_cached of every key of both tables of the pipeline's root
 * against the model, and the whole file (rowid, key, value of every row)
 * read through a separate plain sqlite3 connection.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

double m_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *m_status_name(nana_status_t st)
{
    switch (st) {
#define NAME_(name, text) case name: return #name;
        NANA_STATUS_TABLE(NAME_)
#undef NAME_
    }
    return "(unknown status)";
}

/* ------------------------------------------------------------ submission */

/* After the call the library must hold its own copy: change ours. */
static void scribble(json_t *v)
{
    if (json_is_object(v))
        json_object_set_new(v, "scribbled-after-the-call", json_true());
    else if (json_is_array(v))
        json_array_append_new(v, json_string("scribbled-after-the-call"));
}

static json_t *text_param(const char *text)
{
    return text ? json_string(text) : json_null();
}

nana_future_t *m_submit(nana_db_t *db, const struct op *op, const char *const *names)
{
    const char *key = names[op->key];
    json_t *arg = op->value ? json_deep_copy(op->value) : NULL;
    json_t *p1 = NULL, *p2 = NULL;
    const char *tn = op->table_spelling;
    char sql[160];
    nana_future_t *f = NULL;
    switch (op->kind) {
    case OP_GET: f = nana_get(db, key, NULL); break;
    case OP_GET_DFLT: f = nana_get(db, key, arg); break;
    case OP_GET_FRESH: f = nana_get_fresh(db, key, NULL); break;
    case OP_GET_FRESH_DFLT: f = nana_get_fresh(db, key, arg); break;
    case OP_CONTAINS: f = nana_contains(db, key); break;
    case OP_IS_CACHED: f = nana_is_cached(db, key); break;
    case OP_LEN: f = nana_len(db); break;
    case OP_KEYS: f = nana_keys(db); break;
    case OP_VALUES: f = nana_values(db); break;
    case OP_ITEMS: f = nana_items(db); break;
    case OP_TO_DICT: f = nana_to_dict(db); break;
    case OP_COPY: f = nana_copy(db); break;
    case OP_LOAD_ALL: f = nana_load_all(db); break;
    case OP_REFRESH_KEY: f = nana_refresh(db, key); break;
    case OP_REFRESH_ALL: f = nana_refresh(db, NULL); break;
    case OP_SET: f = nana_set(db, key, arg); break;
    case OP_DELETE: f = nana_delete(db, key); break;
    case OP_POP: f = nana_pop(db, key, NULL); break;
    case OP_POP_DFLT: f = nana_pop(db, key, arg); break;
    case OP_SETDEFAULT: f = nana_setdefault(db, key, arg); break;
    case OP_SETDEFAULT_NULL: f = nana_setdefault(db, key, NULL); break;
    case OP_UPDATE: f = nana_update(db, arg); break;
    case OP_BATCH_UPDATE: f = nana_batch_update(db, arg); break;
    case OP_BATCH_DELETE: {
        const char *keys[M_MAX_BATCH_KEYS];
        for (int i = 0; i < op->n_keys; i++)
            keys[i] = names[op->keys[i]];
        f = nana_batch_delete(db, op->n_keys ? keys : NULL, (size_t)op->n_keys);
        break;
    }
    case OP_CLEAR: f = nana_clear(db); break;
    case OP_BATCH_GET: {
        const char *keys[M_MAX_BATCH_KEYS];
        for (int i = 0; i < op->n_keys; i++)
            keys[i] = names[op->keys[i]];
        f = nana_batch_get(db, op->n_keys ? keys : NULL, (size_t)op->n_keys);
        break;
    }
    case OP_SCAN_PREFIX:
        f = nana_scan_prefix(db, m_bounds[op->bound_a], op->limit);
        break;
    case OP_SCAN_RANGE:
        f = nana_scan_range(db, op->bound_a >= 0 ? m_bounds[op->bound_a] : NULL,
                            op->bound_b >= 0 ? m_bounds[op->bound_b] : NULL, op->limit);
        break;
    case OP_INCREMENT:
        f = nana_increment(db, key, op->field >= 0 ? m_fields[op->field] : NULL,
                           json_integer_value(op->value));
        break;
    case OP_INCREMENT_REAL:
        f = nana_increment_real(db, key, op->field >= 0 ? m_fields[op->field] : NULL,
                                json_real_value(op->value));
        break;
    case OP_PATCH: f = nana_patch(db, key, arg, op->create); break;
    case OP_CAS:
        p1 = op->expected ? json_deep_copy(op->expected) : NULL;
        f = nana_compare_and_set(db, key, p1, arg);
        break;
    case OP_EXEC_UPDATE:
        snprintf(sql, sizeof sql, "UPDATE %s SET value=? WHERE key=?", tn);
        p1 = json_pack("[os]", text_param(op->text), key);
        f = nana_execute(db, sql, p1);
        break;
    case OP_EXEC_DELETE:
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE key=?", tn);
        p1 = json_pack("[s]", key);
        f = nana_execute(db, sql, p1);
        break;
    case OP_EXEC_REPLACE:
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(key,value) VALUES(?,?)", tn);
        p1 = json_pack("[so]", key, text_param(op->text));
        f = nana_execute(db, sql, p1);
        break;
    case OP_SQL_INSERT:
        p1 = json_pack("{ssso}", "key", key, "value", text_param(op->text));
        f = nana_sql_insert(db, tn, p1);
        break;
    case OP_SQL_UPDATE:
        p1 = json_pack("{so}", "value", text_param(op->text));
        p2 = json_pack("[s]", key);
        f = nana_sql_update(db, tn, p1, "key = ?", p2);
        break;
    case OP_SQL_DELETE:
        p1 = json_pack("[s]", key);
        f = nana_sql_delete(db, tn, "key = ?", p1);
        break;
    case OP_UPSERT_KEY:
    case OP_UPSERT_REPLACE:
        p1 = json_pack("{ssso}", "key", key, "value", text_param(op->text));
        p2 = op->kind == OP_UPSERT_KEY ? json_pack("[s]", "key") : NULL;
        f = nana_upsert(db, tn, p1, p2);
        break;
    default:
        break;
    }
    scribble(arg);
    scribble(p1);
    scribble(p2);
    json_decref(arg);
    json_decref(p1);
    json_decref(p2);
    return f;
}

/* ------------------------------------------------------------ comparison */

static bool msg_names_key(const char *msg, const char *key)
{
    char quoted[256];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    return strstr(msg, quoted) || (*key && strstr(msg, key));
}

#define WHY(...) (snprintf(why, why_size, __VA_ARGS__), false)

bool m_outcome_ok(nana_future_t *f, const struct expect *e, const char *const *names,
                  char *why, size_t why_size)
{
    nana_status_t st = nana_future_status(f);
    const char *msg = nana_future_errmsg(f);
    json_t *got = nana_future_json(f);
    char *gtext = m_json_text(got), *wtext = m_json_text(e->json);
    bool ok = true;
    int64_t iv = 0;
    bool bv = false;

    if (st == NANA_PENDING) {
        ok = WHY("still pending after nana_future_await");
        goto out;
    }
    if (st != NANA_OK) {
        if (!msg || !*msg)
            ok = WHY("failed %s with an empty message", m_status_name(st));
        else if (got)
            ok = WHY("failed %s (\"%s\") but carries a value %s", m_status_name(st), msg, gtext);
        else if (nana_future_int(f, &iv) != st || nana_future_bool(f, &bv) != st)
            ok = WHY("failed %s but nana_future_int/bool do not return that status",
                     m_status_name(st));
        if (!ok)
            goto out;
    }
    if (e->poison_rollback && st != NANA_OK)
        goto out; /* its transaction is gone: any failure will do */
    if (st != e->st) {
        if (e->st == NANA_OK && e->kind != E_NONE)
            ok = WHY("status %s (\"%s\"), want NANA_OK with %s", m_status_name(st), msg,
                     e->kind == E_JSON ? wtext
                     : e->kind == E_BOOL ? (e->b ? "true" : "false")
                                         : "a result");
        else
            ok = WHY("status %s (\"%s\"), want %s", m_status_name(st), st ? msg : "",
                     m_status_name(e->st));
        if (e->kind == E_INT && e->st == NANA_OK)
            snprintf(why + strlen(why), why_size - strlen(why), " %lld", (long long)e->i);
        goto out;
    }
    if (st != NANA_OK) {
        if (e->name_key >= 0 && !msg_names_key(msg, names[e->name_key]))
            ok = WHY("%s message \"%s\" does not name the key", m_status_name(st), msg);
        goto out;
    }
    if (msg && *msg) {
        ok = WHY("succeeded with a message \"%s\"", msg);
        goto out;
    }
    switch (e->kind) {
    case E_NONE:
        if (got)
            ok = WHY("resolved with a value %s, want none", gtext);
        break;
    case E_JSON:
        if (!m_json_same(got, e->json))
            ok = WHY("value %s, want %s", gtext, wtext);
        break;
    case E_INT:
        if (nana_future_int(f, &iv) != NANA_OK)
            ok = WHY("nana_future_int fails %s (value %s), want %lld",
                     m_status_name(nana_future_int(f, &iv)), gtext, (long long)e->i);
        else if (iv != e->i)
            ok = WHY("integer %lld, want %lld", (long long)iv, (long long)e->i);
        break;
    case E_BOOL:
        if (nana_future_bool(f, &bv) != NANA_OK)
            ok = WHY("nana_future_bool fails (value %s), want %s", gtext, e->b ? "true" : "false");
        else if (bv != e->b)
            ok = WHY("%s, want %s", bv ? "true" : "false", e->b ? "true" : "false");
        break;
    case E_EXEC: {
        json_t *cols = json_object_get(got, "columns"), *rows = json_object_get(got, "rows");
        json_t *ch = json_object_get(got, "changes"), *lr = json_object_get(got, "last_insert_rowid");
        if (!json_is_object(got) || !json_is_array(cols) || json_array_size(cols) != 0 ||
            !json_is_array(rows) || json_array_size(rows) != 0 || !json_is_integer(ch) ||
            !json_is_integer(lr))
            ok = WHY("execute result %s, want columns [], rows [], changes %lld", gtext,
                     (long long)e->i);
        else if (json_integer_value(ch) != e->i)
            ok = WHY("execute changes %lld, want %lld (result %s)",
                     (long long)json_integer_value(ch), (long long)e->i, gtext);
        else if (e->insert_rowid >= 0 && json_integer_value(lr) != e->insert_rowid)
            ok = WHY("execute last_insert_rowid %lld, want %lld", (long long)json_integer_value(lr),
                     (long long)e->insert_rowid);
        break;
    }
    }
out:
    free(gtext);
    free(wtext);
    return ok;
}

/* ---------------------------------------------------------------- driver */

struct run {
    const struct seq *seq;
    char dir[4096], path[4200];
    sqlite3 *raw;
    nana_db_t *h[M_NHANDLES];
    struct model m;
    bool knows_x[M_NROOTS][4]; /* the root has had a handle on table "x<i>" */
    struct check_result *res;
    FILE *rep;      /* the report being written */
    char *rep_buf;
    size_t rep_len;
};

static void fail_at(struct run *r, int step, int op, const char *sig, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail_at(struct run *r, int step, int op, const char *sig, const char *fmt, ...)
{
    if (r->res->failed)
        return;
    r->res->failed = true;
    r->res->step = step;
    r->res->op = op;
    snprintf(r->res->sig, sizeof r->res->sig, "%s", sig);
    if (op >= 0) {
        fprintf(r->rep, "at step %d op %d: ", step, op);
        op_print(r->rep, &r->seq->steps[step].ops[op]);
        fprintf(r->rep, "\n  ");
    } else {
        fprintf(r->rep, "after step %d: ", step);
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->rep, fmt, ap);
    va_end(ap);
    fputc('\n', r->rep);
}

static bool raw_exec(struct run *r, int step, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(r->raw, sql, NULL, NULL, &err) != SQLITE_OK) {
        fail_at(r, step, -1, "harness", "raw connection: %s: %s", sql, err ? err : "?");
        sqlite3_free(err);
        return false;
    }
    return true;
}

/* Runs sql with up to two text parameters (NULL: SQL NULL). */
static bool raw_write(struct run *r, int step, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->raw, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        if (a)
            sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
        if (b)
            sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        fail_at(r, step, -1, "harness", "raw connection: %s: %s", sql, sqlite3_errmsg(r->raw));
        return false;
    }
    return true;
}

/* The hook mode's hooks (ops.h), installed on root A's table "data". */
static nana_status_t hook_write(void *arg, const char *key, json_t *value, json_t **repl,
                                char *msg, size_t size)
{
    (void)arg;
    if (strcmp(key, m_key_names[M_HOOK_REFUSED]) == 0) {
        snprintf(msg, size, "the model's hook refuses writing this key");
        return NANA_ECANCELED;
    }
    if (strcmp(key, m_key_names[M_HOOK_REPLACED]) == 0)
        *repl = model_hook_value(M_HOOK_REPLACED, value);
    return NANA_OK;
}

static nana_status_t hook_delete(void *arg, const char *key, char *msg, size_t size)
{
    (void)arg;
    if (strcmp(key, m_key_names[M_HOOK_REFUSED]) != 0)
        return NANA_OK;
    snprintf(msg, size, "the model's hook refuses deleting this key");
    return NANA_ECANCELED;
}

static const nana_hooks_t model_hooks = {.before_write = hook_write,
                                         .before_delete = hook_delete};

static nana_status_t open_root(struct run *r, int root, bool bulk)
{
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = 50;
    o.bulk_load = bulk;
    o.max_workers = root == ROOT_A ? 3 : 2;
    o.thread_name_prefix = root == ROOT_A ? "modelA" : "modelB";
    int base = root == ROOT_A ? H_A : H_B;
    int policy = root == ROOT_A ? r->seq->policy : POL_NONE;
    nana_table_options_t data_opts, t2_opts;
    nana_table_options_init(&data_opts);
    nana_table_options_init(&t2_opts);
    if (policy == POL_LRU) {
        data_opts.cache_max_entries = 3;
        t2_opts.cache_max_entries = NANA_UNLIMITED; /* overrides the root's */
    } else if (policy == POL_TTL) {
        t2_opts.cache_ttl_ms = 1;
        t2_opts.cache_max_bytes = 260;
    }
    nana_status_t st = nana_open_v3(r->path, &o, 0, &data_opts, &r->h[base]);
    if (st != NANA_OK) {
        fail_at(r, -1, -1, "open", "nana_open: %s: %s", m_status_name(st),
                nana_db_errmsg(r->h[base]));
        nana_close(r->h[base]);
        r->h[base] = NULL;
        return st;
    }
    for (int h = 0; h < M_NHANDLES; h++) {
        if (m_handle_root[h] != root || h == base)
            continue;
        /* A.DATA inherits the root's table options (and is that table). */
        st = nana_table_v2(r->h[base], m_handle_spelling[h], m_handle_table[h] == 1 ? &t2_opts : NULL,
                           &r->h[h]);
        if (st != NANA_OK) {
            fail_at(r, -1, -1, "open", "nana_table(%s): %s: %s", m_handle_spelling[h],
                    m_status_name(st), nana_db_errmsg(r->h[base]));
            return st;
        }
    }
    if (r->seq->readers && (st = nana_set_read_connections(r->h[base], 2)) != NANA_OK) {
        fail_at(r, -1, -1, "open", "nana_set_read_connections: %s", m_status_name(st));
        return st;
    }
    if (root == ROOT_A && r->seq->hooks &&
        (st = nana_set_hooks(r->h[H_A_CASE], &model_hooks)) != NANA_OK) {
        fail_at(r, -1, -1, "open", "nana_set_hooks: %s", m_status_name(st));
        return st;
    }
    model_root_opened(&r->m, root, bulk);
    memset(r->knows_x[root], 0, sizeof r->knows_x[root]);
    return NANA_OK;
}

static void close_root(struct run *r, int step, int root, bool root_first)
{
    int base = root == ROOT_A ? H_A : H_B;
    nana_status_t st;
    nana_stats_t stats;
    if (r->h[base] && nana_stats(r->h[base], &stats) == NANA_OK) {
        r->res->reads_on_readers += (long)stats.reads_on_readers;
        r->res->reads_moved += (long)stats.reads_moved;
    }
    if (root_first && r->h[base]) {
        if ((st = nana_close(r->h[base])) != NANA_OK)
            fail_at(r, step, -1, "close", "nana_close(root): %s", m_status_name(st));
        r->h[base] = NULL;
        /* Its sub-tables answer NANA_ECLOSED until they are closed too. */
        for (int h = 0; h < M_NHANDLES; h++) {
            if (m_handle_root[h] != root || !r->h[h])
                continue;
            nana_future_t *f = nana_get(r->h[h], "a", NULL);
            st = nana_future_await(f);
            if (st != NANA_ECLOSED || !*nana_future_errmsg(f))
                fail_at(r, step, -1, "eclosed",
                        "get on sub-table %s after its root closed: %s, want NANA_ECLOSED",
                        m_handle_names[h], m_status_name(st));
            nana_future_free(f);
        }
    }
    for (int h = 0; h < M_NHANDLES; h++) {
        if (m_handle_root[h] != root || h == base || !r->h[h])
            continue;
        if ((st = nana_close(r->h[h])) != NANA_OK)
            fail_at(r, step, -1, "close", "nana_close(%s): %s", m_handle_names[h],
                    m_status_name(st));
        r->h[h] = NULL;
    }
    if (r->h[base]) {
        if ((st = nana_close(r->h[base])) != NANA_OK)
            fail_at(r, step, -1, "close", "nana_close(root): %s", m_status_name(st));
        r->h[base] = NULL;
    }
}

/* Every row of every table, through the raw connection, against the model. */
static void compare_file(struct run *r, int step)
{
    for (int t = 0; t < M_NTABLES && !r->res->failed; t++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT rowid, key, value FROM \"%s\" ORDER BY rowid",
                 m_table_names[t]);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->raw, sql, -1, &st, NULL) != SQLITE_OK) {
            fail_at(r, step, -1, "harness", "raw: %s: %s", sql, sqlite3_errmsg(r->raw));
            return;
        }
        const struct mtable *mt = &r->m.file[t];
        int i = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && !r->res->failed) {
            int64_t rowid = sqlite3_column_int64(st, 0);
            const char *key = (const char *)sqlite3_column_text(st, 1);
            const char *text = (const char *)sqlite3_column_text(st, 2);
            char *gq = m_quote(key), *gt = m_quote(text);
            if (i >= mt->n) {
                fail_at(r, step, -1, "file", "table %s: extra row [%lld] %s=%s",
                        m_table_names[t], (long long)rowid, gq, gt);
            } else {
                const struct mrow *mr = &mt->rows[i];
                char *wq = mr->key == M_KEY_NULL ? strdup("NULL") : m_quote(r->m.names[mr->key]);
                char *wt = m_quote(mr->text);
                json_t *wv = model_decode(mr->text), *gv = model_decode(text);
                bool same_value = wv ? m_json_same(wv, gv)
                                     : (!mr->text ? !text : text && strcmp(text, mr->text) == 0);
                bool same_key = mr->key == M_KEY_NULL ? !key
                                                      : key && strcmp(key, r->m.names[mr->key]) == 0;
                if (!same_key || rowid != mr->rowid || !same_value)
                    fail_at(r, step, -1, "file",
                            "table %s row %d: file has [%lld] %s=%s, model [%lld] %s=%s",
                            m_table_names[t], i, (long long)rowid, gq, gt,
                            (long long)mr->rowid, wq, wt);
                json_decref(wv);
                json_decref(gv);
                free(wq);
                free(wt);
            }
            free(gq);
            free(gt);
            i++;
        }
        sqlite3_finalize(st);
        if (!r->res->failed && i < mt->n) {
            char *wq = m_quote(model_key_name(&r->m, mt->rows[i].key));
            fail_at(r, step, -1, "file", "table %s: the file lacks row [%lld] %s (and %d more)",
                    m_table_names[t], (long long)mt->rows[i].rowid, wq, mt->n - i - 1);
            free(wq);
        }
        if (r->res->failed) {
            model_print_file(r->rep, &r->m, t);
        }
    }
}

/*
 * is_cached answered got for root's table and key.  Exact for a cache with
 * no bound; a bounded one may have dropped what the model holds (and the
 * model forgets it then), but never holds what the model does not.  The
 * lookup that answers "cached" in a fully loaded table with no entry is the
 * model's C_ABS.  false with why filled on a divergence.
 */
static long drops_seen; /* of the run under way (check_run is single-threaded) */

static bool cached_ok(struct model *m, int root, int table, int key, bool got, char *why,
                      size_t why_size)
{
    bool want = m->cache[root][table].e[key].st != C_NC;
    if (!m->bounded[root][table])
        return got == want ? true : (snprintf(why, why_size, "%s, want %s", got ? "true" : "false",
                                              want ? "true" : "false"), false);
    if (got && !want) {
        snprintf(why, why_size, "true, want false (a bounded cache holds at most what the "
                                "model holds)");
        return false;
    }
    if (!got && want) {
        model_forget_key(m, root, table, key);
        drops_seen++;
    }
    return true;
}

/* model_op, but for is_cached on a bounded cache, which the answer f
 * decides (cached_ok): e then expects what f says when it is allowed, and
 * the other boolean when not, so that the usual comparison reports it. */
static void model_op_seen(struct model *m, const struct op *op, nana_future_t *f,
                          struct expect *e)
{
    int root = m_handle_root[op->handle], table = op_table(op);
    bool got = false;
    if (op->kind != OP_IS_CACHED || !m->bounded[root][table] ||
        nana_future_bool(f, &got) != NANA_OK) {
        model_op(m, op, e);
        return;
    }
    char why[160];
    memset(e, 0, sizeof *e);
    e->name_key = -1;
    e->insert_rowid = -1;
    e->st = NANA_OK;
    e->kind = E_BOOL;
    e->b = cached_ok(m, root, table, op->key, got, why, sizeof why) ? got : !got;
}

/* A bounded table's cached states must be the file's (see enum
 * seq_policy): else the model could not tell an evicted key's answer. */
static void check_bounded_not_stale(struct run *r, int step, int root)
{
    for (int t = 0; t < M_NTABLES && !r->res->failed; t++) {
        int key;
        if (r->m.bounded[root][t] && !model_cache_matches_file(&r->m, root, t, &key)) {
            char *q = m_quote(r->m.names[key]);
            fail_at(r, step, -1, "harness: bounded cache stale",
                    "the model's bounded cache of table %s holds %s other than the file: the "
                    "generator let another writer at it", m_table_names[t], q);
            free(q);
            model_print_cache(r->rep, &r->m, root, t);
            model_print_file(r->rep, &r->m, t);
        }
    }
}

/* is_cached of every key of the root's tables against the model. */
static void probe_cache(struct run *r, int step, int root)
{
    check_bounded_not_stale(r, step, root);
    if (r->res->failed)
        return;
    nana_future_t *fs[M_NTABLES][M_NKEYS] = {{0}};
    int hs[M_NTABLES] = {root == ROOT_A ? H_A : H_B, root == ROOT_A ? H_A_T2 : H_B_T2};
    for (int t = 0; t < M_NTABLES; t++)
        for (int k = 0; k < M_NKEYS; k++)
            fs[t][k] = nana_is_cached(r->h[hs[t]], r->m.names[k]);
    for (int t = 0; t < M_NTABLES; t++) {
        for (int k = 0; k < M_NKEYS; k++) {
            bool b = false;
            nana_status_t st = nana_future_await(fs[t][k]);
            if (st == NANA_OK)
                st = nana_future_bool(fs[t][k], &b);
            bool want = r->m.cache[root][t].e[k].st != C_NC;
            char why[160];
            if ((st != NANA_OK || !cached_ok(&r->m, root, t, k, b, why, sizeof why)) &&
                !r->res->failed) {
                char *q = m_quote(r->m.names[k]);
                char sig[64];
                snprintf(sig, sizeof sig, "probe: is_cached %s", want ? "false" : "true");
                fail_at(r, step, -1, sig, "probe %s is_cached(%s): %s %s", m_handle_names[hs[t]],
                        q, m_status_name(st), st == NANA_OK ? why : "");
                free(q);
                model_print_cache(r->rep, &r->m, root, t);
            }
            nana_future_free(fs[t][k]);
            r->res->ops_checked++;
        }
    }
}

/* Takes the result once (nana_future_json is NULL afterwards).  A copy()
 * result is the caller's: change it all over -- the cache must not see it
 * (later answers are still checked against the model). */
static void take_and_scribble(struct run *r, int si, int i, nana_future_t *f, bool is_copy)
{
    json_t *v = nana_future_take_json(f);
    if (!v || nana_future_json(f) || nana_future_take_json(f)) {
        fail_at(r, si, i, "take_json", "nana_future_take_json: %s value, then json %s",
                v ? "a" : "no", nana_future_json(f) ? "still there" : "NULL");
        nana_json_release(v);
        return;
    }
    if (is_copy) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
            scribble(m);
        scribble(v);
    }
    nana_json_release(v);
}

static void run_pipeline(struct run *r, int si)
{
    const struct step *st = &r->seq->steps[si];
    nana_future_t *fs[M_MAX_PIPELINE] = {0};
    int n = st->n_ops < M_MAX_PIPELINE ? st->n_ops : M_MAX_PIPELINE;
    if (!r->h[st->root == ROOT_A ? H_A : H_B])
        return; /* its root is not open (a shrunk sequence) */
    if (st->locked && !raw_exec(r, si, "BEGIN IMMEDIATE"))
        return;
    r->m.locked = st->locked;
    r->res->locked_pipelines += st->locked;
    for (int i = 0; i < n; i++) {
        nana_db_t *db = r->h[st->ops[i].handle];
        if (st->ops[i].delay_us)
            usleep((useconds_t)st->ops[i].delay_us);
        if (db && st->ops[i].kind == OP_SUBTABLE) {
            char name[8];
            nana_db_t *sub = NULL;
            snprintf(name, sizeof name, "x%d", st->ops[i].key % 4);
            nana_status_t ts = nana_table(db, name, &sub);
            bool *known = &r->knows_x[st->root][st->ops[i].key % 4];
            /* The first handle of a root on a table runs CREATE TABLE IF NOT
             * EXISTS in a write transaction: NANA_EBUSY while another
             * connection holds the write lock.  Later ones neither queue
             * nor wait. */
            if (ts == NANA_OK)
                *known = true;
            else if (!(ts == NANA_EBUSY && st->locked && !*known))
                fail_at(r, si, i, "table+close", "nana_table(\"%s\") with %d jobs queued%s: %s: %s",
                        name, i, st->locked ? " (write lock held elsewhere)" : "",
                        m_status_name(ts), nana_db_errmsg(db));
            if ((ts = nana_close(sub)) != NANA_OK)
                fail_at(r, si, i, "table+close", "nana_close(sub-table): %s", m_status_name(ts));
            continue;
        }
        fs[i] = db ? m_submit(db, &st->ops[i], r->m.names) : NULL;
    }
    if (st->close_after) /* drains the queue: every future resolves as usual */
        close_root(r, si, ROOT_A, true);
    if (st->await_all) {
        nana_future_t *live[M_MAX_PIPELINE];
        int nl = 0;
        for (int i = 0; i < n; i++)
            if (fs[i])
                live[nl++] = fs[i];
        nana_status_t all = nana_future_await_all(live, (size_t)nl), first = NANA_OK;
        for (int i = 0; i < nl && first == NANA_OK; i++)
            first = nana_future_status(live[i]);
        if (all != first)
            fail_at(r, si, -1, "await_all", "nana_future_await_all returned %s, the first "
                    "failure in array order is %s", m_status_name(all), m_status_name(first));
    }
    for (int i = 0; i < n; i++) {
        int k = st->await_reverse ? n - 1 - i : i;
        if (fs[k])
            nana_future_await(fs[k]);
    }
    for (int i = 0; i < n && !r->res->failed; i++) {
        if (!fs[i])
            continue;
        const struct op *op = &st->ops[i];
        nana_status_t s = nana_future_status(fs[i]);
        const char *msg = nana_future_errmsg(fs[i]);
        r->res->ops_checked++;
        r->res->by_status[s & 15]++;
        r->res->sql_ops += op_is_sql(op->kind);
        if (s != NANA_OK && strncmp(msg, "transaction rolled back", 23) == 0) {
            r->res->rolled_back++;
            bool allowed = false;
            for (int j = i + 1; j < n; j++)
                allowed |= fs[j] && model_op_rolls_back(&r->m, &st->ops[j]);
            if (!allowed) {
                char sig[64];
                snprintf(sig, sizeof sig, "%s: rolled back", m_op_names[op->kind]);
                fail_at(r, si, i, sig,
                        "failed %s \"%s\", but no RAISE(ROLLBACK) operation follows it in its "
                        "pipeline", m_status_name(s), msg);
            } else if (nana_future_json(fs[i])) {
                fail_at(r, si, i, "rolled back with a value", "rolled back but carries a value");
            }
            continue; /* not applied */
        }
        struct expect e;
        model_op_seen(&r->m, op, fs[i], &e);
        char why[1024];
        if (!m_outcome_ok(fs[i], &e, r->m.names, why, sizeof why)) {
            char sig[64];
            snprintf(sig, sizeof sig, "%s: %.40s", m_op_names[op->kind],
                     strncmp(why, "status", 6) == 0 ? "status" : why);
            /* cut at the first space after the first word for a stable sig */
            char *sp = strchr(sig + strlen(m_op_names[op->kind]) + 2, ' ');
            if (sp)
                *sp = '\0';
            fail_at(r, si, i, sig, "%s", why);
            fprintf(r->rep, "(the model's state below is the one once the op took effect)\n");
            model_print_cache(r->rep, &r->m, m_handle_root[op->handle], op_table(op));
            model_print_file(r->rep, &r->m, op_table(op));
        }
        else if (e.st == NANA_OK && e.kind == E_JSON)
            take_and_scribble(r, si, i, fs[i], op->kind == OP_COPY);
        expect_free(&e);
    }
    r->m.locked = false;
    for (int i = 0; i < n; i++)
        nana_future_free(fs[i]);
    if (st->locked)
        raw_exec(r, si, "ROLLBACK");
    if (st->close_after && !r->res->failed)
        open_root(r, ROOT_A, false);
    if (!r->res->failed)
        probe_cache(r, si, st->root);
    if (!r->res->failed)
        compare_file(r, si);
}

/*
 * A transaction pipeline: BEGIN, the operations -- those marked in_txn on
 * the views of root A's handles inside the transaction, savepoints among
 * them, the others on the handles themselves -- then its end, all
 * submitted before anything is awaited.  The model takes the operations
 * inside in order on a copy of the state kept at BEGIN; the end commits
 * that state (forgetting root A's cache when the transaction was blind) or
 * goes back to the copy.  An operation outside that resolved at once was
 * answered from the cache: it must agree with the state at BEGIN, which is
 * the committed one all along; every other one runs after the end, in
 * submission order.
 */
static void run_txn_pipeline(struct run *r, int si)
{
    const struct step *st = &r->seq->steps[si];
    nana_future_t *fs[M_MAX_PIPELINE] = {0}, *begun = NULL, *end = NULL;
    bool at_once[M_MAX_PIPELINE] = {0};
    int n = st->n_ops < M_MAX_PIPELINE ? st->n_ops : M_MAX_PIPELINE;
    if (!r->h[H_A])
        return;
    if (st->locked && !raw_exec(r, si, "BEGIN IMMEDIATE"))
        return;
    r->m.locked = st->locked;
    r->res->locked_pipelines += st->locked;
    r->res->txn_pipelines++;

    nana_txn_options_t o;
    nana_txn_options_init(&o);
    o.mode = (nana_txn_mode_t)(st->txn - 1);
    nana_txn_t *txn = NULL;
    begun = nana_txn_begin(r->h[H_A], &o, &txn);
    nana_db_t *view[M_NHANDLES] = {0};
    for (int h = H_A; h <= H_A_T2 && txn; h++)
        view[h] = r->h[h] ? nana_txn_db(txn, r->h[h]) : NULL;
    for (int i = 0; i < n && txn; i++) {
        const struct op *op = &st->ops[i];
        if (op->delay_us)
            usleep((useconds_t)op->delay_us);
        switch (op->kind) {
        case OP_TXN_SAVEPOINT:
            fs[i] = nana_txn_savepoint(txn);
            break;
        case OP_TXN_RELEASE:
            fs[i] = nana_txn_release(txn);
            break;
        case OP_TXN_ROLLBACK_TO:
            fs[i] = nana_txn_rollback_to(txn);
            break;
        default: {
            nana_db_t *db = op->in_txn ? view[op->handle] : r->h[op->handle];
            fs[i] = db ? m_submit(db, op, r->m.names) : NULL;
            at_once[i] = fs[i] && !op->in_txn && nana_future_poll(fs[i]);
        }
        }
    }
    if (txn && st->txn_end == TXN_END_COMMIT)
        end = nana_txn_commit(txn);
    else if (txn && st->txn_end == TXN_END_ROLLBACK)
        end = nana_txn_rollback(txn);
    nana_txn_free(txn); /* rolls back unless COMMIT or ROLLBACK was queued */
    if (!txn) {
        fail_at(r, si, -1, "txn_begin", "nana_txn_begin gave no handle: %s (%s)",
                m_status_name(nana_future_status(begun)), nana_future_errmsg(begun));
        goto out;
    }
    nana_future_await(begun);
    for (int i = 0; i < n; i++)
        if (fs[i])
            nana_future_await(fs[i]);
    if (end)
        nana_future_await(end);

    /* BEGIN IMMEDIATE / EXCLUSIVE waits for the lock: refused, it ends the
     * transaction and fails everything in it. */
    bool refused = st->locked && st->txn != 1 + NANA_TXN_DEFERRED;
    nana_status_t dead = refused ? NANA_EBUSY : NANA_OK; /* once it ended by itself */
    if (nana_future_status(begun) != dead) {
        fail_at(r, si, -1, "txn_begin", "BEGIN: %s (%s), want %s", m_status_name(nana_future_status(begun)),
                nana_future_errmsg(begun), m_status_name(dead));
        goto out;
    }
    struct model at_begin, saved[M_MAX_PIPELINE];
    model_copy(&at_begin, &r->m);
    int depth = 0, queued_depth = 0;
    bool blind = false;
    char why[1024];
    for (int i = 0; i < n && !r->res->failed; i++) {
        const struct op *op = &st->ops[i];
        if (!fs[i] || !op->in_txn)
            continue;
        nana_status_t s = nana_future_status(fs[i]);
        r->res->ops_checked++;
        r->res->txn_ops++;
        r->res->by_status[s & 15]++;
        bool control = op->kind >= OP_TXN_SAVEPOINT;
        /* Submission counts savepoints; a release with none is refused
         * there (or, once the transaction ended, with its reason). */
        bool no_savepoint = control && op->kind != OP_TXN_SAVEPOINT && queued_depth == 0;
        if (control)
            queued_depth += op->kind == OP_TXN_SAVEPOINT ? 1 : no_savepoint ? 0 : -1;
        if (no_savepoint) {
            if (s != NANA_EINVAL && (dead == NANA_OK || s != dead))
                fail_at(r, si, i, "txn: no savepoint", "%s with no savepoint open: %s (%s)",
                        m_op_names[op->kind], m_status_name(s), nana_future_errmsg(fs[i]));
            continue;
        }
        if (dead != NANA_OK) {
            if (s != dead)
                fail_at(r, si, i, "txn: after its end", "%s after the transaction ended (%s): %s (%s)",
                        m_op_names[op->kind], m_status_name(dead), m_status_name(s),
                        nana_future_errmsg(fs[i]));
            continue;
        }
        if (control) {
            if (s != NANA_OK) {
                fail_at(r, si, i, "txn: control", "%s: %s (%s)", m_op_names[op->kind],
                        m_status_name(s), nana_future_errmsg(fs[i]));
                continue;
            }
            if (op->kind == OP_TXN_SAVEPOINT) {
                model_copy(&saved[depth++], &r->m);
            } else if (op->kind == OP_TXN_RELEASE) {
                model_free(&saved[--depth]);
            } else {
                model_free(&r->m);
                r->m = saved[--depth];
                blind = true;
            }
            continue;
        }
        if (blind)
            model_forget_root(&r->m, ROOT_A);
        struct expect e;
        model_op_seen(&r->m, op, fs[i], &e);
        bool rolls_back = e.poison_rollback; /* with the state: a write that hits it */
        if (model_op_is_whole(op->kind))
            blind = true;
        if (!m_outcome_ok(fs[i], &e, r->m.names, why, sizeof why)) {
            char sig[64];
            snprintf(sig, sizeof sig, "txn %s", m_op_names[op->kind]);
            fail_at(r, si, i, sig, "inside the transaction: %s", why);
            model_print_cache(r->rep, &r->m, ROOT_A, op_table(op));
            model_print_file(r->rep, &r->m, op_table(op));
        } else if (e.st == NANA_OK && e.kind == E_JSON) {
            take_and_scribble(r, si, i, fs[i], op->kind == OP_COPY);
        }
        expect_free(&e);
        if (rolls_back) {
            dead = NANA_EROLLEDBACK;
            r->res->rolled_back++;
        }
    }
    while (depth > 0)
        model_free(&saved[--depth]);
    /* The end. */
    if (!r->res->failed && end) {
        nana_status_t want = dead != NANA_OK ? dead : NANA_OK, s = nana_future_status(end);
        if (s != want)
            fail_at(r, si, -1, "txn: end", "%s: %s (%s), want %s",
                    st->txn_end == TXN_END_COMMIT ? "COMMIT" : "ROLLBACK", m_status_name(s),
                    nana_future_errmsg(end), m_status_name(want));
    }
    if (dead != NANA_OK || st->txn_end != TXN_END_COMMIT) {
        model_free(&r->m);
        model_copy(&r->m, &at_begin);
    } else if (blind) {
        model_forget_root(&r->m, ROOT_A);
    }
    /* Outside: at once against the state at BEGIN (the same as now when
     * the transaction did not commit), else in order after the end. */
    for (int i = 0; i < n && !r->res->failed; i++) {
        const struct op *op = &st->ops[i];
        if (!fs[i] || op->in_txn)
            continue;
        r->res->ops_checked++;
        r->res->by_status[nana_future_status(fs[i]) & 15]++;
        struct expect e;
        struct model scratch;
        struct model *m = &r->m;
        if (at_once[i]) {
            model_copy(&scratch, &at_begin);
            m = &scratch;
        }
        model_op_seen(m, op, fs[i], &e);
        if (!m_outcome_ok(fs[i], &e, r->m.names, why, sizeof why)) {
            char sig[64];
            snprintf(sig, sizeof sig, "txn outside %s", m_op_names[op->kind]);
            fail_at(r, si, i, sig, "outside the transaction, %s: %s",
                    at_once[i] ? "answered at once" : "run after it", why);
            model_print_cache(r->rep, m, ROOT_A, op_table(op));
            model_print_file(r->rep, m, op_table(op));
        } else if (e.st == NANA_OK && e.kind == E_JSON) {
            take_and_scribble(r, si, i, fs[i], op->kind == OP_COPY);
        }
        expect_free(&e);
        if (at_once[i])
            model_free(&scratch);
    }
    model_free(&at_begin);
out:
    r->m.locked = false;
    nana_future_free(begun);
    nana_future_free(end);
    for (int i = 0; i < n; i++)
        nana_future_free(fs[i]);
    if (st->locked)
        raw_exec(r, si, "ROLLBACK");
    if (!r->res->failed)
        probe_cache(r, si, ROOT_A);
    if (!r->res->failed)
        compare_file(r, si);
}

static void run_step(struct run *r, int si)
{
    const struct step *st = &r->seq->steps[si];
    char sql[128];
    switch (st->kind) {
    case ST_PIPELINE:
        if (st->txn)
            run_txn_pipeline(r, si);
        else
            run_pipeline(r, si);
        break;
    case ST_RAW_PUT:
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO \"%s\"(key, value) VALUES(?, ?)",
                 m_table_names[st->table]);
        if (raw_write(r, si, sql, r->m.names[st->key], st->text))
            model_raw_put(&r->m, st->table, st->key, st->text);
        break;
    case ST_RAW_UPDATE:
        snprintf(sql, sizeof sql, "UPDATE \"%s\" SET value = ? WHERE key = ?",
                 m_table_names[st->table]);
        if (raw_write(r, si, sql, st->text, r->m.names[st->key]))
            model_raw_update(&r->m, st->table, st->key, st->text);
        break;
    case ST_RAW_DELETE:
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE key = ?", m_table_names[st->table]);
        if (raw_write(r, si, sql, r->m.names[st->key], NULL))
            model_raw_delete(&r->m, st->table, st->key);
        break;
    case ST_RAW_NULL_KEY:
        snprintf(sql, sizeof sql, "INSERT INTO \"%s\"(key, value) VALUES(NULL, ?)",
                 m_table_names[st->table]);
        if (raw_write(r, si, sql, st->text, NULL))
            model_raw_put_null_key(&r->m, st->table, st->text);
        break;
    case ST_RAW_DELETE_NULL_KEYS:
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE key IS NULL",
                 m_table_names[st->table]);
        if (raw_write(r, si, sql, NULL, NULL))
            model_raw_delete_null_keys(&r->m, st->table);
        break;
    case ST_REOPEN_A:
        close_root(r, si, ROOT_A, st->root_first);
        if (!r->res->failed && open_root(r, ROOT_A, st->bulk_load) == NANA_OK) {
            probe_cache(r, si, ROOT_A); /* what bulk_load cached, or nothing */
            compare_file(r, si);
        }
        break;
    case ST_OPEN_B:
        if (!r->h[H_B] && open_root(r, ROOT_B, st->bulk_load) == NANA_OK)
            probe_cache(r, si, ROOT_B);
        break;
    case ST_CLOSE_B:
        close_root(r, si, ROOT_B, false);
        break;
    case ST_TRIGGERS:
        if (raw_exec(r, si,
                     "CREATE TRIGGER IF NOT EXISTS poison_abort BEFORE INSERT ON data"
                     " WHEN NEW.key = 'poison-abort' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;"
                     "CREATE TRIGGER IF NOT EXISTS poison_rollback BEFORE INSERT ON data"
                     " WHEN NEW.key = 'poison-rollback'"
                     " BEGIN SELECT RAISE(ROLLBACK, 'poisoned, rolling back'); END;"))
            r->m.triggers = true;
        break;
    default:
        break;
    }
    if (r->res->failed && r->res->step < 0)
        r->res->step = si;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void check_run(const struct seq *s, const char *dir, struct check_result *res)
{
    struct run r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    res->step = res->op = -1;
    r.seq = s;
    r.res = res;
    res->bounded = s->policy != POL_NONE;
    drops_seen = 0;
    r.rep = open_memstream(&r.rep_buf, &r.rep_len);
    snprintf(r.dir, sizeof r.dir, "%s", dir);
    snprintf(r.path, sizeof r.path, "%s/model.db", dir);
    model_init(&r.m, m_key_names, M_NKEYS);
    r.m.hooks = s->hooks;
    for (int root = 0; root < M_NROOTS; root++)
        for (int t = 0; t < M_NTABLES; t++)
            r.m.bounded[root][t] = m_policy_bounded(s->policy, root, t);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fail_at(&r, -1, -1, "harness", "mkdir %s: %s", dir, strerror(errno));
        goto done;
    }
    if (open_root(&r, ROOT_A, false) != NANA_OK)
        goto done;
    if (sqlite3_open(r.path, &r.raw) != SQLITE_OK) {
        fail_at(&r, -1, -1, "harness", "raw open: %s", sqlite3_errmsg(r.raw));
        goto done;
    }
    sqlite3_busy_timeout(r.raw, 5000);
    for (int i = 0; i < s->n_steps && !res->failed; i++)
        run_step(&r, i);
done:
    close_root(&r, s->n_steps, ROOT_B, false);
    close_root(&r, s->n_steps, ROOT_A, false);
    if (r.raw)
        sqlite3_close(r.raw);
    model_free(&r.m);
    res->drops_seen = drops_seen;
    fclose(r.rep);
    res->report = r.rep_buf;
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void check_result_free(struct check_result *r)
{
    free(r->report);
    r->report = NULL;
}

/* ------------------------------------------------------------- settings */

int m_scale_pct(void)
{
    const char *env = getenv("NANA_MODEL_SCALE");
    if (env && *env)
        return atoi(env) > 0 ? atoi(env) : 1;
#if defined(M_TSAN)
    return 40;
#elif defined(M_ASAN)
    return 50;
#else
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) /* under valgrind */
        return 20;
    return 100;
#endif
}

static char base_dir[4096];
static bool base_dir_made;

const char *m_base_dir(void)
{
    if (base_dir[0])
        return base_dir;
    const char *env = getenv("NANA_TEST_DIR");
    if (env && *env) {
        snprintf(base_dir, sizeof base_dir, "%s", env);
    } else {
        char tmpl[] = "/tmp/nana-model-XXXXXX";
        if (!mkdtemp(tmpl)) {
            perror("mkdtemp");
            exit(2);
        }
        snprintf(base_dir, sizeof base_dir, "%s", tmpl);
        base_dir_made = true;
    }
    return base_dir;
}

void m_base_dir_done(void)
{
    if (base_dir_made)
        nftw(base_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}
