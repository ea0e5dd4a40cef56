/*
 * db.c -- opening and closing, sub-table handles, the connection and the
 * statements kept per table, fork detection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

/* ------------------------------------------------------------------ fork */

/* Bumped in every child process; a root remembers the value at open, so a
 * handle used in a child (where its threads do not exist and its connection
 * must not be touched) is detected with one load. */
atomic_uint nana__fork_generation;
static pthread_once_t first_open_once = PTHREAD_ONCE_INIT;

/*
 * fork() while one of our threads is inside SQLite (or malloc, resolving a
 * batch) would hand the child a lock held forever, and a connection the
 * child opens itself would hang on it.  So around fork() every open root is
 * quiesced: the prepare handler waits until no batch is in flight and takes
 * each root's executor role, the parent handler gives it back.
 */
static pthread_mutex_t open_roots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nana_root *open_roots;

static void before_fork(void)
{
    pthread_mutex_lock(&open_roots_lock);
    for (struct nana_root *r = open_roots; r; r = r->next_open) {
        pthread_mutex_lock(&r->lock);
        r->role_waiters++;
        /* Not only the SQL: resolving a batch frees memory, and an
         * allocator lock held at fork() would stay held in the child. */
        while (r->executing || r->resolving > 0)
            pthread_cond_wait(&r->work_cond, &r->lock);
        r->role_waiters--;
        r->executing = true;
        r->fork_claimed = true;
        pthread_mutex_unlock(&r->lock);
    }
    nana__stripes_lock_all();
}

static void after_fork_in_parent(void)
{
    nana__stripes_unlock_all();
    for (struct nana_root *r = open_roots; r; r = r->next_open) {
        pthread_mutex_lock(&r->lock);
        r->executing = false;
        r->fork_claimed = false;
        if (r->head && r->idle_workers > 0)
            pthread_cond_signal(&r->work_cond);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&open_roots_lock);
}

static void after_fork_in_child(void)
{
    nana__stripes_unlock_all();
    atomic_fetch_add(&nana__fork_generation, 1);
    /* The parent's roots are dead here: forget them. */
    open_roots = NULL;
    pthread_mutex_unlock(&open_roots_lock); /* this thread took it in before_fork */
}

static void register_root(struct nana_root *root)
{
    pthread_mutex_lock(&open_roots_lock);
    root->next_open = open_roots;
    open_roots = root;
    pthread_mutex_unlock(&open_roots_lock);
}

static void unregister_root(struct nana_root *root)
{
    pthread_mutex_lock(&open_roots_lock);
    for (struct nana_root **link = &open_roots; *link; link = &(*link)->next_open) {
        if (*link == root) {
            *link = root->next_open;
            break;
        }
    }
    pthread_mutex_unlock(&open_roots_lock);
}

static void first_open(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    /* jansson wants its hash seed chosen before threads share objects. */
    json_object_seed(0);
}

/* ----------------------------------------------------------------- checks */

bool nana__table_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t len = strlen(name);
    if (len == 0 || len > NANA_TABLE_NAME_MAX)
        return false;
    if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
          name[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    /* SQLite reserves these names for itself. */
    return strncasecmp(name, "sqlite_", 7) != 0;
}

nana_status_t nana__db_check(const nana_db_t *db, const char **msg)
{
    if (!db) {
        *msg = "NULL handle";
        return NANA_EINVAL;
    }
    if (db->root->fork_generation != atomic_load_explicit(&nana__fork_generation,
                                                          memory_order_relaxed)) {
        *msg = "the handle was inherited across fork(); open a new one in this process";
        return NANA_ECLOSED;
    }
    if (atomic_load_explicit(&db->root->closed, memory_order_acquire)) {
        *msg = "the root handle is closed";
        return NANA_ECLOSED;
    }
    return NANA_OK;
}

const char *nana__readonly_hint(const struct nana_root *root, int rc)
{
    if (!root->read_only || (rc & 0xff) != SQLITE_READONLY)
        return "";
    return " (the database was opened read-only because the file was not writable; "
           "reopen the handle once it is)";
}

static void set_errmsg(nana_db_t *db, char *msg)
{
    free(db->errmsg);
    db->errmsg = msg;
}

NANA_API const char *nana_db_errmsg(const nana_db_t *db)
{
    if (!db)
        return "NULL handle";
    return db->errmsg ? db->errmsg : "";
}

