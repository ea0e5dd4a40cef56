/*
 * cachepolicy.c -- bounded caches: what a table's cache does to stay
 * within its policy (struct nana_cache_policy).  cache.c has the hash table.
 *
 * Bounded caches (a maximum of entries or bytes, or a lifetime: struct
 * nana_cache_policy) put every entry behind a node of its own (struct
 * node, cache.h), and keep the committed ones in a list, oldest commit first,
 * that only the executor reads or writes:
 *   - Eviction is SIEVE (Zhang et al., NSDI '24), an approximation of
 *     least-recently-used: a hit only sets the entry's visited bit, which
 *     costs a submitter no list update and no shared write once set; when
 *     over a bound, a hand walks the list from the oldest end, clearing
 *     visited bits and dropping the first entry not visited since the hand
 *     last passed it, then waits there for the next eviction.  A commit
 *     (a fill or a write) puts its entry at the newest end, unvisited.
 *   - A lifetime runs from the commit that made the state, so the list is
 *     in expiry order too: an expired answer is "not cached" at once
 *     (lazily, on lookup), and the oldest end is dropped as it expires.
 *   - An entry's cost, for a byte bound (and nana_stats()): 64 for the entry itself, its key's
 *     length and its value's length as compact JSON text (estimated from
 *     the value: escapes and number spellings are not exact).
 *   - What is never freed: an entry with a write pending (a submitter's
 *     job holds a pointer to it) -- it is only emptied, its value let go,
 *     and its key's reads queue behind the write anyway -- nor one staged
 *     by the running batch or an open transaction (its staging holds a
 *     pointer to it, and will commit a new state into it), which is left
 *     alone.  Dropping happens only on the executor -- after a staging's
 *     COMMIT (over a bound, or the oldest entries expired) and in a sweep
 *     job -- so no staging or peek of another thread can hold a pointer to
 *     a dropped entry, and the next read of the key goes to SQLite in queue
 *     order, after every write the cache had seen.
 *   - Without an entry, a key of a fully loaded table is absent: taking
 *     away an entry that says anything else first clears fully_loaded,
 *     inside the critical section that does it (see forget_entry).
 *   - A value whose cost alone is over the byte bound is not kept at all.
 *   - Leftovers -- entries in no list, that only held a pin whose write
 *     never committed, or a fill its batch's rollback dropped -- are found
 *     by a scan of the buckets once there may be enough of them.
 * Unbounded caches have no nodes and no list: entries live until a reset.
 */
#include <string.h>

#include "cache.h"

/* -------------------------------------------- the list (executor only) */

static void note_oldest(struct nana_cache *c)
{
    if (c->policy.ttl_ns)
        atomic_store_explicit(&c->next_expiry,
                              c->oldest ? node_of(c->oldest)->expires : INT64_MAX,
                              memory_order_relaxed);
}

static void list_unlink(struct nana_cache *c, struct nana_cache_entry *e)
{
    struct node *n = node_of(e);
    bool was_oldest = !n->older;
    if (c->hand == e)
        c->hand = n->newer;
    if (n->older)
        node_of(n->older)->newer = n->newer;
    else
        c->oldest = n->newer;
    if (n->newer)
        node_of(n->newer)->older = n->older;
    else
        c->newest = n->older;
    n->older = n->newer = NULL;
    c->listed--;
    c->bytes -= n->cost;
    atomic_store_explicit(&c->bytes_seen, c->bytes, memory_order_relaxed);
    n->cost = 0;
    if (was_oldest)
        note_oldest(c);
}

static void list_push_newest(struct nana_cache *c, struct nana_cache_entry *e)
{
    struct node *n = node_of(e);
    n->older = c->newest;
    n->newer = NULL;
    if (c->newest)
        node_of(c->newest)->newer = e;
    else
        c->oldest = e;
    c->newest = e;
    c->listed++;
    if (c->oldest == e)
        note_oldest(c);
}

