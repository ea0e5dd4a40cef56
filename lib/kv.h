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
    struct nana_conn *conn;         /* while it runs */
    int reader;                     /* ... on reader connection (0: the writer) */
    struct nana_staging *staged;    /* while it runs: where effects go */
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
    struct nana_hook_use hook;      /* the table's write hooks (kvhooks.c) */
    struct nana_cache_mark mark;    /* a read for a reader: its key's mark */
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

/* ------------------------------------------------------------------
 * Shared with the other dict files (kvrmw.c: read-modify-write; kvscan.c:
 * reads in bulk and in key order), which build jobs of their own around a
 * struct kv_job and reuse the checks and the row and cache steps below.
 */

/* kv.c, submission side.  Checks the handle and (need_key) the key: a
 * failed future, or NULL; *key_len (when not NULL) gets the key's length. */
nana_future_t *nana__kv_check(nana_db_t *db, const char *key, bool need_key, size_t *key_len);
/* Checks an array of n keys (batch calls): a failed future, or NULL. */
nana_future_t *nana__kv_check_keys(const char *const *keys, size_t n);
/* The committed cache's answer when nothing queued could change it:
 * NANA__PRESENT (*value a new reference), NANA__ABSENT, or NANA__UNKNOWN. */
int nana__kv_cache_answer(nana_db_t *db, const char *key, uint32_t hash, json_t **value);
/* Fills job's key and hash; pin: the key will be written, so reads of it
 * queue behind the job (job->entry, released by nana__kv_unpin).  false
 * when out of memory. */
bool nana__kv_take_key(struct kv_job *job, nana_db_t *db, const char *key, bool pin);
void nana__kv_unpin(struct kv_job *job);

/* kvjob.c, executor side, as the dict's own jobs use them. */
/* What the executor knows of key in job's table without asking SQLite
 * (staged, else committed; nothing in a blind transaction): NANA__PRESENT
 * (*value a new reference), NANA__ABSENT, or NANA__UNKNOWN. */
int nana__kv_lookup(struct kv_job *job, const char *key, uint32_t hash, json_t **value);
/* job->key's value, known or read and staged as a cache fill: NANA__PRESENT
 * (*value a new reference), NANA__ABSENT, or -1 after failing the job. */
int nana__kv_current_value(struct kv_job *job, struct nana_staging *sg, json_t **value);
/* SQLite's code (SQLITE_OK on success). */
int nana__kv_write_row(struct kv_job *job, const char *key, const char *text, size_t len);
int nana__kv_delete_row(struct kv_job *job, const char *key, bool *changed);
/* Fail job: SQLite's message (captured now); a value of key that does not
 * decode (or decrypt), fault saying why (nana__table_value). */
void nana__kv_fail_sql(struct kv_job *job, const char *what, int rc);
void nana__kv_fail_not_json(struct kv_job *job, const char *key, enum nana_value_fault fault);
void nana__kv_fail_not_found(struct kv_job *job);

/* kvhooks.c: the table's write hooks around a job's writes (role held).
 * Each returns false after failing the job (status and message from the
 * hook).  multi: the key is one of several written together, and the
 * message says that none was changed. */
/* Runs before_write of key, about to be stored as *value (a reference the
 * caller owns) encoded as *text (malloc'd, the caller's): a replacement
 * takes the place of both. */
bool nana__kv_hook_write(struct kv_job *job, const char *key, json_t **value, char **text,
                         size_t *text_len, bool multi);
/* Runs before_delete of key, which is stored. */
bool nana__kv_hook_delete(struct kv_job *job, const char *key, bool multi);
/* Does the job's table have a before_write / before_delete, or an
 * after_commit (which needs the keys a clear deletes)? */
bool nana__kv_hooks_write(struct kv_job *job);
bool nana__kv_hooks_delete(struct kv_job *job);
bool nana__kv_hooks_commit(struct kv_job *job);
/* Right before the write itself: counts the job for after_commit with its
 * keys (key, or the first n of items: borrowed until the job is
 * destroyed). */
bool nana__kv_hook_register(struct kv_job *job, const char *key,
                            const struct nana_kv_item *items, size_t n, bool deletes);
/* The write succeeded (multi-key: the first n items were written). */
void nana__kv_hook_wrote(struct kv_job *job, size_t n);
/* From the job's settle. */
void nana__kv_hook_settle(struct kv_job *job, bool committed);

/* The dict job's ops (kvjob.c). */
extern const struct nana_job_ops nana__kv_ops;
/* A job that will never be queued (out of memory): undoes its pins and
 * frees it. */
void nana__kv_discard(struct kv_job *job);

#endif