NANA_API void nana_options_init(nana_options_t *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->table = "data";
    opts->bulk_load = false;
    opts->optimize = true;
    opts->cache_size_mb = 64;
    opts->max_workers = 5;
    opts->thread_name_prefix = "nana";
    opts->busy_timeout_ms = 5000;
}

/* ------------------------------------------------------------ statements */

sqlite3_stmt *nana__stmt(struct nana_table *t, enum nana_stmt_id id, int *rc)
{
    static const char *const templates[NANA__ST_COUNT_OF] = {
        [NANA__ST_GET] = "SELECT value FROM \"%s\" WHERE key = ?1",
        [NANA__ST_SET] = "INSERT OR REPLACE INTO \"%s\" (key, value) VALUES (?1, ?2)",
        [NANA__ST_DELETE] = "DELETE FROM \"%s\" WHERE key = ?1",
        [NANA__ST_COUNT] = "SELECT COUNT(*) FROM \"%s\"",
        [NANA__ST_KEYS] = "SELECT key FROM \"%s\" ORDER BY rowid",
        [NANA__ST_ALL] = "SELECT key, value FROM \"%s\" ORDER BY rowid",
        [NANA__ST_CLEAR] = "DELETE FROM \"%s\"",
    };
    if (t->stmts[id]) {
        *rc = SQLITE_OK;
        return t->stmts[id];
    }
    /* The name was validated ([A-Za-z_][A-Za-z0-9_]*): quoting is enough. */
    char sql[256];
    snprintf(sql, sizeof sql, templates[id], t->name);
    *rc = sqlite3_prepare_v3(t->root->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
                             &t->stmts[id], NULL);
    if (*rc != SQLITE_OK) {
        sqlite3_finalize(t->stmts[id]);
        t->stmts[id] = NULL;
    }
    return t->stmts[id];
}

/* ----------------------------------------------------------------- roots */

void nana__root_pin(struct nana_root *root)
{
    atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
}

static void root_free(struct nana_root *root)
{
    struct nana_table *t = root->tables, *next;
    for (; t; t = next) {
        next = t->next;
        nana__cache_destroy(&t->cache);
        free(t);
    }
    pthread_mutex_destroy(&root->lock);
    pthread_cond_destroy(&root->work_cond);
    pthread_mutex_destroy(&root->tables_lock);
    free(root->path);
    free(root);
}

void nana__root_release(struct nana_root *root)
{
    if (atomic_fetch_sub_explicit(&root->refs, 1, memory_order_acq_rel) == 1)
        root_free(root);
}

/* Finds or creates the registry entry of table name (tables_lock held by
 * the caller is not needed: this takes it).  SQLite compares table names
 * without regard to ASCII case, so "DATA" is the table "data" and shares
 * its cache; the entry keeps the spelling it was first opened with. */
static struct nana_table *table_lookup(struct nana_root *root, const char *name, bool create)
{
    pthread_mutex_lock(&root->tables_lock);
    struct nana_table *t = root->tables;
    for (; t; t = t->next)
        if (strcasecmp(t->name, name) == 0)
            break;
    if (!t && create) {
        t = calloc(1, sizeof *t);
        if (t && nana__cache_init(&t->cache) != 0) {
            free(t);
            t = NULL;
        }
        if (t) {
            t->root = root;
            snprintf(t->name, sizeof t->name, "%s", name);
            atomic_init(&t->pending_table_ops, 0);
            atomic_init(&t->fully_loaded, false);
            t->next = root->tables;
            root->tables = t;
        }
    }
    pthread_mutex_unlock(&root->tables_lock);
    return t;
}

static nana_status_t create_table_now(struct nana_root *root, const char *name, char **errmsg)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" (key TEXT PRIMARY KEY, value TEXT)", name);
    int rc = sqlite3_exec(root->conn, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot create table \"%s\" in %s: %s", name, root->path,
                                sqlite3_errmsg(root->conn));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

