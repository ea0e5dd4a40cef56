/*
 * kvrmw.c -- atomic read-modify-write of one key: increment (of a number,
 * or of a top-level numeric member of an object), patch (a shallow merge
 * into an object) and compare-and-set.
 *
 * Each call is one job on the writer lane.  The executor runs jobs one at a
 * time, in submission order, so the read of the current value and the
 * write of the new one have nothing in between: concurrent increments of
 * one key never lose an update.  The current value comes from the cache
 * when it knows the key (staged by an earlier job of the batch, or
 * committed), else from SQLite; the new value is staged like a set's, so
 * the cache learns it from the write itself.  Like every dict write, the
 * job pins its key until it settles: reads of the key queue behind it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

enum rmw_kind { RMW_INCREMENT, RMW_PATCH, RMW_CAS };

struct rmw_job {
    struct kv_job kv;  /* key, hash, pinned entry; CAS: value encoded (text) and copied */
    enum rmw_kind kind;
    char *field;       /* increment: the member, or NULL for the value itself */
    bool real;         /* increment: delta is rdelta, else idelta */
    int64_t idelta;
    double rdelta;
    json_t *changes;   /* patch: a private copy of the object */
    bool create;       /* patch: a missing key is created */
    json_t *expected;  /* CAS: a private copy, or NULL: the key must be absent */
    bool deletes;      /* CAS: value NULL, delete when it matches */
};

#define RMW(base) container_of(base, struct rmw_job, kv.base)

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* ---------------------------------------------------------- executor side */

static void fail_msg(struct rmw_job *job, nana_status_t st, char *msg)
{
    nana__job_fail(&job->kv.base, st, msg);
}

/*
 * object (NULL: none) with the members of changes: those it has replaced in
 * their place, the others added last, in changes' order; member names keep
 * their NUL bytes; values shared by reference.  Built member by member, never
 * by replacing one: jansson drops a replaced value with a plain decrement,
 * and the values of a cached object are shared with other threads.  A new
 * reference, or NULL when out of memory.
 */
static json_t *merged(json_t *object, json_t *changes)
{
    json_t *out = json_object(), *member, *change;
    const char *name;
    if (!out)
        return NULL;
#if JANSSON_VERSION_HEX >= 0x020e00
    size_t len;
    if (object) {
        json_object_keylen_foreach(object, name, len, member) {
            change = json_object_getn(changes, name, len);
            if (json_object_setn_new_nocheck(out, name, len,
                                             nana__json_ref(change ? change : member)) != 0)
                goto fail;
        }
    }
    json_object_keylen_foreach(changes, name, len, member) {
        if (object && json_object_getn(object, name, len))
            continue;
        if (json_object_setn_new_nocheck(out, name, len, nana__json_ref(member)) != 0)
            goto fail;
    }
#else
    if (object) {
        json_object_foreach(object, name, member) {
            change = json_object_get(changes, name);
            if (json_object_set_new_nocheck(out, name, nana__json_ref(change ? change : member)))
                goto fail;
        }
    }
    json_object_foreach(changes, name, member) {
        if (object && json_object_get(object, name))
            continue;
        if (json_object_set_new_nocheck(out, name, nana__json_ref(member)) != 0)
            goto fail;
    }
#endif
    return out;
fail:
    nana__json_release(out);
    return NULL;
}

/* number + delta: a new reference, or NULL after failing the job. */
static json_t *add(struct rmw_job *job, const json_t *number, const char *what)
{
    char kb[NANA_KEY_MSG_SIZE];
    const char *key = nana__key_for_msg(job->kv.key, kb, sizeof kb);
    json_t *out;
    if (json_is_integer(number) && !job->real) {
        int64_t sum;
        if (__builtin_add_overflow((int64_t)json_integer_value(number), job->idelta, &sum)) {
            fail_msg(job, NANA_ERANGE,
                     nana__strdupf("incrementing %s of key %s in table \"%s\" by %lld would "
                                   "overflow a 64-bit integer; nothing was written",
                                   what, key, job->kv.table->name, (long long)job->idelta));
            return NULL;
        }
        out = json_integer(sum);
    } else {
        double sum = json_number_value(number) + (job->real ? job->rdelta : (double)job->idelta);
        if (!isfinite(sum)) {
            fail_msg(job, NANA_ERANGE,
                     nana__strdupf("incrementing %s of key %s in table \"%s\" gives a real "
                                   "that is not finite; nothing was written",
                                   what, key, job->kv.table->name));
            return NULL;
        }
        out = json_real(sum);
    }
    if (!out)
        fail_msg(job, NANA_ENOMEM, NULL);
    return out;
}

