/*
 * model-four-threads-disjoint-and-shared-keys: four threads on one root,
 * each through the root and through a handle of its own spelled "DATA"
 * (one table, one cache), in pipelines of 1..8 operations.
 *
 *  - Keys of its own ("t<i>-k<n>"): nobody else touches them, so every
 *    answer -- status, value, booleans, is_cached -- must be exactly the
 *    reference model's for that thread.
 *  - A table of its own ("tt<i>", through a handle spelled "TT<i>"): every
 *    operation there, whole-table ones (clear, load_all, refresh(NULL),
 *    listings) and SQL writes included, is exact too, while the other
 *    threads run theirs on the same root.
 *  - Shared keys ("s0".."s2"), written by every thread: each answer must be
 *    a value some thread submitted for a shared key (or absence); values
 *    carry their writer and sequence number plus a checksum member, so a
 *    torn or mixed value cannot pass.  is_cached is not checked there.
 *
 * Read-modify-write, batch_get and scans are among the exact operations,
 * and every thread also increments one shared counter "ctr" now and then:
 * at the end it must equal the number of increments that succeeded.
 *
 * At the end the file is compared with every thread's model (its own keys'
 * rows, in rowid order), shared rows must hold submitted values, and a get
 * of each shared key (through the cache) must equal the file: with a single
 * connection the cache may never be stale.
 *
 * It runs twice, over fresh files: on the writer alone, then with two
 * reader connections, so that the reads the cache misses run beside the
 * other threads' queued writes (footprint routing); the exact answers and
 * the final "never stale" check hold for both.
 *
 *   model-four-threads-disjoint-and-shared-keys [--ops N] [--seed S] [--readers]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"

#define NT 4
#define NOWN 4
#define NSHARED 3
#define NNAMES (NOWN + NSHARED)
#define MAX_PIPE 8
#define LOG_KEEP 40

static nana_db_t *root;
static char db_path[4200];
static atomic_int issued[NT];   /* shared values submitted so far, per thread */
static atomic_bool stop_all;
static atomic_long ctr_ok;      /* increments of the shared counter "ctr" */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures;
static long ops_checked_total;

struct worker {
    int id;
    uint64_t seed;
    int n_ops;
    char names_buf[NNAMES][32];
    const char *names[NNAMES];
    nana_db_t *own_handle; /* nana_table(root, "DATA") */
    nana_db_t *table_handle; /* nana_table(root, "TT<i>"): this thread's table */
    char table_name[16];
    struct model m;
    long ops_checked;
    struct op log[LOG_KEEP];
    int log_n;
};

static json_t *shared_value(int tid, int n)
{
    return json_pack("{s:i, s:i, s:i}", "t", tid, "n", n, "check", tid * 7919 + n * 31 + 5);
}

/* Is v a value some thread submitted for a shared key? */
static bool shared_value_ok(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 3)
        return false;
    json_t *t = json_object_get(v, "t"), *n = json_object_get(v, "n"),
           *c = json_object_get(v, "check");
    if (!json_is_integer(t) || !json_is_integer(n) || !json_is_integer(c))
        return false;
    json_int_t ti = json_integer_value(t), ni = json_integer_value(n);
    return ti >= 0 && ti < NT && ni >= 0 && ni < atomic_load(&issued[ti]) &&
           json_integer_value(c) == ti * 7919 + ni * 31 + 5;
}

static void report(struct worker *w, const struct op *op, const char *why)
{
    pthread_mutex_lock(&report_lock);
    failures++;
    atomic_store(&stop_all, true);
    printf("\n=== FAIL thread %d (seed %llu): ", w->id, (unsigned long long)w->seed);
    if (op)
        op_print_names(stdout, op, w->names);
    printf("\n  %s\n", why);
    if (op && (op_table(op) == 1 || op->key < NOWN)) {
        model_print_cache(stdout, &w->m, ROOT_A, op_table(op));
        model_print_file(stdout, &w->m, op_table(op));
    }
    printf("(handles: A = the root, A.DATA = this thread's nana_table(root, \"DATA\"), "
           "A.t2 = this thread's table %s)\n", w->table_name);
    printf("--- this thread's last %d operations, oldest first:\n",
           w->log_n < LOG_KEEP ? w->log_n : LOG_KEEP);
    int start = w->log_n < LOG_KEEP ? 0 : w->log_n;
    for (int i = 0; i < (w->log_n < LOG_KEEP ? w->log_n : LOG_KEEP); i++) {
        printf("    ");
        op_print_names(stdout, &w->log[(start + i) % LOG_KEEP], w->names);
        putchar('\n');
    }
    fflush(stdout);
    pthread_mutex_unlock(&report_lock);
}

