/*
 * gen.c -- the generator: a sequence of steps (pipelines of operations,
 * writes by another connection, reopenings, a second root, triggers),
 * deterministic from a seed; and the printing of sequences.
 */
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* ------------------------------------------------------------------ PRNG */

uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

bool rng_pct(struct rng *r, unsigned percent) { return rng_below(r, 100) < percent; }

/* ------------------------------------------------------------ vocabulary */

const char *const m_key_names[M_NKEYS] = {
    "a", "b", "c", "", "ключ", "emoji😀", "q'uote \"x\"", "d",
    "poison-abort", "poison-rollback",
};
const char *const m_table_names[M_NTABLES] = {"data", "t2"};
const int m_handle_root[M_NHANDLES] = {ROOT_A, ROOT_A, ROOT_A, ROOT_B, ROOT_B};
const int m_handle_table[M_NHANDLES] = {0, 0, 1, 0, 1};
const char *const m_handle_names[M_NHANDLES] = {"A", "A.DATA", "A.t2", "B", "B.T2"};
const char *const m_handle_spelling[M_NHANDLES] = {"data", "DATA", "t2", "data", "T2"};

const char *const m_op_names[OP__COUNT] = {
    [OP_GET] = "get", [OP_GET_DFLT] = "get", [OP_GET_FRESH] = "get_fresh",
    [OP_GET_FRESH_DFLT] = "get_fresh", [OP_CONTAINS] = "contains", [OP_IS_CACHED] = "is_cached",
    [OP_LEN] = "len", [OP_KEYS] = "keys", [OP_VALUES] = "values", [OP_ITEMS] = "items",
    [OP_TO_DICT] = "to_dict", [OP_COPY] = "copy", [OP_LOAD_ALL] = "load_all",
    [OP_REFRESH_KEY] = "refresh", [OP_REFRESH_ALL] = "refresh", [OP_SET] = "set",
    [OP_DELETE] = "delete", [OP_POP] = "pop", [OP_POP_DFLT] = "pop",
    [OP_SETDEFAULT] = "setdefault", [OP_SETDEFAULT_NULL] = "setdefault",
    [OP_UPDATE] = "update", [OP_BATCH_UPDATE] = "batch_update",
    [OP_BATCH_DELETE] = "batch_delete", [OP_CLEAR] = "clear",
    [OP_EXEC_UPDATE] = "execute", [OP_EXEC_DELETE] = "execute", [OP_EXEC_REPLACE] = "execute",
    [OP_SQL_INSERT] = "sql_insert", [OP_SQL_UPDATE] = "sql_update",
    [OP_SQL_DELETE] = "sql_delete", [OP_UPSERT_KEY] = "upsert", [OP_UPSERT_REPLACE] = "upsert",
    [OP_SUBTABLE] = "table+close", [OP_BATCH_GET] = "batch_get",
    [OP_SCAN_PREFIX] = "scan_prefix", [OP_SCAN_RANGE] = "scan_range",
    [OP_INCREMENT] = "increment", [OP_INCREMENT_REAL] = "increment_real",
    [OP_PATCH] = "patch", [OP_CAS] = "compare_and_set",
    [OP_TXN_SAVEPOINT] = "txn_savepoint", [OP_TXN_RELEASE] = "txn_release",
    [OP_TXN_ROLLBACK_TO] = "txn_rollback_to",
};

/* The member names values are made of (gen_value), so that increments often
 * find their member. */
const char *const m_fields[M_NFIELDS] = {"a", "b", "ü", "k k", "", "n"};
/* Around the key names: prefixes of some, bounds between others. */
const char *const m_bounds[M_NBOUNDS] = {
    "", "a", "b", "c", "d", "e", "emoji", "p", "poison-", "q", "к", "ключ", "z", "q'",
};

bool op_is_sql(enum op_kind k) { return k >= OP_EXEC_UPDATE && k <= OP_UPSERT_REPLACE; }

bool op_is_write(enum op_kind k) { return k >= OP_SET && k <= OP_UPSERT_REPLACE; }

int op_table(const struct op *op)
{
    return op_is_sql(op->kind) ? op->sql_table : m_handle_table[op->handle];
}

/* ---------------------------------------------------------------- values */

