/*
 * cache.c -- the per-table key cache: a hash table in NANA_CACHE_SHARDS
 * shards, each with its own lock, so that threads answering cache hits on
 * different keys rarely meet.
 *
 * An entry is PRESENT (with its value), ABSENT (the key is known not to be
 * stored) or UNKNOWN (kept only because writes to it are pending).  Entries
 * are created by submitters (pinning a key they will write) and by the
 * executor (filling what it read); only the executor changes states, and
 * only the executor frees entries.
 *
 * Bounded caches (a bound or a lifetime) are cachepolicy.c's: see there.
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define INITIAL_BUCKETS 16

uint32_t nana__cache_hash(const char *key, size_t len)
{
    /* Eight bytes per step, multiply-xorshift mixing: a cache hit hashes
     * its key every time, so this is on the hottest path we have. */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        key += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, key, len);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    h *= 0x94D049BB133111EBull;
    return (uint32_t)(h >> 32);
}

static void mark_visited(struct nana_cache_entry *e)
{
    /* Read first: a hot entry's line then stays shared between threads. */
    struct node *n = node_of(e);
    if (!__atomic_load_n(&n->visited, __ATOMIC_RELAXED))
        __atomic_store_n(&n->visited, 1, __ATOMIC_RELAXED);
}

/* --------------------------------------------------------- set-up, free */

int nana__cache_init(struct nana_cache *c, const struct nana_cache_policy *policy)
{
    atomic_init(&c->generation, 0);
    atomic_init(&c->resets, 0);
    atomic_init(&c->fully_loaded, false);
    atomic_init(&c->loaded_until, 0);
    c->policy = policy ? *policy : (struct nana_cache_policy){0};
    c->bounded = c->policy.max_entries || c->policy.max_bytes || c->policy.ttl_ns;
    atomic_init(&c->entries, 0);
    atomic_init(&c->sweep_due, false);
    atomic_init(&c->sweep_queued, false);
    atomic_init(&c->next_expiry, INT64_MAX);
    atomic_init(&c->orphans, 0);
    c->oldest = c->newest = c->hand = NULL;
    c->listed = 0;
    c->bytes = 0;
    c->dirty = false;
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        atomic_init(&s->lock, 0);
        atomic_init(&s->hits, 0);
        atomic_init(&s->misses, 0);
        s->buckets = calloc(INITIAL_BUCKETS, sizeof *s->buckets);
        s->mask = INITIAL_BUCKETS - 1;
        s->count = 0;
        if (!s->buckets) {
            for (int j = 0; j <= i; j++) {
                free(c->shards[j].buckets);
            }
            return -1;
        }
    }
    return 0;
}

void nana__cache_destroy(struct nana_cache *c)
{
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        for (size_t b = 0; b <= s->mask; b++) {
            struct nana_cache_entry *e = s->buckets[b], *next;
            for (; e; e = next) {
                next = e->next;
                entry_free(c, e);
            }
        }
        free(s->buckets);
    }
}

/* -------------------------------------------------------------- lookups */

