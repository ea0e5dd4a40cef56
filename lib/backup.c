/*
 * backup.c -- nana_backup and nana_restore: the whole file copied out of,
 * or into, the root's writer connection with SQLite's backup API.  A client
 * of the job seam: the engine runs its jobs without knowing their kind.
 *
 * A backup is a run of step jobs.  Each copies pages_per_step pages with
 * sqlite3_backup_step() on the writer, as a batch of its own and outside
 * any transaction (the backup API refuses a source in a write
 * transaction), then queues the next step, at the tail: what was submitted
 * meanwhile runs in between, and what the writer commits there reaches the
 * pages already copied by SQLite itself, the writer being the backup's
 * source connection.  The backup object, like the writer, is only touched
 * with the executor role held: the first step makes it and the last
 * finishes it, and a step that cannot queue the next one (the root is
 * closing) finishes it at once -- so no step is ever left unfinished for a
 * thread without the role.  What takes time and needs none of the root's
 * connections -- checking the copy, syncing and renaming it -- is done
 * after the role is given up, while other jobs run, on a pool thread when
 * one can be found (end_backup).
 *
 * A restore is one job that runs alone: it opens the source read-only,
 * checks it in a read transaction, and copies that same snapshot into the
 * writer; then the tables the root has handles on and the source lacks are
 * created, empty, so that no open handle loses its table.  From submission
 * to its settle it holds the root's pending_sql_writes, so no read is
 * answered from a cache while it is queued; its settle empties every cache
 * of the root (table.c).
 *
 * Local-only: SQLite's backup API copies pages between two SQLite
 * connections, so this file speaks to sqlite3 directly and not through the
 * statement seam (conn.h).  Each job gets the writer's sqlite3 handle with
 * nana__conn_local_db(), the seam's capability check, and refuses on a root
 * whose backend has none (a replicated one: dqlite has its own snapshots).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Pages a step copies by default: 64 (256 KiB of 4 KiB pages, about 1.5 ms
 * of holding the connection); nana_backup(3) has what other sizes cost
 * the writers. */
#define BACKUP_DEFAULT_PAGES 64

/* How many times a finished copy's check is passed along the queue in
 * search of a pool thread (see end_backup). */
#define SEAL_RELAYS_MAX 256

/* The longest part of dest's name kept in the temporary file's name:
 * ".<name>.tmp-XXXXXX" must fit a directory entry (NAME_MAX 255). */
#define TMP_NAME_KEEP 200

static nana_future_t *refuse(nana_status_t st, char *msg)
{
    return nana__future_new_failed_owned(st, msg);
}

/* A failed future when db cannot take a job, else NULL. */
static nana_future_t *check_db(nana_db_t *db, const char *what)
{
    const char *why;
    nana_status_t st = nana__db_check(db, &why);
    if (st == NANA_OK && db->txn) {
        st = NANA_EINVAL;
        why = "a view inside a transaction: the whole file is copied from the root";
    }
    return st == NANA_OK ? NULL : refuse(st, nana__strdupf("%s: %s", what, why));
}

/* Do a and b name the same file (both exist)? */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* When path is the database file of conn or one of its companions, what to
 * call it; else NULL. */
static const char *is_database(sqlite3 *conn, const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    static const char *const names[] = {"the database itself", "the database's -wal file",
                                        "the database's -shm file",
                                        "the database's -journal file"};
    const char *db_file = sqlite3_db_filename(conn, "main");
    if (!db_file || !*db_file)
        return NULL; /* in memory: no file to collide with */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *name = nana__strdupf("%s%s", db_file, suffixes[i]);
        bool same = name && same_file(path, name);
        free(name);
        if (same)
            return names[i];
    }
    return NULL;
}

/* The first column of the first row of sql on conn, into buf ("" when no
 * row); SQLite's code (SQLITE_OK once the statement ran). */
