/*
 * model.c -- the reference model and the cache contract it encodes.
 *
 * File: per table, the rows in rowid order with their exact rowids.  A new
 * row gets (largest rowid) + 1, or 1 in an empty table; INSERT OR REPLACE
 * (set, update, raw puts, upsert without conflict columns) computes the new
 * rowid before it deletes the row it replaces, so a replaced key moves to
 * the end; UPDATE and upsert's ON CONFLICT DO UPDATE keep the rowid.
 *
 * Cache, per root and table (handles of one root on one table, whatever
 * the spelling of its name, share it; a second root has its own):
 *  - get / contains / pop / setdefault of a key not cached read the file
 *    and cache the answer (present or absent) -- except stored text that is
 *    not JSON: get, pop, setdefault fail NANA_ETYPE (the message names the
 *    key), contains is true, and the key stays not cached.
 *  - A cached key is answered from the cache, stale or not.  get_fresh and
 *    refresh(key) read the file whatever the cache holds, and cache what
 *    they read (not JSON: not cached; refresh still resolves OK).
 *    refresh(NULL): nothing cached, not fully loaded.
 *  - set, setdefault that stores: the key cached present with the value.
 *    delete: ENOTFOUND when the file has no row (decided by the file), and
 *    the key cached absent either way.  pop: decided by the cache when
 *    cached (a cached value is returned and its row deleted), else by the
 *    file; the key is cached absent afterwards.
 *  - update / batch_update: every member written, in member order; every
 *    written key NOT cached afterwards.  batch_delete: existing rows
 *    deleted, every listed key cached absent.
 *  - clear: empty table, every key cached absent, fully loaded.  load_all
 *    and bulk_load: every JSON row cached present, non-JSON rows not
 *    cached, keys without a row cached absent when every row decoded (fully
 *    loaded), else not cached; load_all resolves to the number of JSON rows.
 *  - A write through the SQL surface to a dict table, when it succeeds:
 *    nothing of that root's cache of that table stays cached.
 *  - len / keys read the file; values / items / to_dict / copy list the
 *    file's rows in rowid order, a key cached present taking its cached
 *    value, the others decoded from the file (not cached); one undecodable
 *    row fails the call NANA_ETYPE.
 *  - increment / patch / compare_and_set read the key as get does (a fill
 *    that stays, also when they fail), then write the new value as set does
 *    (the key cached present with it); a compare_and_set that deletes leaves
 *    it cached absent; one that does not match writes nothing.  Increment:
 *    a missing key counts as 0 (with a member: as {}), a missing member as
 *    0; integer + integer stays an integer (beyond 64 bits: NANA_ERANGE),
 *    anything else is a real (not finite: NANA_ERANGE); not a number (or,
 *    with a member, not an object) is NANA_ETYPE.  Patch: members replaced
 *    in place, new ones added last; a missing key is ENOTFOUND without
 *    create.
 *  - batch_get reads each key as get does; any key whose text is not JSON
 *    fails it NANA_ETYPE (the first one in the order asked), the other keys
 *    cached all the same.  scan_prefix / scan_range list the file's rows in
 *    key order (bytes) within bounds and limit, values as items takes them.
 *  - A write that fails (NANA_EBUSY while another connection holds the write
 *    lock, a trigger's RAISE, a rolled back transaction) changes nothing.
 *  - Hook mode (ops.h; dict writes on root A's "data" only): a write of the
 *    refused key fails NANA_ECANCELED after its read (the fill stays) and
 *    before its write, so ahead of a trigger; a delete of it is refused
 *    only when it is stored -- delete reads the file for that (caching what
 *    it read), pop and compare_and_set decide as without hooks; update /
 *    batch_update naming it, batch_delete naming it while the file holds
 *    it, clear while the file holds it: the whole call is refused, nothing
 *    changed.  What is written under the replaced key is {"hooked": v}:
 *    stored, cached as set caches, and returned by setdefault, patch and
 *    increment (without a member: the stored value; with one: its member,
 *    null when it has none).
 *  - A bounded cache (a bound or a lifetime: m->bounded) may drop any entry
 *    at any time; everything above still holds for what it keeps.  The
 *    checker lets is_cached say false there where the model says cached,
 *    and the model forgets the key then (model_forget_key).  Its answers
 *    stay exact because nothing but its own root writes such a table, so
 *    what it caches is what the file holds: a dropped key reads the same.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

void model_init(struct model *m, const char *const *names, int nkeys)
{
    memset(m, 0, sizeof *m);
    m->names = names;
    m->nkeys = nkeys;
}

static void centry_set(struct centry *e, enum cstate st, const json_t *v)
{
    json_t *copy = v ? json_deep_copy(v) : NULL;
    json_decref(e->v);
    e->v = copy;
    e->st = st;
}

static void cache_reset(struct mcache *c, enum cstate st)
{
    for (int k = 0; k < M_NKEYS; k++)
        centry_set(&c->e[k], st, NULL);
    c->fully_loaded = st == C_ABS;
}

void model_free(struct model *m)
{
    for (int t = 0; t < M_NTABLES; t++) {
        for (int i = 0; i < m->file[t].n; i++)
            free(m->file[t].rows[i].text);
        free(m->file[t].rows);
        for (int r = 0; r < M_NROOTS; r++)
            cache_reset(&m->cache[r][t], C_NC);
    }
    memset(m, 0, sizeof *m);
}

void model_copy(struct model *dst, const struct model *src)
{
    memset(dst, 0, sizeof *dst);
    dst->names = src->names;
    dst->nkeys = src->nkeys;
    dst->triggers = src->triggers;
    memcpy(dst->bounded, src->bounded, sizeof dst->bounded);
    dst->locked = src->locked;
    dst->hooks = src->hooks;
    for (int t = 0; t < M_NTABLES; t++) {
        const struct mtable *from = &src->file[t];
        struct mtable *to = &dst->file[t];
        to->n = to->cap = from->n;
        to->rows = calloc((size_t)(from->n ? from->n : 1), sizeof *to->rows);
        for (int i = 0; i < from->n; i++) {
            to->rows[i] = from->rows[i];
            to->rows[i].text = from->rows[i].text ? strdup(from->rows[i].text) : NULL;
        }
        for (int r = 0; r < M_NROOTS; r++) {
            for (int k = 0; k < M_NKEYS; k++)
                centry_set(&dst->cache[r][t].e[k], src->cache[r][t].e[k].st,
                           src->cache[r][t].e[k].v);
            dst->cache[r][t].fully_loaded = src->cache[r][t].fully_loaded;
        }
    }
}

void model_forget_root(struct model *m, int root)
{
    for (int t = 0; t < M_NTABLES; t++)
        cache_reset(&m->cache[root][t], C_NC);
}

void model_forget_key(struct model *m, int root, int table, int key)
{
    centry_set(&m->cache[root][table].e[key], C_NC, NULL);
}

static int row_find(const struct mtable *t, int key);

bool model_cache_matches_file(const struct model *m, int root, int table, int *key)
{
    const struct mcache *c = &m->cache[root][table];
    const struct mtable *t = &m->file[table];
    for (int k = 0; k < M_NKEYS; k++) {
        int i = row_find(t, k);
        json_t *v = c->e[k].st == C_PRES && i >= 0 ? model_decode(t->rows[i].text) : NULL;
        bool same = c->e[k].st == C_NC || (c->e[k].st == C_ABS && i < 0) ||
                    (v && m_json_same(v, c->e[k].v));
        json_decref(v);
        if (!same) {
            *key = k;
            return false;
        }
    }
    return true;
}

bool model_op_is_whole(enum op_kind k)
{
    return k == OP_CLEAR || k == OP_LOAD_ALL || k == OP_REFRESH_ALL || op_is_sql(k);
}

json_t *model_hook_value(int key, const json_t *v)
{
    if (key == M_HOOK_REPLACED)
        return json_pack("{s:o}", "hooked", json_deep_copy(v));
    return json_deep_copy(v);
}

/* Do the hook mode's hooks run for op? */
static bool hooked(const struct model *m, const struct op *op)
{
    return m->hooks && m_handle_root[op->handle] == ROOT_A && op_table(op) == 0 &&
           !op_is_sql(op->kind);
}

