/*
 * handle.c -- nana_open, nana_table, nana_close: the composition root.  A
 * root is an engine (engine.c), a backend with its connection
 * (backend.c), the registry of its tables (table.c), the authorizer's
 * state (authorize.c) and, when its values are encrypted, its key
 * (crypt.c); this file makes them, wires them together,
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
    if (db->magic != NANA__DB_OPEN)
        return "the handle was closed (nana_close)";
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

/*
 * The writer's busy handler: SQLite's own back-off for a busy timeout
 * (sleeps of 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 ms, then 100 ms each,
 * until the timeout is spent), counting its waits for nana_stats().
 */
static int busy_wait(void *ctx, int count)
{
    static const int delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    static const int totals[] = {0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228};
    enum { N = sizeof delays / sizeof delays[0] };
    struct nana_root *root = ctx;
    int delay = count < N ? delays[count] : delays[N - 1];
    int prior = count < N ? totals[count] : totals[N - 1] + (count - (N - 1)) * delays[N - 1];
    if (prior + delay > root->busy_timeout_ms)
        delay = root->busy_timeout_ms - prior;
    if (delay <= 0)
        return 0;
    atomic_fetch_add_explicit(&root->busy_retries, 1, memory_order_relaxed);
    sqlite3_sleep(delay);
    return 1;
}

/* PRAGMA quick_check(N) stops after N problems; the message shows a few. */
#define CHECK_PROBLEMS_SHOWN 3
#define CHECK_LINE_MAX 160

/* Adds the problems of one row of quick_check (one per line) to said. */
static void add_problems(struct nana_sqlbuf *said, const char *text, int *problems)
{
    /* SQLite heads the first problem with the schema's name. */
    static const char head[] = "*** in database main ***\n";
    if (strncmp(text, head, sizeof head - 1) == 0)
        text += sizeof head - 1;
    while (*text) {
        size_t len = strcspn(text, "\n");
        if (len > 0 && ++*problems <= CHECK_PROBLEMS_SHOWN) {
            char shown[CHECK_LINE_MAX + 8];
            snprintf(shown, sizeof shown, "%s%.*s%s", *problems > 1 ? "; " : "",
                     (int)(len < CHECK_LINE_MAX ? len : CHECK_LINE_MAX), text,
                     len > CHECK_LINE_MAX ? "..." : "");
            nana__sqlbuf_add(said, shown);
        } else if (len > 0 && *problems == CHECK_PROBLEMS_SHOWN + 1) {
            nana__sqlbuf_add(said, "; ...");
        }
        text += len + (text[len] == '\n');
    }
}

/* NANA_OPEN_CHECK: quick_check before the file is written to (the journal
 * mode, the table), so that a damaged file is refused rather than written
 * into.  It reads every page. */
static nana_status_t check_file(struct nana_root *root, char **errmsg)
{
    sqlite3 *conn = root->backend.writer;
    sqlite3_stmt *stmt = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA quick_check(%d)", CHECK_PROBLEMS_SHOWN + 1);
    struct nana_sqlbuf said = {0};
    int problems = 0;
    int rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(stmt)) != SQLITE_ROW)
            break;
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        if (text && strcmp(text, "ok") != 0)
            add_problems(&said, text, &problems);
    }
    sqlite3_finalize(stmt);
    char *lines = nana__sqlbuf_take(&said);
    nana_status_t st = NANA_OK;
    if (rc != SQLITE_DONE) {
        /* The check itself stopped: a page it could not read, a lock.  A
         * file that is not a database is told apart from a damaged one. */
        *errmsg = nana__strdupf("cannot open database \"%s\" (NANA_OPEN_CHECK): PRAGMA "
                                "quick_check %s%s%s: %s%s; nothing was written to it",
                                root->path, problems ? "reported " : "failed",
                                problems && lines ? lines : "", problems ? ", then failed" : "",
                                sqlite3_errmsg(conn),
                                (rc & 0xff) == SQLITE_CORRUPT ? ""
                                                              : nana__backend_error_hint(conn, rc));
        st = nana__status_from_sqlite(rc);
    } else if (problems) {
        *errmsg = nana__strdupf("cannot open database \"%s\" (NANA_OPEN_CHECK): PRAGMA "
                                "quick_check reported %s; nothing was written to it",
                                root->path, lines ? lines : "problems");
        st = NANA_ESQL;
    }
    free(lines);
    return st;
}

