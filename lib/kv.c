/*
 * kv.c -- the dict operations, on the caller's thread: check the
 * arguments, answer from the cache when nothing queued could change the
 * answer, otherwise copy and encode the inputs into a job (kv.h) and submit
 * it to the engine.  Encoding here keeps JSON work out of the executor's
 * critical path.  The job's ops, run by the executor, are in kvjob.c.
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

/* -------------------------------------------------------------------- jobs */

static struct kv_job *job_new(struct nana_table *t, enum kv_kind kind)
{
    struct kv_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->base.ops = &nana__kv_ops;
    job->base.flags = (kind_is_write(kind) ? NANA__JOB_WRITES : 0) |
                      (kind_whole_table(kind) ? NANA__JOB_ALONE : 0);
    job->base.lane = kind_is_write(kind) ? NANA__LANE_WRITER : NANA__LANE_READER;
    job->kind = kind;
    job->table = t;
    /* Where it acts, for routing (readers.c): its table, or its key once it
     * has one (touch_key).  is_cached of a key must see the fills of the
     * reads of that key before it: those still waiting for a reader move
     * ahead of it as for a write of the key, and it waits for those
     * running (nana__engine_readers_quiesce); other keys' fills cannot
     * change its answer. */
    job->base.touches = (struct nana_footprint){.kind = NANA__TOUCHES_TABLE, .table = t->name};
    return job;
}

static void touch_key(struct kv_job *job, size_t len)
{
    job->base.touches.kind = NANA__TOUCHES_KEY;
    job->base.touches.key = job->key;
    job->base.touches.key_len = len;
    job->base.touches.hash = job->hash;
}

/* ------------------------------------------------------- submission side */

static nana_future_t *reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

static const char key_not_utf8[] = "the key is not valid UTF-8";

/* Checks the handle (and key, when needed); a failed future, or NULL.
 * *key_len (when not NULL) gets the key's length: a cache hit measures its
 * key once. */
static nana_future_t *check_key_call(nana_db_t *db, const char *key, bool need_key,
                                     size_t *key_len)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return reject(st, why);
    if (!need_key)
        return NULL;
    if (!key)
        return reject(NANA_EINVAL, "NULL key");
    size_t len = strlen(key);
    if (!nana__utf8_valid(key, len))
        return reject(NANA_EINVAL, key_not_utf8);
    if (key_len)
        *key_len = len;
    return NULL;
}

static nana_future_t *check_call(nana_db_t *db, const char *key, bool need_key)
{
    return check_key_call(db, key, need_key, NULL);
}

nana_future_t *nana__kv_check_keys(const char *const *keys, size_t n)
{
    if (!keys && n > 0)
        return reject(NANA_EINVAL, "NULL keys array");
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            return reject(NANA_EINVAL, "NULL key in the keys array");
        if (!nana__utf8_valid(keys[i], strlen(keys[i])))
            return reject(NANA_EINVAL, "a key in the keys array is not valid UTF-8");
    }
    return NULL;
}

static nana_future_t *out_of_memory(struct kv_job *job)
{
    if (job)
        nana__kv_discard(job);
    return reject(NANA_ENOMEM, NULL);
}

/* A job on key; pin: the key will be written (or re-read), so reads of it
 * must queue behind this job. */
static struct kv_job *key_job(nana_db_t *db, enum kv_kind kind, const char *key, bool pin)
{
    struct kv_job *job = job_new(db->table, kind);
    if (!job)
        return NULL;
    size_t len = strlen(key);
    job->key = malloc(len + 1);
    if (!job->key) {
        free(job);
        return NULL;
    }
    memcpy(job->key, key, len + 1);
    job->hash = nana__cache_hash(key, len);
    touch_key(job, len);
    if (pin) {
        job->entry = nana__cache_get_entry(&db->table->cache, key, job->hash, true);
        if (!job->entry) {
            nana__kv_discard(job);
            return NULL;
        }
    }
    return job;
}

static struct kv_job *table_job(nana_db_t *db, enum kv_kind kind)
{
    struct kv_job *job = job_new(db->table, kind);
    if (job && kind_pins_table(kind))
        atomic_fetch_add_explicit(&db->table->pending_table_ops, 1, memory_order_relaxed);
    return job;
}

/* Copies an optional default into job->value; false when out of memory. */
static bool take_default(struct kv_job *job, json_t *dflt)
{
    if (!dflt)
        return true;
    job->value = nana__json_copy(dflt);
    return job->value != NULL;
}

/* Encodes value into job->text and keeps a private copy for the cache. */
static nana_status_t take_value(struct kv_job *job, json_t *value)
{
    job->text = nana__json_encode(value, &job->text_len);
    if (!job->text)
        return NANA_EINVAL;
    job->value = nana__json_copy(value);
    return job->value ? NANA_OK : NANA_ENOMEM;
}

/*
 * The cache answers without a queue hop when nothing queued could change
 * the answer: no whole-table job pending and no write pending on the key,
 * and the handle is no view inside a transaction.
 * Returns NANA__PRESENT (*value: new reference), NANA__ABSENT, or
 * NANA__UNKNOWN (queue the read); *unqueued (when not NULL) tells whether
 * nothing queued could change the answer -- then a read of the file on any
 * connection answers it as the writer would, and it may go to a reader.
 */