void expect_free(struct expect *e)
{
    json_decref(e->json);
    memset(e, 0, sizeof *e);
}

json_t *model_decode(const char *text)
{
    if (!text)
        return NULL;
    json_error_t err;
    return json_loads(text, JSON_DECODE_ANY, &err);
}

static char *encode(const json_t *v)
{
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* ------------------------------------------------------------------ file */

const char *model_key_name(const struct model *m, int key)
{
    return key == M_KEY_NULL ? "NULL" : m->names[key];
}

static int row_find(const struct mtable *t, int key)
{
    if (key == M_KEY_NULL)
        return -1; /* never equal to anything */
    for (int i = 0; i < t->n; i++)
        if (t->rows[i].key == key)
            return i;
    return -1;
}

static void row_remove(struct mtable *t, int i)
{
    free(t->rows[i].text);
    memmove(&t->rows[i], &t->rows[i + 1], (size_t)(t->n - i - 1) * sizeof *t->rows);
    t->n--;
}

/* INSERT (OR REPLACE): returns the new row's rowid. */
static int64_t file_put(struct mtable *t, int key, const char *text)
{
    int64_t rowid = t->n ? t->rows[t->n - 1].rowid + 1 : 1;
    int i = row_find(t, key);
    if (i >= 0)
        row_remove(t, i);
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->rows = realloc(t->rows, (size_t)t->cap * sizeof *t->rows);
    }
    t->rows[t->n].key = key;
    t->rows[t->n].text = text ? strdup(text) : NULL;
    t->rows[t->n].rowid = rowid;
    t->n++;
    return rowid;
}