/* About the length of v as compact JSON text. */
static size_t json_cost(const json_t *v)
{
    size_t n = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        n = 2;
        json_object_foreach((json_t *)v, k, m) {
            n += strlen(k) + 4 + json_cost(m); /* "k":v, */
        }
        return n;
    }
    case JSON_ARRAY:
        n = 2;
        for (size_t i = 0; i < json_array_size(v); i++)
            n += 1 + json_cost(json_array_get(v, i));
        return n;
    case JSON_STRING:
        return json_string_length(v) + 2;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        n = i < 0 ? 2 : 1;
        while (i <= -10 || i >= 10) {
            i /= 10;
            n++;
        }
        return n;
    }
    case JSON_REAL:
        return 17;
    case JSON_FALSE:
        return 5;
    default:
        return 4; /* true, null */
    }
}

#define ENTRY_COST_BASE 64

static uint32_t entry_cost(struct nana_cache_entry *e)
{
    size_t cost = ENTRY_COST_BASE + strlen(e->key) + (e->value ? json_cost(e->value) : 0);
    return cost > UINT32_MAX ? UINT32_MAX : (uint32_t)cost;
}

static bool forget_entry(struct nana_cache *c, struct nana_cache_entry *e);

void nana__cachepolicy_committed(struct nana_cache *c, struct nana_cache_entry *e,
                                 bool was_listed)
{
    struct node *n = node_of(e);
    if (was_listed)
        list_unlink(c, e);
    list_push_newest(c, e);
    __atomic_store_n(&n->visited, 0, __ATOMIC_RELAXED);
    c->dirty = true;
    /* Costs are counted under any bound (nana_stats() reports them), not
     * in an unbounded cache, which keeps no node to hold an entry's. */
    n->cost = entry_cost(e);
    c->bytes += n->cost;
    atomic_store_explicit(&c->bytes_seen, c->bytes, memory_order_relaxed);
    /* Alone over the bound: it could only push everything else out and go
     * itself. */
    if (c->policy.max_bytes && n->cost > c->policy.max_bytes && forget_entry(c, e))
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
}

void nana__cachepolicy_unlist_all(struct nana_cache *c)
{
    c->oldest = c->newest = c->hand = NULL;
    c->listed = 0;
    c->bytes = 0;
    atomic_store_explicit(&c->bytes_seen, 0, memory_order_relaxed);
    c->dirty = false;
    note_oldest(c);
}

/* --------------------------------------------------- dropping (executor) */

/*
 * Makes e's key not cached, unless the running batch or an open
 * transaction staged it (its staging holds a pointer to it, and will
 * commit a new state into it).  Without a pending write the entry goes;
 * with one, a submitter's job holds a pointer to it, so it stays, emptied:
 * UNKNOWN, its value let go, out of the list -- what the job's own pin made
 * of it -- and its key's reads queue behind the write anyway.
 *
 * A lookup that finds no entry in a fully loaded table answers "absent",
 * reading the flag under the shard lock, and an UNKNOWN entry means absent
 * there too: clearing the flag in the same critical section that takes
 * away an entry saying anything else means no lookup can miss what it said
 * and still see the flag set.  (An ABSENT or UNKNOWN entry says what no
 * entry says.)
 */