static nana_status_t configure_connection(struct nana_root *root, const nana_options_t *o,
                                          char **errmsg)
{
    sqlite3 *conn = root->conn;
    sqlite3_extended_result_codes(conn, 1);
    sqlite3_set_authorizer(conn, nana__authorize, root);
    /* "name" is always an identifier: without this, a quoted name that is
     * not a column silently becomes a string literal. */
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_busy_timeout(conn, o->busy_timeout_ms);
    if (!o->optimize)
        return NANA_OK;
    /* NanaSQLite's settings, so both libraries behave alike on one file.
     * A file opened read-only keeps its journal mode: changing it is a
     * write, and reads work in either. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "%s PRAGMA synchronous=NORMAL; "
             "PRAGMA mmap_size=268435456; PRAGMA cache_size=-%lld; PRAGMA temp_store=MEMORY;",
             root->read_only ? "" : "PRAGMA journal_mode=WAL;",
             (long long)o->cache_size_mb * 1024);
    int rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot configure %s: %s", root->path, sqlite3_errmsg(conn));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

static nana_status_t validate_options(const nana_options_t *o, const char **why)
{
    if (o->max_workers < 1)
        *why = "max_workers must be at least 1";
    else if (o->cache_size_mb < 0)
        *why = "cache_size_mb must not be negative";
    else if (o->busy_timeout_ms < 0)
        *why = "busy_timeout_ms must not be negative";
    else if (!nana__table_name_valid(o->table ? o->table : "data"))
        *why = "invalid table name: use [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes, "
               "not starting with sqlite_";
    else
        return NANA_OK;
    return NANA_EINVAL;
}

NANA_API nana_status_t nana_open(const char *path, const nana_options_t *opts,
                                 nana_db_t **out)
{
    nana_options_t o;
    const char *why = NULL;

    if (out)
        *out = NULL;
    if (!path || !out)
        return NANA_EINVAL;
    if (opts)
        o = *opts;
    else
        nana_options_init(&o);
    if (!o.table)
        o.table = "data";
    if (!o.thread_name_prefix)
        o.thread_name_prefix = "nana";

    pthread_once(&first_open_once, first_open);

    struct nana_root *root = calloc(1, sizeof *root);
    nana_db_t *db = calloc(1, sizeof *db);
    char *path_copy = strdup(path);
    if (!root || !db || !path_copy) {
        free(root);
        free(db);
        free(path_copy);
        return NANA_ENOMEM;
    }
    root->path = path_copy;
    root->fork_generation = atomic_load(&nana__fork_generation);
    atomic_init(&root->closed, false);
    atomic_init(&root->refs, 1);
    atomic_init(&root->pending_sql_writes, 0);
    root->busy_timeout_ms = o.busy_timeout_ms;
    pthread_mutex_init(&root->lock, NULL);
    pthread_condattr_t cond_attr;
    pthread_condattr_init(&cond_attr);
    pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
    pthread_cond_init(&root->work_cond, &cond_attr);
    pthread_condattr_destroy(&cond_attr);
    pthread_mutex_init(&root->tables_lock, NULL);
    db->root = root;
    db->is_root = true;
    *out = db;

    char *msg = NULL;
    /* Refused options still give a handle that says why, as every other
     * failure of open does; nothing is opened or created. */
    nana_status_t st = validate_options(&o, &why);
    if (st != NANA_OK)
        msg = nana__strdupf("cannot open database \"%s\": %s", path, why);
    /* NOMUTEX: the executor role already serialises every use of the
     * connection, so SQLite's own mutex would only add cost. */
    int rc = st != NANA_OK ? SQLITE_OK
                           : sqlite3_open_v2(path, &root->conn,
                                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                 SQLITE_OPEN_NOMUTEX,
                                             NULL);
    if (rc != SQLITE_OK) {
        st = nana__status_from_sqlite(rc);
        msg = nana__strdupf("cannot open database \"%s\": %s", path,
                            root->conn ? sqlite3_errmsg(root->conn) : sqlite3_errstr(rc));
    }
    /* SQLite falls back to read-only when the file cannot be written. */
    if (st == NANA_OK)
        root->read_only = sqlite3_db_readonly(root->conn, "main") == 1;
    if (st == NANA_OK)
        st = configure_connection(root, &o, &msg);
    if (st == NANA_OK)
        st = create_table_now(root, o.table, &msg);
    if (st == NANA_OK) {
        db->table = table_lookup(root, o.table, true);
        if (!db->table)
            st = NANA_ENOMEM;
    }
    if (st == NANA_OK && o.bulk_load) {
        int64_t loaded = 0;
        st = nana__table_load(db->table, &loaded, &msg);
    }
    if (st == NANA_OK && nana__pool_start(root, o.max_workers, o.thread_name_prefix) != 0) {
        st = NANA_ENOMEM;
        msg = nana__strdupf("cannot start %d worker threads", o.max_workers);
    }
    if (st == NANA_OK)
        register_root(root);
    if (st == NANA_OK && root->read_only)
        set_errmsg(db, nana__strdupf("\"%s\" is opened read-only: the file is not writable "
                                     "by this process; reads work, writes fail with "
                                     "NANA_EIO until the handle is reopened",
                                     path));
    if (st != NANA_OK) {
        /* Like sqlite3_open(): the handle stays, to say why; close frees it. */
        atomic_store(&root->closed, true);
        root->stopping = true;
        set_errmsg(db, msg ? msg : strdup(nana_errstr(st)));
    }
    return st;
}