/* UPDATE in place: returns the number of rows changed. */
static int file_update(struct mtable *t, int key, const char *text)
{
    int i = row_find(t, key);
    if (i < 0)
        return 0;
    free(t->rows[i].text);
    t->rows[i].text = text ? strdup(text) : NULL;
    return 1;
}

static int file_delete(struct mtable *t, int key)
{
    int i = row_find(t, key);
    if (i < 0)
        return 0;
    row_remove(t, i);
    return 1;
}

void model_raw_put(struct model *m, int table, int key, const char *text)
{
    file_put(&m->file[table], key, text);
}

void model_raw_update(struct model *m, int table, int key, const char *text)
{
    file_update(&m->file[table], key, text);
}

void model_raw_delete(struct model *m, int table, int key)
{
    file_delete(&m->file[table], key);
}

void model_raw_put_null_key(struct model *m, int table, const char *text)
{
    file_put(&m->file[table], M_KEY_NULL, text); /* nothing to replace */
}

void model_raw_delete_null_keys(struct model *m, int table)
{
    struct mtable *t = &m->file[table];
    for (int i = t->n - 1; i >= 0; i--)
        if (t->rows[i].key == M_KEY_NULL)
            row_remove(t, i);
}

/* ----------------------------------------------------------------- cache */

/* load_all / bulk_load into c from t; returns the number of JSON rows. */
static int64_t cache_load(struct mcache *c, const struct mtable *t)
{
    int64_t loaded = 0;
    bool all = true;
    cache_reset(c, C_NC);
    for (int i = 0; i < t->n; i++) {
        json_t *v = t->rows[i].key == M_KEY_NULL ? NULL : model_decode(t->rows[i].text);
        if (v) {
            centry_set(&c->e[t->rows[i].key], C_PRES, v);
            json_decref(v);
            loaded++;
        } else {
            all = false;
        }
    }
    if (all)
        for (int k = 0; k < M_NKEYS; k++)
            if (c->e[k].st == C_NC)
                c->e[k].st = C_ABS;
    c->fully_loaded = all;
    return loaded;
}

void model_root_opened(struct model *m, int root, bool bulk_load)
{
    for (int t = 0; t < M_NTABLES; t++)
        cache_reset(&m->cache[root][t], C_NC);
    if (bulk_load)
        cache_load(&m->cache[root][0], &m->file[0]);
}

/* What the library knows of key after a read that may fill the cache:
 * C_PRES (*v borrowed from the cache entry), C_ABS, or -1 (the stored text
 * is not JSON; the key is left not cached). */
static int read_key(struct mcache *c, const struct mtable *t, int key, bool fresh,
                    const json_t **v)
{
    struct centry *e = &c->e[key];
    *v = NULL;
    if (!fresh && e->st != C_NC) {
        *v = e->v;
        return (int)e->st;
    }
    int i = row_find(t, key);
    if (i < 0) {
        centry_set(e, C_ABS, NULL);
        return C_ABS;
    }
    json_t *dec = model_decode(t->rows[i].text);
    if (!dec) {
        centry_set(e, C_NC, NULL);
        return -1;
    }
    centry_set(e, C_PRES, dec);
    json_decref(dec);
    *v = e->v;
    return C_PRES;
}

/* ------------------------------------------------------------ operations */

static void expect_json(struct expect *e, const json_t *v)
{
    e->st = NANA_OK;
    e->kind = E_JSON;
    e->json = json_deep_copy(v);
}

static void expect_fail(struct expect *e, nana_status_t st)
{
    e->st = st;
    e->kind = E_NONE;
}

