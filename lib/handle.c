/*
 * handle.c -- nana_open, nana_table, nana_close: the composition root.  A
 * root is an engine (engine.c), a backend with its connection
 * (backend.c), the registry of its tables (table.c) and the authorizer's
 * state (authorize.c); this file makes them, wires them together,
 * configures the connection, and takes them apart again.  It is the only
 * file that writes a root's fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_once_t first_open_once = PTHREAD_ONCE_INIT;

static void first_open(void)
{
    /* jansson wants its hash seed chosen before threads share objects. */
    json_object_seed(0);
}

static const char bad_table_name[] = "invalid table name: use [A-Za-z_][A-Za-z0-9_]*, at "
                                     "most 128 bytes, not starting with sqlite_";

static void set_errmsg(nana_db_t *db, char *msg)
{
    free(db->errmsg);
    db->errmsg = msg;
}

void nana__db_set_errmsg(nana_db_t *db, char *msg)
{
    set_errmsg(db, msg);
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

NANA_API void nana_table_options_init(nana_table_options_t *opts)
{
    if (opts)
        memset(opts, 0, sizeof *opts); /* NANA_INHERIT everywhere */
}

/* ----------------------------------------------------------------- roots */

static void root_release(struct nana_root *root);

void nana__root_hold(struct nana_root *root)
{
    atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
}

void nana__root_release(struct nana_root *root)
{
    root_release(root);
}

static void root_release(struct nana_root *root)
{
    if (atomic_fetch_sub_explicit(&root->refs, 1, memory_order_acq_rel) != 1)
        return;
    nana__tables_free(&root->tables);
    nana__engine_release(root->engine);
    free(root->path);
    free(root);
}

static nana_status_t configure_connection(struct nana_root *root, const nana_options_t *o,
                                          char **errmsg)
{
    sqlite3 *conn = root->backend.writer;
    sqlite3_extended_result_codes(conn, 1);
    nana__auth_install(&root->auth, conn);
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
             nana__backend_read_only(&root->backend) ? "" : "PRAGMA journal_mode=WAL;",
             (long long)o->cache_size_mb * 1024);
    int rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot configure %s: %s", root->path, sqlite3_errmsg(conn));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

/* The flags nana_open_v2() knows. */
#define OPEN_FLAGS_KNOWN (NANA_OPEN_READONLY | NANA_OPEN_NOCREATE)

static nana_status_t validate_options(const nana_options_t *o, unsigned flags,
                                      const nana_table_options_t *topts,
                                      struct nana_cache_policy *policy, const char **why)
{
    static const struct nana_cache_policy unbounded = {0};
    if (nana__cachepolicy_resolve(&unbounded, topts, policy, why) != NANA_OK)
        return NANA_EINVAL;
    if (flags & ~OPEN_FLAGS_KNOWN)
        *why = "unknown nana_open_v2 flags (this release knows NANA_OPEN_READONLY and "
               "NANA_OPEN_NOCREATE)";
    else if (o->max_workers < 1)
        *why = "max_workers must be at least 1";
    else if (o->cache_size_mb < 0)
        *why = "cache_size_mb must not be negative";
    else if (o->busy_timeout_ms < 0)
        *why = "busy_timeout_ms must not be negative";
    else if (!nana__ident_valid(o->table))
        *why = bad_table_name;
    else
        return NANA_OK;
    return NANA_EINVAL;
}

/* Opens the file and brings the root up; the steps after a failure are
 * skipped, and *msg says why. */
static nana_status_t bring_up(struct nana_root *root, nana_db_t *db, const nana_options_t *o,
                              unsigned flags, const nana_table_options_t *topts, char **msg)
{
    const char *why = NULL;
    struct nana_cache_policy policy;
    /* Refused options still give a handle that says why, as every other
     * failure of open does; nothing is opened or created. */
    nana_status_t st = validate_options(o, flags, topts, &policy, &why);
    if (st != NANA_OK) {
        *msg = nana__strdupf("cannot open database \"%s\": %s", root->path, why);
        return st;
    }
    if ((st = nana__backend_open(&root->backend, root->path, flags, msg)) != NANA_OK)
        return st;
    if ((st = configure_connection(root, o, msg)) != NANA_OK)
        return st;
    /* IF NOT EXISTS writes nothing when the table is there: on a read-only
     * connection it fails only when the table is missing. */
    int rc = nana__table_create(root->backend.writer, o->table);
    if ((rc & 0xff) == SQLITE_READONLY && (flags & NANA_OPEN_READONLY)) {
        *msg = nana__strdupf("no table \"%s\" in %s, and a handle opened with "
                             "NANA_OPEN_READONLY cannot create it",
                             o->table, root->path);
        return NANA_ENOTFOUND;
    }
    if (rc != SQLITE_OK) {
        *msg = nana__strdupf("cannot create table \"%s\" in %s: %s", o->table, root->path,
                             sqlite3_errmsg(root->backend.writer));
        return nana__status_from_sqlite(rc);
    }
    if (!(db->table = nana__table_lookup(&root->tables, o->table, &policy)))
        return NANA_ENOMEM;
    if (o->bulk_load) {
        int64_t loaded = 0;
        if ((st = nana__table_load(db->table, root->backend.writer, &loaded, msg)) != NANA_OK)
            return st;
    }
    /* A transaction the cache could not follow forgets it all at COMMIT. */
    nana__engine_set_forget_all(root->engine, nana__tables_forget_all, &root->tables);
    if (nana__engine_start(root->engine, &root->backend, o->max_workers,
                           o->thread_name_prefix) != 0) {
        *msg = nana__strdupf("cannot start %d worker threads", o->max_workers);
        return NANA_ENOMEM;
    }
    return NANA_OK;
}

NANA_API nana_status_t nana_open(const char *path, const nana_options_t *opts,
                                 nana_db_t **out)
{
    return nana_open_v2(path, opts, 0, out);
}

NANA_API nana_status_t nana_open_v2(const char *path, const nana_options_t *opts,
                                    unsigned flags, nana_db_t **out)
{
    return nana_open_v3(path, opts, flags, NULL, out);
}

NANA_API nana_status_t nana_open_v3(const char *path, const nana_options_t *opts,
                                    unsigned flags, const nana_table_options_t *table_opts,
                                    nana_db_t **out)
{
    nana_options_t o;

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
    struct nana_engine *engine = nana__engine_new();
    if (!root || !db || !path_copy || !engine) {
        free(root);
        free(db);
        free(path_copy);
        nana__engine_release(engine);
        return NANA_ENOMEM;
    }
    root->path = path_copy;
    root->engine = engine;
    atomic_init(&root->refs, 1);
    nana__tables_init(&root->tables);
    db->root = root;
    db->is_root = true;
    *out = db;

    char *msg = NULL;
    nana_status_t st = bring_up(root, db, &o, flags, table_opts, &msg);
    /* Read-only by request is no failure: no note. */
    if (st == NANA_OK && nana__backend_read_only(&root->backend) &&
        !(flags & NANA_OPEN_READONLY))
        set_errmsg(db, nana__strdupf("\"%s\" is opened read-only: the file is not writable "
                                     "by this process; reads work, writes fail with "
                                     "NANA_EIO until the handle is reopened",
                                     path));
    if (st != NANA_OK) {
        /* Like sqlite3_open(): the handle stays, to say why, and is closed
         * (its engine never started); nana_close frees it. */
        set_errmsg(db, msg ? msg : strdup(nana_errstr(st)));
    }
    return st;
}

/* ------------------------------------------------------------ sub-tables */

/* A table the root has keeps its policy: options that say otherwise are
 * refused, naming what it has.  NANA_OK or NANA_EINVAL. */
static nana_status_t check_kept_policy(nana_db_t *db, const struct nana_table *t,
                                       const nana_table_options_t *opts)
{
    const struct nana_cache_policy *have = &t->cache.policy;
    struct nana_cache_policy want;
    const char *why;
    if (nana__cachepolicy_resolve(have, opts, &want, &why) == NANA_OK &&
        nana__cachepolicy_same(&want, have))
        return NANA_OK;
    set_errmsg(db, nana__strdupf("table \"%s\" is already open in this root with another cache "
                                 "policy (cache_max_entries %zu, cache_max_bytes %zu, "
                                 "cache_ttl_ms %lld; 0: none): the handles of a root on one "
                                 "table share its cache",
                                 t->name, have->max_entries, have->max_bytes,
                                 (long long)(have->ttl_ns / 1000000)));
    return NANA_EINVAL;
}

NANA_API nana_status_t nana_table(nana_db_t *db, const char *name, nana_db_t **out)
{
    return nana_table_v2(db, name, NULL, out);
}

NANA_API nana_status_t nana_table_v2(nana_db_t *db, const char *name,
                                     const nana_table_options_t *opts, nana_db_t **out)
{
    const char *why;
    if (out)
        *out = NULL;
    if (!db || !out)
        return NANA_EINVAL;
    if (!name || !nana__ident_valid(name)) {
        set_errmsg(db, strdup(bad_table_name));
        return NANA_EINVAL;
    }
    /* A new table inherits what opts leaves from db's (NanaSQLite 1.x:
     * sub-tables once ignored their parent's cache settings). */
    struct nana_cache_policy policy;
    if (nana__cachepolicy_resolve(&db->table->cache.policy, opts, &policy, &why) != NANA_OK) {
        set_errmsg(db, strdup(why));
        return NANA_EINVAL;
    }
    if (db->txn) {
        set_errmsg(db, strdup("a view inside a transaction makes no sub-table: call nana_table "
                              "on a handle outside it, then nana_txn_db"));
        return NANA_EINVAL;
    }
    struct nana_root *root = db->root;
    nana_status_t st = nana__engine_check(root->engine, &why);
    if (st != NANA_OK) {
        set_errmsg(db, strdup(why));
        return st;
    }
    nana_db_t *sub = calloc(1, sizeof *sub);
    if (!sub)
        return NANA_ENOMEM;

    struct nana_table *t = nana__table_lookup(&root->tables, name, NULL);
    if (t && (st = check_kept_policy(db, t, opts)) != NANA_OK) {
        free(sub);
        return st;
    }
    if (!t && !nana__future_may_block()) {
        /* Creating it means waiting for the queue, which a callback or a
         * pool thread must not do; refuse before queueing anything. */
        free(sub);
        set_errmsg(db, strdup("nana_table must create the table and cannot wait "
                              "from a callback or pool thread"));
        return NANA_EDEADLK;
    }
    if (!t) {
        /* Create the table in order with the queued jobs. */
        struct nana_job *job = nana__table_create_job(name);
        if (!job) {
            free(sub);
            return NANA_ENOMEM;
        }
        nana_future_t *f = nana__engine_submit(root->engine, job);
        st = nana_future_await(f);
        if (st != NANA_OK) {
            set_errmsg(db, strdup(nana_future_errmsg(f)));
            /* A pending future is fine to free: the job still runs. */
            nana_future_free(f);
            free(sub);
            return st;
        }
        nana_future_free(f);
        if (!(t = nana__table_lookup(&root->tables, name, &policy))) {
            free(sub);
            return NANA_ENOMEM;
        }
        /* Another thread may have made it meanwhile, with its options. */
        if ((st = check_kept_policy(db, t, opts)) != NANA_OK) {
            free(sub);
            return st;
        }
    }
    atomic_fetch_add_explicit(&root->refs, 1, memory_order_relaxed);
    sub->root = root;
    sub->table = t;
    sub->is_root = false;
    *out = sub;
    return NANA_OK;
}

/* ----------------------------------------------------------------- close */

NANA_API nana_status_t nana_close(nana_db_t *db)
{
    if (!db)
        return NANA_OK;
    struct nana_root *root = db->root;
    if (nana__engine_inherited(root->engine)) {
        /* Its threads do not exist here and its locks may be held forever:
         * touching it could hang.  Leak it. */
        return NANA_ECLOSED;
    }
    if (db->txn) {
        set_errmsg(db, strdup("a view inside a transaction is not closed: nana_txn_free frees it"));
        return NANA_EINVAL;
    }
    if (!db->is_root) {
        free(db->errmsg);
        free(db);
        root_release(root);
        return NANA_OK;
    }
    if (!nana__future_may_block()) {
        set_errmsg(db, strdup("nana_close on a root cannot run in a callback or pool thread"));
        return NANA_EDEADLK;
    }
    nana__engine_stop(root->engine);
    nana__tables_close(&root->tables);
    nana__backend_close(&root->backend);
    free(db->errmsg);
    free(db);
    root_release(root);
    return NANA_OK;
}
