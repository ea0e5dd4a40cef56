/*
 * authorize.c -- the authorizer policy for SQL that comes from outside the
 * library (nana_execute and friends) or that a helper built, and the
 * per-statement state it keeps: which tables a statement may write (so
 * that their caches can be emptied when it commits) and why it last said
 * no.  The state belongs to the executor: it is set before a statement is
 * prepared and read right after.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"


static int helper_verdict(struct nana_auth *auth, int action, const char *a1, const char *a2);

static void note_written(struct nana_auth *auth, const char *table)
{
    if (!table)
        return;
    for (int i = 0; i < auth->n_written; i++)
        if (nana__name_eq(auth->written[i], table))
            return;
    if (auth->n_written == NANA_AUTH_WRITTEN_MAX || strlen(table) > NANA_TABLE_NAME_MAX) {
        auth->written_overflow = true;
        return;
    }
    snprintf(auth->written[auth->n_written++], NANA_TABLE_NAME_MAX + 1, "%s", table);
}

static bool is_schema_table(const char *t)
{
    return t && (nana__name_eq(t, "sqlite_master") || nana__name_eq(t, "sqlite_schema") ||
                 nana__name_eq(t, "sqlite_temp_master") || nana__name_eq(t, "sqlite_sequence"));
}

static bool same_table(const struct nana_auth *auth, const char *t)
{
    return t && auth->table && nana__name_eq(t, auth->table);
}

static int authorize(void *arg, int action, const char *a1, const char *a2, const char *db,
                     const char *trigger)
{
    struct nana_auth *auth = arg;
    (void)db;
    (void)trigger;
    int mode = auth->mode;
    if (mode == NANA__AUTH_OFF)
        return SQLITE_OK;

    /* Remember every table the statement may write, for the caches. */
    switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_DROP_TABLE:
        if (!is_schema_table(a1))
            note_written(auth, a1);
        break;
    case SQLITE_ALTER_TABLE:
        note_written(auth, a2);
        break;
    default:
        break;
    }

    if (action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT) {
        auth->denied = "transaction control (BEGIN, COMMIT, SAVEPOINT, ...) belongs to "
                            "the library";
        return SQLITE_DENY;
    }
    if (mode == NANA__AUTH_USER)
        return SQLITE_OK;
    int verdict = helper_verdict(auth, action, a1, a2);
    if (verdict == SQLITE_DENY)
        auth->denied = "the statement reaches beyond what this helper may touch "
                            "(another table, ATTACH, PRAGMA or a schema change)";
    return verdict;
}

static int helper_verdict(struct nana_auth *auth, int action, const char *a1, const char *a2)
{
    bool ddl = auth->mode == NANA__AUTH_HELPER_DDL;
    switch (action) {
    case SQLITE_SELECT:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (a2 && strcasecmp(a2, "load_extension") == 0) {
            auth->denied = "load_extension() is not allowed";
            return SQLITE_DENY;
        }
        return SQLITE_OK;
    case SQLITE_READ:
        /* "excluded" is the upsert's pseudo-table of the proposed row. */
        return same_table(auth, a1) || (a1 && nana__name_eq(a1, "excluded")) ||
                       (ddl && is_schema_table(a1))
                   ? SQLITE_OK
                   : SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        if (same_table(auth, a1) || (ddl && is_schema_table(a1)))
            return SQLITE_OK;
        return SQLITE_DENY;
    case SQLITE_CREATE_TABLE:
    case SQLITE_DROP_TABLE:
        /* AUTOINCREMENT creates sqlite_sequence along with the table. */
        return ddl && (same_table(auth, a1) || is_schema_table(a1)) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_REINDEX: /* CREATE INDEX asks for it too */
        return ddl ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:
        return ddl && same_table(auth, a2) ? SQLITE_OK : SQLITE_DENY;
    default:
        /* ATTACH, DETACH, PRAGMA, triggers, views, temp objects, ... */
        return SQLITE_DENY;
    }
}

void nana__auth_install(struct nana_auth *auth, sqlite3 *conn)
{
    memset(auth, 0, sizeof *auth);
    sqlite3_set_authorizer(conn, authorize, auth);
}

void nana__auth_begin(struct nana_auth *auth, enum nana_auth_mode mode, const char *table)
{
    auth->mode = mode;
    auth->table = table;
    auth->denied = NULL;
    auth->n_written = 0;
    auth->written_overflow = false;
}

void nana__auth_end(struct nana_auth *auth)
{
    auth->mode = NANA__AUTH_OFF;
    auth->table = NULL;
}

bool nana__auth_wrote(const struct nana_auth *auth, const char *name)
{
    if (auth->written_overflow)
        return true;
    for (int i = 0; i < auth->n_written; i++)
        if (nana__name_eq(auth->written[i], name))
            return true;
    return false;
}