static struct nana_cache_entry *find_locked(struct nana_cache_shard *s, const char *key,
                                            uint32_t hash)
{
    struct nana_cache_entry *e = s->buckets[hash & s->mask];
    for (; e; e = e->next)
        if (e->hash == hash && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Is a key with no entry absent?  With a lifetime, only until the one of
 * what loading (or clearing) the table taught us ran out. */
static bool complete(struct nana_cache *c, int64_t now)
{
    return atomic_load(&c->fully_loaded) &&
           (!c->policy.ttl_ns ||
            now < atomic_load_explicit(&c->loaded_until, memory_order_relaxed));
}

int nana__cache_lookup(struct nana_cache *c, const char *key, uint32_t hash, json_t **value)
{
    bool pinned;
    return nana__cache_lookup_pinned(c, key, hash, value, &pinned);
}

int nana__cache_lookup_pinned(struct nana_cache *c, const char *key, uint32_t hash,
                              json_t **value, bool *pinned)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    int64_t now = c->policy.ttl_ns ? now_ns() : 0;
    int answer = NANA__UNKNOWN;
    bool ran_out = false;
    shard_lock(s);
    struct nana_cache_entry *e = find_locked(s, key, hash);
    *pinned = e && e->pending > 0;
    if (!e) {
        /* Read under the lock: see forget_entry. */
        if (complete(c, now))
            answer = NANA__ABSENT;
    } else if (e->pending == 0 && (e->state == NANA__PRESENT || e->state == NANA__ABSENT)) {
        if (c->bounded && expired(c, e, now)) {
            ran_out = true;
        } else {
            answer = e->state;
            if (answer == NANA__PRESENT)
                *value = nana__json_ref(e->value);
            if (c->bounded)
                mark_visited(e);
        }
    }
    atomic_fetch_add_explicit(answer == NANA__UNKNOWN ? &s->misses : &s->hits, 1,
                              memory_order_relaxed);
    shard_unlock(s);
    /* An expired answer, or the oldest one running out: a sweep has work.
     * (The read of an expired key is queued anyway, and its fill renews
     * the entry; the sweep is for those nobody reads again.) */
    if (c->policy.ttl_ns &&
        (ran_out || now >= atomic_load_explicit(&c->next_expiry, memory_order_relaxed)) &&
        !atomic_load_explicit(&c->sweep_due, memory_order_relaxed))
        atomic_store_explicit(&c->sweep_due, true, memory_order_relaxed);
    return answer;
}

void nana__cache_counts(struct nana_cache *c, nana_stats_t *out)
{
    out->cache_entries = out->cache_hits = out->cache_misses = 0;
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        shard_lock(s);
        out->cache_entries += s->count;
        shard_unlock(s);
        out->cache_hits += atomic_load_explicit(&s->hits, memory_order_relaxed);
        out->cache_misses += atomic_load_explicit(&s->misses, memory_order_relaxed);
    }
    out->cache_evictions = atomic_load_explicit(&c->evictions, memory_order_relaxed);
    out->cache_expired = atomic_load_explicit(&c->expirations, memory_order_relaxed);
    out->cache_bytes = atomic_load_explicit(&c->bytes_seen, memory_order_relaxed);
}

static void grow_locked(struct nana_cache_shard *s)
{
    size_t n = (s->mask + 1) * 2;
    struct nana_cache_entry **buckets = calloc(n, sizeof *buckets);
    if (!buckets)
        return; /* longer chains, still correct */
    for (size_t b = 0; b <= s->mask; b++) {
        struct nana_cache_entry *e = s->buckets[b], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = buckets[e->hash & (n - 1)];
            buckets[e->hash & (n - 1)] = e;
        }
    }
    free(s->buckets);
    s->buckets = buckets;
    s->mask = n - 1;
}

static struct nana_cache_entry *find_or_add_locked(struct nana_cache *c,
                                                   struct nana_cache_shard *s, const char *key,
                                                   uint32_t hash)
{
    struct nana_cache_entry *e = find_locked(s, key, hash);
    if (e)
        return e;
    size_t len = strlen(key);
    char *block = calloc(1, node_size(c) + sizeof *e + len + 1);
    if (!block)
        return NULL;
    e = (struct nana_cache_entry *)(void *)(block + node_size(c));
    memcpy(e->key, key, len + 1);
    e->hash = hash;
    e->state = NANA__UNKNOWN;
    if (s->count >= s->mask + 1)
        grow_locked(s);
    e->next = s->buckets[hash & s->mask];
    s->buckets[hash & s->mask] = e;
    s->count++;
    atomic_fetch_add_explicit(&c->entries, 1, memory_order_relaxed);
    return e;
}

struct nana_cache_entry *nana__cache_get_entry(struct nana_cache *c, const char *key,
                                               uint32_t hash, bool pin)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    shard_lock(s);
    struct nana_cache_entry *e = find_or_add_locked(c, s, key, hash);
    if (e && pin)
        e->pending++;
    shard_unlock(s);
    return e;
}

