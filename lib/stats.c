/*
 * stats.c -- watching and bounding the load of a root: nana_stats() and
 * nana_set_queue_limit().
 *
 * nana_stats(): a snapshot composed from what each part counts
 * (the engine's jobs and batches, the root's busy waits, the table's
 * cache).  Every count is a relaxed atomic written where its event
 * happens; reading them takes no lock the pool holds, so a monitoring
 * thread never waits for a batch.
 */
#include <string.h>

#include "internal.h"

NANA_API nana_status_t nana_stats(nana_db_t *db, nana_stats_t *out)
{
    const char *why;
    if (!out || nana__db_check(db, &why) == NANA_EINVAL)
        return NANA_EINVAL;
    memset(out, 0, sizeof *out);
    if (db->magic != NANA__DB_OPEN)
        return NANA_ECLOSED;
    struct nana_root *root = db->root;
    nana__engine_stats(root->engine, out);
    out->busy_retries = atomic_load_explicit(&root->busy_retries, memory_order_relaxed);
    nana__cache_counts(&db->table->cache, out);
    return nana__engine_check(root->engine, &why);
}

NANA_API nana_status_t nana_set_queue_limit(nana_db_t *db, size_t max_queued, int64_t wait_ms)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return st;
    nana__engine_set_queue_limit(db->root->engine, max_queued, wait_ms);
    return NANA_OK;
}