static void expect_int(struct expect *e, int64_t i)
{
    e->st = NANA_OK;
    e->kind = E_INT;
    e->i = i;
}

/* Which poison, if any, op's insert into "data" hits: 0 none,
 * M_POISON_ABORT or M_POISON_ROLLBACK. */
static int poison_of(const struct model *m, const struct op *op)
{
    if (!m->triggers || op_table(op) != 0)
        return 0;
    switch (op->kind) {
    case OP_SET:
    case OP_EXEC_REPLACE:
    case OP_SQL_INSERT:
    case OP_UPSERT_KEY:
    case OP_UPSERT_REPLACE:
    case OP_SETDEFAULT:
    case OP_SETDEFAULT_NULL:
    case OP_INCREMENT:
    case OP_INCREMENT_REAL:
    case OP_PATCH:
        return op->key == M_POISON_ABORT || op->key == M_POISON_ROLLBACK ? op->key : 0;
    case OP_CAS: /* a delete inserts nothing */
        return op->value && (op->key == M_POISON_ABORT || op->key == M_POISON_ROLLBACK) ? op->key
                                                                                      : 0;
    case OP_UPDATE:
    case OP_BATCH_UPDATE: {
        const char *k;
        json_t *v;
        json_object_foreach(op->value, k, v) {
            if (hooked(m, op) && strcmp(k, m->names[M_HOOK_REFUSED]) == 0)
                return 0; /* refused before it writes anything */
            if (strcmp(k, m->names[M_POISON_ABORT]) == 0)
                return M_POISON_ABORT;
            if (strcmp(k, m->names[M_POISON_ROLLBACK]) == 0)
                return M_POISON_ROLLBACK;
        }
        return 0;
    }
    default:
        return 0;
    }
}

bool model_op_rolls_back(const struct model *m, const struct op *op)
{
    if (m->locked)
        return false;
    /* setdefault only when the key is missing: an allowance either way */
    return poison_of(m, op) == M_POISON_ROLLBACK;
}

static int key_index(const struct model *m, const char *name)
{
    for (int k = 0; k < m->nkeys; k++)
        if (strcmp(m->names[k], name) == 0)
            return k;
    return -1;
}

/* values / items / to_dict / copy. */
static void scan(const struct model *m, struct mcache *c, const struct mtable *t,
                 enum op_kind kind, struct expect *e)
{
    json_t *out = kind == OP_TO_DICT || kind == OP_COPY ? json_object() : json_array();
    for (int i = 0; i < t->n; i++) {
        const struct mrow *row = &t->rows[i];
        if (row->key == M_KEY_NULL)
            continue;
        const struct centry *ce = &c->e[row->key];
        json_t *v = ce->st == C_PRES ? json_deep_copy(ce->v) : model_decode(row->text);
        if (!v) {
            json_decref(out);
            expect_fail(e, NANA_ETYPE);
            e->name_key = row->key;
            return;
        }
        const char *name = m->names[row->key];
        if (kind == OP_VALUES) {
            json_array_append_new(out, v);
        } else if (kind == OP_ITEMS) {
            json_t *pair = json_array();
            json_array_append_new(pair, json_string(name));
            json_array_append_new(pair, v);
            json_array_append_new(out, pair);
        } else {
            json_object_set_new(out, name, v);
        }
    }
    e->st = NANA_OK;
    e->kind = E_JSON;
    e->json = out;
}

static void sql_invalidate(struct mcache *c) { cache_reset(c, C_NC); }

/* scan_prefix / scan_range: the file's rows in key order (strcmp: the
 * bytes), within the bounds, up to the limit, values as items() takes them. */
static int by_key(const void *a, const void *b, void *model)
{
    const struct mrow *x = *(const struct mrow *const *)a, *y = *(const struct mrow *const *)b;
    const struct model *m = model;
    return strcmp(m->names[x->key], m->names[y->key]);
}