static int first_text(sqlite3 *conn, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *stmt;
    buf[0] = '\0';
    int rc = sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        snprintf(buf, size, "%s", text ? text : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* ================================================================ backup */

struct backup_op {
    atomic_int refs;         /* the step jobs holding it, and the submitter */
    nana_future_t *future;   /* the caller's; NULL once resolved */
    struct nana_engine *engine;
    char *dest, *tmp, *dir;
    int pages_per_step;
    nana_backup_progress_fn progress;
    void *progress_arg;
    /* Role holder only, until the last step's deliver: */
    sqlite3 *copy;           /* a connection on tmp */
    sqlite3_backup *backup;
    bool copied;             /* every page is in tmp and the backup finished */
    int relays;              /* see end_backup */
    nana_status_t status;
    char *errmsg;
    int64_t size;            /* of the copy, once renamed */
};

/* A step, or a relay (see end_backup), which runs nothing. */
struct step_job {
    struct nana_job base;
    struct backup_op *op;
    bool ends;               /* this job ends the backup, in its deliver */
};

static const struct nana_job_ops step_ops, relay_ops;

static struct step_job *step_new(struct backup_op *op, bool relay)
{
    struct step_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->base.ops = relay ? &relay_ops : &step_ops;
    job->base.lane = NANA__LANE_WRITER; /* the writer is the backup's source */
    /* A step runs with no transaction around it; a relay joins any batch. */
    job->base.flags = relay ? 0 : NANA__JOB_ALONE;
    job->ends = relay;
    job->op = op;
    atomic_fetch_add_explicit(&op->refs, 1, memory_order_relaxed);
    return job;
}

/* Ends the backup with st and msg (malloc'd, taken), finishing the backup
 * object (role held). */
static void stop(struct backup_op *op, nana_status_t st, char *msg)
{
    if (op->backup) {
        sqlite3_backup_finish(op->backup);
        op->backup = NULL;
    }
    op->copied = false;
    op->status = st;
    free(op->errmsg);
    op->errmsg = msg;
}

/* Removes the temporary file and whatever SQLite left beside it. */
static void discard(struct backup_op *op)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    sqlite3_close_v2(op->copy);
    op->copy = NULL;
    for (size_t i = 0; op->tmp && i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *name = nana__strdupf("%s%s", op->tmp, suffixes[i]);
        if (name)
            unlink(name);
        free(name);
    }
}

static void resolve(struct backup_op *op)
{
    nana_future_t *f = op->future;
    op->future = NULL;
    if (op->status != NANA_OK) {
        nana__future_resolve(f, op->status, NULL, op->errmsg);
        op->errmsg = NULL;
        return;
    }
    json_t *size = json_integer(op->size);
    nana__future_resolve(f, size ? NANA_OK : NANA_ENOMEM, size, NULL);
}

static void op_unref(struct backup_op *op)
{
    if (atomic_fetch_sub_explicit(&op->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Still unresolved: the first step was refused (the root closed). A
     * step that ran always ends the backup or queues the next, and the
     * engine runs every job it queued, so no backup object is left. */
    if (op->future) {
        discard(op);
        resolve(op);
    }
    free(op->dest);
    free(op->tmp);
    free(op->dir);
    free(op->errmsg);
    free(op);
}

/* The first step: the copy's connection and the backup object (role held).
 * false when the backup stopped. */
static bool backup_start(struct backup_op *op, sqlite3 *conn)
{
    const char *which = is_database(conn, op->dest);
    if (which) {
        stop(op, NANA_EINVAL, nana__strdupf("backup: \"%s\" is %s", op->dest, which));
        return false;
    }
    /* The copy gets the database's permissions, not mkstemp's 0600. */
    const char *db_file = sqlite3_db_filename(conn, "main");
    struct stat sb;
    if (db_file && *db_file && stat(db_file, &sb) == 0)
        chmod(op->tmp, sb.st_mode & 0777);
    int rc = sqlite3_open_v2(op->tmp, &op->copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    /* Unsynced while it is written: it is synced once, whole, before the
     * rename, and a copy that fails half-way is deleted anyway. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(op->copy, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
    if (rc == SQLITE_OK && !(op->backup = sqlite3_backup_init(op->copy, "main", conn, "main")))
        rc = sqlite3_errcode(op->copy);
    if (rc != SQLITE_OK) {
        stop(op, nana__status_from_sqlite(rc),
             nana__strdupf("backup: cannot write \"%s\": %s", op->tmp,
                           op->copy ? sqlite3_errmsg(op->copy) : sqlite3_errstr(rc)));
        return false;
    }
    return true;
}

/* Calls the progress callback as a callback: a wait there would wait for
 * the role this thread holds. */
static bool cancelled_by_callback(struct backup_op *op)
{
    if (!op->progress)
        return false;
    int64_t remaining = sqlite3_backup_remaining(op->backup);
    int64_t total = sqlite3_backup_pagecount(op->backup);
    nana__future_callback_enter();
    int stop_now = op->progress(remaining, total, op->progress_arg);
    nana__future_callback_leave();
    if (!stop_now)
        return false;
    stop(op, NANA_ECANCELED,
         nana__strdupf("backup to \"%s\" cancelled by its progress callback (%lld of %lld "
                       "pages left)",
                       op->dest, (long long)remaining, (long long)total));
    return true;
}

static void step_run(struct nana_job *base, struct nana_exec *ex)
{
    struct step_job *job = container_of(base, struct step_job, base);
    struct backup_op *op = job->op;
    job->ends = true;
    sqlite3 *conn = nana__conn_local_db(nana__exec_conn(ex));
    if (!conn) {
        stop(op, NANA_EINVAL,
             nana__strdupf("backup to \"%s\": the root's database is not a local file",
                           op->dest));
        return;
    }
    if (!op->backup && !backup_start(op, conn))
        return;
    /* A transaction left open on the connection across jobs: the backup
     * API refuses a source in a write transaction (SQLITE_BUSY, "not an
     * error"), and queueing the step again would spin through the queue
     * for as long as the transaction lasts. */
    if (!sqlite3_get_autocommit(conn)) {
        stop(op, NANA_EBUSY,
             nana__strdupf("backup to \"%s\": a transaction of the root is open; a backup "
                           "steps only between transactions",
                           op->dest));
        return;
    }
    int rc = sqlite3_backup_step(op->backup, op->pages_per_step);
    /* SQLITE_LOCKED: a shared-cache lock, there for this step only. */
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_LOCKED) {
        const char *why = sqlite3_errcode(op->copy) != SQLITE_OK ? sqlite3_errmsg(op->copy)
                                                                  : sqlite3_errstr(rc);
        stop(op, nana__status_from_sqlite(rc),
             nana__strdupf("backup to \"%s\": copying pages failed: %s", op->dest, why));
        return;
    }
    if (cancelled_by_callback(op))
        return;
    if (rc == SQLITE_DONE) {
        rc = sqlite3_backup_finish(op->backup);
        op->backup = NULL;
        if (rc != SQLITE_OK)
            stop(op, nana__status_from_sqlite(rc),
                 nana__strdupf("backup to \"%s\": %s", op->dest, sqlite3_errmsg(op->copy)));
        else
            op->copied = true;
        return;
    }
    struct step_job *next = step_new(op, false);
    nana_future_t *f = next ? nana__engine_submit(op->engine, &next->base) : NULL;
    nana_status_t st = !f ? NANA_ENOMEM : nana_future_poll(f) ? nana_future_status(f) : NANA_OK;
    nana_future_free(f);
    if (st != NANA_OK) {
        stop(op, st,
             st == NANA_ECLOSED
                 ? nana__strdupf("backup to \"%s\": the root was closed before it finished",
                                 op->dest)
                 : NULL);
        return;
    }
    job->ends = false;
}

/* The copy made a file of its own, checked, synced, renamed over dest, the
 * rename synced.  NANA_OK, or a status with *msg. */
static nana_status_t seal(struct backup_op *op, char **msg)
{
    char text[512];
    /* The copy's header says WAL, as the source's did: make it a
     * rollback-journal file, whole without a -wal or -shm beside it. */
    int rc = first_text(op->copy, "PRAGMA journal_mode=DELETE", text, sizeof text);
    if (rc != SQLITE_OK || strcmp(text, "delete") != 0) {
        *msg = nana__strdupf("backup to \"%s\": cannot leave WAL mode: %s", op->dest,
                             rc != SQLITE_OK ? sqlite3_errmsg(op->copy) : text);
        return rc != SQLITE_OK ? nana__status_from_sqlite(rc) : NANA_ESQL;
    }
    rc = first_text(op->copy, "PRAGMA integrity_check", text, sizeof text);
    if (rc != SQLITE_OK || strcmp(text, "ok") != 0) {
        *msg = nana__strdupf("backup to \"%s\": the copy failed its integrity check: %s",
                             op->dest, rc != SQLITE_OK ? sqlite3_errmsg(op->copy) : text);
        return NANA_ESQL;
    }
    rc = sqlite3_close(op->copy);
    if (rc != SQLITE_OK) {
        *msg = nana__strdupf("backup to \"%s\": closing the copy: %s", op->dest,
                             sqlite3_errmsg(op->copy));
        return nana__status_from_sqlite(rc);
    }
    op->copy = NULL;
    struct stat sb;
    int fd = open(op->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || fstat(fd, &sb) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        *msg = nana__strdupf("backup to \"%s\": cannot sync %s: %s", op->dest, op->tmp,
                             strerror(err));
        return NANA_EIO;
    }
    close(fd);
    op->size = (int64_t)sb.st_size;
    if (rename(op->tmp, op->dest) != 0) {
        int err = errno;
        *msg = nana__strdupf("backup: cannot rename %s to \"%s\": %s", op->tmp, op->dest,
                             strerror(err));
        return err == EISDIR ? NANA_EINVAL : NANA_EIO;
    }
    free(op->tmp);
    op->tmp = NULL; /* nothing left to discard */
    /* The new name is durable once its directory is. */
    fd = open(op->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        *msg = nana__strdupf("backup: \"%s\" is in place, but its directory %s could not be "
                             "synced: %s",
                             op->dest, op->dir, strerror(err));
        return NANA_EIO;
    }
    close(fd);
    return NANA_OK;
}

/*
 * After the role is given up: seals or discards the copy, and resolves the
 * caller's future.  The check and the sync of a large copy take seconds
 * (over half a second for 85 MB), and the thread that ran the last step may be a
 * caller's, awaiting a future of its own, that only helped run the queue:
 * then the work is passed to a relay job at the end of the queue, whose
 * deliver runs on whichever thread runs that batch, until a pool thread
 * takes it (or SEAL_RELAYS_MAX hops, or the root is closing: then here).
 */
static void end_backup(struct backup_op *op)
{
    if (op->copied && nana__future_may_block() && op->relays < SEAL_RELAYS_MAX) {
        op->relays++;
        struct step_job *relay = step_new(op, true);
        nana_future_t *f = relay ? nana__engine_submit(op->engine, &relay->base) : NULL;
        bool queued = f && !(nana_future_poll(f) && nana_future_status(f) != NANA_OK);
        nana_future_free(f);
        if (queued)
            return;
    }
    if (op->copied) {
        char *msg = NULL;
        nana_status_t st = seal(op, &msg);
        if (st != NANA_OK)
            stop(op, st, msg);
    }
    if (op->status != NANA_OK)
        discard(op);
    resolve(op);
}

static void step_deliver(struct nana_job *base)
{
    struct step_job *job = container_of(base, struct step_job, base);
    if (job->ends)
        end_backup(job->op);
}

static void relay_run(struct nana_job *base, struct nana_exec *ex)
{
    (void)base;
    (void)ex;
}

static void step_destroy(struct nana_job *base)
{
    struct step_job *job = container_of(base, struct step_job, base);
    free(base->errmsg);
    nana__json_release(base->result);
    op_unref(job->op);
    free(job);
}

static const struct nana_job_ops step_ops = {step_run, NULL, step_deliver, step_destroy};
static const struct nana_job_ops relay_ops = {relay_run, NULL, step_deliver, step_destroy};

NANA_API void nana_backup_options_init(nana_backup_options_t *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->pages_per_step = BACKUP_DEFAULT_PAGES;
}

/* dest's directory ("." for a bare name) and a temporary file made in it.
 * NULL, or a failed future. */
static nana_future_t *make_tmp(struct backup_op *op)
{
    const char *slash = strrchr(op->dest, '/');
    const char *base = slash ? slash + 1 : op->dest;
    if (!*base)
        return refuse(NANA_EINVAL, nana__strdupf("backup: \"%s\" names a directory", op->dest));
    if (!slash)
        op->dir = strdup(".");
    else if (slash == op->dest)
        op->dir = strdup("/");
    else
        op->dir = strndup(op->dest, (size_t)(slash - op->dest));
    if (!op->dir)
        return refuse(NANA_ENOMEM, NULL);
    op->tmp = nana__strdupf("%s/.%.*s.tmp-XXXXXX", op->dir, TMP_NAME_KEEP, base);
    if (!op->tmp)
        return refuse(NANA_ENOMEM, NULL);
    int fd = mkostemp(op->tmp, O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        free(op->tmp);
        op->tmp = NULL;
        return refuse(err == ENOENT || err == ENOTDIR ? NANA_ENOTFOUND : NANA_EIO,
                      nana__strdupf("backup: cannot create a file in the directory %s of "
                                    "\"%s\": %s",
                                    op->dir, op->dest, strerror(err)));
    }
    /* SQLite opens it by name; an open descriptor of ours would lose
     * SQLite's POSIX locks on the file when closed later. */
    close(fd);
    return NULL;
}

NANA_API nana_future_t *nana_backup(nana_db_t *db, const char *dest_path,
                                    const nana_backup_options_t *opts)
{
    nana_future_t *f = check_db(db, "backup");
    if (f)
        return f;
    nana_backup_options_t o;
    if (opts)
        o = *opts;
    else
        nana_backup_options_init(&o);
    if (!dest_path || !*dest_path)
        return refuse(NANA_EINVAL, strdup(dest_path ? "backup: empty destination path"
                                                    : "backup: NULL destination path"));
    if (o.pages_per_step == 0 || o.pages_per_step < -1)
        return refuse(NANA_EINVAL,
                      nana__strdupf("backup: pages_per_step must be at least 1, or -1 for "
                                    "every page at once (got %d)",
                                    o.pages_per_step));
    struct stat sb;
    if (stat(dest_path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return refuse(NANA_EINVAL, nana__strdupf(S_ISDIR(sb.st_mode)
                                                     ? "backup: \"%s\" is a directory"
                                                     : "backup: \"%s\" is not a regular file",
                                                 dest_path));

    struct backup_op *op = calloc(1, sizeof *op);
    if (!op || !(op->dest = strdup(dest_path))) {
        free(op);
        return refuse(NANA_ENOMEM, NULL);
    }
    atomic_init(&op->refs, 1); /* ours, until the first step is queued */
    op->engine = db->root->engine;
    op->pages_per_step = o.pages_per_step;
    op->progress = o.progress;
    op->progress_arg = o.progress_arg;
    if ((f = make_tmp(op))) {
        op_unref(op);
        return f;
    }
    /* No helper: an awaiting thread sleeps, and the pool runs the steps. */
    nana_future_t *result = nana__future_new_pending(NULL, NULL);
    if (!result) {
        discard(op);
        op_unref(op);
        return refuse(NANA_ENOMEM, NULL);
    }
    op->future = result;
    struct step_job *first = step_new(op, false);
    if (!first) {
        op->status = NANA_ENOMEM;
        op_unref(op); /* discards the file and resolves result */
        return result;
    }
    f = nana__engine_submit(op->engine, &first->base);
    if (nana_future_poll(f) && nana_future_status(f) != NANA_OK) {
        /* Refused (the root closed since the check): nothing ran. */
        op->status = nana_future_status(f);
        op->errmsg = nana__strdupf("backup: %s", nana_future_errmsg(f));
    }
    nana_future_free(f);
    op_unref(op);
    return result;
}

/* =============================================================== restore */

struct restore_job {
    struct nana_job base;
    struct nana_tables *tables;
    struct nana_engine *engine;
    char *src;
    bool replaced;           /* the copy into the writer committed */
};

static void restore_fail(struct restore_job *job, nana_status_t st, char *msg)
{
    nana__job_fail(&job->base, st, msg);
}

/* Opens the source read-only and checks it, leaving a read transaction
 * open so that what was checked is what is copied.  NULL on failure. */
static sqlite3 *open_checked(struct restore_job *job)
{
    sqlite3 *src = NULL;
    char text[512];
    int rc = sqlite3_open_v2(job->src, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(src, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = first_text(src, "PRAGMA integrity_check", text, sizeof text);
    if (rc != SQLITE_OK) {
        int code = rc & 0xff;
        restore_fail(job,
                     code == SQLITE_NOTADB ? NANA_EINVAL
                     : code == SQLITE_CORRUPT ? NANA_ESQL
                                              : nana__status_from_sqlite(rc),
                     code == SQLITE_NOTADB
                         ? nana__strdupf("restore: \"%s\" is not an SQLite database; nothing "
                                         "was changed",
                                         job->src)
                         : nana__strdupf("restore: cannot read \"%s\": %s; nothing was changed",
                                         job->src,
                                         src ? sqlite3_errmsg(src) : sqlite3_errstr(rc)));
        sqlite3_close_v2(src);
        return NULL;
    }
    if (strcmp(text, "ok") != 0) {
        restore_fail(job, NANA_ESQL,
                     nana__strdupf("restore: \"%s\" is damaged (integrity_check: %s); nothing "
                                   "was changed",
                                   job->src, text));
        sqlite3_close_v2(src);
        return NULL;
    }
    return src;
}

/* A database in WAL mode (or in memory) cannot take another page size
 * through the backup API, which would only say "readonly": say why. */
static bool page_sizes_fit(struct restore_job *job, sqlite3 *src, sqlite3 *conn)
{
    char src_size[32], db_size[32], mode[32];
    if (first_text(src, "PRAGMA page_size", src_size, sizeof src_size) != SQLITE_OK ||
        first_text(conn, "PRAGMA page_size", db_size, sizeof db_size) != SQLITE_OK ||
        first_text(conn, "PRAGMA journal_mode", mode, sizeof mode) != SQLITE_OK)
        return true; /* the copy itself will report it */
    const char *db_file = sqlite3_db_filename(conn, "main");
    bool fixed = strcmp(mode, "wal") == 0 || !db_file || !*db_file;
    if (!fixed || strcmp(src_size, db_size) == 0)
        return true;
    restore_fail(job, NANA_EINVAL,
                 nana__strdupf("restore: \"%s\" has pages of %s bytes and the database %s, "
                               "which a database in %s cannot change; rewrite the source with "
                               "PRAGMA page_size=%s; VACUUM; nothing was changed",
                               job->src, src_size, db_size,
                               strcmp(mode, "wal") == 0 ? "WAL mode" : "memory", db_size));
    return false;
}

static void restore_run(struct nana_job *base, struct nana_exec *ex)
{
    struct restore_job *job = container_of(base, struct restore_job, base);
    sqlite3 *conn = nana__conn_local_db(nana__exec_conn(ex));
    if (!conn) {
        restore_fail(job, NANA_EINVAL,
                     strdup("restore: the root's database is not a local file"));
        return;
    }
    /* Replacing every page under an open transaction would pull the file
     * from under it: refused (see nana_backup(3)). */
    if (!sqlite3_get_autocommit(conn)) {
        restore_fail(job, NANA_EBUSY,
                     strdup("restore: a transaction of the root is open; restore replaces "
                            "the whole file and runs only between transactions"));
        return;
    }
    if (sqlite3_db_readonly(conn, "main") == 1) {
        restore_fail(job, NANA_EIO,
                     nana__strdupf("restore: the database cannot be written%s",
                                   nana__backend_error_hint(conn, SQLITE_READONLY)));
        return;
    }
    const char *which = is_database(conn, job->src);
    if (which) {
        restore_fail(job, NANA_EINVAL,
                     nana__strdupf("restore: \"%s\" is %s; nothing was changed", job->src,
                                   which));
        return;
    }
    sqlite3 *src = open_checked(job);
    if (!src)
        return;
    if (page_sizes_fit(job, src, conn)) {
        sqlite3_backup *b = sqlite3_backup_init(conn, "main", src, "main");
        int rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(conn);
        int finish_rc = b ? sqlite3_backup_finish(b) : SQLITE_OK;
        if (rc == SQLITE_DONE)
            rc = finish_rc;
        /* A failed step rolls the writer's transaction back: nothing of
         * the source was committed. */
        if (rc != SQLITE_OK) {
            restore_fail(job, nana__status_from_sqlite(rc),
                         nana__strdupf("restore: copying \"%s\" into the database failed: "
                                       "%s%s; nothing was changed",
                                       job->src, sqlite3_errmsg(conn),
                                       nana__backend_error_hint(conn, rc)));
        } else {
            job->replaced = true;
            const char *table = "";
            if ((rc = nana__tables_create_all(job->tables, nana__conn_local(conn), &table)) !=
                SQLITE_OK)
                restore_fail(job, nana__status_from_sqlite(rc),
                             nana__strdupf("restore: \"%s\" was restored, but table \"%s\" "
                                           "it lacks could not be created: %s",
                                           job->src, table, sqlite3_errmsg(conn)));
        }
    }
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close_v2(src);
}

/* After the copy: every cache forgets, and only then are reads answered
 * from caches again.  A refused or failed restore changed nothing, so the
 * caches keep what they knew. */
static void restore_settle(struct nana_job *base, bool committed)
{
    struct restore_job *job = container_of(base, struct restore_job, base);
    /* The copy commits by itself, whatever the engine says of the batch. */
    (void)committed;
    if (job->replaced) {
        nana__tables_replaced(job->tables);
        /* Their statements and page caches knew the old file. */
        nana__engine_readers_reopen(job->engine);
    }
    atomic_fetch_sub_explicit(&job->tables->pending_sql_writes, 1, memory_order_release);
}

static void restore_destroy(struct nana_job *base)
{
    struct restore_job *job = container_of(base, struct restore_job, base);
    free(job->src);
    free(base->errmsg);
    nana__json_release(base->result);
    free(job);
}

static const struct nana_job_ops restore_ops = {restore_run, restore_settle, NULL,
                                                restore_destroy};

/* What can be known of src without SQLite, so that a wrong path fails at
 * once: it exists, is a regular file, not empty, and starts with SQLite's
 * header string.  NULL, or a failed future. */
static nana_future_t *check_source(const char *src)
{
    static const char magic[16] = "SQLite format 3";
    struct stat sb;
    if (stat(src, &sb) != 0)
        return refuse(errno == ENOENT || errno == ENOTDIR ? NANA_ENOTFOUND : NANA_EIO,
                      nana__strdupf("restore: \"%s\": %s", src, strerror(errno)));
    if (!S_ISREG(sb.st_mode))
        return refuse(NANA_EINVAL, nana__strdupf(S_ISDIR(sb.st_mode)
                                                     ? "restore: \"%s\" is a directory"
                                                     : "restore: \"%s\" is not a regular file",
                                                 src));
    if (sb.st_size == 0)
        return refuse(NANA_EINVAL, nana__strdupf("restore: \"%s\" is empty, not an SQLite "
                                                 "database; nothing was changed",
                                                 src));
    char head[sizeof magic];
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return refuse(NANA_EIO, nana__strdupf("restore: cannot read \"%s\": %s", src,
                                              strerror(err)));
    if ((size_t)n < sizeof magic || memcmp(head, magic, sizeof magic) != 0)
        return refuse(NANA_EINVAL, nana__strdupf("restore: \"%s\" is not an SQLite database "
                                                 "(it does not begin with \"SQLite format "
                                                 "3\"); nothing was changed",
                                                 src));
    return NULL;
}

NANA_API nana_future_t *nana_restore(nana_db_t *db, const char *src_path)
{
    nana_future_t *f = check_db(db, "restore");
    if (f)
        return f;
    if (!src_path || !*src_path)
        return refuse(NANA_EINVAL, strdup(src_path ? "restore: empty source path"
                                                   : "restore: NULL source path"));
    if ((f = check_source(src_path)))
        return f;
    /* Replacing the file under an open transaction would make its COMMIT
     * write over the restored content (or lose it on ROLLBACK). */
    if (nana__engine_txn_any(db->root->engine))
        return refuse(NANA_EBUSY, strdup("restore: a transaction of this root is open or "
                                         "queued; commit or roll it back first"));
    struct restore_job *job = calloc(1, sizeof *job);
    if (!job || !(job->src = strdup(src_path))) {
        free(job);
        return refuse(NANA_ENOMEM, NULL);
    }
    job->base.ops = &restore_ops;
    job->base.lane = NANA__LANE_WRITER;
    /* Alone and outside a transaction: the backup API refuses a
     * destination with one open. */
    job->base.flags = NANA__JOB_ALONE;
    job->tables = &db->root->tables;
    job->engine = db->root->engine;
    /* Counted before it is queued: no read of this root is answered from a
     * cache until the restore's settle has emptied them. */
    atomic_fetch_add_explicit(&job->tables->pending_sql_writes, 1, memory_order_relaxed);
    return nana__engine_submit(db->root->engine, &job->base);
}