static int cache_answer_why(nana_db_t *db, const char *key, uint32_t hash, json_t **value,
                            bool *unqueued)
{
    struct nana_table *t = db->table;
    bool pinned = false;
    if (unqueued)
        *unqueued = false;
    /* Inside a transaction the committed cache is not what it sees. */
    if (db->txn)
        return NANA__UNKNOWN;
    if (atomic_load_explicit(&t->pending_table_ops, memory_order_acquire) != 0 ||
        atomic_load_explicit(&db->table->owner->pending_sql_writes, memory_order_acquire) != 0)
        return NANA__UNKNOWN;
    int state = nana__cache_lookup_pinned(&t->cache, key, hash, value, &pinned);
    if (unqueued)
        *unqueued = !pinned;
    /* A bounded cache with expired entries or past its bounds: a pool job
     * trims it (a lookup cannot: only the executor drops entries). */
    if (nana__cache_sweep_claim(&t->cache))
        nana__table_queue_sweep(t, db->root->engine);
    return state;
}

static int cache_answer(nana_db_t *db, const char *key, uint32_t hash, json_t **value)
{
    return cache_answer_why(db, key, hash, value, NULL);
}

static nana_future_t *read_key(nana_db_t *db, enum kv_kind kind, const char *key,
                               json_t *dflt)
{
    size_t key_len = 0;
    nana_future_t *f = check_key_call(db, key, true, &key_len);
    if (f)
        return f;
    bool unqueued = false;
    if (kind == KV_GET || kind == KV_CONTAINS) {
        json_t *v = NULL;
        uint32_t hash = nana__cache_hash(key, key_len);
        int state = cache_answer_why(db, key, hash, &v, &unqueued);
        if (state == NANA__PRESENT && kind == KV_GET)
            return nana__future_new_done(NANA_OK, v, NULL);
        if (kind == KV_CONTAINS && state != NANA__UNKNOWN) {
            nana__json_release(v);
            return nana__future_new_done(NANA_OK, json_boolean(state == NANA__PRESENT), NULL);
        }
        if (state == NANA__ABSENT) {
            if (dflt) {
                json_t *copy = nana__json_copy(dflt);
                return copy ? nana__future_new_done(NANA_OK, copy, NULL)
                            : reject(NANA_ENOMEM, NULL);
            }
            char kb[NANA_KEY_MSG_SIZE];
            return nana__future_new_failed_owned(
                NANA_ENOTFOUND, nana__strdupf("key %s not found in table \"%s\"",
                                              nana__key_for_msg(key, kb, sizeof kb),
                                              db->table->name));
        }
    }
    /* get_fresh and refresh re-read the key: later reads queue behind them. */
    bool pin = kind == KV_GET_FRESH || kind == KV_REFRESH_KEY;
    struct kv_job *job = key_job(db, kind, key, pin);
    if (!job || !take_default(job, dflt))
        return out_of_memory(job);
    if (kind == KV_IS_CACHED) /* until its settle (kv_settle) */
        atomic_fetch_add_explicit(&db->table->owner->pending_observers, 1, memory_order_relaxed);
    /* A get or contains the cache missed, with nothing queued it must see,
     * may run on a reader connection.  Not get_fresh: its pin keeps later
     * reads of the key on the writer, which would answer them from the
     * cache it has not refreshed yet. */
    if (unqueued && nana__engine_readers_on(db->root->engine) &&
        atomic_load_explicit(&db->table->owner->pending_observers, memory_order_acquire) == 0) {
        job->base.flags |= NANA__JOB_READER_OK;
        nana__cache_mark(&db->table->cache, key, job->hash, &job->mark);
    }
    return nana__db_submit(db, &job->base);
}

NANA_API nana_future_t *nana_get(nana_db_t *db, const char *key, json_t *dflt)
{
    return read_key(db, KV_GET, key, dflt);
}

NANA_API nana_future_t *nana_get_fresh(nana_db_t *db, const char *key, json_t *dflt)
{
    return read_key(db, KV_GET_FRESH, key, dflt);
}

NANA_API nana_future_t *nana_contains(nana_db_t *db, const char *key)
{
    return read_key(db, KV_CONTAINS, key, NULL);
}

NANA_API nana_future_t *nana_is_cached(nana_db_t *db, const char *key)
{
    return read_key(db, KV_IS_CACHED, key, NULL);
}

NANA_API nana_future_t *nana_refresh(nana_db_t *db, const char *key)
{
    if (!key) {
        nana_future_t *f = check_call(db, NULL, false);
        if (f)
            return f;
        struct kv_job *job = table_job(db, KV_REFRESH_ALL);
        return job ? nana__db_submit(db, &job->base) : out_of_memory(NULL);
    }
    return read_key(db, KV_REFRESH_KEY, key, NULL);
}

