/*
 * own.c -- operations on a thread's own keys.  Only this thread writes
 * them, and the root runs operations in submission order, so the answer to
 * each is known when it is submitted: the mirror is brought up to date at
 * submission, and the expected answer is taken from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak.h"

static json_t *own_value(uint64_t *r)
{
    char text[32];
    switch (soak_below(r, 6)) {
    case 0:
    case 1:
        return json_integer((json_int_t)soak_below(r, 2001) - 1000);
    case 2:
    case 3:
        snprintf(text, sizeof text, "b%u", soak_below(r, 1000));
        return json_pack("{s:i, s:s}", "a", (int)soak_below(r, 100), "b", text);
    case 4:
        snprintf(text, sizeof text, "texte \xc3\xa9t\xc3\xa9 %u", soak_below(r, 1000));
        return json_string(text);
    default:
        return json_pack("[i, s, b, n]", (int)soak_below(r, 50), "x", soak_below(r, 2), NULL);
    }
}

static json_t *copy_or_null(const json_t *v)
{
    return v ? json_deep_copy(v) : NULL;
}

/* Keys and values as the thread's query parameters: [first, past last]. */
static json_t *own_range(const struct soak_thread *t)
{
    return json_pack("[s, s]", t->prefix, t->prefix_end);
}

/* increment(key, field, delta) as the library must answer it, applied to
 * the mirror. */
static void own_increment(struct soak_thread *t, int tb, const char *key, bool with_field)
{
    json_t *m = t->mirror[tb], *cur = json_object_get(m, key);
    int64_t delta = 1 + (int64_t)soak_below(&t->rng, 5);
    struct soak_pending *p = soak_slot(t, with_field ? "increment of member a" : "increment",
                                       tb, key);
    p->f = nana_increment(t->h[tb], key, with_field ? "a" : NULL, delta);
    if (!with_field) {
        if (cur && !json_is_integer(cur)) {
            p->check = SC_STATUS;
            p->want = NANA_ETYPE;
            return;
        }
        p->check = SC_INT;
        p->want_int = (cur ? json_integer_value(cur) : 0) + delta;
        json_object_set_new(m, key, json_integer(p->want_int));
        return;
    }
    json_t *member = cur ? json_object_get(cur, "a") : NULL;
    if ((cur && !json_is_object(cur)) || (member && !json_is_integer(member))) {
        p->check = SC_STATUS;
        p->want = NANA_ETYPE;
        return;
    }
    p->check = SC_INT;
    p->want_int = (member ? json_integer_value(member) : 0) + delta;
    json_t *next = cur ? json_deep_copy(cur) : json_object();
    json_object_set_new(next, "a", json_integer(p->want_int));
    json_object_set_new(m, key, next);
}

static void own_patch(struct soak_thread *t, int tb, const char *key)
{
    json_t *m = t->mirror[tb], *cur = json_object_get(m, key);
    bool create = soak_below(&t->rng, 2);
    json_t *changes = soak_below(&t->rng, 2)
                          ? json_pack("{s:i}", "a", (int)soak_below(&t->rng, 100))
                          : json_pack("{s:s}", "c", "patched");
    struct soak_pending *p = soak_slot(t, create ? "patch (create)" : "patch", tb, key);
    p->f = nana_patch(t->h[tb], key, changes, create);
    p->check = SC_JSON;
    if (!cur && !create) {
        p->want = NANA_ENOTFOUND;
    } else if (cur && !json_is_object(cur)) {
        p->want = NANA_ETYPE;
    } else {
        json_t *next = cur ? json_deep_copy(cur) : json_object();
        json_object_update(next, changes);
        p->want_json = json_deep_copy(next);
        json_object_set_new(m, key, next);
    }
    json_decref(changes);
}

