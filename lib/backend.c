/*
 * backend.c -- where jobs run: the connections of a root.  Today one local
 * SQLite connection that writes (and reads); a pool of readers, or a
 * replicated backend, would give the engine its connections through the
 * same functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The connections opened read-only because the caller asked
 * (NANA_OPEN_READONLY), so that a refused write can say so rather than
 * blame the file.  Lock-free slots: looked up only when a write fails, and
 * safe in a fork() child, where a lock held by a vanished thread would stay
 * held.  Past the slots a connection is just not named (the generic text). */
#define READONLY_SLOTS 64
static _Atomic(sqlite3 *) readonly_requested[READONLY_SLOTS];

static void note_readonly_requested(sqlite3 *conn)
{
    for (int i = 0; i < READONLY_SLOTS; i++) {
        sqlite3 *empty = NULL;
        if (atomic_compare_exchange_strong(&readonly_requested[i], &empty, conn))
            return;
    }
}

static void forget_readonly_requested(sqlite3 *conn)
{
    for (int i = 0; conn && i < READONLY_SLOTS; i++) {
        sqlite3 *mine = conn;
        atomic_compare_exchange_strong(&readonly_requested[i], &mine, NULL);
    }
}

static bool is_readonly_requested(sqlite3 *conn)
{
    for (int i = 0; i < READONLY_SLOTS; i++)
        if (atomic_load(&readonly_requested[i]) == conn)
            return true;
    return false;
}

nana_status_t nana__backend_open(struct nana_backend *b, const char *path, unsigned flags,
                                 char **msg)
{
    /* NOMUTEX: the executor role already serialises every use of the
     * connection, so SQLite's own mutex would only add cost.  SQLite falls
     * back to read-only when the file cannot be written. */
    if (!(b->path = strdup(path)))
        return NANA_ENOMEM;
    int open_flags = SQLITE_OPEN_NOMUTEX;
    if (flags & NANA_OPEN_READONLY)
        open_flags |= SQLITE_OPEN_READONLY;
    else if (flags & NANA_OPEN_NOCREATE)
        open_flags |= SQLITE_OPEN_READWRITE;
    else
        open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &b->writer, open_flags, NULL);
    if (rc == SQLITE_OK) {
        if (flags & NANA_OPEN_READONLY)
            note_readonly_requested(b->writer);
        return NANA_OK;
    }
    /* Asked not to create it: a missing file (or directory) is "not found",
     * and nothing was made. */
    if ((flags & (NANA_OPEN_READONLY | NANA_OPEN_NOCREATE)) && (rc & 0xff) == SQLITE_CANTOPEN &&
        b->writer && sqlite3_system_errno(b->writer) == ENOENT) {
        *msg = nana__strdupf("cannot open database \"%s\": no such file (%s: nothing was "
                             "created)",
                             path, flags & NANA_OPEN_READONLY ? "NANA_OPEN_READONLY"
                                                              : "NANA_OPEN_NOCREATE");
        return NANA_ENOTFOUND;
    }
    *msg = nana__strdupf("cannot open database \"%s\": %s", path,
                         b->writer ? sqlite3_errmsg(b->writer) : sqlite3_errstr(rc));
    return nana__status_from_sqlite(rc);
}

void nana__backend_close(struct nana_backend *b)
{
    /* The writer last: the last connection to close checkpoints the WAL
     * and removes it, as a single connection always did. */
    sqlite3_close_v2(b->checkpointer);
    b->checkpointer = NULL;
    forget_readonly_requested(b->writer);
    sqlite3_close_v2(b->writer);
    b->writer = NULL;
    free(b->path);
    b->path = NULL;
}