static const char *const str_pool[] = {
    "", "x", "héllo", "日本語", "emoji 😀", "quote\"back\\slash", "tab\tnl\n", "\xe2\x80\xa8",
    "not json{", "{\"a\":1}",
};
static const double real_pool[] = {0.5, -2.25, 3.0, 0.1, 1e-7, 12345.678, 1e300, -1e-300, 100.0};
static const char *const member_pool[] = {"a", "b", "ü", "k k", "", "n"};

static json_t *gen_value(struct rng *r, int depth)
{
    unsigned pick = rng_below(r, depth >= 2 ? 70 : 100);
    if (pick < 20) {
        static const json_int_t ints[] = {0, 1, -1, 2, 7, 42, 1000, -5, INT64_MAX, INT64_MIN};
        return json_integer(ints[rng_below(r, sizeof ints / sizeof ints[0])]);
    }
    if (pick < 32)
        return json_real(real_pool[rng_below(r, sizeof real_pool / sizeof real_pool[0])]);
    if (pick < 50)
        return json_string(str_pool[rng_below(r, sizeof str_pool / sizeof str_pool[0])]);
    if (pick < 56)
        return json_null();
    if (pick < 62)
        return json_boolean(rng_pct(r, 50));
    if (pick < 70) /* a small integer tagged by the generator: many distinct values */
        return json_integer((json_int_t)rng_below(r, 100000));
    if (pick < 85) {
        json_t *a = json_array();
        unsigned n = rng_below(r, 4);
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(a, gen_value(r, depth + 1));
        return a;
    }
    json_t *o = json_object();
    unsigned n = rng_below(r, 4);
    for (unsigned i = 0; i < n; i++)
        json_object_set_new(o, member_pool[rng_below(r, sizeof member_pool / sizeof member_pool[0])],
                            gen_value(r, depth + 1));
    return o;
}

/* Text stored by something else: JSON as Python writes it, odd but valid
 * JSON, or not JSON at all. */
static const char *const python_texts[] = {
    "{\"a\": 1, \"b\": [true, null]}", " [1, 2] ", "\"str\"", "1.5e3", "-0", "{}", "[]",
    "  null  ", "\"\\u00e9\\u65e5\"", "{\"nested\": {\"x\": [1.25, \"y\"]}}", "1E2",
    "9223372036854775807",
};
static const char *const bad_texts[] = {
    "not json{", "", "{\"a\":", "[1,2", "123456789012345678901234567890", "tru",
    "'single'", "{\"a\" 1}", "NaN", "1e400", "[1,]",
};
/* Not even UTF-8: only another connection can store these (a JSON string
 * parameter cannot carry them). */
static const char *const non_utf8_texts[] = {"\"\xff\"", "[\"\xc3(\"]", "{\"\xed\xa0\x80\":1}"};

static char *gen_text(struct rng *r, bool raw)
{
    unsigned pick = rng_below(r, 100);
    if (pick < 5)
        return NULL; /* SQL NULL */
    if (raw && pick < 8)
        return strdup(non_utf8_texts[rng_below(r, sizeof non_utf8_texts / sizeof non_utf8_texts[0])]);
    if (pick < 25)
        return strdup(bad_texts[rng_below(r, sizeof bad_texts / sizeof bad_texts[0])]);
    if (pick < 40)
        return strdup(python_texts[rng_below(r, sizeof python_texts / sizeof python_texts[0])]);
    json_t *v = gen_value(r, 0);
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    return text;
}

/* ------------------------------------------------------------ operations */

struct weight {
    enum op_kind kind;
    unsigned w;
};