NANA_API nana_status_t nana_table(nana_db_t *db, const char *name, nana_db_t **out)
{
    const char *why;
    if (out)
        *out = NULL;
    if (!db || !out)
        return NANA_EINVAL;
    if (!nana__table_name_valid(name)) {
        set_errmsg(db, strdup("invalid table name: use [A-Za-z_][A-Za-z0-9_]*, "
                              "at most 128 bytes, not starting with sqlite_"));
        return NANA_EINVAL;
    }
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK) {
        set_errmsg(db, strdup(why));
        return st;
    }
    struct nana_root *root = db->root;
    nana_db_t *sub = calloc(1, sizeof *sub);
    if (!sub)
        return NANA_ENOMEM;

    struct nana_table *t = table_lookup(root, name, false);
    if (!t && !nana__thread_may_block()) {
        /* Creating it means waiting for the queue, which a callback or a
         * pool thread must not do; refuse before queueing anything. */
        free(sub);
        set_errmsg(db, strdup("nana_table must create the table and cannot wait "
                              "from a callback or pool thread"));
        return NANA_EDEADLK;
    }
    if (!t) {
        /* Create the table in order with the queued jobs. */
        struct nana_job *job = nana__job_new(NULL, NANA__JOB_CREATE_TABLE);
        char *name_copy = strdup(name);
        if (!job || !name_copy) {
            free(job);
            free(name_copy);
            free(sub);
            return NANA_ENOMEM;
        }
        job->key = name_copy;
        job->root = root;
        nana_future_t *f = nana__pool_submit(root, job);
        st = nana_future_await(f);
        if (st != NANA_OK) {
            set_errmsg(db, strdup(nana_future_errmsg(f)));
            /* A pending future is fine to free: the job still runs. */
            nana_future_free(f);
            free(sub);
            return st;
        }
        nana_future_free(f);
        t = table_lookup(root, name, true);
        if (!t) {
            free(sub);
            return NANA_ENOMEM;
        }
    }
    nana__root_pin(root);
    sub->root = root;
    sub->table = t;
    sub->is_root = false;
    *out = sub;
    return NANA_OK;
}

static void close_connection(struct nana_root *root)
{
    for (struct nana_table *t = root->tables; t; t = t->next) {
        for (int i = 0; i < NANA__ST_COUNT_OF; i++) {
            sqlite3_finalize(t->stmts[i]);
            t->stmts[i] = NULL;
        }
        /* Sub-table handles still open answer NANA_ECLOSED from now on;
         * their cached values are of no further use. */
        nana__cache_reset(&t->cache, false);
    }
    for (int i = 0; i < 4; i++) {
        sqlite3_finalize(root->txn_stmts[i]);
        root->txn_stmts[i] = NULL;
    }
    sqlite3_close_v2(root->conn);
    root->conn = NULL;
}

NANA_API nana_status_t nana_close(nana_db_t *db)
{
    if (!db)
        return NANA_OK;
    struct nana_root *root = db->root;
    if (root->fork_generation != atomic_load(&nana__fork_generation)) {
        /* Its threads do not exist here and its locks may be held forever:
         * touching it could hang.  Leak it. */
        return NANA_ECLOSED;
    }
    if (!db->is_root) {
        free(db->errmsg);
        free(db);
        nana__root_release(root);
        return NANA_OK;
    }
    if (!nana__thread_may_block()) {
        set_errmsg(db, strdup("nana_close on a root cannot run in a callback or pool thread"));
        return NANA_EDEADLK;
    }
    atomic_store_explicit(&root->closed, true, memory_order_release);
    nana__pool_stop(root);
    unregister_root(root);
    if (root->conn)
        close_connection(root);
    free(db->errmsg);
    free(db);
    nana__root_release(root);
    return NANA_OK;
}
