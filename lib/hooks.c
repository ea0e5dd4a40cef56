/*
 * hooks.c -- a table's write hooks: the installed set and its references,
 * calling the user's hooks, and the keys after_commit is given.
 *
 * Who touches what.  The installed set (struct nana_table_hooks.current)
 * is swapped and referenced under the table's hook lock, from any thread;
 * a write takes its reference when it runs and drops it when it settled,
 * so a set outlives its removal for as long as a write uses it, and its
 * release runs once, on the thread dropping the last reference.
 * Everything else here (struct nana_hook_exec) belongs to the executor:
 * it is touched only with the root's executor role held, whose hand-over
 * goes through the engine's lock, so it needs no lock of its own.
 *
 * Why hooks never run at the same time: they run in a job's run or settle,
 * and one thread at a time holds the role.  A user's hook runs between
 * nana__future_callback_enter() and _leave(), so that awaiting inside it
 * returns NANA_EDEADLK instead of waiting for a queue that this very
 * thread is holding up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The size of the buffer a hook may write its message into. */
#define HOOK_MSG_SIZE 512

/* How many keys the executor keeps room for between batches; more is
 * given back once after_commit ran (a 100k-key batch_update needs its
 * room once). */
#define KEEP_KEYS 1024

#define COUNT_STATUS_(name, text) +1
enum { N_STATUS = 0 NANA_STATUS_TABLE(COUNT_STATUS_) };
#undef COUNT_STATUS_

enum { LOG_INSERT, LOG_FIND, LOG_CLEAR, LOG_COUNT };

static const char *const log_sql[LOG_COUNT] = {
    "INSERT INTO temp.nana_hook_log (id, tbl) VALUES (?1, ?2)",
    "SELECT 1 FROM temp.nana_hook_log WHERE id = ?1",
    "DELETE FROM temp.nana_hook_log WHERE tbl = ?1",
};
static const char log_create[] =
    "CREATE TEMP TABLE IF NOT EXISTS nana_hook_log (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL)";

/* Ids of log rows: never reused, so that a row rolled back and a later one
 * can never be taken for each other. */
static _Atomic uint64_t next_log_id = 1;

struct nana_hook_exec {
    struct nana_hookset *set;  /* whose after_commit the keys are for (a reference) */
    char *text;                /* the keys, each NUL-terminated */
    size_t text_len, text_cap;
    size_t *starts;            /* key i at text + starts[i] */
    bool *deleted;
    const char **ptrs;         /* after_commit's array */
    size_t *slots;             /* de-duplication: index + 1, or 0 */
    size_t n, cap, slot_cap;
    size_t reserved_keys, reserved_bytes; /* for registered jobs still to settle */
    size_t unsettled;          /* registered jobs still to settle */
    bool logged;               /* rows of this table may be in the log */
    struct nana_stmt *log[LOG_COUNT];
};

/* ------------------------------------------------------------ the set */

void nana__hookset_release(struct nana_hookset *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (s->h.release) {
        nana__future_callback_enter();
        s->h.release(s->h.arg);
        nana__future_callback_leave();
    }
    free(s);
}

void nana__hooks_init(struct nana_table_hooks *th)
{
    pthread_mutex_init(&th->lock, NULL);
    atomic_init(&th->current, NULL);
    th->closed = false;
    th->exec = NULL;
}

static void exec_free_room(struct nana_hook_exec *c)
{
    free(c->text);
    free(c->starts);
    free(c->deleted);
    free(c->ptrs);
    free(c->slots);
    c->text = NULL;
    c->starts = NULL;
    c->deleted = NULL;
    c->ptrs = NULL;
    c->slots = NULL;
    c->text_cap = c->cap = c->slot_cap = 0;
}

static void exec_free(struct nana_hook_exec *c)
{
    if (!c)
        return;
    for (int i = 0; i < LOG_COUNT; i++)
        nana__stmt_finalize(c->log[i]);
    nana__hookset_release(c->set);
    exec_free_room(c);
    free(c);
}

void nana__hooks_close(struct nana_table_hooks *th)
{
    pthread_mutex_lock(&th->lock);
    th->closed = true;
    struct nana_hookset *old = atomic_load_explicit(&th->current, memory_order_relaxed);
    atomic_store_explicit(&th->current, NULL, memory_order_relaxed);
    pthread_mutex_unlock(&th->lock);
    nana__hookset_release(old);
    /* Before the connection closes: its statements. */
    exec_free(th->exec);
    th->exec = NULL;
}