static const struct weight op_weights[] = {
    {OP_GET, 90}, {OP_GET_DFLT, 40}, {OP_GET_FRESH, 40}, {OP_GET_FRESH_DFLT, 15},
    {OP_CONTAINS, 50}, {OP_IS_CACHED, 60}, {OP_LEN, 20}, {OP_KEYS, 20}, {OP_VALUES, 15},
    {OP_ITEMS, 15}, {OP_TO_DICT, 15}, {OP_COPY, 10}, {OP_LOAD_ALL, 15}, {OP_REFRESH_KEY, 25},
    {OP_REFRESH_ALL, 10}, {OP_SET, 120}, {OP_DELETE, 40}, {OP_POP, 30}, {OP_POP_DFLT, 20},
    {OP_SETDEFAULT, 30}, {OP_SETDEFAULT_NULL, 10}, {OP_UPDATE, 35}, {OP_BATCH_UPDATE, 25},
    {OP_BATCH_DELETE, 25}, {OP_CLEAR, 8}, {OP_EXEC_UPDATE, 12}, {OP_EXEC_DELETE, 8},
    {OP_EXEC_REPLACE, 12}, {OP_SQL_INSERT, 10}, {OP_SQL_UPDATE, 8}, {OP_SQL_DELETE, 6},
    {OP_UPSERT_KEY, 8}, {OP_UPSERT_REPLACE, 6}, {OP_SUBTABLE, 4},
    {OP_BATCH_GET, 30}, {OP_SCAN_PREFIX, 12}, {OP_SCAN_RANGE, 12}, {OP_INCREMENT, 45},
    {OP_INCREMENT_REAL, 15}, {OP_PATCH, 30}, {OP_CAS, 35},
};

static enum op_kind pick_kind(struct rng *r)
{
    unsigned total = 0;
    for (size_t i = 0; i < sizeof op_weights / sizeof op_weights[0]; i++)
        total += op_weights[i].w;
    unsigned x = rng_below(r, total);
    for (size_t i = 0; i < sizeof op_weights / sizeof op_weights[0]; i++) {
        if (x < op_weights[i].w)
            return op_weights[i].kind;
        x -= op_weights[i].w;
    }
    return OP_GET;
}

/* An ordinary key, or -- once the triggers exist, for an operation that
 * inserts into "data" -- sometimes a poison key. */
static int pick_key(struct rng *r, bool poison_ok)
{
    if (poison_ok && rng_pct(r, 12))
        return rng_pct(r, 55) ? M_POISON_ABORT : M_POISON_ROLLBACK;
    return (int)rng_below(r, M_NKEYS_PLAIN);
}

static bool inserts(enum op_kind k)
{
    return k == OP_SET || k == OP_UPDATE || k == OP_BATCH_UPDATE || k == OP_EXEC_REPLACE ||
           k == OP_SQL_INSERT || k == OP_UPSERT_KEY || k == OP_UPSERT_REPLACE ||
           k == OP_INCREMENT || k == OP_INCREMENT_REAL || k == OP_PATCH || k == OP_CAS;
}

/* Values compare_and_set expects and stores: a small pool, so that what one
 * stores the next often finds. */
static json_t *cas_value(struct rng *r)
{
    static const char *const pool[] = {"0", "1", "\"x\"", "null", "[true]", "{\"a\":1}", "1.0"};
    return json_loads(pool[rng_below(r, sizeof pool / sizeof pool[0])], JSON_DECODE_ANY, NULL);
}

/* The arguments of read-modify-write operations and scans. */
static void gen_rmw_scan(struct rng *r, struct op *op)
{
    static const json_int_t int_deltas[] = {1, -1, 0, 2, 1000, -5, INT64_MAX, INT64_MIN};
    static const double real_deltas[] = {0.5, -2.25, 1e300, 1e308, -0.1, 3.0};
    static const int64_t limits[] = {0, 1, 2, 3, 5, INT64_MAX, INT64_MAX};
    op->field = -1;
    switch (op->kind) {
    case OP_INCREMENT:
    case OP_INCREMENT_REAL:
        if (rng_pct(r, 40))
            op->field = (int)rng_below(r, M_NFIELDS);
        op->value = op->kind == OP_INCREMENT
                        ? json_integer(int_deltas[rng_below(r, sizeof int_deltas / sizeof int_deltas[0])])
                        : json_real(real_deltas[rng_below(r, sizeof real_deltas / sizeof real_deltas[0])]);
        break;
    case OP_PATCH: {
        op->create = rng_pct(r, 60);
        op->value = json_object();
        unsigned n = rng_below(r, 4);
        for (unsigned i = 0; i < n; i++)
            json_object_set_new(op->value, m_fields[rng_below(r, M_NFIELDS)], gen_value(r, 1));
        break;
    }
    case OP_CAS:
        op->expected = rng_pct(r, 30) ? NULL : cas_value(r);
        op->value = rng_pct(r, 15) ? NULL : cas_value(r);
        break;
    case OP_SCAN_PREFIX:
    case OP_SCAN_RANGE:
        op->bound_a = op->kind == OP_SCAN_RANGE && rng_pct(r, 25) ? -1 : (int)rng_below(r, M_NBOUNDS);
        op->bound_b = rng_pct(r, 30) ? -1 : (int)rng_below(r, M_NBOUNDS);
        op->limit = limits[rng_below(r, sizeof limits / sizeof limits[0])];
        break;
    default:
        break;
    }
}

