/*
 * kvscan.c -- dict reads in bulk and in key order: batch_get, the ordered
 * scans (by key prefix, by key range) and the cursors that stream a range
 * a page at a time.
 *
 * batch_get answers on the caller's thread when the cache knows every key
 * (the rule of a cached get: nothing queued could change the answer);
 * otherwise one job answers them all at its place in the queue, the keys
 * the executor knows from the cache without SQL and the others with
 * `key IN (?, ...)` statements of up to NANA_GET_MANY_MAX parameters (never
 * more than SQLite's variable limit), caching what they read as get does.
 *
 * Scans are range comparisons on the key (`key >= ? AND key < ?`, BINARY
 * collation, served by the primary key's index); a prefix is the range from
 * the prefix to the prefix with its last byte raised, so no LIKE pattern is
 * ever built and no character of a key is special.  They read like
 * nana_items: a value the cache holds is shared, the others are decoded,
 * and nothing is cached.  A cursor remembers the last key it returned and
 * reads each page as a scan after it: memory is bounded by a page.
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

enum bulk_kind { BULK_GET, BULK_SCAN, BULK_PAGE };

/* A cursor's state.  The position is read and moved by page jobs, which
 * the executor runs one at a time in queue order; done is also read by
 * submitters: both under lock. */
struct nana_cursor {
    nana_db_t *db;             /* borrowed: outlives the cursor */
    atomic_int refs;           /* the caller's + one per queued page */
    pthread_mutex_t lock;
    char *pos;                 /* the next page starts here ... */
    size_t pos_len;
    bool after;                /* ... or just after it */
    char *end;                 /* exclusive; NULL: no end */
    size_t end_len;
    int64_t page_size;
    bool done;                 /* an empty page was returned */
};

struct bulk_job {
    struct kv_job kv;          /* table, conn; BULK_GET: items (keys, values) */
    enum bulk_kind kind;
    unsigned char *state;      /* BULK_GET: per item, what the job learnt */
    char *start, *end;         /* BULK_SCAN: bounds (end NULL: none) */
    size_t start_len, end_len;
    int64_t limit;
    struct nana_cursor *cursor; /* BULK_PAGE */
};

#define BULK(base) container_of(base, struct bulk_job, kv.base)

/* Per-item states of a batch_get (besides NANA__PRESENT / NANA__ABSENT);
 * a value that does not decode is ITEM_BAD plus its nana_value_fault. */
enum { ITEM_MISS = 8, ITEM_BAD = 16 };

static void cursor_release(struct nana_cursor *c)
{
    if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c->pos);
    free(c->end);
    free(c);
}

/* ---------------------------------------------------------- executor side */

static int cmp_items(const void *a, const void *b)
{
    const struct nana_kv_item *x = *(const struct nana_kv_item *const *)a;
    const struct nana_kv_item *y = *(const struct nana_kv_item *const *)b;
    return strcmp(x->key, y->key);
}

/* Reads the misses (sorted, duplicates adjacent) with the IN statement,
 * a chunk at a time; stages what it read.  false after failing the job. */
static bool read_misses(struct bulk_job *job, struct nana_staging *sg, struct nana_kv_item **miss,
                        unsigned char **miss_state, size_t n_miss)
{
    struct kv_job *kv = &job->kv;
    struct nana_table *t = kv->table;
    int rc;
    struct nana_stmt *stmt = nana__table_stmt(t, kv->conn, NANA__ST_GET_MANY, &rc);
    if (!stmt) {
        nana__kv_fail_sql(kv, "cannot read", rc);
        return false;
    }
    size_t width = (size_t)nana__stmt_bind_count(stmt);
    for (size_t from = 0; from < n_miss;) {
        /* The chunk: up to width distinct keys; unused parameters stay NULL,
         * which matches nothing. */
        size_t to = from, bound = 0;
        nana__stmt_clear_bindings(stmt);
        while (to < n_miss && bound < width) {
            if (to == from || strcmp(miss[to]->key, miss[to - 1]->key) != 0)
                nana__stmt_bind_text(stmt, (int)++bound, miss[to]->key, strlen(miss[to]->key),
                                     NANA__BIND_BORROWED);
            to++;
        }
        while (to < n_miss && strcmp(miss[to]->key, miss[to - 1]->key) == 0)
            to++; /* a duplicate of the last key bound belongs to this chunk */
        size_t j = from;
        while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
            const char *key = (const char *)nana__stmt_column_text(stmt, 0);
            if (!key)
                continue;
            /* Rows come in key order, as the misses are sorted. */
            while (j < to && strcmp(miss[j]->key, key) < 0)
                j++;
            if (j == to || strcmp(miss[j]->key, key) != 0)
                continue;
            enum nana_value_fault fault;
            json_t *v = nana__table_value(t, stmt, 1, &fault);
            size_t first = j;
            for (; j < to && strcmp(miss[j]->key, key) == 0; j++) {
                *miss_state[j] = v ? NANA__PRESENT : (unsigned char)(ITEM_BAD + fault);
                miss[j]->value = nana__json_ref(v);
            }
            nana__cache_stage(sg, &t->cache, miss[first]->key, miss[first]->hash,
                              v ? NANA__PRESENT : NANA__FORGET, nana__json_ref(v));
            nana__json_release(v);
        }
        nana__stmt_reset(stmt);
        if (rc != SQLITE_DONE) {
            nana__stmt_clear_bindings(stmt);
            nana__kv_fail_sql(kv, "cannot read", rc);
            return false;
        }
        for (size_t i = from; i < to; i++) {
            if (*miss_state[i] != ITEM_MISS)
                continue;
            *miss_state[i] = NANA__ABSENT;
            if (i == from || strcmp(miss[i]->key, miss[i - 1]->key) != 0)
                nana__cache_stage(sg, &t->cache, miss[i]->key, miss[i]->hash, NANA__ABSENT,
                                  NULL);
        }
        from = to;
    }
    nana__stmt_clear_bindings(stmt); /* the keys are the job's */
    return true;
}