static struct nana_cache_entry *find_entry(struct nana_cache *c, const char *key, uint32_t hash)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    shard_lock(s);
    struct nana_cache_entry *e = find_locked(s, key, hash);
    shard_unlock(s);
    return e;
}

int nana__cache_peek(struct nana_cache *c, const char *key, uint32_t hash, bool use,
                     struct nana_cache_entry **entry, json_t **value)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    int64_t now = c->policy.ttl_ns ? now_ns() : 0;
    shard_lock(s);
    struct nana_cache_entry *e = find_locked(s, key, hash);
    int state = e ? e->state : NANA__UNKNOWN;
    if (e && c->bounded && (state == NANA__PRESENT || state == NANA__ABSENT)) {
        /* Expired is "not cached" even in a fully loaded table: the key
         * must be read. */
        if (expired(c, e, now))
            state = NANA__FORGOTTEN;
        else if (use)
            mark_visited(e);
    }
    *value = state == NANA__PRESENT ? nana__json_ref(e->value) : NULL;
    shard_unlock(s);
    *entry = e;
    return state;
}

void nana__cache_unpin(struct nana_cache *c, struct nana_cache_entry *e)
{
    struct nana_cache_shard *s = shard_of(c, e->hash);
    shard_lock(s);
    /* A pinned entry whose write never committed is left with nothing in
     * it and in no list: the executor finds such leftovers by a scan,
     * when there may be enough of them (see drop_orphans). */
    bool leftover = --e->pending == 0 && c->bounded && !node_of(e)->listed;
    shard_unlock(s);
    if (leftover)
        atomic_fetch_add_explicit(&c->orphans, 1, memory_order_relaxed);
}

unsigned nana__cache_generation(struct nana_cache *c)
{
    return atomic_load(&c->generation);
}

/*
 * Reads on reader connections (see nana__cache_mark in internal.h).  The
 * executor alone changes states, but a read that ran on a reader would
 * cost a hop to the executor to cache its answer; so it stores it here,
 * under the shard lock, only where that cannot hide anything newer: while
 * the key's mark holds (nothing submitted after the read reached the key's
 * entry: every per-key effect is staged on an entry and counted at its
 * commit, and every whole-table one is a reset), never over a committed
 * answer or a pending write, never in a bounded cache.
 */
bool nana__cache_mark(struct nana_cache *c, const char *key, uint32_t hash,
                      struct nana_cache_mark *m)
{
    m->valid = false;
    if (c->bounded)
        return false;
    struct nana_cache_shard *s = shard_of(c, hash);
    shard_lock(s);
    struct nana_cache_entry *e = find_or_add_locked(c, s, key, hash);
    if (e) {
        m->resets = atomic_load(&c->resets);
        m->commits = e->commits;
        m->valid = true;
    }
    shard_unlock(s);
    return m->valid;
}

/* The key's entry while m holds (shard lock held), else NULL. */
static struct nana_cache_entry *marked_locked(struct nana_cache *c, struct nana_cache_shard *s,
                                              const char *key, uint32_t hash,
                                              const struct nana_cache_mark *m)
{
    /* A reset bumps resets before it touches any shard. */
    if (!m->valid || atomic_load(&c->resets) != m->resets)
        return NULL;
    struct nana_cache_entry *e = find_locked(s, key, hash);
    return e && e->commits == m->commits ? e : NULL;
}

int nana__cache_marked_state(struct nana_cache *c, const char *key, uint32_t hash,
                             const struct nana_cache_mark *m, json_t **value)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    int state = NANA__UNKNOWN;
    *value = NULL;
    shard_lock(s);
    /* fully_loaded first: it is set after the reset the mark would see. */
    bool full = atomic_load(&c->fully_loaded);
    struct nana_cache_entry *e = marked_locked(c, s, key, hash, m);
    if (e) {
        state = e->state;
        if (state == NANA__PRESENT)
            *value = nana__json_ref(e->value);
        else if (state == NANA__UNKNOWN && full)
            state = NANA__ABSENT;
        else if (state != NANA__ABSENT)
            state = NANA__UNKNOWN;
    }
    shard_unlock(s);
    return state;
}

