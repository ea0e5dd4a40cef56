/*
 * kv.h -- the dict operations' job, shared by kv.c (the submission side:
 * checks, cache answers, building jobs) and kvjob.c (the executor side: the
 * job's ops).  Private to those two files.
 */
#ifndef NANA_KV_H
#define NANA_KV_H

#include "internal.h"

enum kv_kind {
    KV_GET,
    KV_GET_FRESH,
    KV_CONTAINS,
    KV_IS_CACHED,
    KV_REFRESH_KEY,
    KV_SET,
    KV_DELETE,
    KV_POP,
    KV_SETDEFAULT,
    KV_UPDATE,       /* update and batch_update */
    KV_BATCH_DELETE,
    KV_LEN,
    KV_KEYS,
    KV_VALUES,
    KV_ITEMS,
    KV_TO_DICT,
    KV_COPY,
    /* Whole-table jobs: each runs as a batch of its own, because what they
     * do to the cache cannot be staged per key. */
    KV_CLEAR,
    KV_LOAD_ALL,
    KV_REFRESH_ALL,
};

struct kv_job {
    struct nana_job base;
    enum kv_kind kind;
    struct nana_table *table;
    sqlite3 *conn;                  /* while it runs */
    /* Inputs, owned. */
    char *key;
    uint32_t hash;
    struct nana_cache_entry *entry; /* pinned entry of a single-key write */
    char *text;                     /* encoded value of a single-key write */
    size_t text_len;
    json_t *value;                  /* cache copy of that value, or default */
    struct nana_kv_item *items;
    size_t n_items;
    size_t n_skipped;               /* load_all: rows whose value is not JSON */
};

#define KV(base) container_of(base, struct kv_job, base)

static inline bool kind_whole_table(enum kv_kind k)
{
    return k == KV_CLEAR || k == KV_LOAD_ALL || k == KV_REFRESH_ALL;
}

/* Table pins (counted in pending_table_ops) keep every read of the table
 * queued behind the job. */
static inline bool kind_pins_table(enum kv_kind k)
{
    return kind_whole_table(k) || k == KV_UPDATE || k == KV_BATCH_DELETE;
}

static inline bool kind_is_write(enum kv_kind k)
{
    switch (k) {
    case KV_SET:
    case KV_DELETE:
    case KV_POP:
    case KV_SETDEFAULT:
    case KV_UPDATE:
    case KV_BATCH_DELETE:
    case KV_CLEAR:
        return true;
    default:
        return false;
    }
}

/* The dict job's ops (kvjob.c). */
extern const struct nana_job_ops nana__kv_ops;
/* A job that will never be queued (out of memory): undoes its pins and
 * frees it. */
void nana__kv_discard(struct kv_job *job);

#endif