static bool forget_entry(struct nana_cache *c, struct nana_cache_entry *e)
{
    if (e->staged != NANA__UNKNOWN)
        return false;
    struct nana_cache_shard *s = shard_of(c, e->hash);
    struct node *n = node_of(e);
    json_t *value = NULL;
    shard_lock(s);
    if (e->state != NANA__ABSENT && e->state != NANA__UNKNOWN &&
        atomic_load_explicit(&c->fully_loaded, memory_order_relaxed))
        atomic_store(&c->fully_loaded, false);
    bool was_listed = n->listed, keep = e->pending > 0;
    n->listed = 0;
    if (keep) {
        value = e->value;
        e->value = NULL;
        e->state = NANA__UNKNOWN;
    } else {
        struct nana_cache_entry **link = &s->buckets[e->hash & s->mask];
        while (*link != e)
            link = &(*link)->next;
        *link = e->next;
        s->count--;
    }
    shard_unlock(s);
    if (was_listed)
        list_unlink(c, e);
    if (keep) {
        /* Its unpin finds it unlisted and counts it a leftover. */
        nana__json_release(value);
    } else {
        atomic_fetch_sub_explicit(&c->entries, 1, memory_order_relaxed);
        entry_free(c, e);
    }
    return true;
}

/* Over a bound: more keys cached (listed: entries that only hold a pin
 * know nothing) or more cost than allowed. */
static bool over_bound(struct nana_cache *c)
{
    return (c->policy.max_entries && c->listed > c->policy.max_entries) ||
           (c->policy.max_bytes && c->bytes > c->policy.max_bytes);
}

/* SIEVE's hand (see the top of the file) until within the bounds, or
 * around the list twice without finding anything it may drop. */
static void evict(struct nana_cache *c)
{
    size_t steps = 0, limit = 2 * c->listed + 2;
    while (over_bound(c) && c->listed && steps++ < limit) {
        struct nana_cache_entry *e = c->hand ? c->hand : c->oldest;
        struct node *n = node_of(e);
        c->hand = e;
        if (__atomic_load_n(&n->visited, __ATOMIC_RELAXED)) {
            __atomic_store_n(&n->visited, 0, __ATOMIC_RELAXED);
            c->hand = n->newer;
            continue;
        }
        if (forget_entry(c, e)) /* the hand moved past it */
            atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
        else
            c->hand = n->newer;
    }
}

/* Forgets expired entries from the oldest end, at most budget of them;
 * those staged are passed over.  False when it stopped at the budget with
 * more expired. */
static bool expire(struct nana_cache *c, int64_t now, size_t budget)
{
    struct nana_cache_entry *e = c->oldest;
    while (e && node_of(e)->expires <= now) {
        struct nana_cache_entry *next = node_of(e)->newer;
        if (budget == 0)
            return false;
        if (forget_entry(c, e)) {
            budget--;
            atomic_fetch_add_explicit(&c->expirations, 1, memory_order_relaxed);
        }
        e = next;
    }
    /* The next pass is due when the first entry left unexpired runs out
     * (staged expired ones are looked at again then). */
    atomic_store_explicit(&c->next_expiry, e ? node_of(e)->expires : INT64_MAX,
                          memory_order_relaxed);
    return true;
}

/* Leftovers: entries in no list (a pin whose write never committed, a
 * fill its batch's rollback dropped, an entry kept through a reset), with
 * nothing pending or staged and nothing known but "absent".  Found by a
 * scan of every bucket. */
static void drop_orphans(struct nana_cache *c)
{
    atomic_store_explicit(&c->orphans, 0, memory_order_relaxed);
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        struct nana_cache_entry *dead = NULL;
        size_t n_dead = 0;
        shard_lock(s);
        for (size_t b = 0; b <= s->mask; b++) {
            struct nana_cache_entry **link = &s->buckets[b];
            while (*link) {
                struct nana_cache_entry *e = *link;
                if (!node_of(e)->listed && e->pending == 0 && e->staged == NANA__UNKNOWN &&
                    (e->state == NANA__UNKNOWN || e->state == NANA__ABSENT)) {
                    *link = e->next;
                    e->next = dead;
                    dead = e;
                    s->count--;
                    n_dead++;
                    continue;
                }
                link = &e->next;
            }
        }
        shard_unlock(s);
        atomic_fetch_sub_explicit(&c->entries, n_dead, memory_order_relaxed);
        while (dead) {
            struct nana_cache_entry *next = dead->next;
            entry_free(c, dead);
            dead = next;
        }
    }
}