/* Arguments of read-modify-write, batch_get and scans (own keys only). */
static void gen_rmw_scan_args(struct rng *r, struct op *op)
{
    static const char *const cas_pool[] = {"1", "2", "\"s\"", "null", "{\"a\": 2}"};
    op->field = -1;
    switch (op->kind) {
    case OP_INCREMENT:
    case OP_INCREMENT_REAL:
        if (rng_pct(r, 30))
            op->field = (int)rng_below(r, M_NFIELDS);
        op->value = op->kind == OP_INCREMENT ? json_integer(1 + (json_int_t)rng_below(r, 5))
                                             : json_real(0.5);
        break;
    case OP_PATCH:
        op->create = rng_pct(r, 70);
        op->value = json_pack("{s:i}", m_fields[rng_below(r, M_NFIELDS)], (int)rng_below(r, 9));
        break;
    case OP_CAS:
        op->expected = rng_pct(r, 30) ? NULL
                                      : json_loads(cas_pool[rng_below(r, 5)], JSON_DECODE_ANY, NULL);
        op->value = rng_pct(r, 15) ? NULL
                                   : json_loads(cas_pool[rng_below(r, 5)], JSON_DECODE_ANY, NULL);
        break;
    case OP_BATCH_GET:
        op->n_keys = 1 + (int)rng_below(r, 4);
        for (int i = 0; i < op->n_keys; i++)
            op->keys[i] = (int)rng_below(r, NOWN);
        break;
    case OP_SCAN_PREFIX:
    case OP_SCAN_RANGE:
        /* Every key of a thread's table is its own: "" and NULL bound them all. */
        op->bound_a = op->kind == OP_SCAN_RANGE && rng_pct(r, 50) ? -1 : 0;
        op->bound_b = -1;
        op->limit = rng_pct(r, 50) ? INT64_MAX : (int64_t)rng_below(r, 4);
        break;
    default:
        break;
    }
}