bool nana__cache_fill_marked(struct nana_cache *c, const char *key, uint32_t hash,
                             const struct nana_cache_mark *m, int state, json_t *value)
{
    if (state != NANA__PRESENT && state != NANA__ABSENT) {
        nana__json_release(value);
        return false;
    }
    struct nana_cache_shard *s = shard_of(c, hash);
    bool stored = false;
    atomic_fetch_add(&c->generation, 1);
    shard_lock(s);
    struct nana_cache_entry *e = marked_locked(c, s, key, hash, m);
    if (e && e->pending == 0 && e->state != NANA__PRESENT && e->state != NANA__ABSENT) {
        e->state = (uint8_t)state;
        e->value = state == NANA__PRESENT ? value : NULL;
        stored = true;
    }
    shard_unlock(s);
    atomic_fetch_add(&c->generation, 1);
    if (!stored || state != NANA__PRESENT)
        nana__json_release(value);
    return stored;
}

/* ---------------------------------------------------------------- commit */

static void commit_staged(struct nana_cache *c, struct nana_cache_entry *e, int64_t now)
{
    struct nana_cache_shard *s = shard_of(c, e->hash);
    json_t *old;
    bool was_listed = false;
    /* Sequentially consistent on both sides (see nana__cache_generation):
     * a reader whose lookup sees this state also sees the first bump. */
    atomic_fetch_add(&c->generation, 1);
    shard_lock(s);
    old = e->value;
    e->state = e->staged == NANA__FORGET ? NANA__FORGOTTEN : e->staged;
    e->value = e->staged == NANA__PRESENT ? e->staged_value : NULL;
    e->staged_value = NULL;
    e->staged = NANA__UNKNOWN;
    e->commits++;
    if (c->bounded) {
        struct node *n = node_of(e);
        n->expires = c->policy.ttl_ns ? now + c->policy.ttl_ns : 0;
        was_listed = n->listed;
        n->listed = 1;
    }
    shard_unlock(s);
    atomic_fetch_add(&c->generation, 1);
    if (c->bounded)
        nana__cachepolicy_committed(c, e, was_listed);
    /* The old value may be the last reference: drop it outside the lock. */
    nana__json_release(old);
}

/* -------------------------------------------------------- whole caches */

bool nana__cache_fully_loaded(struct nana_cache *c)
{
    return complete(c, c->policy.ttl_ns ? now_ns() : 0);
}

void nana__cache_set_fully_loaded(struct nana_cache *c, bool fully_loaded)
{
    if (fully_loaded && c->policy.ttl_ns)
        atomic_store_explicit(&c->loaded_until, now_ns() + c->policy.ttl_ns,
                              memory_order_relaxed);
    atomic_store(&c->fully_loaded, fully_loaded);
}