static void gen_op(struct rng *r, struct op *op, int root, bool triggers)
{
    memset(op, 0, sizeof *op);
    op->kind = pick_kind(r);
    if (root == ROOT_A) {
        unsigned h = rng_below(r, 10);
        op->handle = h < 5 ? H_A : h < 8 ? H_A_CASE : H_A_T2;
    } else {
        op->handle = rng_pct(r, 75) ? H_B : H_B_T2;
    }
    int table = m_handle_table[op->handle];
    if (op_is_sql(op->kind)) { /* mostly the handle's table, sometimes the other */
        op->sql_table = rng_pct(r, 75) ? table : 1 - table;
        table = op->sql_table;
    }
    bool poison_ok = triggers && table == 0 && inserts(op->kind);
    op->key = pick_key(r, poison_ok);
    switch (op->kind) {
    case OP_GET_DFLT:
    case OP_GET_FRESH_DFLT:
    case OP_POP_DFLT:
    case OP_SET:
    case OP_SETDEFAULT:
        op->value = gen_value(r, 0);
        break;
    case OP_UPDATE:
    case OP_BATCH_UPDATE: {
        op->value = json_object();
        unsigned n = rng_pct(r, 8) ? 0 : 1 + rng_below(r, 4);
        for (unsigned i = 0; i < n; i++)
            json_object_set_new(op->value, m_key_names[pick_key(r, poison_ok && i == n - 1)],
                                gen_value(r, 0));
        break;
    }
    case OP_BATCH_DELETE:
    case OP_BATCH_GET:
        op->n_keys = (int)rng_below(r, M_MAX_BATCH_KEYS);
        for (int i = 0; i < op->n_keys; i++)
            op->keys[i] = pick_key(r, false);
        break;
    default:
        break;
    }
    gen_rmw_scan(r, op);
    if (op_is_sql(op->kind)) {
        op->text = gen_text(r, false);
        static const char *const data_spellings[] = {"data", "DATA", "Data"};
        static const char *const t2_spellings[] = {"t2", "T2"};
        const char *sp = table == 0 ? data_spellings[rng_below(r, 3)] : t2_spellings[rng_below(r, 2)];
        snprintf(op->table_spelling, sizeof op->table_spelling, "%s", sp);
    }
}

bool m_readers_forced;

const char *const m_policy_names[3] = {"none", "lru: data 3 entries", "ttl: t2 1 ms, 260 bytes"};

bool m_policy_bounded(int policy, int root, int table)
{
    return root == ROOT_A && ((policy == POL_LRU && table == 0) || (policy == POL_TTL && table == 1));
}

/* Under a policy, writes that do not go through root A -- another
 * connection's, root B's -- go to the table whose cache is not bounded
 * (see enum seq_policy).  A pass after the generation, which the policy
 * does not otherwise change. */
static void keep_other_writers_off(struct seq *s)
{
    int bounded = s->policy == POL_LRU ? 0 : 1, other = 1 - bounded;
    for (int i = 0; i < s->n_steps; i++) {
        struct step *st = &s->steps[i];
        if ((st->kind == ST_RAW_PUT || st->kind == ST_RAW_UPDATE || st->kind == ST_RAW_DELETE) &&
            st->table == bounded)
            st->table = other;
        if (st->kind != ST_PIPELINE || st->root != ROOT_B)
            continue;
        for (int k = 0; k < st->n_ops; k++) {
            struct op *op = &st->ops[k];
            if (!op_is_write(op->kind) || op_table(op) != bounded)
                continue;
            if (op_is_sql(op->kind)) {
                op->sql_table = other;
                snprintf(op->table_spelling, sizeof op->table_spelling, "%s",
                         m_table_names[other]);
            } else {
                op->handle = op->handle == H_B ? H_B_T2 : H_B;
            }
        }
    }
}