void nana__hooks_destroy(struct nana_table_hooks *th)
{
    nana__hookset_release(atomic_load_explicit(&th->current, memory_order_relaxed));
    exec_free(th->exec);
    pthread_mutex_destroy(&th->lock);
}

nana_status_t nana__hooks_install(struct nana_table_hooks *th, const nana_hooks_t *h)
{
    struct nana_hookset *s = NULL;
    if (h && (h->before_write || h->before_delete || h->after_commit)) {
        if (!(s = malloc(sizeof *s)))
            return NANA_ENOMEM;
        atomic_init(&s->refs, 1);
        s->h = *h;
    }
    pthread_mutex_lock(&th->lock);
    if (th->closed) {
        pthread_mutex_unlock(&th->lock);
        free(s); /* never installed: its release is not called */
        return NANA_ECLOSED;
    }
    struct nana_hookset *old = atomic_load_explicit(&th->current, memory_order_relaxed);
    atomic_store_explicit(&th->current, s, memory_order_release);
    pthread_mutex_unlock(&th->lock);
    nana__hookset_release(old);
    return NANA_OK;
}

struct nana_hookset *nana__hooks_acquire(struct nana_table_hooks *th)
{
    /* Writes of a table without hooks pay one load. */
    if (!atomic_load_explicit(&th->current, memory_order_acquire))
        return NULL;
    pthread_mutex_lock(&th->lock);
    struct nana_hookset *s = atomic_load_explicit(&th->current, memory_order_relaxed);
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&th->lock);
    return s;
}

/* -------------------------------------------------------- calling them */

static bool is_failure(nana_status_t st)
{
    return (int)st > (int)NANA_PENDING && (int)st < N_STATUS;
}

/* The refusal's status and message (*msg, malloc'd): the hook's own
 * message as it gave it, else one naming the hook, table and key.  A
 * status that is no failure (NANA_PENDING, a number outside the table) is
 * NANA_EINVAL, and the message says what it was. */
static nana_status_t refusal(const char *hook, nana_status_t st, const char *table,
                             const char *key, char *text, char **msg)
{
    char kb[NANA_KEY_MSG_SIZE];
    text[HOOK_MSG_SIZE - 1] = '\0';
    if (!is_failure(st)) {
        *msg = nana__strdupf("the %s hook of table \"%s\" returned %d, which is not a failure "
                             "status, for key %s%s%s",
                             hook, table, (int)st, nana__key_for_msg(key, kb, sizeof kb),
                             *text ? ": " : "", text);
        return NANA_EINVAL;
    }
    *msg = *text ? strdup(text)
                 : nana__strdupf("the %s hook of table \"%s\" refused key %s", hook, table,
                                 nana__key_for_msg(key, kb, sizeof kb));
    return st;
}

nana_status_t nana__hooks_before_write(const struct nana_hookset *s, const char *table,
                                       const char *key, json_t *value, json_t **stored,
                                       char **text, size_t *len, char **msg)
{
    char buf[HOOK_MSG_SIZE];
    json_t *replacement = NULL;
    buf[0] = '\0';
    *stored = NULL;
    *text = NULL;
    *msg = NULL;
    nana__future_callback_enter();
    nana_status_t st = s->h.before_write(s->h.arg, key, value, &replacement, buf, sizeof buf);
    nana__future_callback_leave();
    if (st != NANA_OK) {
        nana__json_release(replacement);
        return refusal("before_write", st, table, key, buf, msg);
    }
    if (!replacement)
        return NANA_OK;
    /* A copy of our own: the hook may keep and change its value, and ours
     * is shared read-only with the cache from now on. */
    *stored = nana__json_copy(replacement);
    nana__json_release(replacement);
    if (!*stored)
        return NANA_ENOMEM;
    if (!(*text = nana__json_encode(*stored, len))) {
        char kb[NANA_KEY_MSG_SIZE];
        nana__json_release(*stored);
        *stored = NULL;
        *msg = nana__strdupf("the before_write hook of table \"%s\" replaced the value of key %s "
                             "with one that cannot be stored as JSON; nothing was written",
                             table, nana__key_for_msg(key, kb, sizeof kb));
        return NANA_EINVAL;
    }
    return NANA_OK;
}

