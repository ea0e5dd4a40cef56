/*
 * cache.h -- what cache.c (the hash table: lookups, pins, staging) and
 * cachepolicy.c (bounded caches: the list, eviction, expiry) share.
 * Private to those two files.
 */
#ifndef NANA_CACHE_H
#define NANA_CACHE_H

#include <sched.h>
#include <stdlib.h>
#include <time.h>

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

static inline void shard_lock(struct nana_cache_shard *s)
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

static inline void shard_unlock(struct nana_cache_shard *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static inline struct nana_cache_shard *shard_of(struct nana_cache *c, uint32_t hash)
{
    /* The low bits pick the bucket inside a shard; the high bits the shard. */
    return &c->shards[hash >> 28];
}

/* What a bounded cache keeps of an entry besides the entry, allocated just
 * before it (an unbounded cache's entries go without). */
struct node {
    struct nana_cache_entry *older, *newer; /* the list: executor only */
    int64_t expires;  /* CLOCK_MONOTONIC ns; written under the shard lock */
    uint32_t cost;    /* executor only */
    uint8_t visited;  /* atomic accesses: set by hits, cleared by the hand */
    uint8_t listed;   /* written by the executor under the shard lock */
};

static inline struct node *node_of(struct nana_cache_entry *e)
{
    return (struct node *)(void *)((char *)e - sizeof(struct node));
}

static inline size_t node_size(const struct nana_cache *c)
{
    return c->bounded ? sizeof(struct node) : 0;
}

static inline void entry_free(const struct nana_cache *c, struct nana_cache_entry *e)
{
    nana__json_release(e->value);
    nana__json_release(e->staged_value);
    free((char *)e - node_size(c));
}

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Has the committed state of e (a bounded cache's) run out of lifetime? */
static inline bool expired(const struct nana_cache *c, struct nana_cache_entry *e, int64_t now)
{
    return c->policy.ttl_ns && now >= node_of(e)->expires;
}

/* cachepolicy.c, executor only. */
/* e's new state was just committed (was_listed: it was in the list): it
 * becomes the newest entry, not yet visited, with its cost counted. */
void nana__cachepolicy_committed(struct nana_cache *c, struct nana_cache_entry *e,
                                 bool was_listed);
/* Expires (at most budget entries), evicts to the bounds, and drops
 * leftovers when they may matter. */
void nana__cachepolicy_trim(struct nana_cache *c, int64_t now, size_t budget);
/* The list is emptied (a reset took every listed entry out of it). */
void nana__cachepolicy_unlist_all(struct nana_cache *c);

#endif