/* What every connection gets before its first statement. */
static void prepare_connection(struct nana_root *root, const nana_options_t *o)
{
    sqlite3 *conn = root->backend.writer;
    sqlite3_extended_result_codes(conn, 1);
    nana__auth_install(&root->auth, conn);
    /* "name" is always an identifier: without this, a quoted name that is
     * not a column silently becomes a string literal. */
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    root->busy_timeout_ms = o->busy_timeout_ms;
    root->cache_size_mb = o->cache_size_mb;
    root->optimize = o->optimize;
    nana__backend_set_busy_handler(&root->backend, busy_wait, root);
}

/* A reader connection (nana_set_read_connections): read-only, set up as
 * the writer is for reading -- the authorizer (of its own: SQL reads run
 * there), the same busy wait (a reader waits only for a WAL recovery),
 * names always identifiers, the memory settings.  Values are sealed
 * and opened above the connection (table.c), so an encrypted root's key
 * needs nothing here. */
static sqlite3 *open_reader(void *ctx, int slot, char **msg)
{
    struct nana_root *root = ctx;
    sqlite3 *conn = nana__backend_open_reader(&root->backend, msg);
    if (!conn)
        return NULL;
    sqlite3_extended_result_codes(conn, 1);
    nana__auth_install(&root->reader_auth[slot - 1], conn);
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_busy_handler(conn, busy_wait, root);
    if (root->optimize) {
        char sql[160];
        snprintf(sql, sizeof sql, "PRAGMA mmap_size=268435456; PRAGMA cache_size=-%lld;",
                 (long long)root->cache_size_mb * 1024);
        if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK) {
            *msg = nana__strdupf("cannot configure a reader connection: %s",
                                 sqlite3_errmsg(conn));
            sqlite3_close_v2(conn);
            return NULL;
        }
    }
    return conn;
}

static void reader_closing(void *ctx, sqlite3 *conn, int slot)
{
    struct nana_root *root = ctx;
    (void)conn;
    nana__tables_reader_closing(&root->tables, slot);
}

/* The options' settings; the first write to the file (journal_mode). */
static nana_status_t configure_connection(struct nana_root *root, const nana_options_t *o,
                                          bool *journal_kept, char **errmsg)
{
    sqlite3 *conn = root->backend.writer;
    if (!o->optimize)
        return NANA_OK;
    /* NanaSQLite's settings, so both libraries behave alike on one file.
     * A file opened read-only keeps its journal mode: changing it is a
     * write, and reads work in either. */
    int rc = SQLITE_OK;
    if (!nana__backend_read_only(&root->backend)) {
        rc = sqlite3_exec(conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        /* In a directory it cannot create the WAL in, a file in another
         * mode is kept in it, as a file that cannot be written keeps its
         * mode: it can be read, and written once the directory can. */
        if (((rc & 0xff) == SQLITE_CANTOPEN || rc == SQLITE_READONLY_DIRECTORY) &&
            nana__backend_dir_unwritable(conn)) {
            *journal_kept = true;
            rc = SQLITE_OK;
        }
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous=NORMAL; "
             "PRAGMA mmap_size=268435456; PRAGMA cache_size=-%lld; PRAGMA temp_store=MEMORY;",
             (long long)o->cache_size_mb * 1024);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = nana__strdupf("cannot configure %s: %s%s", root->path, sqlite3_errmsg(conn),
                                nana__backend_error_hint(conn, rc));
        return nana__status_from_sqlite(rc);
    }
    return NANA_OK;
}