static void own_cas(struct soak_thread *t, int tb, const char *key)
{
    json_t *m = t->mirror[tb], *cur = json_object_get(m, key);
    json_t *expected = NULL, *value = soak_below(&t->rng, 5) ? own_value(&t->rng) : NULL;
    switch (soak_below(&t->rng, 3)) {
    case 0: /* the value it holds */
        expected = copy_or_null(cur);
        break;
    case 1: /* a value it never holds */
        expected = json_string("never stored");
        break;
    default: /* absent */
        break;
    }
    struct soak_pending *p = soak_slot(t, value ? "compare_and_set" : "compare_and_set (delete)",
                                       tb, key);
    p->f = nana_compare_and_set(t->h[tb], key, expected, value);
    p->check = SC_BOOL;
    p->want_bool = expected ? cur && json_equal(cur, expected) : !cur;
    if (p->want_bool) {
        if (value)
            json_object_set(m, key, value);
        else
            json_object_del(m, key);
    }
    json_decref(expected);
    json_decref(value);
}

static void own_batch_get(struct soak_thread *t, int tb)
{
    const char *keys[5];
    int n = 1 + (int)soak_below(&t->rng, 5);
    json_t *want = json_object();
    uint32_t used = 0;
    for (int i = 0; i < n;) {
        int j = (int)soak_below(&t->rng, SOAK_OWN_KEYS);
        if (used & 1u << j)
            continue;
        used |= 1u << j;
        keys[i++] = t->names[j];
        json_t *cur = json_object_get(t->mirror[tb], t->names[j]);
        if (cur)
            json_object_set_new(want, t->names[j], json_deep_copy(cur));
    }
    struct soak_pending *p = soak_slot(t, "batch_get", tb, keys[0]);
    p->f = nana_batch_get(t->h[tb], keys, (size_t)n);
    p->check = SC_JSON;
    p->want_json = want;
}

static void own_update(struct soak_thread *t, int tb, bool batch)
{
    json_t *obj = json_object();
    int n = 1 + (int)soak_below(&t->rng, 3);
    for (int i = 0; i < n; i++)
        json_object_set_new(obj, t->names[soak_below(&t->rng, SOAK_OWN_KEYS)],
                            own_value(&t->rng));
    struct soak_pending *p = soak_slot(t, batch ? "batch_update" : "update", tb,
                                       json_object_iter_key(json_object_iter(obj)));
    p->f = batch ? nana_batch_update(t->h[tb], obj) : nana_update(t->h[tb], obj);
    p->check = SC_STATUS;
    json_object_update(t->mirror[tb], obj);
    json_decref(obj);
}

/* SQL reads of the thread's rows, and an SQL write of one of them. */
static void own_sql(struct soak_thread *t, int tb, const char *key, int which)
{
    json_t *m = t->mirror[tb], *cur = json_object_get(m, key), *params = own_range(t);
    char sql[160];
    struct soak_pending *p;
    switch (which) {
    case 0:
        p = soak_slot(t, "query", tb, t->prefix);
        json_t *cols = json_pack("[s, s]", "key", "value");
        p->f = nana_query(t->h[tb], soak_table_names[tb], cols, "key >= ? AND key < ?", params,
                          "key", INT64_MAX, 0);
        json_decref(cols);
        p->check = SC_QUERY_ROWS;
        p->want_json = soak_sorted_pairs(m, INT64_MAX);
        break;
    case 1:
        p = soak_slot(t, "execute SELECT", tb, t->prefix);
        snprintf(sql, sizeof sql,
                 "SELECT key, value FROM \"%s\" WHERE key >= ? AND key < ? ORDER BY key",
                 soak_table_names[tb]);
        p->f = nana_execute(t->h[tb], sql, params);
        p->check = SC_EXEC_ROWS;
        p->want_json = soak_sorted_pairs(m, INT64_MAX);
        break;
    case 2:
        p = soak_slot(t, "count", tb, t->prefix);
        p->f = nana_count(t->h[tb], soak_table_names[tb], "key >= ? AND key < ?", params);
        p->check = SC_INT;
        p->want_int = (int64_t)json_object_size(m);
        break;
    default: {
        /* Written behind the dict's back: the cache must let go of it. */
        json_t *v = own_value(&t->rng);
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *args = json_pack("[s, s]", text, key);
        snprintf(sql, sizeof sql, "UPDATE \"%s\" SET value = ? WHERE key = ?",
                 soak_table_names[tb]);
        p = soak_slot(t, "execute UPDATE", tb, key);
        p->f = nana_execute(t->h[tb], sql, args);
        p->check = SC_CHANGES;
        p->want_int = cur ? 1 : 0;
        if (cur)
            json_object_set(m, key, v);
        json_decref(args);
        free(text);
        json_decref(v);
        break;
    }
    }
    json_decref(params);
}

