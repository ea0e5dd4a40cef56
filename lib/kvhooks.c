/*
 * kvhooks.c -- nana_set_hooks(), and the dict jobs' side of the hooks: the
 * steps kvjob.c and kvrmw.c take around each write (hooks.c holds the set
 * and after_commit's keys).
 *
 * Every dict write goes through the same three steps, so that no path can
 * skip one: before_write / before_delete, then register (counted for
 * after_commit, in a transaction logged), then the write, then wrote; the
 * job's settle hands its keys on.  A job looks its table's hooks up once,
 * when it first needs them while running, and keeps them until it settled:
 * the hooks a write uses are those installed when it ran.
 */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

NANA_API nana_status_t nana_set_hooks(nana_db_t *db, const nana_hooks_t *hooks)
{
    if (!db)
        return NANA_EINVAL;
    const char *why;
    nana_status_t st = nana__engine_check(db->root->engine, &why);
    if (st != NANA_OK)
        return st;
    return nana__hooks_install(&db->table->hooks, hooks);
}

static const struct nana_hookset *hooks_of(struct kv_job *job)
{
    struct nana_hook_use *u = &job->hook;
    if (!u->acquired) {
        u->set = nana__hooks_acquire(&job->table->hooks);
        u->acquired = true;
    }
    return u->set;
}

bool nana__kv_hooks_write(struct kv_job *job)
{
    const struct nana_hookset *s = hooks_of(job);
    return s && s->h.before_write;
}

bool nana__kv_hooks_delete(struct kv_job *job)
{
    const struct nana_hookset *s = hooks_of(job);
    return s && s->h.before_delete;
}

bool nana__kv_hooks_commit(struct kv_job *job)
{
    const struct nana_hookset *s = hooks_of(job);
    return s && s->h.after_commit;
}

/* Fails job with a hook's refusal; multi: which key, and that none was
 * changed. */
static void refuse(struct kv_job *job, nana_status_t st, char *msg, const char *key, bool multi)
{
    if (multi && msg) {
        char kb[NANA_KEY_MSG_SIZE];
        char *full = nana__strdupf("%s (key %s; no key was changed)", msg,
                                   nana__key_for_msg(key, kb, sizeof kb));
        if (full) {
            free(msg);
            msg = full;
        }
    }
    nana__job_fail(&job->base, st, msg);
}

bool nana__kv_hook_write(struct kv_job *job, const char *key, json_t **value, char **text,
                         size_t *text_len, bool multi)
{
    const struct nana_hookset *s = hooks_of(job);
    job->hook.replaced = false;
    if (!s || !s->h.before_write)
        return true;
    json_t *stored;
    char *new_text, *msg;
    size_t new_len;
    nana_status_t st = nana__hooks_before_write(s, job->table->name, key, *value, &stored,
                                                &new_text, &new_len, &msg);
    if (st != NANA_OK) {
        refuse(job, st, msg, key, multi);
        return false;
    }
    if (stored) {
        job->hook.replaced = true;
        nana__json_release(*value);
        *value = stored;
        free(*text);
        *text = new_text;
        *text_len = new_len;
    }
    return true;
}

bool nana__kv_hook_delete(struct kv_job *job, const char *key, bool multi)
{
    const struct nana_hookset *s = hooks_of(job);
    if (!s || !s->h.before_delete)
        return true;
    char *msg;
    nana_status_t st = nana__hooks_before_delete(s, job->table->name, key, &msg);
    if (st != NANA_OK) {
        refuse(job, st, msg, key, multi);
        return false;
    }
    return true;
}

bool nana__kv_hook_register(struct kv_job *job, const char *key,
                            const struct nana_kv_item *items, size_t n, bool deletes)
{
    struct nana_hook_use *u = &job->hook;
    if (!nana__kv_hooks_commit(job))
        return true;
    u->key = key;
    u->items = items;
    u->n = n;
    u->deletes = deletes;
    int rc = nana__hooks_register(job->table, u, job->conn, job->base.txn != NULL);
    if (rc != SQLITE_OK) {
        /* Nothing was written: a write after_commit could miss is none. */
        nana__job_fail(&job->base, nana__status_from_sqlite(rc),
                       nana__strdupf("cannot note the write in table \"%s\" for its "
                                     "after_commit hook: %s; nothing was written",
                                     job->table->name,
                                     rc == SQLITE_NOMEM ? nana__errstr(rc)
                                                        : nana__conn_errmsg(job->conn)));
        return false;
    }
    return true;
}

void nana__kv_hook_wrote(struct kv_job *job, size_t n)
{
    job->hook.wrote = true;
    if (!job->hook.key)
        job->hook.n = n;
}

void nana__kv_hook_settle(struct kv_job *job, bool committed)
{
    if (job->hook.set)
        nana__hooks_settle(job->table, &job->hook, job->conn, committed);
}