void gen_sequence(struct seq *out, uint64_t seed, const struct gen_params *p)
{
    struct rng r;
    rng_seed(&r, seed);
    memset(out, 0, sizeof *out);
    out->seed = seed;
    /* Not drawn from r: the sequences of the seeds stay what they were. */
    uint64_t mix = seed ^ 0x686f6f6b73ull; /* "hooks" */
    out->hooks = (splitmix64(&mix) & 1) != 0;
    uint64_t readers_state = seed ^ 0x72656164657273ull; /* "readers" */
    out->readers = m_readers_forced || splitmix64(&readers_state) % 3 == 0;
    uint64_t policy_state = seed ^ 0x63616368652d706fULL;
    unsigned pick_policy = (unsigned)(splitmix64(&policy_state) % 4);
    out->policy = pick_policy == 2 ? POL_LRU : pick_policy == 3 ? POL_TTL : POL_NONE;
    out->n_steps = p->n_steps;
    out->steps = calloc((size_t)p->n_steps, sizeof *out->steps);
    int trigger_step = rng_pct(&r, 50) ? (int)rng_below(&r, (uint32_t)p->n_steps) : -1;
    bool triggers = false, b_open = false;
    for (int i = 0; i < p->n_steps; i++) {
        struct step *st = &out->steps[i];
        unsigned pick = rng_below(&r, 100);
        if (i == trigger_step) {
            st->kind = ST_TRIGGERS;
            triggers = true;
        } else if (pick < 7) {
            st->kind = pick < 4 ? ST_RAW_PUT : pick < 5 ? ST_RAW_UPDATE : ST_RAW_DELETE;
            st->table = rng_pct(&r, 80) ? 0 : 1;
            st->key = (int)rng_below(&r, M_NKEYS_PLAIN);
            if (st->kind != ST_RAW_DELETE)
                st->text = gen_text(&r, true);
        } else if (pick == 7 && rng_pct(&r, 40)) {
            st->kind = rng_pct(&r, 60) ? ST_RAW_NULL_KEY : ST_RAW_DELETE_NULL_KEYS;
            st->table = rng_pct(&r, 70) ? 0 : 1;
            if (st->kind == ST_RAW_NULL_KEY)
                st->text = gen_text(&r, true);
        } else if (pick < 9) {
            st->kind = ST_REOPEN_A;
            st->bulk_load = rng_pct(&r, 50);
            st->root_first = rng_pct(&r, 30);
        } else if (pick < 11 && (!b_open || rng_pct(&r, 30))) {
            st->kind = b_open ? ST_CLOSE_B : ST_OPEN_B;
            st->bulk_load = rng_pct(&r, 40);
            b_open = !b_open;
        } else {
            st->kind = ST_PIPELINE;
            st->root = b_open && rng_pct(&r, 20) ? ROOT_B : ROOT_A;
            st->locked = rng_pct(&r, 3);
            st->await_all = rng_pct(&r, 15);
            st->await_reverse = !st->await_all && rng_pct(&r, 12);
            bool jitter = rng_pct(&r, 25);
            st->close_after = st->root == ROOT_A && !st->locked && rng_pct(&r, 3);
            int max = rng_pct(&r, 40) ? 4 : p->max_pipeline;
            st->n_ops = 1 + (int)rng_below(&r, (uint32_t)max);
            if (!st->locked && rng_pct(&r, 2)) /* a burst: group commit at scale */
                st->n_ops = M_MAX_PIPELINE / 2 + (int)rng_below(&r, M_MAX_PIPELINE / 2);
            st->ops = calloc((size_t)st->n_ops, sizeof *st->ops);
            /* A transaction pipeline: its operations mostly inside, on
             * views, some outside, with savepoints. */
            if (st->root == ROOT_A && !st->close_after && rng_pct(&r, 15)) {
                st->txn = 1 + (int)rng_below(&r, 3);
                unsigned e = rng_below(&r, 100);
                st->txn_end = e < 60 ? TXN_END_COMMIT : e < 85 ? TXN_END_ROLLBACK : TXN_END_FREE;
            }
            /* Outside operations are checked by whether they were answered
             * at once (from the cache, before the end) or queued (after):
             * a transaction that may end before its last operation is
             * submitted -- BEGIN refused, a RAISE(ROLLBACK) -- has none. */
            /* DEFERRED under a held lock: whether an operation fails
             * NANA_EBUSY depends on whether SQLite needed to write, which
             * the model does not follow (a scenario test does). */
            if (st->locked && st->txn == 2)
                st->txn = 1;
            bool outside_ok = !triggers && !st->locked;
            int depth = 0;
            for (int k = 0; k < st->n_ops; k++) {
                struct op *op = &st->ops[k];
                if (st->txn && rng_pct(&r, 12)) {
                    unsigned c = rng_below(&r, 100);
                    op->kind = depth == 0 || c < 40 ? OP_TXN_SAVEPOINT
                               : c < 70             ? OP_TXN_RELEASE
                                                    : OP_TXN_ROLLBACK_TO;
                    depth += op->kind == OP_TXN_SAVEPOINT ? 1 : -1;
                    op->handle = H_A;
                    op->in_txn = true;
                } else {
                    gen_op(&r, op, st->root, triggers);
                    /* nana_table would wait for the transaction to end. */
                    if (st->txn && op->kind == OP_SUBTABLE)
                        op->kind = OP_GET;
                    op->in_txn = st->txn && (!outside_ok || rng_pct(&r, 75));
                }
                if (jitter && k > 0 && rng_pct(&r, 50))
                    op->delay_us = 20 + (int)rng_below(&r, 400);
            }
        }
    }
    if (out->policy != POL_NONE)
        keep_other_writers_off(out);
}