static void gen_thread_op(struct worker *w, struct rng *r, struct op *op)
{
    static const enum op_kind own_kinds[] = {
        OP_GET, OP_GET, OP_GET_DFLT, OP_GET_FRESH, OP_CONTAINS, OP_IS_CACHED, OP_IS_CACHED,
        OP_SET, OP_SET, OP_SET, OP_DELETE, OP_POP, OP_POP_DFLT, OP_SETDEFAULT, OP_UPDATE,
        OP_BATCH_UPDATE, OP_BATCH_DELETE, OP_REFRESH_KEY, OP_INCREMENT, OP_INCREMENT,
        OP_INCREMENT_REAL, OP_PATCH, OP_CAS, OP_CAS, OP_BATCH_GET,
    };
    static const enum op_kind shared_kinds[] = {
        OP_GET, OP_GET, OP_GET_FRESH, OP_CONTAINS, OP_SET, OP_SET, OP_DELETE, OP_POP,
        OP_SETDEFAULT,
    };
    static const enum op_kind table_kinds[] = {
        OP_GET, OP_GET_FRESH, OP_CONTAINS, OP_IS_CACHED, OP_SET, OP_SET, OP_DELETE, OP_POP,
        OP_SETDEFAULT, OP_UPDATE, OP_BATCH_DELETE, OP_REFRESH_KEY, OP_REFRESH_ALL, OP_LEN,
        OP_KEYS, OP_VALUES, OP_ITEMS, OP_TO_DICT, OP_COPY, OP_CLEAR, OP_LOAD_ALL,
        OP_EXEC_UPDATE, OP_EXEC_DELETE, OP_EXEC_REPLACE, OP_SQL_INSERT, OP_SQL_UPDATE,
        OP_SQL_DELETE, OP_UPSERT_KEY, OP_UPSERT_REPLACE, OP_INCREMENT, OP_PATCH, OP_CAS,
        OP_BATCH_GET, OP_SCAN_PREFIX, OP_SCAN_RANGE,
    };
    static const char *const texts[] = {"1", "[true]", "\"s\"", "not json{", "{\"a\": 2}"};
    memset(op, 0, sizeof *op);
    if (rng_pct(r, 25)) { /* this thread's own table */
        op->handle = H_A_T2;
        op->kind = table_kinds[rng_below(r, sizeof table_kinds / sizeof table_kinds[0])];
        op->key = (int)rng_below(r, NOWN);
        op->sql_table = 1;
        snprintf(op->table_spelling, sizeof op->table_spelling, "%s", w->table_name);
        if (rng_pct(r, 50)) /* "TT<i>": the same table */
            op->table_spelling[0] = op->table_spelling[1] = 'T';
        if (op_is_sql(op->kind))
            op->text = strdup(texts[rng_below(r, sizeof texts / sizeof texts[0])]);
        if (op->kind == OP_SET || op->kind == OP_SETDEFAULT)
            op->value = json_integer((json_int_t)rng_below(r, 1000));
        if (op->kind == OP_UPDATE) {
            op->value = json_object();
            json_object_set_new(op->value, w->names[rng_below(r, NOWN)], json_true());
        }
        if (op->kind == OP_BATCH_DELETE) {
            op->n_keys = 1 + (int)rng_below(r, 2);
            for (int i = 0; i < op->n_keys; i++)
                op->keys[i] = (int)rng_below(r, NOWN);
        }
        gen_rmw_scan_args(r, op);
        return;
    }
    op->handle = rng_pct(r, 50) ? H_A : H_A_CASE;
    bool shared = rng_pct(r, 30);
    if (shared) {
        op->kind = shared_kinds[rng_below(r, sizeof shared_kinds / sizeof shared_kinds[0])];
        op->key = NOWN + (int)rng_below(r, NSHARED);
        if (op->kind == OP_SET || op->kind == OP_SETDEFAULT)
            op->value = shared_value(w->id, atomic_fetch_add(&issued[w->id], 1));
        return;
    }
    op->kind = own_kinds[rng_below(r, sizeof own_kinds / sizeof own_kinds[0])];
    op->key = (int)rng_below(r, NOWN);
    switch (op->kind) {
    case OP_GET_DFLT:
    case OP_POP_DFLT:
        op->value = json_string("default");
        break;
    case OP_SET:
    case OP_SETDEFAULT:
        op->value = json_pack("{s:i, s:[i, s]}", "thread", w->id, "v",
                              (int)rng_below(r, 1000), w->names[op->key]);
        break;
    case OP_UPDATE:
    case OP_BATCH_UPDATE: {
        op->value = json_object();
        unsigned n = 1 + rng_below(r, 3);
        for (unsigned i = 0; i < n; i++)
            json_object_set_new(op->value, w->names[rng_below(r, NOWN)],
                                json_integer((json_int_t)rng_below(r, 1000)));
        break;
    }
    case OP_BATCH_DELETE:
        op->n_keys = 1 + (int)rng_below(r, 3);
        for (int i = 0; i < op->n_keys; i++)
            op->keys[i] = (int)rng_below(r, NOWN);
        break;
    default:
        break;
    }
    gen_rmw_scan_args(r, op);
}