/* The incremented value (new reference) and *result the new number (new
 * reference); NULL after failing the job. */
static json_t *incremented(struct rmw_job *job, int state, json_t *cur, json_t **result)
{
    char kb[NANA_KEY_MSG_SIZE], fb[NANA_KEY_MSG_SIZE];
    const char *key = nana__key_for_msg(job->kv.key, kb, sizeof kb);
    json_t *zero = json_integer(0), *next = NULL;
    if (!zero) {
        fail_msg(job, NANA_ENOMEM, NULL);
        return NULL;
    }
    if (!job->field) {
        if (state == NANA__PRESENT && !json_is_number(cur)) {
            fail_msg(job, NANA_ETYPE,
                     nana__strdupf("the value of key %s in table \"%s\" is %s, not a number; "
                                   "nothing was written",
                                   key, job->kv.table->name, type_name(cur)));
        } else {
            next = add(job, state == NANA__PRESENT ? cur : zero, "the value");
            *result = nana__json_ref(next);
        }
        json_decref(zero);
        return next;
    }
    const char *field = nana__key_for_msg(job->field, fb, sizeof fb);
    char what[NANA_KEY_MSG_SIZE + 16];
    snprintf(what, sizeof what, "member %s", field);
    if (state == NANA__PRESENT && !json_is_object(cur)) {
        fail_msg(job, NANA_ETYPE,
                 nana__strdupf("the value of key %s in table \"%s\" is %s, not an object; "
                               "nothing was written",
                               key, job->kv.table->name, type_name(cur)));
        json_decref(zero);
        return NULL;
    }
    json_t *member = state == NANA__PRESENT ? json_object_get(cur, job->field) : NULL;
    if (member && !json_is_number(member)) {
        fail_msg(job, NANA_ETYPE,
                 nana__strdupf("member %s of key %s in table \"%s\" is %s, not a number; "
                               "nothing was written",
                               field, key, job->kv.table->name, type_name(member)));
        json_decref(zero);
        return NULL;
    }
    json_t *number = add(job, member ? member : zero, what);
    json_decref(zero);
    if (!number)
        return NULL;
    /* The cached object is shared and read-only: the new one is a copy
     * with the member replaced in its place (or added last). */
    json_t *change = json_object();
    if (change && json_object_set_new_nocheck(change, job->field, nana__json_ref(number)) == 0)
        next = merged(state == NANA__PRESENT ? cur : NULL, change);
    nana__json_release(change);
    if (!next) {
        nana__json_release(number);
        fail_msg(job, NANA_ENOMEM, NULL);
        return NULL;
    }
    *result = number;
    return next;
}

/* The patched object (new reference); NULL after failing the job. */
static json_t *patched(struct rmw_job *job, int state, json_t *cur)
{
    char kb[NANA_KEY_MSG_SIZE];
    if (state != NANA__PRESENT && !job->create) {
        nana__kv_fail_not_found(&job->kv);
        return NULL;
    }
    if (state == NANA__PRESENT && !json_is_object(cur)) {
        fail_msg(job, NANA_ETYPE,
                 nana__strdupf("the value of key %s in table \"%s\" is %s, not an object; "
                               "nothing was written",
                               nana__key_for_msg(job->kv.key, kb, sizeof kb),
                               job->kv.table->name, type_name(cur)));
        return NULL;
    }
    json_t *next = merged(state == NANA__PRESENT ? cur : NULL, job->changes);
    if (!next)
        fail_msg(job, NANA_ENOMEM, NULL);
    return next;
}

/* Writes next (new reference, taken) as key's value, encoded as text
 * (malloc'd, taken; NULL: encoded here), and stages it -- or what the
 * before_write hook replaced it with; *kept (when not NULL) gets a new
 * reference to what was stored. */