nana_status_t nana__hooks_before_delete(const struct nana_hookset *s, const char *table,
                                        const char *key, char **msg)
{
    char buf[HOOK_MSG_SIZE];
    buf[0] = '\0';
    *msg = NULL;
    nana__future_callback_enter();
    nana_status_t st = s->h.before_delete(s->h.arg, key, buf, sizeof buf);
    nana__future_callback_leave();
    return st == NANA_OK ? NANA_OK : refusal("before_delete", st, table, key, buf, msg);
}

/* ------------------------------------------------------------ the log */

/* Steps log statement which, made on first use (and the table too when
 * make: a rollback may have undone its creation).  SQLite's code of the
 * step: SQLITE_ROW, SQLITE_DONE, or an error. */
static int log_step(struct nana_hook_exec *c, struct nana_conn *conn, int which, uint64_t id,
                    const char *tbl, bool make)
{
    for (int attempt = 0;; attempt++) {
        int rc = SQLITE_OK;
        if (!c->log[which])
            rc = nana__conn_prepare(conn, log_sql[which], -1, true, &c->log[which], NULL);
        if (rc == SQLITE_OK) {
            struct nana_stmt *stmt = c->log[which];
            if (which == LOG_CLEAR) {
                nana__stmt_bind_text(stmt, 1, tbl, strlen(tbl), NANA__BIND_BORROWED);
            } else {
                nana__stmt_bind_int64(stmt, 1, (int64_t)id);
                if (which == LOG_INSERT)
                    nana__stmt_bind_text(stmt, 2, tbl, strlen(tbl), NANA__BIND_BORROWED);
            }
            rc = nana__stmt_step(stmt);
            nana__stmt_reset(stmt);
            nana__stmt_clear_bindings(stmt);
        }
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            return rc;
        if (attempt > 0 || !make || (rc & 0xff) != SQLITE_ERROR)
            return rc;
        /* No such table: make it, and try once more with a new statement. */
        nana__stmt_finalize(c->log[which]);
        c->log[which] = NULL;
        if ((rc = nana__conn_exec(conn, log_create)) != SQLITE_OK)
            return rc;
    }
}

/* ----------------------------------------------------- after_commit */

static size_t keys_of(const struct nana_hook_use *u, size_t *bytes)
{
    *bytes = 0;
    if (u->key) {
        *bytes = strlen(u->key) + 1;
        return 1;
    }
    for (size_t i = 0; i < u->n; i++)
        *bytes += strlen(u->items[i].key) + 1;
    return u->n;
}

/* Room for keys more keys of bytes more bytes, besides what is in use and
 * reserved: everything after_commit will need, so that settle never
 * allocates. */
static bool reserve(struct nana_hook_exec *c, size_t keys, size_t bytes)
{
    size_t want = c->n + c->reserved_keys + keys;
    size_t want_text = c->text_len + c->reserved_bytes + bytes;
    if (want > c->cap) {
        size_t cap = c->cap ? c->cap : 16;
        while (cap < want)
            cap *= 2;
        size_t slot_cap = 2 * cap;
        size_t *starts = realloc(c->starts, cap * sizeof *starts);
        if (starts)
            c->starts = starts;
        bool *deleted = realloc(c->deleted, cap * sizeof *deleted);
        if (deleted)
            c->deleted = deleted;
        const char **ptrs = realloc(c->ptrs, cap * sizeof *ptrs);
        if (ptrs)
            c->ptrs = ptrs;
        size_t *slots = realloc(c->slots, slot_cap * sizeof *slots);
        if (slots)
            c->slots = slots;
        if (!starts || !deleted || !ptrs || !slots)
            return false; /* the arrays that grew are kept: still consistent */
        c->cap = cap;
        c->slot_cap = slot_cap;
    }
    if (want_text > c->text_cap) {
        size_t cap = c->text_cap ? c->text_cap : 256;
        while (cap < want_text)
            cap *= 2;
        char *text = realloc(c->text, cap);
        if (!text)
            return false;
        c->text = text;
        c->text_cap = cap;
    }
    return true;
}