static void op_copy(struct op *dst, const struct op *src)
{
    *dst = *src;
    dst->value = src->value ? json_deep_copy(src->value) : NULL;
    dst->text = src->text ? strdup(src->text) : NULL;
    dst->expected = src->expected ? json_deep_copy(src->expected) : NULL;
}

void seq_copy(struct seq *out, const struct seq *s, const bool *drop, int last_step)
{
    out->seed = s->seed;
    out->hooks = s->hooks;
    out->readers = s->readers;
    out->policy = s->policy;
    out->n_steps = 0;
    out->steps = calloc((size_t)(s->n_steps ? s->n_steps : 1), sizeof *out->steps);
    for (int i = 0; i < s->n_steps; i++) {
        if (last_step >= 0 && i > last_step)
            break;
        if (drop && drop[i])
            continue;
        const struct step *src = &s->steps[i];
        struct step *dst = &out->steps[out->n_steps++];
        *dst = *src;
        dst->text = src->text ? strdup(src->text) : NULL;
        if (src->n_ops) {
            dst->ops = calloc((size_t)src->n_ops, sizeof *dst->ops);
            for (int k = 0; k < src->n_ops; k++)
                op_copy(&dst->ops[k], &src->ops[k]);
        }
    }
}

void seq_free(struct seq *s)
{
    for (int i = 0; i < s->n_steps; i++) {
        struct step *st = &s->steps[i];
        for (int k = 0; k < st->n_ops; k++) {
            json_decref(st->ops[k].value);
            json_decref(st->ops[k].expected);
            free(st->ops[k].text);
        }
        free(st->ops);
        free(st->text);
    }
    free(s->steps);
    memset(s, 0, sizeof *s);
}

int seq_count_ops(const struct seq *s)
{
    int n = 0;
    for (int i = 0; i < s->n_steps; i++)
        n += s->steps[i].kind == ST_PIPELINE ? s->steps[i].n_ops : 1;
    return n;
}

/* -------------------------------------------------------------- printing */

char *m_json_text(const json_t *v)
{
    if (!v)
        return strdup("(none)");
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
    return t ? t : strdup("(unprintable)");
}

char *m_quote(const char *text)
{
    if (!text)
        return strdup("NULL");
    size_t n = strlen(text);
    char *out = malloc(4 * n + 3), *p = out;
    *p++ = '"';
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *p++ = '\\';
            *p++ = (char)*s;
        } else if (*s < 0x20) {
            p += sprintf(p, "\\x%02x", *s);
        } else {
            *p++ = (char)*s; /* UTF-8 passes through */
        }
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

void op_print(FILE *out, const struct op *op) { op_print_names(out, op, m_key_names); }