static void scan_ordered(const struct model *m, struct mcache *c, const struct mtable *t,
                         const struct op *op, struct expect *e)
{
    const struct mrow **rows = malloc(((size_t)t->n + 1) * sizeof *rows);
    int n = 0;
    const char *a = op->bound_a >= 0 ? m_bounds[op->bound_a] : NULL;
    const char *b = op->bound_b >= 0 ? m_bounds[op->bound_b] : NULL;
    for (int i = 0; i < t->n; i++) {
        if (t->rows[i].key == M_KEY_NULL)
            continue;
        const char *k = m->names[t->rows[i].key];
        bool in = op->kind == OP_SCAN_PREFIX ? strncmp(k, a, strlen(a)) == 0
                                             : (!a || strcmp(k, a) >= 0) && (!b || strcmp(k, b) < 0);
        if (in)
            rows[n++] = &t->rows[i];
    }
    qsort_r(rows, (size_t)n, sizeof *rows, by_key, (void *)m);
    json_t *out = json_array();
    for (int i = 0; i < n && i < op->limit; i++) {
        const struct centry *ce = &c->e[rows[i]->key];
        json_t *v = ce->st == C_PRES ? json_deep_copy(ce->v) : model_decode(rows[i]->text);
        if (!v) {
            json_decref(out);
            expect_fail(e, NANA_ETYPE);
            e->name_key = rows[i]->key;
            free(rows);
            return;
        }
        json_t *pair = json_array();
        json_array_append_new(pair, json_string(m->names[rows[i]->key]));
        json_array_append_new(pair, v);
        json_array_append_new(out, pair);
    }
    free(rows);
    e->st = NANA_OK;
    e->kind = E_JSON;
    e->json = out;
}

/* object (NULL: none) with changes merged in: members it has replaced in
 * their place, the others added last in changes' order.  New reference. */
static json_t *merge(const json_t *object, const json_t *changes)
{
    json_t *out = json_object(), *v;
    const char *k;
    if (object)
        json_object_foreach((json_t *)object, k, v) {
            json_t *c = json_object_get(changes, k);
            json_object_set_new(out, k, json_deep_copy(c ? c : v));
        }
    json_object_foreach((json_t *)changes, k, v) {
        if (!object || !json_object_get(object, k))
            json_object_set_new(out, k, json_deep_copy(v));
    }
    return out;
}

/* increment's new value, or NULL with *st the failure; *sum the new number. */
static json_t *model_increment(const struct op *op, int state, const json_t *v, json_t **sum,
                               nana_status_t *st)
{
    const char *field = op->field >= 0 ? m_fields[op->field] : NULL;
    const json_t *number;
    json_t *zero = json_integer(0);
    *sum = NULL;
    if (!field) {
        if (state == C_PRES && !json_is_number(v)) {
            *st = NANA_ETYPE;
            json_decref(zero);
            return NULL;
        }
        number = state == C_PRES ? v : zero;
    } else {
        if (state == C_PRES && !json_is_object(v)) {
            *st = NANA_ETYPE;
            json_decref(zero);
            return NULL;
        }
        const json_t *m = state == C_PRES ? json_object_get(v, field) : NULL;
        if (m && !json_is_number(m)) {
            *st = NANA_ETYPE;
            json_decref(zero);
            return NULL;
        }
        number = m ? m : zero;
    }
    if (json_is_integer(number) && json_is_integer(op->value)) {
        json_int_t a = json_integer_value(number), d = json_integer_value(op->value);
        if ((d > 0 && a > INT64_MAX - d) || (d < 0 && a < INT64_MIN - d)) {
            *st = NANA_ERANGE;
            json_decref(zero);
            return NULL;
        }
        *sum = json_integer(a + d);
    } else {
        double d = json_is_real(op->value) ? json_real_value(op->value)
                                           : (double)json_integer_value(op->value);
        double x = json_number_value(number) + d;
        if (x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308) {
            *st = NANA_ERANGE;
            json_decref(zero);
            return NULL;
        }
        *sum = json_real(x);
    }
    json_decref(zero);
    if (!field)
        return json_incref(*sum);
    json_t *change = json_object();
    json_object_set(change, field, *sum);
    json_t *out = merge(state == C_PRES ? v : NULL, change);
    json_decref(change);
    return out;
}

/* The write of a read-modify-write: poison (the trigger refuses it) or
 * stored.  saved: the key's cache entry before the op read it, put back
 * when RAISE(ROLLBACK) undoes the read's fill too. */
/* *stored: what was stored (new reference), when it returns true. */
static bool rmw_store(struct model *m, struct mcache *c, struct mtable *t, const struct op *op,
                      int poison, const struct centry *saved, json_t *next, struct expect *e,
                      json_t **stored)
{
    *stored = NULL;
    if (hooked(m, op) && op->key == M_HOOK_REFUSED) {
        expect_fail(e, NANA_ECANCELED);
        return false;
    }
    if (poison) {
        expect_fail(e, NANA_ESQL);
        e->poison_rollback = poison == M_POISON_ROLLBACK;
        if (e->poison_rollback)
            centry_set(&c->e[op->key], saved->st, saved->v);
        return false;
    }
    *stored = hooked(m, op) ? model_hook_value(op->key, next) : json_incref(next);
    char *text = encode(*stored);
    file_put(t, op->key, text);
    free(text);
    centry_set(&c->e[op->key], C_PRES, *stored);
    return true;
}

