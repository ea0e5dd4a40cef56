/*
 * txn.c -- transaction handles: nana_txn_t and its views.
 *
 * A view is a table handle (struct nana_db) whose txn field names the
 * engine's transaction: every operation submitted on it goes through
 * nana__db_submit() into that transaction, and none is answered from the
 * cache (kv.c).  So the whole API works inside a transaction with no
 * function of its own.  The engine does the rest (engine.c,
 * "transactions"); this file only makes handles and checks arguments.
 *
 * It sits above handle.c: a transaction holds a reference on its root, as
 * a sub-table handle does, so that a root closed under it leaves its
 * operations failing NANA_ECLOSED instead of touching freed memory.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct txn_view {
    struct nana_db db;
    struct txn_view *next;
};

struct nana_txn {
    struct nana_root *root;
    struct nana_engine_txn *engine_txn;
    pthread_mutex_t lock; /* views */
    struct txn_view *views;
};

static nana_future_t *refuse(nana_status_t st, const char *msg)
{
    return nana__future_new_done(st, NULL, msg);
}

NANA_API void nana_txn_options_init(nana_txn_options_t *opts)
{
    if (opts)
        memset(opts, 0, sizeof *opts);
}

NANA_API nana_future_t *nana_txn_begin(nana_db_t *db, const nana_txn_options_t *opts,
                                       nana_txn_t **out)
{
    if (out)
        *out = NULL;
    if (!db || !out)
        return refuse(NANA_EINVAL, "nana_txn_begin: db and txn must not be NULL");
    nana_txn_options_t o;
    nana_txn_options_init(&o);
    if (opts)
        o = *opts;
    if (o.mode != NANA_TXN_IMMEDIATE && o.mode != NANA_TXN_DEFERRED &&
        o.mode != NANA_TXN_EXCLUSIVE)
        return refuse(NANA_EINVAL, "nana_txn_begin: mode is not a nana_txn_mode_t");
    if (o.deadline_ms < 0)
        return refuse(NANA_EINVAL, "nana_txn_begin: deadline_ms must be >= 0");
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return refuse(st, why);
    if (db->txn)
        return refuse(NANA_EINVAL, "nana_txn_begin: a view is already inside a transaction; "
                                   "use a savepoint to nest");

    struct nana_txn *txn = calloc(1, sizeof *txn);
    if (!txn)
        return refuse(NANA_ENOMEM, NULL);
    nana_future_t *begun;
    txn->engine_txn = nana__engine_txn_begin(db->root->engine, (int)o.mode, o.deadline_ms, &begun);
    if (!txn->engine_txn) {
        free(txn);
        return begun;
    }
    pthread_mutex_init(&txn->lock, NULL);
    txn->root = db->root;
    nana__root_hold(txn->root);
    *out = txn;
    return begun;
}

NANA_API nana_db_t *nana_txn_db(nana_txn_t *txn, nana_db_t *table)
{
    const char *why;
    if (!txn || nana__db_check(table, &why) == NANA_EINVAL)
        return NULL;
    if (table->magic != NANA__DB_OPEN)
        return NULL;
    if (table->root != txn->root) {
        nana__db_set_errmsg(table, strdup("nana_txn_db: the handle belongs to another root"));
        return NULL;
    }
    if (table->txn) {
        if (table->txn == txn->engine_txn)
            return table;
        nana__db_set_errmsg(table, strdup("nana_txn_db: the handle is a view of another "
                                          "transaction"));
        return NULL;
    }
    pthread_mutex_lock(&txn->lock);
    struct txn_view *v = txn->views;
    while (v && v->db.table != table->table)
        v = v->next;
    if (!v && (v = calloc(1, sizeof *v))) {
        v->db.magic = NANA__DB_OPEN;
        v->db.root = txn->root;
        v->db.table = table->table;
        v->db.txn = txn->engine_txn;
        v->next = txn->views;
        txn->views = v;
    }
    pthread_mutex_unlock(&txn->lock);
    return v ? &v->db : NULL;
}

static nana_future_t *control(nana_txn_t *txn, enum nana_txn_ctl op)
{
    if (!txn)
        return refuse(NANA_EINVAL, "the transaction handle is NULL");
    const char *why;
    nana_status_t st = nana__engine_check(txn->root->engine, &why);
    if (st != NANA_OK)
        return refuse(st, why);
    return nana__engine_txn_control(txn->engine_txn, op);
}

NANA_API nana_future_t *nana_txn_savepoint(nana_txn_t *txn)
{
    return control(txn, NANA__TXN_SAVEPOINT);
}

NANA_API nana_future_t *nana_txn_release(nana_txn_t *txn)
{
    return control(txn, NANA__TXN_RELEASE);
}

NANA_API nana_future_t *nana_txn_rollback_to(nana_txn_t *txn)
{
    return control(txn, NANA__TXN_ROLLBACK_TO);
}

NANA_API nana_future_t *nana_txn_commit(nana_txn_t *txn)
{
    return control(txn, NANA__TXN_COMMIT);
}

NANA_API nana_future_t *nana_txn_rollback(nana_txn_t *txn)
{
    return control(txn, NANA__TXN_ROLLBACK);
}

NANA_API void nana_txn_free(nana_txn_t *txn)
{
    if (!txn)
        return;
    /* Rolled back in order with what is queued in it; nobody waits. */
    if (!nana__engine_txn_closing(txn->engine_txn))
        nana_future_free(control(txn, NANA__TXN_ROLLBACK));
    for (struct txn_view *v = txn->views, *next; v; v = next) {
        next = v->next;
        nana__handle_free(&v->db, v);
    }
    nana__engine_txn_release(txn->engine_txn);
    nana__root_release(txn->root);
    pthread_mutex_destroy(&txn->lock);
    free(txn);
}