void op_print_names(FILE *out, const struct op *op, const char *const *names)
{
    char *k = m_quote(names[op->key]);
    char *v = op->value ? m_json_text(op->value) : NULL;
    char *t = m_quote(op->text);
    fprintf(out, "%s %s(", m_handle_names[op->handle], m_op_names[op->kind]);
    switch (op->kind) {
    case OP_GET: case OP_GET_FRESH: case OP_CONTAINS: case OP_IS_CACHED: case OP_REFRESH_KEY:
    case OP_DELETE: case OP_POP: case OP_SETDEFAULT_NULL:
        fprintf(out, "%s%s", k, op->kind == OP_SETDEFAULT_NULL ? ", NULL" : "");
        break;
    case OP_GET_DFLT: case OP_GET_FRESH_DFLT: case OP_POP_DFLT: case OP_SET: case OP_SETDEFAULT:
        fprintf(out, "%s, %s", k, v);
        break;
    case OP_UPDATE: case OP_BATCH_UPDATE:
        fprintf(out, "%s", v);
        break;
    case OP_INCREMENT:
    case OP_INCREMENT_REAL: {
        char *f = op->field >= 0 ? m_quote(m_fields[op->field]) : strdup("NULL");
        fprintf(out, "%s, %s, %s", k, f, v);
        free(f);
        break;
    }
    case OP_PATCH:
        fprintf(out, "%s, %s, %s", k, v, op->create ? "create" : "no create");
        break;
    case OP_CAS: {
        char *e = op->expected ? m_json_text(op->expected) : strdup("NULL");
        fprintf(out, "%s, expected %s, value %s", k, e, v ? v : "NULL (delete)");
        free(e);
        break;
    }
    case OP_SCAN_PREFIX:
    case OP_SCAN_RANGE: {
        char *a = op->bound_a >= 0 ? m_quote(m_bounds[op->bound_a]) : strdup("NULL");
        char *b = op->bound_b >= 0 ? m_quote(m_bounds[op->bound_b]) : strdup("NULL");
        if (op->kind == OP_SCAN_PREFIX)
            fprintf(out, "%s, ", a);
        else
            fprintf(out, "%s, %s, ", a, b);
        if (op->limit == INT64_MAX)
            fprintf(out, "INT64_MAX");
        else
            fprintf(out, "%lld", (long long)op->limit);
        free(a);
        free(b);
        break;
    }
    case OP_BATCH_GET:
    case OP_BATCH_DELETE:
        fprintf(out, "[");
        for (int i = 0; i < op->n_keys; i++) {
            char *q = m_quote(names[op->keys[i]]);
            fprintf(out, "%s%s", i ? ", " : "", q);
            free(q);
        }
        fprintf(out, "]");
        break;
    case OP_REFRESH_ALL:
        fprintf(out, "NULL");
        break;
    case OP_SUBTABLE:
        fprintf(out, "\"x%d\"", op->key % 4);
        break;
    case OP_EXEC_UPDATE:
        fprintf(out, "\"UPDATE %s SET value=? WHERE key=?\", [%s, %s]", op->table_spelling, t, k);
        break;
    case OP_EXEC_DELETE:
        fprintf(out, "\"DELETE FROM %s WHERE key=?\", [%s]", op->table_spelling, k);
        break;
    case OP_EXEC_REPLACE:
        fprintf(out, "\"INSERT OR REPLACE INTO %s(key,value) VALUES(?,?)\", [%s, %s]",
                op->table_spelling, k, t);
        break;
    case OP_SQL_INSERT:
        fprintf(out, "\"%s\", {key: %s, value: %s}", op->table_spelling, k, t);
        break;
    case OP_SQL_UPDATE:
        fprintf(out, "\"%s\", {value: %s}, \"key = ?\", [%s]", op->table_spelling, t, k);
        break;
    case OP_SQL_DELETE:
        fprintf(out, "\"%s\", \"key = ?\", [%s]", op->table_spelling, k);
        break;
    case OP_UPSERT_KEY:
    case OP_UPSERT_REPLACE:
        fprintf(out, "\"%s\", {key: %s, value: %s}, %s", op->table_spelling, k, t,
                op->kind == OP_UPSERT_KEY ? "[\"key\"]" : "NULL");
        break;
    default:
        break;
    }
    fprintf(out, ")");
    free(k);
    free(v);
    free(t);
}