bool nana__backend_checkpoint(struct nana_backend *b)
{
    if (!b->checkpointer) {
        /* It runs no statement of the user's: no authorizer, no
         * options but the defaults (a checkpoint syncs at any level). */
        int rc = sqlite3_open_v2(b->path, &b->checkpointer,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        /* A connection learns the file is in WAL mode from its first read:
         * until then a checkpoint does nothing. */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(b->checkpointer, "PRAGMA schema_version", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_close_v2(b->checkpointer);
            b->checkpointer = NULL;
            return false;
        }
    }
    /* BUSY (another checkpoint, from any process) or an I/O error leave
     * the frames in the WAL, where readers still find them: the next
     * request tries again. */
    sqlite3_wal_checkpoint_v2(b->checkpointer, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return true;
}

sqlite3 *nana__backend_open_reader(struct nana_backend *b, char **msg)
{
    /* Read-only whatever the writer is: a reader never writes, and SQLite
     * then refuses anything that would.  NOMUTEX: one thread at a time
     * runs a reader (the engine's slot). */
    sqlite3 *conn = NULL;
    int rc = sqlite3_open_v2(b->path, &conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        *msg = nana__strdupf("cannot open a reader connection to \"%s\": %s", b->path,
                             conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
        sqlite3_close_v2(conn);
        return NULL;
    }
    return conn;
}

void nana__backend_set_busy_handler(struct nana_backend *b, int (*busy)(void *ctx, int count),
                                    void *ctx)
{
    b->busy = busy;
    b->busy_ctx = ctx;
    sqlite3_busy_handler(b->writer, busy, ctx);
}

bool nana__backend_catch_up(struct nana_backend *b, const char *schema)
{
    /*
     * PASSIVE, never RESTART: RESTART holds the write lock while it waits
     * for readers, and a connection of another process that waits for
     * that lock while it holds a snapshot then waits for us as we wait for
     * it, until a busy timeout ends (test/fork-child-opens-handle-while-
     * parent-busy failed so, twice in eight runs under load).  Here no lock
     * is held between attempts: the back-off runs while readers finish the
     * snapshots that pin old frames, and once every frame is copied a
     * reader starts on the database alone, so the next commit finds the
     * log free to start over.
     */
    int logged = 0, copied = 0, tries = 0;
    for (;;) {
        int rc = sqlite3_wal_checkpoint_v2(b->writer, schema, SQLITE_CHECKPOINT_PASSIVE, &logged,
                                           &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            return false; /* an I/O error: the frames stay where readers find them */
        if (rc == SQLITE_OK && copied >= logged)
            return true;
        if (!b->busy || !b->busy(b->busy_ctx, tries++))
            return false;
    }
}

bool nana__backend_read_only(const struct nana_backend *b)
{
    return b->writer && sqlite3_db_readonly(b->writer, "main") == 1;
}

/* The file of conn, cut to fit buf from the left (the end, which names the
 * file, is what a reader needs most); "" for a temporary or in-memory one. */
static const char *file_of(sqlite3 *conn, char *buf, size_t size)
{
    const char *path = sqlite3_db_filename(conn, "main");
    size_t len = path ? strlen(path) : 0;
    if (len < size)
        return path ? path : "";
    const char *tail = path + len - (size - 4);
    /* Cut on a UTF-8 boundary so the message stays valid text. */
    while (*tail && ((unsigned char)*tail & 0xC0) == 0x80)
        tail++;
    snprintf(buf, size, "...%s", tail);
    return buf;
}

/* Can this process create files in the directory of path?  (A journal, a
 * WAL and its -shm are made beside the database.) */
static bool dir_writable(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir)
        return true; /* not knowable here: no claim */
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    /* The effective ids, which SQLite's open() is checked against. */
    return faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0;
}

bool nana__backend_dir_unwritable(sqlite3 *conn)
{
    const char *path = sqlite3_db_filename(conn, "main");
    return path && *path && !dir_writable(path);
}

/* Room for the longest hint with a file name of HINT_FILE_MAX bytes. */
#define HINT_FILE_MAX 1024
static _Thread_local char hint_text[HINT_FILE_MAX + 256];

const char *nana__backend_error_hint(sqlite3 *conn, int rc)
{
    char file[HINT_FILE_MAX];
    switch (rc & 0xff) {
    case SQLITE_READONLY:
        /* SQLite could not make the journal, the WAL or its -shm beside
         * the file: the directory, not the file, is read-only (EACCES). */
        if (rc == SQLITE_READONLY_DIRECTORY)
            break;
        if (sqlite3_db_readonly(conn, "main") != 1)
            return "";
        if (is_readonly_requested(conn))
            return " (the database is opened read-only: the handle was opened with "
                   "NANA_OPEN_READONLY)";
        return " (the database was opened read-only because the file was not writable; "
               "reopen the handle once it is)";
    case SQLITE_CANTOPEN:
        /* The same from the immutable flag or a read-only mount, which
         * SQLite reports as "unable to open database file". */
        if (!nana__backend_dir_unwritable(conn))
            return "";
        break;
    case SQLITE_CORRUPT:
        snprintf(hint_text, sizeof hint_text,
                 " (file %s; run PRAGMA integrity_check, or open with NANA_OPEN_CHECK)",
                 file_of(conn, file, sizeof file));
        return hint_text;
    case SQLITE_NOTADB:
        /* integrity_check cannot run on it either: say what it may be. */
        snprintf(hint_text, sizeof hint_text,
                 " (file %s: its header is not SQLite's -- another kind of file, an "
                 "encrypted database, or a damaged first page)",
                 file_of(conn, file, sizeof file));
        return hint_text;
    default:
        return "";
    }
    /* The directory: the file's name without its last component. */
    const char *path = file_of(conn, file, sizeof file);
    const char *slash = strrchr(path, '/');
    int dir_len = !slash ? 1 : slash == path ? 1 : (int)(slash - path);
    snprintf(hint_text, sizeof hint_text,
             " (the directory %.*s is not writable: SQLite must create the journal, or the "
             "-wal and -shm files, beside the file; writes, and reads of a WAL database, "
             "work once it is)",
             dir_len, slash ? path : ".");
    return hint_text;
}