static void exec_batch_get(struct bulk_job *job, struct nana_staging *sg)
{
    struct kv_job *kv = &job->kv;
    size_t n = kv->n_items, n_miss = 0;
    struct nana_kv_item **miss = malloc((n ? n : 1) * sizeof *miss);
    if (!miss) {
        nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct nana_kv_item *it = &kv->items[i];
        int state = nana__kv_lookup(kv, it->key, it->hash, &it->value);
        job->state[i] = state == NANA__UNKNOWN ? ITEM_MISS : (unsigned char)state;
        if (state == NANA__UNKNOWN)
            miss[n_miss++] = it;
    }
    qsort(miss, n_miss, sizeof *miss, cmp_items);
    /* Each miss's state, found through its item's place in the array. */
    unsigned char **miss_state = malloc((n_miss ? n_miss : 1) * sizeof *miss_state);
    if (!miss_state) {
        free(miss);
        nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
        return;
    }
    for (size_t i = 0; i < n_miss; i++)
        miss_state[i] = &job->state[miss[i] - kv->items];
    bool ok = read_misses(job, sg, miss, miss_state, n_miss);
    free(miss);
    free(miss_state);
    if (!ok)
        return;
    for (size_t i = 0; i < n; i++) {
        if (job->state[i] >= ITEM_BAD) {
            nana__kv_fail_not_json(kv, kv->items[i].key,
                                   (enum nana_value_fault)(job->state[i] - ITEM_BAD));
            return;
        }
    }
    json_t *out = json_object();
    for (size_t i = 0; out && i < n; i++) {
        struct nana_kv_item *it = &kv->items[i];
        /* A key given twice is set once: replacing a member would drop the
         * shared value with jansson's plain decrement. */
        if (job->state[i] == NANA__PRESENT && !json_object_get(out, it->key) &&
            json_object_set_new_nocheck(out, it->key, nana__json_ref(it->value)) != 0) {
            nana__json_release(out);
            out = NULL;
        }
    }
    if (!out)
        nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
    kv->base.result = out;
}

/*
 * One scan: up to limit [key, value] pairs in key order from start
 * (after: just after it) to end (NULL: no end).  *bad_at, when not NULL,
 * lets a row that cannot be returned (value not JSON, key not UTF-8) end
 * the scan short instead of failing it: it gets the row's index, *bad_key
 * its key (malloc'd) and *bad_fault why its value cannot be read
 * (NANA__VALUE_OK: the key is not UTF-8).  The pairs, or NULL after failing
 * the job.
 */
