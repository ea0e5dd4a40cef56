/*
 * sqlutil.c -- NanaSQLite's utilities: what the connection last did
 * (get_last_insert_rowid, changes), the size of the file (get_db_size),
 * and a table to and from JSON objects (export_table_to_dict,
 * import_from_dict_list).
 *
 * The first three are small jobs of their own that read the connection (or
 * stat the file) at their place in the queue.  Export and import are SQL
 * jobs (sql.c) whose text is built here from validated identifiers, run
 * under the helpers' authorizer: import is execute_many's job, so that all
 * its rows are inserted in one transaction or none are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

enum info_kind { INFO_ROWID, INFO_CHANGES, INFO_SIZE };

struct info_job {
    struct nana_job base;
    enum info_kind kind;
};

static void info_run(struct nana_job *base, struct nana_exec *ex)
{
    struct info_job *job = container_of(base, struct info_job, base);
    int64_t n = 0;
    switch (job->kind) {
    case INFO_ROWID:
        n = nana__conn_last_insert_rowid(nana__exec_conn(ex));
        break;
    case INFO_CHANGES:
        n = nana__conn_changes(nana__exec_conn(ex));
        break;
    case INFO_SIZE: {
        /* "" for an in-memory or temporary database: no file. */
        const char *path = nana__conn_filename(nana__exec_conn(ex));
        struct stat sb;
        if (path && *path) {
            if (stat(path, &sb) != 0) {
                nana__job_fail(base, NANA_EIO,
                               nana__strdupf("cannot read the size of %s: %s", path,
                                             strerror(errno)));
                return;
            }
            n = (int64_t)sb.st_size;
        }
        break;
    }
    }
    if (!(base->result = json_integer(n)))
        nana__job_fail(base, NANA_ENOMEM, NULL);
}

static void info_destroy(struct nana_job *base)
{
    nana__json_release(base->result);
    free(base->errmsg);
    free(container_of(base, struct info_job, base));
}

static const struct nana_job_ops info_ops = {info_run, NULL, NULL, info_destroy};

static nana_future_t *info(nana_db_t *db, enum info_kind kind)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    struct info_job *job = calloc(1, sizeof *job);
    if (!job)
        return nana__sql_reject(NANA_ENOMEM, NULL);
    job->base.ops = &info_ops;
    job->base.lane = NANA__LANE_READER;
    job->kind = kind;
    return nana__db_submit(db, &job->base);
}

NANA_API nana_future_t *nana_get_last_insert_rowid(nana_db_t *db)
{
    return info(db, INFO_ROWID);
}

NANA_API nana_future_t *nana_changes(nana_db_t *db)
{
    return info(db, INFO_CHANGES);
}

NANA_API nana_future_t *nana_get_db_size(nana_db_t *db)
{
    return info(db, INFO_SIZE);
}

/* ------------------------------------------------------- export, import */

static nana_future_t *check_table(nana_db_t *db, const char *table)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    if (!table)
        return nana__sql_reject(NANA_EINVAL, "NULL table name");
    if (!nana__ident_valid(table))
        return nana__sql_reject(NANA_EINVAL, "invalid table name: [A-Za-z_][A-Za-z0-9_]*, at "
                                             "most 128 bytes, not starting with sqlite_");
    return NULL;
}

NANA_API nana_future_t *nana_export_table_to_dict(nana_db_t *db, const char *table)
{
    nana_future_t *f = check_table(db, table);
    if (f)
        return f;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, "SELECT * FROM ");
    nana__sqlbuf_ident(&b, table);
    struct nana_sql_request rq = {.sql = nana__sqlbuf_take(&b), .shape = NANA__SHAPE_OBJECTS,
                                  .auth = NANA__AUTH_HELPER, .table = table, .write = false,
                                  .what = "export_table_to_dict"};
    return nana__sql_submit(db, &rq);
}

/* The parameter sets of import: one array per row, in the columns' order
 * (the first row's member names).  NULL with *st and *why on refusal. */