/* What a bounded cache does after states were committed, and in a sweep:
 * expire, evict, and look for leftovers when they may matter. */
void nana__cachepolicy_trim(struct nana_cache *c, int64_t now, size_t budget)
{
    if (c->policy.ttl_ns) {
        if (!expire(c, now, budget))
            atomic_store_explicit(&c->sweep_due, true, memory_order_relaxed);
        if (atomic_load(&c->fully_loaded) &&
            now >= atomic_load_explicit(&c->loaded_until, memory_order_relaxed))
            atomic_store(&c->fully_loaded, false); /* tidiness: lookups check the time */
    }
    evict(c);
    /* Leftovers only cost their few bytes each: worth a scan of every
     * bucket once there are enough of them. */
    if (atomic_load_explicit(&c->orphans, memory_order_relaxed) > c->listed / 8 + 16)
        drop_orphans(c);
}

void nana__cachepolicy_sweep(struct nana_cache *c, size_t budget)
{
    if (!c->bounded)
        return;
    atomic_store_explicit(&c->sweep_due, false, memory_order_relaxed);
    nana__cachepolicy_trim(c, c->policy.ttl_ns ? now_ns() : 0, budget);
}

/* ------------------------------------------------------------- options */

/* One option over its inherited value; false when out of range. */
static bool resolve_field(int64_t option, int64_t max, uint64_t inherited, uint64_t *out)
{
    if (option < NANA_UNLIMITED || option > max)
        return false;
    *out = option == NANA_INHERIT ? inherited : option == NANA_UNLIMITED ? 0 : (uint64_t)option;
    return true;
}

nana_status_t nana__cachepolicy_resolve(const struct nana_cache_policy *inherited,
                                        const nana_table_options_t *o,
                                        struct nana_cache_policy *out, const char **why)
{
    *out = *inherited;
    if (!o)
        return NANA_OK;
    uint64_t entries, bytes, ttl_ms;
    /* Milliseconds that still fit in nanoseconds: about 292 years. */
    const int64_t ttl_max = INT64_MAX / 1000000;
    for (size_t i = 0; i < sizeof o->reserved / sizeof o->reserved[0]; i++) {
        if (o->reserved[i] != 0) {
            *why = "a reserved field of nana_table_options_t is set: an option this release "
                   "does not know (use nana_table_options_init)";
            return NANA_EINVAL;
        }
    }
    const char *bad = NULL;
    if (!resolve_field(o->cache_max_entries, INT64_MAX, inherited->max_entries, &entries))
        bad = "cache_max_entries must be NANA_INHERIT (0), NANA_UNLIMITED (-1) or positive";
    else if (!resolve_field(o->cache_max_bytes, INT64_MAX, inherited->max_bytes, &bytes))
        bad = "cache_max_bytes must be NANA_INHERIT (0), NANA_UNLIMITED (-1) or positive";
    else if (!resolve_field(o->cache_ttl_ms, ttl_max, (uint64_t)(inherited->ttl_ns / 1000000),
                            &ttl_ms))
        bad = "cache_ttl_ms must be NANA_INHERIT (0), NANA_UNLIMITED (-1) or positive, "
              "at most 9223372036854 (292 years)";
    if (bad) {
        *why = bad;
        return NANA_EINVAL;
    }
    out->max_entries = (size_t)entries;
    out->max_bytes = (size_t)bytes;
    /* An inherited lifetime keeps its nanoseconds. */
    out->ttl_ns = o->cache_ttl_ms == NANA_INHERIT ? inherited->ttl_ns : (int64_t)ttl_ms * 1000000;
    return NANA_OK;
}

bool nana__cachepolicy_same(const struct nana_cache_policy *a, const struct nana_cache_policy *b)
{
    return a->max_entries == b->max_entries && a->max_bytes == b->max_bytes &&
           a->ttl_ns == b->ttl_ns;
}