static json_t *scan(struct bulk_job *job, const char *start, size_t start_len, bool after,
                    const char *end, size_t end_len, int64_t limit, size_t *bad_at,
                    char **bad_key, size_t *bad_len, enum nana_value_fault *bad_fault)
{
    struct kv_job *kv = &job->kv;
    struct nana_table *t = kv->table;
    int rc;
    struct nana_stmt *stmt =
        nana__table_stmt(t, kv->conn, after ? NANA__ST_SCAN_AFTER : NANA__ST_SCAN_FROM, &rc);
    if (!stmt) {
        nana__kv_fail_sql(kv, "cannot read", rc);
        return NULL;
    }
    json_t *out = json_array();
    if (!out) {
        nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
        return NULL;
    }
    nana__stmt_bind_text(stmt, 1, start, start_len, NANA__BIND_BORROWED);
    if (end)
        nana__stmt_bind_text(stmt, 2, end, end_len, NANA__BIND_BORROWED);
    else
        nana__stmt_bind_blob(stmt, 2, NULL, 0, NANA__BIND_BORROWED);
    nana__stmt_bind_int64(stmt, 3, limit);
    size_t row = 0;
    while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        const char *key = (const char *)nana__stmt_column_text(stmt, 0);
        size_t key_len = (size_t)nana__stmt_column_bytes(stmt, 0);
        json_t *key_json = key ? json_stringn(key, key_len) : NULL, *v = NULL, *cached = NULL;
        bool key_ok = key_json != NULL;
        enum nana_value_fault fault = NANA__VALUE_OK;
        /* A key holding NUL (written by someone else) cannot be cached. */
        if (key_ok && strlen(key) == key_len &&
            nana__kv_lookup(&job->kv, key, nana__cache_hash(key, key_len), &cached) == NANA__PRESENT) {
            v = cached;
        } else if (key_ok) {
            nana__json_release(cached);
            v = nana__table_value(t, stmt, 1, &fault);
        }
        if (!v) {
            nana__json_release(key_json);
            if (bad_at && key && (*bad_key = malloc(key_len + 1))) {
                memcpy(*bad_key, key, key_len + 1);
                *bad_len = key_len;
                *bad_at = row;
                *bad_fault = fault;
            } else if (!key_ok) {
                nana__job_fail(&kv->base, NANA_ETYPE,
                               nana__strdupf("a key in table \"%s\" is not valid UTF-8 text",
                                             t->name));
            } else {
                nana__kv_fail_not_json(kv, key, fault);
            }
            break;
        }
        json_t *pair = json_array();
        if (!pair || json_array_append_new(pair, key_json) || json_array_append_new(pair, v) ||
            json_array_append_new(out, pair)) {
            if (!pair) {
                nana__json_release(key_json);
                nana__json_release(v);
            }
            nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
            break;
        }
        row++;
    }
    nana__stmt_reset(stmt);
    nana__stmt_clear_bindings(stmt);
    if (kv->base.status == NANA_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        nana__kv_fail_sql(kv, "cannot read", rc);
    if (kv->base.status != NANA_OK) {
        nana__json_release(out);
        return NULL;
    }
    return out;
}

/* Moves the cursor just after key (taken). */
static void cursor_move(struct nana_cursor *c, char *key, size_t len)
{
    free(c->pos);
    c->pos = key;
    c->pos_len = len;
    c->after = true;
}

static void exec_page(struct bulk_job *job)
{
    struct nana_cursor *c = job->cursor;
    struct kv_job *kv = &job->kv;
    pthread_mutex_lock(&c->lock);
    if (c->done) {
        pthread_mutex_unlock(&c->lock);
        if (!(kv->base.result = json_array()))
            nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
        return;
    }
    size_t bad_at = 0, bad_len = 0;
    char *bad_key = NULL;
    enum nana_value_fault bad_fault = NANA__VALUE_OK;
    json_t *page = scan(job, c->pos, c->pos_len, c->after, c->end, c->end_len, c->page_size,
                        &bad_at, &bad_key, &bad_len, &bad_fault);
    if (page && bad_key && bad_at == 0) {
        /* A row that cannot be returned is a failed page of its own; the
         * cursor moves past it, so the next page goes on after it. */
        nana__json_release(page);
        page = NULL;
        if (nana__utf8_valid(bad_key, bad_len)) {
            char *why = NULL;
            nana_status_t st = nana__table_value_error(kv->table, bad_key, bad_fault, &why);
            nana__job_fail(&kv->base, st,
                           why ? nana__strdupf("%s; the cursor moved past it", why) : NULL);
            free(why);
        } else {
            nana__job_fail(&kv->base, NANA_ETYPE,
                           nana__strdupf("a key in table \"%s\" is not valid UTF-8 text; "
                                         "the cursor moved past it",
                                         kv->table->name));
        }
        cursor_move(c, bad_key, bad_len);
        bad_key = NULL;
    } else if (page && json_array_size(page) > 0) {
        /* Just after the last key returned (a bad row, if any, is next). */
        json_t *last = json_array_get(json_array_get(page, json_array_size(page) - 1), 0);
        size_t len = json_string_length(last);
        char *key = malloc(len + 1);
        if (key) {
            memcpy(key, json_string_value(last), len + 1);
            cursor_move(c, key, len);
        } else {
            nana__json_release(page);
            page = NULL;
            nana__job_fail(&kv->base, NANA_ENOMEM, NULL);
        }
    } else if (page) {
        c->done = true;
    }
    pthread_mutex_unlock(&c->lock);
    free(bad_key);
    kv->base.result = page;
}