/* A shared key's answer: any submitted value, or absence. */
static bool shared_ok(const struct op *op, nana_future_t *f, char *why, size_t n)
{
    nana_status_t st = nana_future_status(f);
    json_t *v = nana_future_json(f);
    char *text = m_json_text(v);
    bool ok = true;
    switch (op->kind) {
    case OP_GET:
    case OP_GET_FRESH:
    case OP_POP:
        ok = (st == NANA_OK && shared_value_ok(v)) || (st == NANA_ENOTFOUND && !v);
        break;
    case OP_SETDEFAULT:
        ok = st == NANA_OK && shared_value_ok(v);
        break;
    case OP_CONTAINS: {
        bool b;
        ok = st == NANA_OK && nana_future_bool(f, &b) == NANA_OK;
        break;
    }
    case OP_SET:
        ok = st == NANA_OK && !v;
        break;
    case OP_DELETE:
        ok = (st == NANA_OK || st == NANA_ENOTFOUND) && !v;
        break;
    default:
        break;
    }
    if (!ok)
        snprintf(why, n, "shared key: %s (\"%s\") with %s: not an allowed answer",
                 m_status_name(st), nana_future_errmsg(f), text);
    free(text);
    return ok;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct rng r;
    rng_seed(&r, w->seed);
    int done = 0;
    while (done < w->n_ops && !atomic_load(&stop_all)) {
        struct op ops[MAX_PIPE];
        nana_future_t *fs[MAX_PIPE];
        int n = 1 + (int)rng_below(&r, MAX_PIPE);
        for (int i = 0; i < n; i++) {
            gen_thread_op(w, &r, &ops[i]);
            nana_db_t *db = ops[i].handle == H_A      ? root
                            : ops[i].handle == H_A_T2 ? w->table_handle
                                                      : w->own_handle;
            fs[i] = m_submit(db, &ops[i], w->names);
        }
        for (int i = 0; i < n; i++)
            nana_future_await(fs[i]);
        for (int i = 0; i < n; i++) {
            char why[1024];
            struct op *slot = &w->log[w->log_n++ % LOG_KEEP];
            json_decref(slot->value);
            json_decref(slot->expected);
            free(slot->text);
            *slot = ops[i];
            json_incref(slot->value);
            json_incref(slot->expected);
            slot->text = ops[i].text ? strdup(ops[i].text) : NULL;
            bool ok;
            if (atomic_load(&stop_all))
                ok = true;
            else if (ops[i].key >= NOWN) {
                ok = shared_ok(&ops[i], fs[i], why, sizeof why);
            } else {
                struct expect e;
                model_op(&w->m, &ops[i], &e);
                ok = m_outcome_ok(fs[i], &e, w->names, why, sizeof why);
                expect_free(&e);
            }
            w->ops_checked++;
            if (!ok)
                report(w, &ops[i], why);
        }
        for (int i = 0; i < n; i++) {
            nana_future_free(fs[i]);
            json_decref(ops[i].value);
            json_decref(ops[i].expected);
            free(ops[i].text);
        }
        done += n;
        /* The shared counter, incremented by every thread: none lost. */
        if (rng_pct(&r, 30)) {
            nana_future_t *f = nana_increment(rng_pct(&r, 50) ? root : w->own_handle, "ctr",
                                              NULL, 1);
            if (nana_future_await(f) == NANA_OK)
                atomic_fetch_add(&ctr_ok, 1);
            else
                report(w, NULL, "increment of the shared counter failed");
            nana_future_free(f);
        }
    }
    return NULL;
}

/* After the threads: the file against every model, shared rows, and the
 * cache against the file. */