void step_print(FILE *out, int index, const struct step *st, int upto_op)
{
    char *k = m_quote(m_key_names[st->key]);
    char *t = m_quote(st->text);
    switch (st->kind) {
    case ST_PIPELINE:
        fprintf(out, "  step %d: pipeline of %d on root %s%s%s%s\n", index, st->n_ops,
                st->root == ROOT_A ? "A" : "B",
                st->locked ? ", another connection holding the write lock" : "",
                st->await_all       ? ", awaited with nana_future_await_all"
                : st->await_reverse ? ", awaited last to first"
                                    : "",
                st->close_after ? ", root closed (draining) before the awaits, then reopened"
                                : "");
        if (st->txn)
            fprintf(out, "    in a transaction (%s), ended by %s; \"in\": on its views\n",
                    st->txn == 1 ? "IMMEDIATE" : st->txn == 2 ? "DEFERRED" : "EXCLUSIVE",
                    st->txn_end == TXN_END_COMMIT     ? "COMMIT"
                    : st->txn_end == TXN_END_ROLLBACK ? "ROLLBACK"
                                                      : "nana_txn_free");
        for (int i = 0; i < st->n_ops; i++) {
            fprintf(out, "    %d.%d  ", index, i);
            if (st->ops[i].delay_us)
                fprintf(out, "(%d us later) ", st->ops[i].delay_us);
            if (st->txn)
                fputs(st->ops[i].in_txn ? "in  " : "out ", out);
            op_print(out, &st->ops[i]);
            fputs(i == upto_op ? "    <-- diverges here\n" : "\n", out);
        }
        break;
    case ST_RAW_PUT:
        fprintf(out, "  step %d: raw INSERT OR REPLACE INTO %s VALUES(%s, %s)\n", index,
                m_table_names[st->table], k, t);
        break;
    case ST_RAW_UPDATE:
        fprintf(out, "  step %d: raw UPDATE %s SET value=%s WHERE key=%s\n", index,
                m_table_names[st->table], t, k);
        break;
    case ST_RAW_DELETE:
        fprintf(out, "  step %d: raw DELETE FROM %s WHERE key=%s\n", index,
                m_table_names[st->table], k);
        break;
    case ST_RAW_NULL_KEY:
        fprintf(out, "  step %d: raw INSERT INTO %s VALUES(NULL, %s)\n", index,
                m_table_names[st->table], t);
        break;
    case ST_RAW_DELETE_NULL_KEYS:
        fprintf(out, "  step %d: raw DELETE FROM %s WHERE key IS NULL\n", index,
                m_table_names[st->table]);
        break;
    case ST_REOPEN_A:
        fprintf(out, "  step %d: reopen root A%s (closing the %s first)\n", index,
                st->bulk_load ? " with bulk_load" : "", st->root_first ? "root" : "sub-tables");
        break;
    case ST_OPEN_B:
        fprintf(out, "  step %d: open root B on the same file%s\n", index,
                st->bulk_load ? " with bulk_load" : "");
        break;
    case ST_CLOSE_B:
        fprintf(out, "  step %d: close root B\n", index);
        break;
    case ST_TRIGGERS:
        fprintf(out, "  step %d: raw CREATE TRIGGERs: insert of \"poison-abort\" -> "
                     "RAISE(ABORT), of \"poison-rollback\" -> RAISE(ROLLBACK)\n", index);
        break;
    default:
        break;
    }
    free(k);
    free(t);
}

void seq_print(FILE *out, const struct seq *s, int upto_step, int upto_op)
{
    fprintf(out, "sequence (seed %llu), %d steps, cache policy %s%s%s:\n",
            (unsigned long long)s->seed, s->n_steps, m_policy_names[s->policy],
            s->hooks ? ", write hooks on root A's \"data\"" : "",
            s->readers ? ", 2 reader connections per root" : "");
    for (int i = 0; i < s->n_steps && (upto_step < 0 || i <= upto_step); i++)
        step_print(out, i, &s->steps[i], i == upto_step ? upto_op : -1);
}

bool m_json_same(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        while (ia && ib) {
            if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) != 0 ||
                !m_json_same(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
            ia = json_object_iter_next((json_t *)a, ia);
            ib = json_object_iter_next((json_t *)b, ib);
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!m_json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b);
    default:
        return json_equal(a, b);
    }
}