static json_t *import_sets(json_t *rows, json_t *first, nana_status_t *st, char **why)
{
    json_t *sets = json_array(), *row;
    size_t i;
    if (!sets)
        goto nomem;
    json_array_foreach(rows, i, row) {
        const char *name;
        json_t *v;
        if (!json_is_object(row)) {
            *st = NANA_ETYPE;
            *why = nana__strdupf("import_from_dict_list: row %zu is not an object", i);
            goto fail;
        }
        json_object_foreach(row, name, v) {
            if (!json_object_get(first, name) || !nana__json_key_is_cstring(name)) {
                *st = NANA_EINVAL;
                *why = nana__strdupf("import_from_dict_list: row %zu has a column the first "
                                     "row does not have", i);
                goto fail;
            }
        }
        json_t *set = json_array();
        if (!set || json_array_append_new(sets, set) != 0)
            goto nomem;
        json_object_foreach(first, name, v) {
            json_t *cell = json_object_get(row, name);
            if (json_array_append(set, cell ? cell : json_null()) != 0)
                goto nomem;
        }
        nana_future_t *refused = nana__sql_check_params(set);
        if (refused) {
            *st = nana_future_status(refused);
            *why = nana__strdupf("import_from_dict_list: row %zu: %s", i,
                                 nana_future_errmsg(refused));
            nana_future_free(refused);
            goto fail;
        }
    }
    return sets;
nomem:
    *st = NANA_ENOMEM;
    *why = NULL;
fail:
    json_decref(sets);
    return NULL;
}

NANA_API nana_future_t *nana_import_from_dict_list(nana_db_t *db, const char *table,
                                                   json_t *rows)
{
    nana_future_t *f = check_table(db, table);
    if (f)
        return f;
    if (!rows)
        return nana__sql_reject(NANA_EINVAL, "NULL rows");
    if (!json_is_array(rows))
        return nana__sql_reject(NANA_ETYPE, "import_from_dict_list needs an array of objects");
    if (json_array_size(rows) == 0)
        return nana__future_new_done(NANA_OK, json_integer(0), NULL);
    json_t *first = json_array_get(rows, 0);
    if (!json_is_object(first))
        return nana__sql_reject(NANA_ETYPE, "import_from_dict_list: row 0 is not an object");
    if (json_object_size(first) == 0)
        return nana__sql_reject(NANA_EINVAL, "import_from_dict_list: the first row has no "
                                             "columns");
    struct nana_sqlbuf b = {0};
    const char *name;
    json_t *v;
    bool comma = false;
    nana__sqlbuf_add(&b, "INSERT INTO ");
    nana__sqlbuf_ident(&b, table);
    nana__sqlbuf_add(&b, " (");
    json_object_foreach(first, name, v) {
        if (!nana__json_key_is_cstring(name) || !nana__ident_valid(name)) {
            free(nana__sqlbuf_take(&b));
            return nana__sql_reject(NANA_EINVAL, "import_from_dict_list: a column name of the "
                                                 "first row is not a valid identifier");
        }
        nana__sqlbuf_add(&b, comma ? ", " : "");
        nana__sqlbuf_ident(&b, name);
        comma = true;
    }
    nana__sqlbuf_add(&b, ") VALUES (");
    for (size_t i = 0; i < json_object_size(first); i++)
        nana__sqlbuf_add(&b, i ? ", ?" : "?");
    nana__sqlbuf_add(&b, ")");
    char *sql = nana__sqlbuf_take(&b);
    nana_status_t st = NANA_OK;
    char *why = NULL;
    json_t *sets = import_sets(rows, first, &st, &why);
    if (!sets) {
        free(sql);
        return why ? nana__future_new_failed_owned(st, why) : nana__sql_reject(st, NULL);
    }
    struct nana_sql_request rq = {.sql = sql, .params = sets, .shape = NANA__SHAPE_MANY,
                                  .auth = NANA__AUTH_HELPER, .table = table, .write = true,
                                  .what = "import_from_dict_list"};
    f = nana__sql_submit(db, &rq);
    json_decref(sets);
    return f;
}