static void bulk_run(struct nana_job *base, struct nana_exec *ex)
{
    struct bulk_job *job = BULK(base);
    job->kv.conn = nana__exec_conn(ex);
    job->kv.staged = ex->staged;
    switch (job->kind) {
    case BULK_GET:
        exec_batch_get(job, ex->staged);
        break;
    case BULK_SCAN:
        job->kv.base.result = scan(job, job->start, job->start_len, false, job->end, job->end_len,
                                   job->limit, NULL, NULL, NULL, NULL);
        break;
    case BULK_PAGE:
        exec_page(job);
        break;
    }
}

static void bulk_destroy(struct nana_job *base)
{
    struct bulk_job *job = BULK(base);
    nana__table_items_free(job->kv.items, job->kv.n_items);
    nana__json_release(job->kv.base.result);
    free(job->kv.base.errmsg);
    free(job->state);
    free(job->start);
    free(job->end);
    cursor_release(job->cursor);
    free(job);
}

static const struct nana_job_ops bulk_ops = {bulk_run, NULL, NULL, bulk_destroy};

/* ------------------------------------------------------- submission side */

static nana_future_t *reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

static struct bulk_job *bulk_new(nana_db_t *db, enum bulk_kind kind)
{
    struct bulk_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->kv.base.ops = &bulk_ops;
    job->kv.base.lane = NANA__LANE_READER;
    job->kv.table = db->table;
    job->kv.base.touches = (struct nana_footprint){.kind = NANA__TOUCHES_TABLE,
                                                   .table = db->table->name};
    job->kind = kind;
    return job;
}

static nana_future_t *out_of_memory(struct bulk_job *job)
{
    if (job)
        bulk_destroy(&job->kv.base);
    return reject(NANA_ENOMEM, NULL);
}

/* Every key answered by the cache, in one state of it (no commit began or
 * ended during the lookups): the object, at once; else NULL. */
static nana_future_t *batch_from_cache(nana_db_t *db, const char *const *keys, size_t n)
{
    struct nana_cache *cache = &db->table->cache;
    unsigned before = nana__cache_generation(cache);
    json_t *out = before % 2 ? NULL : json_object();
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *v = NULL;
        int state = nana__kv_cache_answer(db, keys[i], nana__cache_hash(keys[i], strlen(keys[i])),
                                          &v);
        if (state == NANA__PRESENT && json_object_get(out, keys[i])) {
            nana__json_release(v); /* a key given twice */
            continue;
        }
        if (state == NANA__UNKNOWN ||
            (state == NANA__PRESENT && json_object_set_new_nocheck(out, keys[i], v) != 0)) {
            nana__json_release(out);
            return NULL;
        }
    }
    if (nana__cache_generation(cache) != before) {
        nana__json_release(out);
        return NULL;
    }
    return nana__future_new_done(NANA_OK, out, NULL);
}

NANA_API nana_future_t *nana_batch_get(nana_db_t *db, const char *const *keys, size_t n)
{
    nana_future_t *f = nana__kv_check(db, NULL, false, NULL);
    if (f || (f = nana__kv_check_keys(keys, n)))
        return f;
    /* A view's reads all go through its transaction, even of no key. */
    if (!db->txn && (f = batch_from_cache(db, keys, n)))
        return f;
    struct bulk_job *job = bulk_new(db, BULK_GET);
    if (!job || !(job->kv.items = calloc(n ? n : 1, sizeof *job->kv.items)) ||
        !(job->state = calloc(n ? n : 1, 1)))
        return out_of_memory(job);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        struct nana_kv_item *it = &job->kv.items[i];
        job->kv.n_items = i + 1;
        if (!(it->key = malloc(len + 1)))
            return out_of_memory(job);
        memcpy(it->key, keys[i], len + 1);
        it->hash = nana__cache_hash(keys[i], len);
    }
    return nana__db_submit(db, &job->kv.base);
}

