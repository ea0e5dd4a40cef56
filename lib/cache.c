/*
 * cache.c -- the per-table key cache: a hash table in NANA_CACHE_SHARDS
 * shards, each with its own lock, so that threads answering cache hits on
 * different keys rarely meet.
 *
 * An entry is PRESENT (with its value), ABSENT (the key is known not to be
 * stored) or UNKNOWN (kept only because writes to it are pending).  Entries
 * are created by submitters (pinning a key they will write) and by the
 * executor (filling what it read); only the executor changes states.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Shard locks are spinlocks: what they guard is a few dozen instructions
 * (find an entry, take a reference), and a pthread mutex pair costs more
 * than the lookup itself.  A waiter that spins too long yields the CPU, so
 * a holder preempted on a machine with few cores gets it back.
 */
/* The CPU's spin-wait hint, where there is one. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

static void shard_lock(struct nana_cache_shard *s)
{
    unsigned spins = 0;
    while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire)) {
        while (atomic_load_explicit(&s->lock, memory_order_relaxed)) {
            if (++spins < 64)
                cpu_relax();
            else {
                spins = 0;
                sched_yield();
            }
        }
    }
}

static void shard_unlock(struct nana_cache_shard *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

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

static struct nana_cache_shard *shard_of(struct nana_cache *c, uint32_t hash)
{
    /* The low bits pick the bucket inside a shard; the high bits the shard. */
    return &c->shards[hash >> 28];
}

int nana__cache_init(struct nana_cache *c)
{
    atomic_init(&c->generation, 0);
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

static void entry_free(struct nana_cache_entry *e)
{
    nana__json_release(e->value);
    nana__json_release(e->staged_value);
    free(e);
}

void nana__cache_destroy(struct nana_cache *c)
{
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        for (size_t b = 0; b <= s->mask; b++) {
            struct nana_cache_entry *e = s->buckets[b], *next;
            for (; e; e = next) {
                next = e->next;
                entry_free(e);
            }
        }
        free(s->buckets);
    }
}

static struct nana_cache_entry *find_locked(struct nana_cache_shard *s, const char *key,
                                            uint32_t hash)
{
    struct nana_cache_entry *e = s->buckets[hash & s->mask];
    for (; e; e = e->next)
        if (e->hash == hash && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

int nana__cache_lookup(struct nana_cache *c, const char *key, uint32_t hash,
                       bool fully_loaded, json_t **value)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    int answer = NANA__UNKNOWN;
    shard_lock(s);
    struct nana_cache_entry *e = find_locked(s, key, hash);
    if (!e) {
        if (fully_loaded)
            answer = NANA__ABSENT;
    } else if (e->pending == 0 && (e->state == NANA__PRESENT || e->state == NANA__ABSENT)) {
        answer = e->state;
        if (answer == NANA__PRESENT)
            *value = nana__json_ref(e->value);
    }
    atomic_fetch_add_explicit(answer == NANA__UNKNOWN ? &s->misses : &s->hits, 1,
                              memory_order_relaxed);
    shard_unlock(s);
    return answer;
}

void nana__cache_counts(struct nana_cache *c, uint64_t *entries, uint64_t *hits,
                        uint64_t *misses)
{
    *entries = *hits = *misses = 0;
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        shard_lock(s);
        *entries += s->count;
        shard_unlock(s);
        *hits += atomic_load_explicit(&s->hits, memory_order_relaxed);
        *misses += atomic_load_explicit(&s->misses, memory_order_relaxed);
    }
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

static struct nana_cache_entry *find_or_add_locked(struct nana_cache_shard *s, const char *key,
                                                   uint32_t hash)
{
    struct nana_cache_entry *e = find_locked(s, key, hash);
    if (e)
        return e;
    size_t len = strlen(key);
    e = calloc(1, sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->key, key, len + 1);
    e->hash = hash;
    e->state = NANA__UNKNOWN;
    if (s->count >= s->mask + 1)
        grow_locked(s);
    e->next = s->buckets[hash & s->mask];
    s->buckets[hash & s->mask] = e;
    s->count++;
    return e;
}

struct nana_cache_entry *nana__cache_get_entry(struct nana_cache *c, const char *key,
                                               uint32_t hash, bool pin)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    shard_lock(s);
    struct nana_cache_entry *e = find_or_add_locked(s, key, hash);
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

int nana__cache_peek(struct nana_cache *c, const char *key, uint32_t hash,
                     struct nana_cache_entry **entry, json_t **value)
{
    struct nana_cache_shard *s = shard_of(c, hash);
    shard_lock(s);
    struct nana_cache_entry *e = find_locked(s, key, hash);
    int state = e ? e->state : NANA__UNKNOWN;
    *value = state == NANA__PRESENT ? nana__json_ref(e->value) : NULL;
    shard_unlock(s);
    *entry = e;
    return state;
}

void nana__cache_unpin(struct nana_cache *c, struct nana_cache_entry *e)
{
    struct nana_cache_shard *s = shard_of(c, e->hash);
    shard_lock(s);
    e->pending--;
    shard_unlock(s);
}

unsigned nana__cache_generation(struct nana_cache *c)
{
    return atomic_load(&c->generation);
}

static void commit_staged(struct nana_cache *c, struct nana_cache_entry *e)
{
    struct nana_cache_shard *s = shard_of(c, e->hash);
    json_t *old;
    /* Sequentially consistent on both sides (see nana__cache_generation):
     * a reader whose lookup sees this state also sees the first bump. */
    atomic_fetch_add(&c->generation, 1);
    shard_lock(s);
    old = e->value;
    e->state = e->staged == NANA__FORGET ? NANA__FORGOTTEN : e->staged;
    e->value = e->staged == NANA__PRESENT ? e->staged_value : NULL;
    e->staged_value = NULL;
    e->staged = NANA__UNKNOWN;
    shard_unlock(s);
    atomic_fetch_add(&c->generation, 1);
    /* The old value may be the last reference: drop it outside the lock. */
    nana__json_release(old);
}

void nana__cache_reset(struct nana_cache *c, bool absent_all)
{
    atomic_fetch_add(&c->generation, 1);
    for (int i = 0; i < NANA_CACHE_SHARDS; i++) {
        struct nana_cache_shard *s = &c->shards[i];
        struct nana_cache_entry *dead = NULL;
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
                    continue;
                }
                /* A pending writer holds a pointer to it: keep the entry,
                 * forget what it knew. */
                nana__json_release(e->value);
                e->value = NULL;
                e->state = absent_all ? NANA__ABSENT : NANA__UNKNOWN;
                link = &e->next;
            }
        }
        shard_unlock(s);
        while (dead) {
            struct nana_cache_entry *next = dead->next;
            entry_free(dead);
            dead = next;
        }
    }
    atomic_fetch_add(&c->generation, 1);
}

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
    for (size_t i = 0; i < sg->n; i++)
        commit_staged(sg->refs[i].cache, sg->refs[i].entry);
    sg->n = 0;
}

void nana__cache_staging_discard(struct nana_staging *sg)
{
    for (size_t i = 0; i < sg->n; i++) {
        struct nana_cache_entry *e = sg->refs[i].entry;
        json_t *v = e->staged_value;
        e->staged_value = NULL;
        e->staged = NANA__UNKNOWN;
        nana__json_release(v);
    }
    sg->n = 0;
}