/* set and setdefault: value encoded now. */
static nana_future_t *write_key(nana_db_t *db, enum kv_kind kind, const char *key,
                                json_t *value)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct kv_job *job = key_job(db, kind, key, true);
    if (!job)
        return out_of_memory(NULL);
    nana_status_t st = take_value(job, value);
    if (st != NANA_OK) {
        nana__kv_discard(job);
        return reject(st, st == NANA_EINVAL ? "the value cannot be encoded as JSON" : NULL);
    }
    return nana__db_submit(db, &job->base);
}

NANA_API nana_future_t *nana_set(nana_db_t *db, const char *key, json_t *value)
{
    if (db && key && !value)
        return reject(NANA_EINVAL, "NULL value");
    return write_key(db, KV_SET, key, value);
}

NANA_API nana_future_t *nana_setdefault(nana_db_t *db, const char *key, json_t *dflt)
{
    return write_key(db, KV_SETDEFAULT, key, dflt ? dflt : json_null());
}

NANA_API nana_future_t *nana_delete(nana_db_t *db, const char *key)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct kv_job *job = key_job(db, KV_DELETE, key, true);
    return job ? nana__db_submit(db, &job->base) : out_of_memory(NULL);
}

NANA_API nana_future_t *nana_pop(nana_db_t *db, const char *key, json_t *dflt)
{
    nana_future_t *f = check_call(db, key, true);
    if (f)
        return f;
    struct kv_job *job = key_job(db, KV_POP, key, true);
    if (!job || !take_default(job, dflt))
        return out_of_memory(job);
    return nana__db_submit(db, &job->base);
}

static nana_future_t *submit_table_job(nana_db_t *db, enum kv_kind kind)
{
    nana_future_t *f = check_call(db, NULL, false);
    if (f)
        return f;
    struct kv_job *job = table_job(db, kind);
    return job ? nana__db_submit(db, &job->base) : out_of_memory(NULL);
}

NANA_API nana_future_t *nana_len(nana_db_t *db) { return submit_table_job(db, KV_LEN); }
NANA_API nana_future_t *nana_keys(nana_db_t *db) { return submit_table_job(db, KV_KEYS); }
NANA_API nana_future_t *nana_values(nana_db_t *db) { return submit_table_job(db, KV_VALUES); }
NANA_API nana_future_t *nana_items(nana_db_t *db) { return submit_table_job(db, KV_ITEMS); }
NANA_API nana_future_t *nana_to_dict(nana_db_t *db) { return submit_table_job(db, KV_TO_DICT); }
NANA_API nana_future_t *nana_copy(nana_db_t *db) { return submit_table_job(db, KV_COPY); }
NANA_API nana_future_t *nana_clear(nana_db_t *db) { return submit_table_job(db, KV_CLEAR); }
NANA_API nana_future_t *nana_load_all(nana_db_t *db) { return submit_table_job(db, KV_LOAD_ALL); }

/* Fills job->items from object (every member encoded now); *why says what
 * was refused. */
static nana_status_t take_object(struct kv_job *job, json_t *object, const char **why)
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
        if (!nana__utf8_valid(key, len)) { /* set with json_object_set_nocheck() */
            *why = "a member name is not valid UTF-8";
            return NANA_EINVAL;
        }
        it->key = malloc(len + 1);
        if (!it->key)
            return NANA_ENOMEM;
        memcpy(it->key, key, len + 1);
        it->hash = nana__cache_hash(key, len);
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
    struct kv_job *job = table_job(db, KV_UPDATE);
    if (!job)
        return out_of_memory(NULL);
    const char *why = NULL;
    nana_status_t st = take_object(job, object, &why);
    if (st != NANA_OK) {
        nana__kv_discard(job);
        return reject(st, why);
    }
    return nana__db_submit(db, &job->base);
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
    if (f || (f = nana__kv_check_keys(keys, n)))
        return f;
    struct kv_job *job = table_job(db, KV_BATCH_DELETE);
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
        job->items[i].hash = nana__cache_hash(keys[i], len);
    }
    return nana__db_submit(db, &job->base);
}

/* ------------------------------------------- for the other dict files */

nana_future_t *nana__kv_check(nana_db_t *db, const char *key, bool need_key, size_t *key_len)
{
    return check_key_call(db, key, need_key, key_len);
}

int nana__kv_cache_answer(nana_db_t *db, const char *key, uint32_t hash, json_t **value)
{
    return cache_answer(db, key, hash, value);
}

bool nana__kv_take_key(struct kv_job *job, nana_db_t *db, const char *key, bool pin)
{
    size_t len = strlen(key);
    if (!(job->key = malloc(len + 1)))
        return false;
    memcpy(job->key, key, len + 1);
    job->hash = nana__cache_hash(key, len);
    job->base.touches.table = job->table->name;
    touch_key(job, len);
    if (pin && !(job->entry = nana__cache_get_entry(&db->table->cache, key, job->hash, true)))
        return false;
    return true;
}

void nana__kv_unpin(struct kv_job *job)
{
    if (job->entry) {
        nana__cache_unpin(&job->table->cache, job->entry);
        job->entry = NULL;
    }
}