static char *dup_len(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

/* The end of the range of keys beginning with prefix (len > 0): the
 * prefix with its last byte raised.  UTF-8 has no 0xFF byte, so it never
 * carries. */
static char *prefix_end(const char *prefix, size_t len)
{
    char *end = dup_len(prefix, len);
    if (end)
        end[len - 1] = (char)((unsigned char)end[len - 1] + 1);
    return end;
}

static const char *check_bound(const char *s, const char *what)
{
    return s && !nana__utf8_valid(s, strlen(s)) ? what : NULL;
}

static nana_future_t *submit_scan(nana_db_t *db, const char *start, const char *end,
                                  bool prefix, int64_t limit)
{
    nana_future_t *f = nana__kv_check(db, NULL, false, NULL);
    if (f)
        return f;
    if (prefix && !start)
        return reject(NANA_EINVAL, "NULL prefix");
    const char *bad = prefix ? check_bound(start, "the prefix is not valid UTF-8")
                             : check_bound(start, "the start key is not valid UTF-8");
    if (!bad)
        bad = check_bound(end, "the end key is not valid UTF-8");
    if (bad)
        return reject(NANA_EINVAL, bad);
    if (limit < 0)
        return reject(NANA_EINVAL, "the limit is negative");
    struct bulk_job *job = bulk_new(db, BULK_SCAN);
    if (!job)
        return out_of_memory(NULL);
    job->limit = limit;
    job->start_len = start ? strlen(start) : 0;
    if (!(job->start = dup_len(start ? start : "", job->start_len)))
        return out_of_memory(job);
    if (prefix && job->start_len > 0) {
        job->end_len = job->start_len;
        if (!(job->end = prefix_end(start, job->start_len)))
            return out_of_memory(job);
    } else if (!prefix && end) {
        job->end_len = strlen(end);
        if (!(job->end = dup_len(end, job->end_len)))
            return out_of_memory(job);
    }
    return nana__db_submit(db, &job->kv.base);
}

NANA_API nana_future_t *nana_scan_prefix(nana_db_t *db, const char *prefix, int64_t limit)
{
    return submit_scan(db, prefix, NULL, true, limit);
}

NANA_API nana_future_t *nana_scan_range(nana_db_t *db, const char *start, const char *end,
                                        int64_t limit)
{
    return submit_scan(db, start, end, false, limit);
}

/* --------------------------------------------------------------- cursors */

static nana_status_t cursor_open(nana_db_t *db, const char *start, const char *end, bool prefix,
                                 size_t page_size, nana_cursor_t **out)
{
    const char *why;
    if (out)
        *out = NULL;
    if (!db || !out || (prefix && !start) || page_size == 0)
        return NANA_EINVAL;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return st;
    if (check_bound(start, "") || check_bound(end, ""))
        return NANA_EINVAL;
    struct nana_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return NANA_ENOMEM;
    c->db = db;
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->lock, NULL);
    c->page_size = page_size > (size_t)INT64_MAX ? INT64_MAX : (int64_t)page_size;
    c->pos_len = start ? strlen(start) : 0;
    c->pos = dup_len(start ? start : "", c->pos_len);
    bool ok = c->pos != NULL;
    if (ok && prefix && c->pos_len > 0) {
        c->end_len = c->pos_len;
        ok = (c->end = prefix_end(start, c->pos_len)) != NULL;
    } else if (ok && !prefix && end) {
        c->end_len = strlen(end);
        ok = (c->end = dup_len(end, c->end_len)) != NULL;
    }
    if (!ok) {
        cursor_release(c);
        return NANA_ENOMEM;
    }
    *out = c;
    return NANA_OK;
}

NANA_API nana_status_t nana_cursor_open(nana_db_t *db, const char *start, const char *end,
                                        size_t page_size, nana_cursor_t **out)
{
    return cursor_open(db, start, end, false, page_size, out);
}

NANA_API nana_status_t nana_cursor_open_prefix(nana_db_t *db, const char *prefix,
                                               size_t page_size, nana_cursor_t **out)
{
    return cursor_open(db, prefix, NULL, true, page_size, out);
}

NANA_API nana_future_t *nana_cursor_next(nana_cursor_t *cur)
{
    if (!cur)
        return reject(NANA_EINVAL, "NULL cursor");
    nana_future_t *f = nana__kv_check(cur->db, NULL, false, NULL);
    if (f)
        return f;
    pthread_mutex_lock(&cur->lock);
    bool done = cur->done;
    pthread_mutex_unlock(&cur->lock);
    if (done) {
        json_t *empty = json_array();
        return empty ? nana__future_new_done(NANA_OK, empty, NULL) : reject(NANA_ENOMEM, NULL);
    }
    struct bulk_job *job = bulk_new(cur->db, BULK_PAGE);
    if (!job)
        return reject(NANA_ENOMEM, NULL);
    atomic_fetch_add_explicit(&cur->refs, 1, memory_order_relaxed);
    job->cursor = cur;
    return nana__db_submit(cur->db, &job->kv.base);
}

NANA_API void nana_cursor_close(nana_cursor_t *cur)
{
    cursor_release(cur);
}