static void final_checks(struct worker *ws)
{
    sqlite3 *raw = NULL;
    if (sqlite3_open(db_path, &raw) != SQLITE_OK) {
        printf("raw open: %s\n", sqlite3_errmsg(raw));
        failures++;
        return;
    }
    sqlite3_busy_timeout(raw, 5000);
    for (int t = 0; t < NT; t++) {
        struct worker *w = &ws[t];
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(raw, "SELECT key, value FROM data ORDER BY rowid", -1, &st, NULL);
        int i = 0;
        const struct mtable *mt = &w->m.file[0];
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(st, 0);
            const char *text = (const char *)sqlite3_column_text(st, 1);
            int k = -1;
            for (int j = 0; j < NOWN; j++)
                if (strcmp(key, w->names[j]) == 0)
                    k = j;
            if (k < 0)
                continue;
            json_t *got = model_decode(text), *want = i < mt->n ? model_decode(mt->rows[i].text) : NULL;
            if (i >= mt->n || mt->rows[i].key != k || !m_json_same(got, want)) {
                printf("FAIL final file: thread %d row %d of its keys is %s=%s, model has %s\n", t,
                       i, key, text ? text : "NULL",
                       i < mt->n ? w->names[mt->rows[i].key] : "(no more rows)");
                model_print_file(stdout, &w->m, 0);
                failures++;
            }
            json_decref(got);
            json_decref(want);
            i++;
        }
        sqlite3_finalize(st);
        if (i != mt->n) {
            printf("FAIL final file: thread %d has %d rows of its keys, model %d\n", t, i, mt->n);
            failures++;
        }
        /* Its own table: every row, rowids included. */
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT rowid, key, value FROM \"%s\" ORDER BY rowid",
                 w->table_name);
        sqlite3_prepare_v2(raw, sql, -1, &st, NULL);
        const struct mtable *own = &w->m.file[1];
        i = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(st, 1);
            const char *text = (const char *)sqlite3_column_text(st, 2);
            const struct mrow *mr = i < own->n ? &own->rows[i] : NULL;
            json_t *got = model_decode(text), *want = mr ? model_decode(mr->text) : NULL;
            bool same = mr && sqlite3_column_int64(st, 0) == mr->rowid &&
                        strcmp(key, w->names[mr->key]) == 0 &&
                        (want ? m_json_same(got, want) : (!text == !mr->text &&
                                                          (!text || !strcmp(text, mr->text))));
            if (!same) {
                printf("FAIL final file: table %s row %d is [%lld] %s=%s\n", w->table_name, i,
                       (long long)sqlite3_column_int64(st, 0), key, text ? text : "NULL");
                model_print_file(stdout, &w->m, 1);
                failures++;
            }
            json_decref(got);
            json_decref(want);
            i++;
        }
        sqlite3_finalize(st);
        if (i != own->n) {
            printf("FAIL final file: table %s has %d rows, model %d\n", w->table_name, i, own->n);
            failures++;
        }
        /* Own keys: is_cached as the model says. */
        for (int k = 0; k < 2 * NOWN; k++) {
            int tb = k / NOWN;
            const char *name = w->names[k % NOWN];
            nana_future_t *f = nana_is_cached(tb ? w->table_handle : root, name);
            bool b = false, want = w->m.cache[ROOT_A][tb].e[k % NOWN].st != C_NC;
            if (nana_future_await(f) != NANA_OK || nana_future_bool(f, &b) != NANA_OK ||
                b != want) {
                printf("FAIL final is_cached(%s) in %s: %s, model %s\n", name,
                       tb ? w->table_name : "data", b ? "true" : "false",
                       want ? "cached" : "not cached");
                failures++;
            }
            nana_future_free(f);
        }
    }
    /* The shared counter: every increment counted, through the cache. */
    nana_future_t *cf = nana_get(root, "ctr", NULL);
    nana_status_t cst = nana_future_await(cf);
    int64_t ctr = 0;
    if (atomic_load(&ctr_ok) ? cst != NANA_OK || nana_future_int(cf, &ctr) != NANA_OK ||
                                   ctr != atomic_load(&ctr_ok)
                             : cst != NANA_ENOTFOUND) {
        printf("FAIL final: the shared counter is %lld (%s), %ld increments succeeded\n",
               (long long)ctr, m_status_name(cst), atomic_load(&ctr_ok));
        failures++;
    }
    nana_future_free(cf);
    for (int s = 0; s < NSHARED; s++) {
        const char *key = ws[0].names[NOWN + s];
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(raw, "SELECT value FROM data WHERE key = ?", -1, &st, NULL);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        json_t *file_v = NULL;
        bool present = sqlite3_step(st) == SQLITE_ROW;
        if (present)
            file_v = model_decode((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (present && !shared_value_ok(file_v)) {
            printf("FAIL final: shared key %s holds a value nobody submitted\n", key);
            failures++;
        }
        nana_future_t *f = nana_get(root, key, NULL);
        nana_status_t gst = nana_future_await(f);
        if (present ? gst != NANA_OK || !m_json_same(nana_future_json(f), file_v)
                    : gst != NANA_ENOTFOUND) {
            char *a = m_json_text(nana_future_json(f)), *b = m_json_text(file_v);
            printf("FAIL final: get(%s) through the cache is %s %s, the file holds %s: "
                   "the cache is stale with a single connection\n",
                   key, m_status_name(gst), a, present ? b : "nothing");
            free(a);
            free(b);
            failures++;
        }
        nana_future_free(f);
        json_decref(file_v);
    }
    sqlite3_close(raw);
}

/* One run of the threads over a fresh file: readers reader connections
 * on the root (0: none).  Adds to failures and ops_checked_total. */
static void run_once(uint64_t seed, int n_ops, int readers)
{
    static struct worker ws[NT];
    memset(ws, 0, sizeof ws);
    for (int t = 0; t < NT; t++)
        atomic_store(&issued[t], 0);
    atomic_store(&stop_all, false);
    atomic_store(&ctr_ok, 0);
    snprintf(db_path, sizeof db_path, "%s/threads%s.db", m_base_dir(), readers ? "-readers" : "");
    nana_options_t o;
    nana_options_init(&o);
    o.max_workers = 3;
    nana_status_t st = nana_open(db_path, &o, &root);
    if (st == NANA_OK && readers)
        st = nana_set_read_connections(root, readers);
    if (st != NANA_OK) {
        printf("nana_open: %s: %s\n", m_status_name(st), nana_db_errmsg(root));
        failures++;
        nana_close(root);
        return;
    }
    pthread_t th[NT];
    uint64_t sm = seed;
    for (int t = 0; t < NT; t++) {
        struct worker *w = &ws[t];
        w->id = t;
        w->seed = splitmix64(&sm);
        w->n_ops = n_ops;
        for (int k = 0; k < NOWN; k++)
            snprintf(w->names_buf[k], sizeof w->names_buf[k], "t%d-k%d", t, k);
        for (int s = 0; s < NSHARED; s++)
            snprintf(w->names_buf[NOWN + s], sizeof w->names_buf[0], "s%d", s);
        for (int k = 0; k < NNAMES; k++)
            w->names[k] = w->names_buf[k];
        model_init(&w->m, w->names, NOWN);
        snprintf(w->table_name, sizeof w->table_name, "tt%d", t);
        char spelled[16];
        snprintf(spelled, sizeof spelled, "TT%d", t);
        if ((st = nana_table(root, spelled, &w->table_handle)) != NANA_OK ||
            (st = nana_table(root, "DATA", &w->own_handle)) != NANA_OK) {
            printf("nana_table: %s\n", m_status_name(st));
            failures++;
            return;
        }
    }
    for (int t = 0; t < NT; t++)
        pthread_create(&th[t], NULL, worker_main, &ws[t]);
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    if (!failures)
        final_checks(ws);
    for (int t = 0; t < NT; t++) {
        ops_checked_total += ws[t].ops_checked;
        nana_close(ws[t].own_handle);
        model_free(&ws[t].m);
        for (int i = 0; i < LOG_KEEP; i++) {
            json_decref(ws[t].log[i].value);
            json_decref(ws[t].log[i].expected);
            free(ws[t].log[i].text);
        }
        nana_close(ws[t].table_handle);
    }
    nana_stats_t stats;
    if (readers && nana_stats(root, &stats) == NANA_OK)
        printf("  %d reader connections: reads run on them %llu, moved to the writer %llu\n",
               readers, (unsigned long long)stats.reads_on_readers,
               (unsigned long long)stats.reads_moved);
    if ((st = nana_close(root)) != NANA_OK) {
        printf("nana_close: %s\n", m_status_name(st));
        failures++;
    }
}

int main(int argc, char **argv)
{
    /* Short enough for every variant: about a second plain or under TSan. */
    int n_ops = m_scale_pct() >= 40 ? 3000 : 3000 * m_scale_pct() / 40;
    uint64_t seed = 20261124;
    bool only_readers = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            n_ops = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--readers") == 0)
            only_readers = true;
        else {
            fprintf(stderr, "usage: %s [--ops N] [--seed S] [--readers]\n", argv[0]);
            return 2;
        }
    }
    if (n_ops < 60)
        n_ops = 60;
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = m_now();
    /* Once on the writer alone, then with two reader connections (reads
     * of one thread's keys stay on them while the others' writes queue);
     * --readers: only the second. */
    if (!only_readers)
        run_once(seed, n_ops, 0);
    if (!failures)
        run_once(seed, n_ops, 2);
    printf("%s: %d threads, %ld operations checked, %.1fs\n", failures ? "FAIL" : "ok", NT,
           ops_checked_total, m_now() - t0);
    m_base_dir_done();
    return failures ? 1 : 0;
}