/* The flags nana_open_v2() knows. */
#define OPEN_FLAGS_KNOWN (NANA_OPEN_READONLY | NANA_OPEN_NOCREATE | NANA_OPEN_CHECK)

static nana_status_t validate_options(const nana_options_t *o, unsigned flags,
                                      const nana_table_options_t *topts,
                                      struct nana_cache_policy *policy, const char **why)
{
    static const struct nana_cache_policy unbounded = {0};
    if (nana__cachepolicy_resolve(&unbounded, topts, policy, why) != NANA_OK)
        return NANA_EINVAL;
    if (flags & ~OPEN_FLAGS_KNOWN)
        *why = "unknown nana_open_v2 flags (this release knows NANA_OPEN_READONLY, "
               "NANA_OPEN_NOCREATE and NANA_OPEN_CHECK)";
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
                              unsigned flags, const nana_table_options_t *topts,
                              bool *journal_kept, char **msg)
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
    prepare_connection(root, o);
    /* What may refuse the file comes before anything is written to it. */
    if ((flags & NANA_OPEN_CHECK) && (st = check_file(root, msg)) != NANA_OK)
        return st;
    /* A table of that name made by something else may lack what the
     * dict's statements rely on. */
    if ((st = nana__table_check_layout(root->backend.writer, o->table, msg)) != NANA_OK)
        return st;
    if ((st = configure_connection(root, o, journal_kept, msg)) != NANA_OK)
        return st;
    /* IF NOT EXISTS writes nothing when the table is there: on a read-only
     * connection it fails only when the table is missing -- with the plain
     * code; SQLITE_READONLY_DIRECTORY is a WAL file whose -shm cannot be
     * made, the table unread. */
    int rc = nana__table_create(root->backend.writer, o->table);
    if (rc == SQLITE_READONLY && (flags & NANA_OPEN_READONLY)) {
        *msg = nana__strdupf("no table \"%s\" in %s, and a handle opened with "
                             "NANA_OPEN_READONLY cannot create it",
                             o->table, root->path);
        return NANA_ENOTFOUND;
    }
    if (rc != SQLITE_OK) {
        *msg = nana__strdupf("cannot create table \"%s\" in %s: %s%s", o->table, root->path,
                             sqlite3_errmsg(root->backend.writer),
                             nana__backend_error_hint(root->backend.writer, rc));
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
    const struct nana_reader_conns rconns = {open_reader, reader_closing, root};
    nana__engine_set_reader_conns(root->engine, &rconns);
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

/* What nana_open_encrypted() asks for. */
struct open_key {
    nana_cipher_t cipher;
    const void *key;
    size_t key_len;
};

static nana_status_t open_root(const char *path, const nana_options_t *opts, unsigned flags,
                               const nana_table_options_t *table_opts,
                               const struct open_key *key, nana_db_t **out);

NANA_API nana_status_t nana_open_v2(const char *path, const nana_options_t *opts,
                                    unsigned flags, nana_db_t **out)
{
    return open_root(path, opts, flags, NULL, NULL, out);
}

NANA_API nana_status_t nana_open_v3(const char *path, const nana_options_t *opts,
                                    unsigned flags, const nana_table_options_t *table_opts,
                                    nana_db_t **out)
{
    return open_root(path, opts, flags, table_opts, NULL, out);
}

NANA_API nana_status_t nana_open_encrypted(const char *path, const nana_options_t *opts,
                                           unsigned flags, nana_cipher_t cipher,
                                           const void *key, size_t key_len, nana_db_t **out)
{
    struct open_key k = {cipher, key, key_len};
    return open_root(path, opts, flags, NULL, &k, out);
}

static nana_status_t open_root(const char *path, const nana_options_t *opts, unsigned flags,
                               const nana_table_options_t *table_opts,
                               const struct open_key *key, nana_db_t **out)
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
    db->magic = NANA__DB_OPEN;
    db->root = root;
    db->is_root = true;
    *out = db;

    char *msg = NULL;
    bool journal_kept = false;
    nana_status_t st = NANA_OK;
    if (key) {
        /* Checked before anything is opened, like the options. */
        const char *why = "NULL key";
        st = key->key ? nana__crypt_init(&root->crypt, key->cipher, key->key, key->key_len, &why)
                      : NANA_EINVAL;
        if (st != NANA_OK)
            msg = nana__strdupf("cannot open database \"%s\": %s", path, why);
        root->encrypted = st == NANA_OK;
    }
    nana__tables_init(&root->tables, root->encrypted ? &root->crypt : NULL);
    if (st == NANA_OK)
        st = bring_up(root, db, &o, flags, table_opts, &journal_kept, &msg);
    /* Read-only by request is no failure: no note. */
    if (st == NANA_OK && nana__backend_read_only(&root->backend) &&
        !(flags & NANA_OPEN_READONLY))
        set_errmsg(db, nana__strdupf("\"%s\" is opened read-only: the file is not writable "
                                     "by this process; reads work, writes fail with "
                                     "NANA_EIO until the handle is reopened",
                                     path));
    else if (st == NANA_OK && journal_kept)
        set_errmsg(db, nana__strdupf("\"%s\" is opened, but its directory is not writable "
                                     "by this process: its journal mode is kept (no WAL); "
                                     "reads work, writes fail with NANA_EIO until the "
                                     "directory is writable",
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
    if (db->magic != NANA__DB_OPEN)
        return NANA_ECLOSED;
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
    sub->magic = NANA__DB_OPEN;
    sub->root = root;
    sub->table = t;
    sub->is_root = false;
    *out = sub;
    return NANA_OK;
}

/* ----------------------------------------------------------------- close */

/* A closed handle's memory: overwritten magic first, so that a use after
 * close that finds it unreused is told NANA_ECLOSED; kept (never reused)
 * in builds with NANA_DEBUG_HANDLES, where that is then certain. */
void nana__handle_free(nana_db_t *db, void *block)
{
    free(db->errmsg);
    db->errmsg = NULL;
    db->magic = NANA__DB_CLOSED;
#ifdef NANA_DEBUG_HANDLES
    /* Kept where a leak checker still sees it reachable. */
    static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
    static struct kept {
        void *block;
        struct kept *next;
    } *kept;
    struct kept *k = malloc(sizeof *k);
    if (k) {
        pthread_mutex_lock(&kept_lock);
        k->block = block;
        k->next = kept;
        kept = k;
        pthread_mutex_unlock(&kept_lock);
        return;
    }
#endif
    free(block);
}

static void handle_free(nana_db_t *db)
{
    nana__handle_free(db, db);
}

NANA_API nana_status_t nana_close(nana_db_t *db)
{
    if (!db)
        return NANA_OK;
    if (db->magic != NANA__DB_OPEN)
        return NANA_ECLOSED; /* closed twice */
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
        handle_free(db);
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
    /* No job is left to use the key; sub-table handles still open answer
     * NANA_ECLOSED without it. */
    if (root->encrypted)
        nana__crypt_wipe(&root->crypt);
    handle_free(db);
    root_release(root);
    return NANA_OK;
}

NANA_API nana_status_t nana_set_read_connections(nana_db_t *db, int n)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st != NANA_OK)
        return st;
    if (n < 0 || n > NANA_READERS_MAX) {
        set_errmsg(db, nana__strdupf("nana_set_read_connections: %d reader connections asked "
                                     "for; 0 to %d are possible",
                                     n, NANA_READERS_MAX));
        return NANA_EINVAL;
    }
    nana__engine_set_readers(db->root->engine, n);
    return NANA_OK;
}