void soak_own_op(struct soak_thread *t)
{
    int tb = (int)soak_below(&t->rng, SOAK_TABLES);
    const char *key = t->names[soak_below(&t->rng, SOAK_OWN_KEYS)];
    json_t *m = t->mirror[tb], *cur = json_object_get(m, key);
    nana_db_t *h = t->h[tb];
    struct soak_pending *p;
    json_t *v;
    uint32_t pick = soak_below(&t->rng, 25);
    switch (pick) {
    case 0:
    case 1:
        p = soak_slot(t, pick ? "get_fresh" : "get", tb, key);
        p->f = pick ? nana_get_fresh(h, key, NULL) : nana_get(h, key, NULL);
        p->check = SC_JSON;
        p->want = cur ? NANA_OK : NANA_ENOTFOUND;
        p->want_json = copy_or_null(cur);
        break;
    case 2:
        v = json_string("the default");
        p = soak_slot(t, "get with a default", tb, key);
        p->f = nana_get(h, key, v);
        p->check = SC_JSON;
        p->want_json = json_deep_copy(cur ? cur : v);
        json_decref(v);
        break;
    case 3:
        p = soak_slot(t, "contains", tb, key);
        p->f = nana_contains(h, key);
        p->check = SC_BOOL;
        p->want_bool = cur != NULL;
        break;
    case 4:
    case 5:
    case 6:
        v = own_value(&t->rng);
        p = soak_slot(t, "set", tb, key);
        p->f = nana_set(h, key, v);
        p->check = SC_STATUS;
        json_object_set_new(m, key, v);
        break;
    case 7:
        p = soak_slot(t, "delete", tb, key);
        p->f = nana_delete(h, key);
        p->check = SC_STATUS;
        p->want = cur ? NANA_OK : NANA_ENOTFOUND;
        json_object_del(m, key);
        break;
    case 8:
    case 9:
        own_update(t, tb, pick == 9);
        break;
    case 10:
        p = soak_slot(t, "pop", tb, key);
        p->f = nana_pop(h, key, NULL);
        p->check = SC_JSON;
        p->want = cur ? NANA_OK : NANA_ENOTFOUND;
        p->want_json = copy_or_null(cur);
        json_object_del(m, key);
        break;
    case 11:
        v = own_value(&t->rng);
        p = soak_slot(t, "setdefault", tb, key);
        p->f = nana_setdefault(h, key, v);
        p->check = SC_JSON;
        p->want_json = json_deep_copy(cur ? cur : v);
        if (!cur)
            json_object_set(m, key, v);
        json_decref(v);
        break;
    case 12:
    case 13:
        own_increment(t, tb, key, pick == 13);
        break;
    case 14:
        own_patch(t, tb, key);
        break;
    case 15:
        own_cas(t, tb, key);
        break;
    case 16:
        own_batch_get(t, tb);
        break;
    case 17:
    case 18: {
        int64_t limit = soak_below(&t->rng, 2) ? INT64_MAX : (int64_t)soak_below(&t->rng, 5);
        p = soak_slot(t, pick == 17 ? "scan_prefix" : "scan_range", tb, t->prefix);
        p->f = pick == 17 ? nana_scan_prefix(h, t->prefix, limit)
                          : nana_scan_range(h, t->prefix, t->prefix_end, limit);
        p->check = SC_JSON;
        p->want_json = soak_sorted_pairs(m, limit);
        break;
    }
    case 19:
        p = soak_slot(t, "refresh", tb, key);
        p->f = nana_refresh(h, key);
        p->check = SC_STATUS;
        break;
    default:
        own_sql(t, tb, key, (int)(pick - 20) % 4);
        break;
    }
}