static bool store(struct rmw_job *job, struct nana_staging *sg, json_t *next, char *text,
                  size_t text_len, json_t **kept)
{
    struct kv_job *kv = &job->kv;
    if (!text && !(text = nana__json_encode(next, &text_len))) {
        nana__json_release(next);
        fail_msg(job, NANA_EINVAL, strdup("the new value cannot be encoded as JSON; "
                                          "nothing was written"));
        return false;
    }
    if (!nana__kv_hook_write(kv, kv->key, &next, &text, &text_len, false) ||
        !nana__kv_hook_register(kv, kv->key, NULL, 0, false)) {
        free(text);
        nana__json_release(next);
        return false;
    }
    int rc = nana__kv_write_row(kv, kv->key, text, text_len);
    free(text);
    if (rc != SQLITE_OK) {
        nana__json_release(next);
        nana__kv_fail_sql(kv, "cannot write", rc);
        return false;
    }
    nana__kv_hook_wrote(kv, 1);
    if (kept)
        *kept = nana__json_ref(next);
    nana__cache_stage(sg, &kv->table->cache, kv->key, kv->hash, NANA__PRESENT, next);
    return true;
}

static void exec_cas(struct rmw_job *job, struct nana_staging *sg, int state, json_t *cur)
{
    struct kv_job *kv = &job->kv;
    bool match = job->expected ? state == NANA__PRESENT && json_equal(cur, job->expected)
                               : state == NANA__ABSENT;
    if (match && job->deletes && state == NANA__PRESENT) {
        bool changed = false;
        if (!nana__kv_hook_delete(kv, kv->key, false) ||
            !nana__kv_hook_register(kv, kv->key, NULL, 0, true))
            return;
        int rc = nana__kv_delete_row(kv, kv->key, &changed);
        if (rc != SQLITE_OK) {
            nana__kv_fail_sql(kv, "cannot delete", rc);
            return;
        }
        nana__kv_hook_wrote(kv, 1);
        nana__cache_stage(sg, &kv->table->cache, kv->key, kv->hash, NANA__ABSENT, NULL);
    } else if (match && !job->deletes) {
        /* The encoded value passes to store. */
        char *text = kv->text;
        kv->text = NULL;
        if (!store(job, sg, nana__json_ref(kv->value), text, kv->text_len, NULL))
            return;
    }
    kv->base.result = json_boolean(match);
}

static void rmw_run(struct nana_job *base, struct nana_exec *ex)
{
    struct rmw_job *job = RMW(base);
    struct kv_job *kv = &job->kv;
    json_t *cur = NULL, *next, *result = NULL;
    kv->conn = nana__exec_conn(ex);
    kv->staged = ex->staged;
    int state = nana__kv_current_value(kv, ex->staged, &cur);
    if (state < 0)
        return;
    switch (job->kind) {
    case RMW_INCREMENT: {
        json_t *kept = NULL;
        next = incremented(job, state, cur, &result);
        if (next && !store(job, ex->staged, next, NULL, 0, &kept)) {
            nana__json_release(result);
            result = NULL;
        } else if (kept && kv->hook.replaced) {
            /* What is stored is the answer: the hook's value, or (with a
             * member) its member, null when it has none. */
            nana__json_release(result);
            json_t *member = job->field && json_is_object(kept)
                                 ? json_object_get(kept, job->field)
                                 : NULL;
            result = nana__json_ref(job->field ? (member ? member : json_null()) : kept);
        }
        nana__json_release(kept);
        kv->base.result = result;
        break;
    }
    case RMW_PATCH:
        next = patched(job, state, cur);
        if (next)
            store(job, ex->staged, next, NULL, 0, &kv->base.result);
        break;
    case RMW_CAS:
        exec_cas(job, ex->staged, state, cur);
        break;
    }
    nana__json_release(cur);
}

static void rmw_settle(struct nana_job *base, bool committed)
{
    nana__kv_hook_settle(&RMW(base)->kv, committed);
    nana__kv_unpin(&RMW(base)->kv);
}

static void rmw_destroy(struct nana_job *base)
{
    struct rmw_job *job = RMW(base);
    free(job->kv.key);
    free(job->kv.text);
    nana__json_release(job->kv.value);
    nana__json_release(job->kv.base.result);
    free(job->kv.base.errmsg);
    free(job->field);
    nana__json_release(job->changes);
    nana__json_release(job->expected);
    nana__hookset_release(job->kv.hook.set);
    free(job);
}

static const struct nana_job_ops rmw_ops = {rmw_run, rmw_settle, NULL, rmw_destroy};

/* ------------------------------------------------------- submission side */