static void append(struct nana_hook_exec *c, const char *key, bool deleted)
{
    size_t len = strlen(key) + 1;
    memcpy(c->text + c->text_len, key, len);
    c->starts[c->n] = c->text_len;
    c->deleted[c->n] = deleted;
    c->text_len += len;
    c->n++;
}

/* Calls after_commit with the keys gathered, each once (first place, last
 * deleted flag), and empties the list. */
static void call_after_commit(struct nana_hook_exec *c)
{
    size_t k = 0, mask = c->slot_cap - 1;
    memset(c->slots, 0, c->slot_cap * sizeof *c->slots);
    for (size_t i = 0; i < c->n; i++) {
        const char *key = c->text + c->starts[i];
        size_t at = nana__cache_hash(key, strlen(key)) & mask;
        while (c->slots[at] && strcmp(c->ptrs[c->slots[at] - 1], key) != 0)
            at = (at + 1) & mask;
        if (c->slots[at]) {
            c->deleted[c->slots[at] - 1] = c->deleted[i];
            continue;
        }
        c->deleted[k] = c->deleted[i];
        c->ptrs[k] = key;
        c->slots[at] = ++k;
    }
    if (k > 0 && c->set && c->set->h.after_commit) {
        nana__future_callback_enter();
        c->set->h.after_commit(c->set->h.arg, c->ptrs, c->deleted, k);
        nana__future_callback_leave();
    }
    c->n = 0;
    c->text_len = 0;
}

int nana__hooks_register(struct nana_table *t, struct nana_hook_use *u, struct nana_conn *conn,
                         bool in_txn)
{
    if (!u->set || !u->set->h.after_commit || u->registered)
        return SQLITE_OK;
    struct nana_hook_exec *c = t->hooks.exec;
    if (!c && !(c = t->hooks.exec = calloc(1, sizeof *c)))
        return SQLITE_NOMEM;
    size_t bytes, keys = keys_of(u, &bytes);
    if (!reserve(c, keys, bytes))
        return SQLITE_NOMEM;
    if (in_txn) {
        uint64_t id = atomic_fetch_add_explicit(&next_log_id, 1, memory_order_relaxed);
        int rc = log_step(c, conn, LOG_INSERT, id, t->name, true);
        if (rc != SQLITE_DONE)
            return rc;
        u->log_id = id;
        c->logged = true;
    }
    c->reserved_keys += keys;
    c->reserved_bytes += bytes;
    u->reserved_keys = keys;
    u->reserved_bytes = bytes;
    c->unsettled++;
    u->registered = true;
    return SQLITE_OK;
}

void nana__hooks_settle(struct nana_table *t, struct nana_hook_use *u, struct nana_conn *conn,
                        bool committed)
{
    struct nana_hook_exec *c = t->hooks.exec;
    if (u->registered && c) {
        /* A transaction's settle may say "not committed" for a write that
         * did commit (see internal.h): its log row says. */
        bool kept = u->wrote && (committed || (u->log_id && conn &&
                                               log_step(c, conn, LOG_FIND, u->log_id, NULL,
                                                        false) == SQLITE_ROW));
        c->reserved_keys -= u->reserved_keys;
        c->reserved_bytes -= u->reserved_bytes;
        if (kept) {
            if (c->set != u->set) {
                /* Other hooks were installed in between: the keys so far
                 * are theirs. */
                if (c->n)
                    call_after_commit(c);
                nana__hookset_release(c->set);
                c->set = u->set;
                atomic_fetch_add_explicit(&c->set->refs, 1, memory_order_relaxed);
            }
            if (u->key) {
                append(c, u->key, u->deletes);
            } else {
                for (size_t i = 0; i < u->n; i++)
                    append(c, u->items[i].key, u->deletes);
            }
        }
        u->registered = false;
        if (--c->unsettled == 0) {
            if (c->n)
                call_after_commit(c);
            nana__hookset_release(c->set);
            c->set = NULL;
            if (c->logged && conn) {
                /* The rows of what committed; those rolled back are gone. */
                log_step(c, conn, LOG_CLEAR, 0, t->name, false);
                c->logged = false;
            }
            if (c->cap > KEEP_KEYS)
                exec_free_room(c);
        }
    }
    nana__hookset_release(u->set);
    u->set = NULL;
}