void model_op(struct model *m, const struct op *op, struct expect *e)
{
    int root = m_handle_root[op->handle], table = op_table(op);
    struct mcache *c = &m->cache[root][table];
    struct mtable *t = &m->file[table];
    int key = op->key;
    const json_t *v = NULL;
    int state;

    memset(e, 0, sizeof *e);
    e->name_key = -1;
    e->insert_rowid = -1;

    if (m->locked && op_is_write(op->kind)) {
        expect_fail(e, NANA_EBUSY);
        return;
    }
    int poison = poison_of(m, op);
    bool hk = hooked(m, op);
    json_t *stored = NULL;

    switch (op->kind) {
    case OP_GET:
    case OP_GET_DFLT:
    case OP_GET_FRESH:
    case OP_GET_FRESH_DFLT:
        state = read_key(c, t, key, op->kind == OP_GET_FRESH || op->kind == OP_GET_FRESH_DFLT, &v);
        if (state < 0) {
            expect_fail(e, NANA_ETYPE);
            e->name_key = key;
        } else if (state == C_PRES) {
            expect_json(e, v);
        } else if (op->value) {
            expect_json(e, op->value);
        } else {
            expect_fail(e, NANA_ENOTFOUND);
        }
        break;
    case OP_CONTAINS:
        state = read_key(c, t, key, false, &v);
        e->st = NANA_OK;
        e->kind = E_BOOL;
        e->b = state != C_ABS; /* not JSON counts as stored */
        break;
    case OP_IS_CACHED:
        e->st = NANA_OK;
        e->kind = E_BOOL;
        e->b = c->e[key].st != C_NC;
        break;
    case OP_REFRESH_KEY:
        read_key(c, t, key, true, &v);
        e->st = NANA_OK;
        break;
    case OP_REFRESH_ALL:
        cache_reset(c, C_NC);
        e->st = NANA_OK;
        break;
    case OP_LEN:
        expect_int(e, t->n);
        break;
    case OP_KEYS:
        e->st = NANA_OK;
        e->kind = E_JSON;
        e->json = json_array();
        for (int i = 0; i < t->n; i++)
            if (t->rows[i].key != M_KEY_NULL)
                json_array_append_new(e->json, json_string(m->names[t->rows[i].key]));
        break;
    case OP_VALUES:
    case OP_ITEMS:
    case OP_TO_DICT:
    case OP_COPY:
        scan(m, c, t, op->kind, e);
        break;
    case OP_LOAD_ALL:
        expect_int(e, cache_load(c, t));
        break;
    case OP_SET:
        if (hk && key == M_HOOK_REFUSED) {
            expect_fail(e, NANA_ECANCELED);
            break;
        }
        if (poison) {
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            break;
        }
        {
            stored = hk ? model_hook_value(key, op->value) : json_incref(op->value);
            char *text = encode(stored);
            file_put(t, key, text);
            free(text);
        }
        centry_set(&c->e[key], C_PRES, stored);
        e->st = NANA_OK;
        break;
    case OP_DELETE:
        if (hk && key == M_HOOK_REFUSED && row_find(t, key) >= 0) {
            read_key(c, t, key, true, &v); /* what its read cached stays */
            expect_fail(e, NANA_ECANCELED);
            break;
        }
        e->st = file_delete(t, key) ? NANA_OK : NANA_ENOTFOUND;
        centry_set(&c->e[key], C_ABS, NULL);
        break;
    case OP_POP:
    case OP_POP_DFLT:
        state = read_key(c, t, key, false, &v);
        if (state < 0) {
            expect_fail(e, NANA_ETYPE);
            e->name_key = key;
        } else if (state == C_PRES && hk && key == M_HOOK_REFUSED) {
            expect_fail(e, NANA_ECANCELED);
        } else if (state == C_PRES) {
            expect_json(e, v);
            file_delete(t, key);
            centry_set(&c->e[key], C_ABS, NULL);
        } else if (op->value) {
            expect_json(e, op->value);
        } else {
            expect_fail(e, NANA_ENOTFOUND);
        }
        break;
    case OP_SETDEFAULT:
    case OP_SETDEFAULT_NULL: {
        struct centry saved = {c->e[key].st, c->e[key].v ? json_deep_copy(c->e[key].v) : NULL};
        state = read_key(c, t, key, false, &v);
        if (state < 0) {
            expect_fail(e, NANA_ETYPE);
            e->name_key = key;
        } else if (state == C_PRES) {
            expect_json(e, v);
        } else if (hk && key == M_HOOK_REFUSED) {
            expect_fail(e, NANA_ECANCELED);
        } else if (poison) {
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            if (e->poison_rollback) /* the read's cache fill is rolled back too */
                centry_set(&c->e[key], saved.st, saved.v);
        } else {
            json_t *d = op->kind == OP_SETDEFAULT ? json_incref(op->value) : json_null();
            if (hk) {
                json_t *h = model_hook_value(key, d);
                json_decref(d);
                d = h;
            }
            char *text = encode(d);
            file_put(t, key, text);
            free(text);
            centry_set(&c->e[key], C_PRES, d);
            expect_json(e, d);
            json_decref(d);
        }
        json_decref(saved.v);
        break;
    }
    case OP_UPDATE:
    case OP_BATCH_UPDATE: {
        if (hk && json_object_get(op->value, m->names[M_HOOK_REFUSED])) {
            expect_fail(e, NANA_ECANCELED);
            break;
        }
        if (poison) {
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            break;
        }
        const char *name;
        json_t *val;
        json_object_foreach(op->value, name, val) {
            int k = key_index(m, name);
            if (k < 0)
                continue; /* a key this model does not follow */
            json_t *w = hk ? model_hook_value(k, val) : json_incref(val);
            char *text = encode(w);
            json_decref(w);
            file_put(t, k, text);
            free(text);
            centry_set(&c->e[k], C_NC, NULL);
        }
        e->st = NANA_OK;
        break;
    }
    case OP_BATCH_DELETE:
        if (hk && row_find(t, M_HOOK_REFUSED) >= 0) {
            bool named = false;
            for (int i = 0; i < op->n_keys; i++)
                named |= op->keys[i] == M_HOOK_REFUSED;
            if (named) {
                expect_fail(e, NANA_ECANCELED);
                break;
            }
        }
        for (int i = 0; i < op->n_keys; i++) {
            file_delete(t, op->keys[i]);
            centry_set(&c->e[op->keys[i]], C_ABS, NULL);
        }
        e->st = NANA_OK;
        break;
    case OP_CLEAR:
        if (hk && row_find(t, M_HOOK_REFUSED) >= 0) {
            expect_fail(e, NANA_ECANCELED);
            break;
        }
        while (t->n)
            row_remove(t, t->n - 1);
        cache_reset(c, C_ABS);
        e->st = NANA_OK;
        break;
    case OP_INCREMENT:
    case OP_INCREMENT_REAL:
    case OP_PATCH:
    case OP_CAS: {
        struct centry saved = {c->e[key].st, c->e[key].v ? json_deep_copy(c->e[key].v) : NULL};
        state = read_key(c, t, key, false, &v);
        json_t *cur = v ? json_deep_copy(v) : NULL, *next = NULL, *sum = NULL;
        nana_status_t st = NANA_OK;
        if (state < 0) {
            expect_fail(e, NANA_ETYPE);
            e->name_key = key;
        } else if (op->kind == OP_PATCH) {
            if (state == C_ABS && !op->create)
                expect_fail(e, NANA_ENOTFOUND);
            else if (state == C_PRES && !json_is_object(cur))
                expect_fail(e, NANA_ETYPE);
            else if ((next = merge(state == C_PRES ? cur : NULL, op->value)) &&
                     rmw_store(m, c, t, op, poison, &saved, next, e, &stored))
                expect_json(e, stored);
        } else if (op->kind == OP_CAS) {
            bool match = op->expected ? state == C_PRES && json_equal(cur, op->expected)
                                      : state == C_ABS;
            if (match && !op->value && state == C_PRES && hk && key == M_HOOK_REFUSED) {
                expect_fail(e, NANA_ECANCELED);
            } else {
                if (match && !op->value) {
                    if (state == C_PRES)
                        file_delete(t, key);
                    centry_set(&c->e[key], C_ABS, NULL);
                }
                if (!match || !op->value ||
                    rmw_store(m, c, t, op, poison, &saved, op->value, e, &stored)) {
                    e->st = NANA_OK;
                    e->kind = E_BOOL;
                    e->b = match;
                }
            }
        } else {
            next = model_increment(op, state, cur, &sum, &st);
            if (!next) {
                expect_fail(e, st);
            } else if (rmw_store(m, c, t, op, poison, &saved, next, e, &stored)) {
                if (hk && key == M_HOOK_REPLACED) {
                    /* The stored value is the answer, or its member. */
                    json_t *member = op->field >= 0 && json_is_object(stored)
                                         ? json_object_get(stored, m_fields[op->field])
                                         : NULL;
                    expect_json(e, op->field < 0 ? stored : member ? member : json_null());
                } else {
                    expect_json(e, sum);
                }
            }
        }
        json_decref(next);
        json_decref(sum);
        json_decref(cur);
        json_decref(saved.v);
        break;
    }
    case OP_BATCH_GET: {
        json_t *out = json_object();
        int bad = -1;
        for (int i = 0; i < op->n_keys; i++) {
            state = read_key(c, t, op->keys[i], false, &v);
            if (state < 0 && bad < 0)
                bad = op->keys[i];
            else if (state == C_PRES && !json_object_get(out, m->names[op->keys[i]]))
                json_object_set_new(out, m->names[op->keys[i]], json_deep_copy(v));
        }
        if (bad >= 0) {
            expect_fail(e, NANA_ETYPE);
            e->name_key = bad;
        } else {
            expect_json(e, out);
        }
        json_decref(out);
        break;
    }
    case OP_SCAN_PREFIX:
    case OP_SCAN_RANGE:
        scan_ordered(m, c, t, op, e);
        break;
    case OP_EXEC_UPDATE:
    case OP_EXEC_DELETE:
    case OP_EXEC_REPLACE:
        if (op->kind == OP_EXEC_REPLACE && poison) {
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            break;
        }
        e->st = NANA_OK;
        e->kind = E_EXEC;
        if (op->kind == OP_EXEC_UPDATE) {
            e->i = file_update(t, key, op->text);
        } else if (op->kind == OP_EXEC_DELETE) {
            e->i = file_delete(t, key);
        } else {
            e->i = 1;
            e->insert_rowid = file_put(t, key, op->text);
        }
        sql_invalidate(c);
        break;
    case OP_SQL_INSERT:
        if (poison || row_find(t, key) >= 0) { /* a trigger's RAISE, or UNIQUE */
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            break;
        }
        expect_int(e, file_put(t, key, op->text));
        sql_invalidate(c);
        break;
    case OP_SQL_UPDATE:
        expect_int(e, file_update(t, key, op->text));
        sql_invalidate(c);
        break;
    case OP_SQL_DELETE:
        expect_int(e, file_delete(t, key));
        sql_invalidate(c);
        break;
    case OP_UPSERT_KEY:
    case OP_UPSERT_REPLACE: {
        if (poison) {
            expect_fail(e, NANA_ESQL);
            e->poison_rollback = poison == M_POISON_ROLLBACK;
            break;
        }
        int i = row_find(t, key);
        if (op->kind == OP_UPSERT_KEY && i >= 0) {
            file_update(t, key, op->text);
            expect_int(e, t->rows[i].rowid);
        } else {
            expect_int(e, file_put(t, key, op->text));
        }
        sql_invalidate(c);
        break;
    }
    default:
        break;
    }
    json_decref(stored);
}