static nana_future_t *reject(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

/* A job on key, pinned; NULL when out of memory. */
static struct rmw_job *rmw_new(nana_db_t *db, enum rmw_kind kind, const char *key)
{
    struct rmw_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->kv.base.ops = &rmw_ops;
    job->kv.base.flags = NANA__JOB_WRITES;
    job->kv.base.lane = NANA__LANE_WRITER;
    job->kv.table = db->table;
    job->kind = kind;
    if (!nana__kv_take_key(&job->kv, db, key, true)) {
        rmw_settle(&job->kv.base, false);
        rmw_destroy(&job->kv.base);
        return NULL;
    }
    return job;
}

static nana_future_t *discard(struct rmw_job *job, nana_status_t st, const char *msg)
{
    if (job) {
        rmw_settle(&job->kv.base, false);
        rmw_destroy(&job->kv.base);
    }
    return reject(st, msg);
}

static nana_future_t *increment(nana_db_t *db, const char *key, const char *field, bool real,
                                int64_t idelta, double rdelta)
{
    nana_future_t *f = nana__kv_check(db, key, true, NULL);
    if (f)
        return f;
    if (field && !nana__utf8_valid(field, strlen(field)))
        return reject(NANA_EINVAL, "the member name is not valid UTF-8");
    if (real && !isfinite(rdelta))
        return reject(NANA_EINVAL, "the increment is not a finite number");
    struct rmw_job *job = rmw_new(db, RMW_INCREMENT, key);
    if (!job || (field && !(job->field = strdup(field))))
        return discard(job, NANA_ENOMEM, NULL);
    job->real = real;
    job->idelta = idelta;
    job->rdelta = rdelta;
    return nana__db_submit(db, &job->kv.base);
}

NANA_API nana_future_t *nana_increment(nana_db_t *db, const char *key, const char *field,
                                       int64_t delta)
{
    return increment(db, key, field, false, delta, 0);
}

NANA_API nana_future_t *nana_increment_real(nana_db_t *db, const char *key, const char *field,
                                            double delta)
{
    return increment(db, key, field, true, 0, delta);
}

NANA_API nana_future_t *nana_patch(nana_db_t *db, const char *key, json_t *changes, bool create)
{
    nana_future_t *f = nana__kv_check(db, key, true, NULL);
    if (f)
        return f;
    if (!changes)
        return reject(NANA_EINVAL, "NULL changes");
    if (!json_is_object(changes))
        return reject(NANA_ETYPE, "patch needs a JSON object of the members to change");
    /* Refused now, before anything is queued: a value the job could not
     * write (a member name holding NUL, text that is not UTF-8, nesting
     * too deep, NaN). */
    char *text = nana__json_encode(changes, NULL);
    if (!text)
        return reject(NANA_EINVAL, "the changes cannot be encoded as JSON");
    free(text);
    struct rmw_job *job = rmw_new(db, RMW_PATCH, key);
    if (!job || !(job->changes = nana__json_copy(changes)))
        return discard(job, NANA_ENOMEM, NULL);
    job->create = create;
    return nana__db_submit(db, &job->kv.base);
}

NANA_API nana_future_t *nana_compare_and_set(nana_db_t *db, const char *key, json_t *expected,
                                             json_t *value)
{
    nana_future_t *f = nana__kv_check(db, key, true, NULL);
    if (f)
        return f;
    /* expected must be a value that could be stored: one that cannot
     * never matches, which would hide a mistake. */
    char *text = expected ? nana__json_encode(expected, NULL) : NULL;
    if (expected && !text)
        return reject(NANA_EINVAL, "the expected value cannot be encoded as JSON");
    free(text);
    struct rmw_job *job = rmw_new(db, RMW_CAS, key);
    if (!job)
        return discard(NULL, NANA_ENOMEM, NULL);
    if (expected && !(job->expected = nana__json_copy(expected)))
        return discard(job, NANA_ENOMEM, NULL);
    job->deletes = !value;
    if (value) {
        job->kv.text = nana__json_encode(value, &job->kv.text_len);
        if (!job->kv.text)
            return discard(job, NANA_EINVAL, "the value cannot be encoded as JSON");
        if (!(job->kv.value = nana__json_copy(value)))
            return discard(job, NANA_ENOMEM, NULL);
    }
    return nana__db_submit(db, &job->kv.base);
}
