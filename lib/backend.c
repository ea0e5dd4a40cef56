/*
 * backend.c -- where jobs run: the connections of a root.  Today one local
 * SQLite connection that writes (and reads); a pool of readers, or a
 * replicated backend, would give the engine its connections through the
 * same functions.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

nana_status_t nana__backend_open(struct nana_backend *b, const char *path, char **msg)
{
    /* NOMUTEX: the executor role already serialises every use of the
     * connection, so SQLite's own mutex would only add cost.  SQLite falls
     * back to read-only when the file cannot be written. */
    if (!(b->path = strdup(path)))
        return NANA_ENOMEM;
    int rc = sqlite3_open_v2(path, &b->writer,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc == SQLITE_OK)
        return NANA_OK;
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

bool nana__backend_read_only(const struct nana_backend *b)
{
    return b->writer && sqlite3_db_readonly(b->writer, "main") == 1;
}

const char *nana__backend_readonly_hint(sqlite3 *conn, int rc)
{
    if ((rc & 0xff) != SQLITE_READONLY || sqlite3_db_readonly(conn, "main") != 1)
        return "";
    return " (the database was opened read-only because the file was not writable; "
           "reopen the handle once it is)";
}