void nana__cache_reset(struct nana_cache *c, bool absent_all)
{
    /* Before any shard is touched: a reader's mark sees it (cache_mark). */
    atomic_fetch_add(&c->resets, 1);
    /* Down before any entry goes (see forget_entry). */
    if (!absent_all)
        atomic_store(&c->fully_loaded, false);
    atomic_fetch_add(&c->generation, 1);
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        struct nana_cache_entry *dead = NULL;
        size_t n_dead = 0;
        shard_lock(s);
        for (size_t b = 0; b <= s->mask; b++) {
            struct nana_cache_entry **link = &s->buckets[b];
            while (*link) {
                struct nana_cache_entry *e = *link;
                if (e->pending == 0 && e->staged == NANA__UNKNOWN) {
                    *link = e->next;
                    e->next = dead;
                    dead = e;
                    s->count--;
                    n_dead++;
                    continue;
                }
                /* A pending writer holds a pointer to it: keep the entry,
                 * forget what it knew. */
                nana__json_release(e->value);
                e->value = NULL;
                e->state = absent_all ? NANA__ABSENT : NANA__UNKNOWN;
                if (c->bounded) {
                    /* Out of the list, which goes below; its write's
                     * commit lists it again. */
                    struct node *n = node_of(e);
                    n->older = n->newer = NULL;
                    n->listed = 0;
                    n->cost = 0;
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
    atomic_fetch_add(&c->generation, 1);
    if (c->bounded)
        nana__cachepolicy_unlist_all(c);
    if (absent_all)
        nana__cache_set_fully_loaded(c, true);
}

void nana__cache_sweep_done(struct nana_cache *c)
{
    atomic_store_explicit(&c->sweep_queued, false, memory_order_relaxed);
}

/* How many expired entries one commit drops, at most: enough to keep pace
 * with the entries commits add, little enough that a commit never stalls
 * the queue on a burst of expiries (the sweep job takes the rest). */
#define EXPIRE_PER_COMMIT 64

/* ------------------------------------------------------------- staging */

static void stage_entry(struct nana_staging *sg, struct nana_cache *c,
                        struct nana_cache_entry *e, int state, json_t *value)
{
    if (e->staged == NANA__UNKNOWN) {
        if (sg->n == sg->cap) {
            size_t cap = sg->cap ? sg->cap * 2 : 64;
            struct nana_staged_ref *refs = realloc(sg->refs, cap * sizeof *refs);
            if (!refs) {
                nana__json_release(value);
                return;
            }
            sg->refs = refs;
            sg->cap = cap;
        }
        sg->refs[sg->n].cache = c;
        sg->refs[sg->n].entry = e;
        sg->n++;
    } else {
        nana__json_release(e->staged_value);
    }
    e->staged = (uint8_t)state;
    e->staged_value = value;
}

void nana__cache_stage(struct nana_staging *sg, struct nana_cache *c, const char *key,
                 uint32_t hash, int state, json_t *value)
{
    if (state != NANA__PRESENT || sg->blind) {
        nana__json_release(value);
        value = NULL;
    }
    if (sg->blind)
        return;
    struct nana_cache_entry *e = nana__cache_get_entry(c, key, hash, false);
    if (!e) {
        nana__json_release(value);
        return;
    }
    stage_entry(sg, c, e, state, value);
}

void nana__cache_stage_forget(struct nana_staging *sg, struct nana_cache *c, const char *key,
                        uint32_t hash)
{
    struct nana_cache_entry *e = sg->blind ? NULL : find_entry(c, key, hash);
    if (e)
        stage_entry(sg, c, e, NANA__FORGET, NULL);
}

void nana__cache_staging_commit(struct nana_staging *sg)
{
    /* One clock reading for the whole commit: lifetimes then keep the list
     * in expiry order. */
    int64_t now = 0;
    bool timed = false;
    for (size_t i = 0; i < sg->n; i++) {
        struct nana_cache *c = sg->refs[i].cache;
        if (c->policy.ttl_ns && !timed) {
            now = now_ns();
            timed = true;
        }
        commit_staged(c, sg->refs[i].entry, now);
    }
    /* Each bounded cache it touched, once, after every state is in: the
     * batch's own writes are still pinned (they settle after this), so
     * what goes is what it did not touch. */
    for (size_t i = 0; i < sg->n; i++) {
        struct nana_cache *c = sg->refs[i].cache;
        if (c->dirty) {
            c->dirty = false;
            nana__cachepolicy_trim(c, now, EXPIRE_PER_COMMIT);
        }
    }
    sg->n = 0;
}

void nana__cache_staging_discard(struct nana_staging *sg)
{
    for (size_t i = 0; i < sg->n; i++) {
        struct nana_cache *c = sg->refs[i].cache;
        struct nana_cache_entry *e = sg->refs[i].entry;
        json_t *v = e->staged_value;
        e->staged_value = NULL;
        e->staged = NANA__UNKNOWN;
        nana__json_release(v);
        if (c->bounded && !node_of(e)->listed)
            atomic_fetch_add_explicit(&c->orphans, 1, memory_order_relaxed);
    }
    sg->n = 0;
}
