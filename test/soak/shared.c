/*
 * shared.c -- operations whose answer depends on what the other threads
 * did: the shared keys, the shared counter, and reads of whole tables.
 * What must hold whatever they did is checked: a shared key holds a value
 * some thread made (whole, its checksum right) or nothing; the counter only
 * grows; a table lists only legal keys, the thread's own exactly as its
 * mirror has them.
 */
#include <stdio.h>

#include "soak.h"

json_t *soak_shared_value(int w, long n)
{
    return json_pack("{s:i, s:I, s:I}", "w", w, "n", (json_int_t)n,
                     "c", (json_int_t)(w * 7919 + n * 31 + 5));
}

bool soak_shared_valid(const json_t *v)
{
    json_t *w = json_object_get(v, "w"), *n = json_object_get(v, "n"), *c = json_object_get(v, "c");
    if (!json_is_object(v) || json_object_size(v) != 3 || !json_is_integer(w) ||
        !json_is_integer(n) || !json_is_integer(c))
        return false;
    json_int_t wi = json_integer_value(w), ni = json_integer_value(n);
    return wi >= 0 && wi < SOAK_THREADS && ni >= 0 && ni < atomic_load(&soak.issued[wi]) &&
           json_integer_value(c) == wi * 7919 + ni * 31 + 5;
}

/* A new shared value of this thread: counted as made before it is
 * submitted, so that any reader may meet it. */
static json_t *new_shared(struct soak_thread *t)
{
    long n = atomic_fetch_add(&soak.issued[t->id], 1);
    t->shared_made = n;
    return soak_shared_value(t->id, n);
}

static int own_count(const struct soak_thread *t, int tb)
{
    return (int)json_object_size(t->mirror[tb]);
}

void soak_shared_op(struct soak_thread *t)
{
    int tb = (int)soak_below(&t->rng, SOAK_TABLES);
    char key[32];
    snprintf(key, sizeof key, "s-%u", soak_below(&t->rng, SOAK_SHARED_KEYS));
    nana_db_t *h = t->h[tb];
    struct soak_pending *p;
    json_t *v;
    uint32_t pick = soak_below(&t->rng, 20);
    switch (pick) {
    case 0:
    case 1:
    case 2:
        v = new_shared(t);
        p = soak_slot(t, "shared set", tb, key);
        p->f = nana_set(h, key, v);
        p->check = SC_STATUS;
        json_decref(v);
        break;
    case 3:
    case 4:
        p = soak_slot(t, pick == 3 ? "shared get" : "shared get_fresh", tb, key);
        p->f = pick == 3 ? nana_get(h, key, NULL) : nana_get_fresh(h, key, NULL);
        p->check = SC_SHARED_READ;
        break;
    case 5:
        p = soak_slot(t, "shared delete", tb, key);
        p->f = nana_delete(h, key);
        p->check = SC_SHARED_GONE;
        break;
    case 6:
        p = soak_slot(t, "shared pop", tb, key);
        p->f = nana_pop(h, key, NULL);
        p->check = SC_SHARED_READ;
        break;
    case 7:
        v = new_shared(t);
        p = soak_slot(t, "shared setdefault", tb, key);
        p->f = nana_setdefault(h, key, v);
        p->check = SC_SHARED_VALUE;
        json_decref(v);
        break;
    case 8: {
        /* Expecting the value this thread made last: true when nobody
         * wrote the key since (or it was never written there). */
        json_t *expected = t->shared_made >= 0 ? soak_shared_value(t->id, t->shared_made) : NULL;
        v = new_shared(t);
        p = soak_slot(t, "shared compare_and_set", tb, key);
        p->f = nana_compare_and_set(h, key, expected, v);
        p->check = SC_SHARED_CAS;
        json_decref(expected);
        json_decref(v);
        break;
    }
    case 9: {
        char names[4][16];
        const char *keys[4];
        int n = 1 + (int)soak_below(&t->rng, 4);
        for (int i = 0; i < n; i++) {
            /* Distinct: i-th of a rotation. */
            snprintf(names[i], sizeof names[i], "s-%u",
                     (soak_below(&t->rng, 3) + (unsigned)i * 3) % SOAK_SHARED_KEYS);
            keys[i] = names[i];
        }
        p = soak_slot(t, "shared batch_get", tb, keys[0]);
        p->f = nana_batch_get(h, keys, (size_t)n);
        p->check = SC_SHARED_BATCH;
        break;
    }
    case 10:
    case 11:
    case 12:
        p = soak_slot(t, "shared increment", tb, SOAK_CTR_KEY);
        p->f = nana_increment(h, SOAK_CTR_KEY, NULL, 1);
        p->check = SC_COUNTER;
        break;
    case 13:
        p = soak_slot(t, "len", tb, NULL);
        p->f = nana_len(h);
        p->check = SC_RANGE;
        p->lo = own_count(t, tb);
        p->hi = SOAK_UNIVERSE;
        break;
    case 14:
    case 15:
    case 16:
        p = soak_slot(t, pick == 14 ? "keys" : pick == 15 ? "items" : "to_dict", tb, NULL);
        p->f = pick == 14 ? nana_keys(h) : pick == 15 ? nana_items(h) : nana_to_dict(h);
        p->check = SC_LISTING;
        p->want_json = json_deep_copy(t->mirror[tb]);
        break;
    case 17:
        p = soak_slot(t, "load_all", tb, NULL);
        p->f = nana_load_all(h);
        p->check = SC_RANGE;
        p->lo = own_count(t, tb);
        p->hi = SOAK_UNIVERSE;
        break;
    case 18:
        p = soak_slot(t, "refresh(NULL)", tb, NULL);
        p->f = nana_refresh(h, NULL);
        p->check = SC_STATUS;
        break;
    default:
        p = soak_slot(t, "count of shared keys", tb, NULL);
        v = json_pack("[s, s]", "s-", "s.");
        p->f = nana_count(h, soak_table_names[tb], "key >= ? AND key < ?", v);
        json_decref(v);
        p->check = SC_RANGE;
        p->lo = 0;
        p->hi = SOAK_SHARED_KEYS;
        break;
    }
}