/* --------------------------------------------------------------- reports */

void model_print_cache(FILE *out, const struct model *m, int root, int table)
{
    const struct mcache *c = &m->cache[root][table];
    fprintf(out, "model cache of root %s, table %s%s:", root == ROOT_A ? "A" : "B",
            m_table_names[table], c->fully_loaded ? " (fully loaded)" : "");
    for (int k = 0; k < m->nkeys; k++) {
        if (c->e[k].st == C_NC)
            continue;
        char *q = m_quote(m->names[k]);
        if (c->e[k].st == C_ABS) {
            fprintf(out, " %s=absent", q);
        } else {
            char *v = m_json_text(c->e[k].v);
            fprintf(out, " %s=%s", q, v);
            free(v);
        }
        free(q);
    }
    fprintf(out, " (others not cached)\n");
}

void model_print_file(FILE *out, const struct model *m, int table)
{
    const struct mtable *t = &m->file[table];
    fprintf(out, "model file, table %s:", m_table_names[table]);
    for (int i = 0; i < t->n; i++) {
        char *q = t->rows[i].key == M_KEY_NULL ? strdup("NULL") : m_quote(m->names[t->rows[i].key]);
        char *v = m_quote(t->rows[i].text);
        fprintf(out, " [%lld] %s=%s", (long long)t->rows[i].rowid, q, v);
        free(q);
        free(v);
    }
    fputc('\n', out);
}
