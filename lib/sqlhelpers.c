/*
 * sqlhelpers.c -- the SQL helpers (create_table, query, sql_insert, upsert,
 * pragma, ...): each builds its SQL text from pieces validate.c accepted,
 * with every identifier double-quoted and every value bound, and submits it
 * as a SQL job (sql.c) under the authorizer's helper policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define ORDER_BY_BUILT_MAX 2048
#define WHERE_NUMBERED_MAX 8192

/* Queues sql (taken; NULL: out of memory) with a copy of params. */
static nana_future_t *submit_sql_paged(nana_db_t *db, char *sql, char *count_sql,
                                       int64_t limit, int64_t offset, json_t *params,
                                       enum nana_sql_shape shape, enum nana_auth_mode auth,
                                       const char *table, bool write, const char *what)
{
    struct nana_sql_request rq = {sql,   count_sql, limit, offset, params,
                                  shape, auth,      table, write,  what};
    return nana__sql_submit(db, &rq);
}

static nana_future_t *submit_sql(nana_db_t *db, char *sql, json_t *params,
                                 enum nana_sql_shape shape, enum nana_auth_mode auth,
                                 const char *table, bool write, const char *what)
{
    return submit_sql_paged(db, sql, NULL, -1, 0, params, shape, auth, table, write, what);
}

static nana_future_t *check_ident(const char *what, const char *ident)
{
    if (!ident)
        return nana__future_new_failed_owned(NANA_EINVAL, nana__strdupf("NULL %s name", what));
    if (!nana__ident_valid(ident))
        return nana__future_new_failed_owned(NANA_EINVAL,
                            nana__strdupf("invalid %s name: use [A-Za-z_][A-Za-z0-9_]*, at most "
                                          "128 bytes, not starting with sqlite_",
                                          what));
    return NULL;
}

/* A name given as a member name, as the columns of a row are. */
static nana_future_t *check_key_ident(const char *what, const char *key)
{
    if (!nana__json_key_is_cstring(key))
        return nana__future_new_failed_owned(NANA_EINVAL,
                                             nana__strdupf("a %s name holds a NUL byte", what));
    return check_ident(what, key);
}

/* A name given as a JSON string (an element of a column list). */
static nana_future_t *check_json_ident(const char *what, const json_t *name)
{
    if (!json_is_string(name))
        return nana__future_new_failed_owned(NANA_EINVAL,
                                             nana__strdupf("a %s name must be a string", what));
    if (!nana__json_string_is_cstring(name))
        return nana__future_new_failed_owned(NANA_EINVAL,
                                             nana__strdupf("a %s name holds a NUL byte", what));
    return check_ident(what, json_string_value(name));
}

static nana_future_t *check_where(const char *where)
{
    const char *why;
    if (where && nana__where_check(where, &why) != NANA_OK)
        return nana__sql_reject(NANA_EINVAL, why);
    return NULL;
}

NANA_API nana_future_t *nana_create_table(nana_db_t *db, const char *table, json_t *columns,
                                          const char *primary_key, bool if_not_exists)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    if (!json_is_object(columns) || json_object_size(columns) == 0)
        return nana__sql_reject(columns ? NANA_ETYPE : NANA_EINVAL,
                      "create_table needs a non-empty object of column -> type");
    if (primary_key && (f = check_ident("primary key column", primary_key)))
        return f;

    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    nana__sqlbuf_ident(&b, table);
    nana__sqlbuf_add(&b, " (");
    const char *name;
    json_t *type;
    bool first = true, primary_key_found = false;
    json_object_foreach(columns, name, type) {
        char built[320];
        const char *why = "the type must be a string";
        if ((f = check_key_ident("column", name))) {
            free(b.s);
            return f;
        }
        if (json_is_string(type) && !nana__json_string_is_cstring(type))
            why = "the type holds a NUL byte";
        else if (json_is_string(type) &&
                 nana__type_build(json_string_value(type), built, sizeof built, &why) == NANA_OK)
            why = NULL;
        if (why) {
            free(b.s);
            return nana__future_new_failed_owned(NANA_EINVAL,
                                                 nana__strdupf("column \"%s\": %s", name, why));
        }
        primary_key_found |= primary_key && nana__name_eq(name, primary_key);
        if (!first)
            nana__sqlbuf_add(&b, ", ");
        first = false;
        nana__sqlbuf_ident(&b, name);
        nana__sqlbuf_add(&b, " ");
        nana__sqlbuf_add(&b, built);
    }
    if (primary_key && !primary_key_found) {
        free(b.s);
        return nana__sql_reject(NANA_EINVAL, "the primary key must be one of the columns");
    }
    if (primary_key) {
        nana__sqlbuf_add(&b, ", PRIMARY KEY (");
        nana__sqlbuf_ident(&b, primary_key);
        nana__sqlbuf_add(&b, ")");
    }
    nana__sqlbuf_add(&b, ")");
    return submit_sql(db, nana__sqlbuf_take(&b), NULL, NANA__SHAPE_NONE, NANA__AUTH_HELPER_DDL,
                      table, true, "create_table");
}

/* Adds "a", "b", ... from a JSON array of identifiers; a failed future on
 * bad input. */
static nana_future_t *add_column_list(struct nana_sqlbuf *b, json_t *columns, const char *what)
{
    if (!json_is_array(columns) || json_array_size(columns) == 0)
        return nana__future_new_failed_owned(columns ? NANA_ETYPE : NANA_EINVAL,
                            nana__strdupf("%s must be a non-empty array of column names", what));
    size_t i;
    json_t *c;
    json_array_foreach(columns, i, c) {
        nana_future_t *f = check_json_ident("column", c);
        if (f)
            return f;
        if (i)
            nana__sqlbuf_add(b, ", ");
        nana__sqlbuf_ident(b, json_string_value(c));
    }
    return NULL;
}

NANA_API nana_future_t *nana_create_index(nana_db_t *db, const char *index, const char *table,
                                          json_t *columns, bool unique, bool if_not_exists)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("index", index)) || (f = check_ident("table", table)))
        return f;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (if_not_exists)
        nana__sqlbuf_add(&b, "IF NOT EXISTS ");
    nana__sqlbuf_ident(&b, index);
    nana__sqlbuf_add(&b, " ON ");
    nana__sqlbuf_ident(&b, table);
    nana__sqlbuf_add(&b, " (");
    if ((f = add_column_list(&b, columns, "columns"))) {
        free(b.s);
        return f;
    }
    nana__sqlbuf_add(&b, ")");
    return submit_sql(db, nana__sqlbuf_take(&b), NULL, NANA__SHAPE_NONE, NANA__AUTH_HELPER_DDL,
                      table, true, "create_index");
}

/* " WHERE (where)" after checking it; a failed future on bad input. */
static nana_future_t *add_where(struct nana_sqlbuf *b, const char *where, json_t *params)
{
    nana_future_t *f = nana__sql_check_params(params);
    if (f || (f = check_where(where)))
        return f;
    if (where) {
        nana__sqlbuf_add(b, " WHERE (");
        nana__sqlbuf_add(b, where);
        nana__sqlbuf_add(b, ")");
    }
    return NULL;
}

/* The SELECT list: each element of columns a column name, an expression
 * AS alias, or one function call (expr.c); *aggregate when one calls an
 * aggregate.  A failed future on bad input. */
static nana_future_t *add_select_list(struct nana_sqlbuf *b, json_t *columns, const char *what,
                                      bool *aggregate)
{
    if (!json_is_array(columns) || json_array_size(columns) == 0)
        return nana__future_new_failed_owned(columns ? NANA_ETYPE : NANA_EINVAL,
                            nana__strdupf("%s: columns must be a non-empty array of column "
                                          "names and expressions",
                                          what));
    size_t i;
    json_t *c;
    json_array_foreach(columns, i, c) {
        if (!json_is_string(c))
            return nana__future_new_failed_owned(NANA_EINVAL,
                                nana__strdupf("%s: columns[%zu] must be a string", what, i));
        if (!nana__json_string_is_cstring(c))
            return nana__future_new_failed_owned(NANA_EINVAL,
                                nana__strdupf("%s: columns[%zu] holds a NUL byte", what, i));
        if (i)
            nana__sqlbuf_add(b, ", ");
        struct nana_expr_info info;
        nana_status_t st = nana__expr_build(NANA__EXPR_COLUMN, json_string_value(c), b, &info);
        if (st != NANA_OK) {
            nana_future_t *f = nana__future_new_failed_owned(
                st, info.msg ? nana__strdupf("%s: columns[%zu]: %s", what, i, info.msg) : NULL);
            free(info.msg);
            return f;
        }
        *aggregate |= info.aggregate;
    }
    return NULL;
}

/* " GROUP BY g" and " HAVING (h)" after checking them. */
static nana_future_t *add_grouping(struct nana_sqlbuf *b, const char *group_by,
                                   const char *having, const char *what)
{
    if (having && !group_by)
        return nana__future_new_failed_owned(NANA_EINVAL,
                            nana__strdupf("%s: having needs group_by", what));
    const struct {
        const char *text, *sql, *close, *name;
        enum nana_expr_kind kind;
    } parts[] = {
        {group_by, " GROUP BY ", "", "group_by", NANA__EXPR_GROUP_BY},
        {having, " HAVING (", ")", "having", NANA__EXPR_HAVING},
    };
    for (size_t k = 0; k < 2; k++) {
        if (!parts[k].text)
            continue;
        struct nana_expr_info info;
        nana__sqlbuf_add(b, parts[k].sql);
        nana_status_t st = nana__expr_build(parts[k].kind, parts[k].text, b, &info);
        if (st != NANA_OK) {
            nana_future_t *f = nana__future_new_failed_owned(
                st, info.msg ? nana__strdupf("%s: %s: %s", what, parts[k].name, info.msg) : NULL);
            free(info.msg);
            return f;
        }
        nana__sqlbuf_add(b, parts[k].close);
    }
    return NULL;
}

struct select_args {
    const char *table;
    json_t *columns;
    const char *where;
    json_t *params;
    const char *group_by, *having;
    const char *order_by;
    int64_t limit, offset;
    bool paginate;
    const char *what;
};

static nana_future_t *select_query(nana_db_t *db, const struct select_args *q)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", q->table)))
        return f;
    if (q->limit < 0)
        return nana__sql_reject(NANA_EINVAL, "limit must not be negative (INT64_MAX: no limit)");
    if (q->offset < 0)
        return nana__sql_reject(NANA_EINVAL, "offset must not be negative");
    if (q->paginate && q->limit < 1)
        return nana__future_new_failed_owned(NANA_EINVAL,
                            nana__strdupf("%s needs a limit of at least 1", q->what));
    /* body: "<list> FROM "t" [WHERE] [GROUP BY] [HAVING]", shared by the
     * page and, for a grouped or aggregate query, the count of its rows. */
    struct nana_sqlbuf body = {0}, b = {0}, count = {0};
    bool aggregate = false;
    if (q->columns) {
        if ((f = add_select_list(&body, q->columns, q->what, &aggregate)))
            goto fail;
    } else {
        nana__sqlbuf_add(&body, "*");
    }
    nana__sqlbuf_add(&body, " FROM ");
    nana__sqlbuf_ident(&body, q->table);
    if ((f = add_where(&body, q->where, q->params)) ||
        (f = add_grouping(&body, q->group_by, q->having, q->what)))
        goto fail;
    if (body.failed)
        goto nomem;
    nana__sqlbuf_add(&b, "SELECT ");
    nana__sqlbuf_add(&b, body.s);
    if (q->group_by || aggregate) {
        /* The rows the query gives, not the rows of the table. */
        nana__sqlbuf_add(&count, "SELECT COUNT(*) FROM (SELECT ");
        nana__sqlbuf_add(&count, body.s);
        nana__sqlbuf_add(&count, ")");
    } else {
        nana__sqlbuf_add(&count, "SELECT COUNT(*) FROM ");
        nana__sqlbuf_ident(&count, q->table);
        add_where(&count, q->where, q->params);
    }
    if (q->order_by) {
        char built[ORDER_BY_BUILT_MAX];
        const char *why;
        if (nana__order_by_build(q->order_by, built, sizeof built, &why) != NANA_OK) {
            f = nana__sql_reject(NANA_EINVAL, why);
            goto fail;
        }
        nana__sqlbuf_add(&b, " ORDER BY ");
        nana__sqlbuf_add(&b, built);
    }
    char tail[64];
    snprintf(tail, sizeof tail, " LIMIT %lld OFFSET %lld", (long long)q->limit,
             (long long)q->offset);
    nana__sqlbuf_add(&b, tail);
    free(body.s);
    if (!q->paginate) {
        free(count.s);
        return submit_sql(db, nana__sqlbuf_take(&b), q->params, NANA__SHAPE_OBJECTS,
                          NANA__AUTH_HELPER, q->table, false, q->what);
    }
    return submit_sql_paged(db, nana__sqlbuf_take(&b), nana__sqlbuf_take(&count), q->limit,
                            q->offset, q->params, NANA__SHAPE_PAGE, NANA__AUTH_HELPER, q->table,
                            false, q->what);
nomem:
    f = nana__sql_reject(NANA_ENOMEM, NULL);
fail:
    free(body.s);
    free(b.s);
    free(count.s);
    return f;
}

NANA_API nana_future_t *nana_query(nana_db_t *db, const char *table, json_t *columns,
                                   const char *where, json_t *params, const char *order_by,
                                   int64_t limit, int64_t offset)
{
    const struct select_args q = {table, columns, where, params, NULL, NULL, order_by,
                                  limit, offset, false, "query"};
    return select_query(db, &q);
}

NANA_API nana_future_t *nana_query_with_pagination(nana_db_t *db, const char *table,
                                                   json_t *columns, const char *where,
                                                   json_t *params, const char *order_by,
                                                   int64_t limit, int64_t offset)
{
    const struct select_args q = {table, columns, where, params, NULL, NULL, order_by,
                                  limit, offset, true, "query_with_pagination"};
    return select_query(db, &q);
}

NANA_API nana_future_t *nana_query_grouped(nana_db_t *db, const char *table, json_t *columns,
                                           const char *where, json_t *params,
                                           const char *group_by, const char *having,
                                           const char *order_by, int64_t limit, int64_t offset)
{
    const struct select_args q = {table, columns, where, params, group_by, having, order_by,
                                  limit, offset, false, "query_grouped"};
    return select_query(db, &q);
}

NANA_API nana_future_t *nana_query_grouped_with_pagination(nana_db_t *db, const char *table,
                                                           json_t *columns, const char *where,
                                                           json_t *params, const char *group_by,
                                                           const char *having,
                                                           const char *order_by, int64_t limit,
                                                           int64_t offset)
{
    const struct select_args q = {table,  columns, where, params, group_by,
                                  having, order_by, limit, offset, true,
                                  "query_grouped_with_pagination"};
    return select_query(db, &q);
}

/* A query of the library's own about one table, named by a bound parameter
 * (NULL table: no parameter). */
static nana_future_t *about_table(nana_db_t *db, const char *table, const char *sql,
                                  enum nana_sql_shape shape, const char *what)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (table && (f = check_ident("table", table))))
        return f;
    json_t *params = table ? json_pack("[s]", table) : NULL;
    f = submit_sql(db, strdup(sql), params, shape, NANA__AUTH_OFF, table, false, what);
    json_decref(params);
    return f;
}

NANA_API nana_future_t *nana_table_exists(nana_db_t *db, const char *table)
{
    if (db && !table)
        return nana__sql_reject(NANA_EINVAL, "NULL table name");
    return about_table(db, table,
                       "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
                       "AND name = ? COLLATE NOCASE",
                       NANA__SHAPE_ANY_ROW, "table_exists");
}

NANA_API nana_future_t *nana_list_tables(nana_db_t *db)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    return submit_sql(db,
                      strdup("SELECT name FROM sqlite_master WHERE type = 'table' "
                             "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"),
                      NULL, NANA__SHAPE_COLUMN, NANA__AUTH_OFF, NULL, false, "list_tables");
}

static nana_future_t *drop(nana_db_t *db, const char *kind, const char *name, bool if_exists)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident(kind, name)))
        return f;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, strcmp(kind, "table") == 0 ? "DROP TABLE " : "DROP INDEX ");
    if (if_exists)
        nana__sqlbuf_add(&b, "IF EXISTS ");
    nana__sqlbuf_ident(&b, name);
    return submit_sql(db, nana__sqlbuf_take(&b), NULL, NANA__SHAPE_NONE, NANA__AUTH_HELPER_DDL,
                      strcmp(kind, "table") == 0 ? name : NULL, true,
                      strcmp(kind, "table") == 0 ? "drop_table" : "drop_index");
}

NANA_API nana_future_t *nana_drop_table(nana_db_t *db, const char *table, bool if_exists)
{
    return drop(db, "table", table, if_exists);
}

NANA_API nana_future_t *nana_drop_index(nana_db_t *db, const char *index, bool if_exists)
{
    return drop(db, "index", index, if_exists);
}

/* INSERT [OR REPLACE] INTO "t" ("a", ...) VALUES (?, ...); *values gets
 * the row's values in column order. */
static nana_future_t *build_insert(struct nana_sqlbuf *b, const char *table, json_t *row,
                                   bool or_replace, json_t **values)
{
    if (!json_is_object(row))
        return nana__sql_reject(row ? NANA_ETYPE : NANA_EINVAL,
                                "the row must be an object of column -> value");
    nana__sqlbuf_add(b, or_replace ? "INSERT OR REPLACE INTO " : "INSERT INTO ");
    nana__sqlbuf_ident(b, table);
    *values = json_array();
    if (json_object_size(row) == 0) {
        nana__sqlbuf_add(b, " DEFAULT VALUES");
        return NULL;
    }
    nana__sqlbuf_add(b, " (");
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach(row, name, v) {
        nana_future_t *f = check_key_ident("column", name);
        if (f)
            return f;
        if (i++)
            nana__sqlbuf_add(b, ", ");
        nana__sqlbuf_ident(b, name);
        json_array_append(*values, v);
    }
    nana__sqlbuf_add(b, ") VALUES (");
    for (size_t k = 0; k < i; k++)
        nana__sqlbuf_add(b, k ? ", ?" : "?");
    nana__sqlbuf_add(b, ")");
    return NULL;
}

NANA_API nana_future_t *nana_sql_insert(nana_db_t *db, const char *table, json_t *row)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct nana_sqlbuf b = {0};
    json_t *values = NULL;
    if ((f = build_insert(&b, table, row, false, &values))) {
        free(b.s);
        json_decref(values);
        return f;
    }
    f = submit_sql(db, nana__sqlbuf_take(&b), values, NANA__SHAPE_ROWID, NANA__AUTH_HELPER, table,
                   true, "sql_insert");
    json_decref(values);
    return f;
}

NANA_API nana_future_t *nana_upsert(nana_db_t *db, const char *table, json_t *row,
                                    json_t *conflict_columns)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    if (conflict_columns && json_is_object(row) && json_object_size(row) == 0)
        return nana__sql_reject(NANA_EINVAL, "upsert with conflict columns needs a non-empty row");
    struct nana_sqlbuf b = {0};
    json_t *values = NULL;
    if ((f = build_insert(&b, table, row, !conflict_columns, &values)))
        goto fail;
    if (conflict_columns) {
        nana__sqlbuf_add(&b, " ON CONFLICT (");
        if ((f = add_column_list(&b, conflict_columns, "conflict_columns")))
            goto fail;
        nana__sqlbuf_add(&b, ") DO ");
        const char *name;
        json_t *v;
        size_t updated = 0;
        json_object_foreach(row, name, v) {
            bool is_key = false;
            size_t i;
            json_t *c;
            json_array_foreach(conflict_columns, i, c)
                is_key |= nana__name_eq(json_string_value(c), name);
            if (is_key)
                continue;
            nana__sqlbuf_add(&b, updated++ ? ", " : "UPDATE SET ");
            nana__sqlbuf_ident(&b, name);
            nana__sqlbuf_add(&b, " = excluded.");
            nana__sqlbuf_ident(&b, name);
        }
        /* Every column is a key: nothing to update.  RETURNING then yields
         * no row when the conflict fires, and the future resolves 0. */
        if (!updated)
            nana__sqlbuf_add(&b, "NOTHING");
    }
    nana__sqlbuf_add(&b, " RETURNING rowid");
    f = submit_sql(db, nana__sqlbuf_take(&b), values, NANA__SHAPE_SCALAR, NANA__AUTH_HELPER, table,
                   true, "upsert");
    json_decref(values);
    return f;
fail:
    free(b.s);
    json_decref(values);
    return f;
}

NANA_API nana_future_t *nana_sql_update(nana_db_t *db, const char *table, json_t *set,
                                        const char *where, json_t *params)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)) || (f = nana__sql_check_params(params)) ||
        (f = check_where(where)))
        return f;
    if (!json_is_object(set) || json_object_size(set) == 0)
        return nana__sql_reject(set ? NANA_ETYPE : NANA_EINVAL,
                      "sql_update needs a non-empty object of column -> value");
    if (!where && params && !json_is_null(params) &&
        (json_array_size(params) > 0 || json_object_size(params) > 0))
        return nana__sql_reject(NANA_EINVAL, "parameters given without a where clause");
    /* The SET values come first in the statement but must not take the
     * numbers of the where clause's parameters: named where parameters get
     * named SET values; positional ones get explicit numbers after them. */
    bool named = json_is_object(params);
    size_t n_where = json_is_array(params) ? json_array_size(params) : 0;
    struct nana_sqlbuf b = {0};
    json_t *all = named ? json_deep_copy(params) : json_array();
    if (!named && json_is_array(params))
        json_array_extend(all, params);
    nana__sqlbuf_add(&b, "UPDATE ");
    nana__sqlbuf_ident(&b, table);
    nana__sqlbuf_add(&b, " SET ");
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach(set, name, v) {
        if ((f = check_key_ident("column", name)))
            goto fail;
        char pname[48];
        if (named)
            snprintf(pname, sizeof pname, ":nana_set_%zu", i);
        else
            snprintf(pname, sizeof pname, "?%zu", n_where + i + 1);
        nana__sqlbuf_add(&b, i ? ", " : "");
        nana__sqlbuf_ident(&b, name);
        nana__sqlbuf_add(&b, " = ");
        nana__sqlbuf_add(&b, pname);
        if (named)
            json_object_set(all, pname, v);
        else
            json_array_append(all, v);
        i++;
    }
    if (where) {
        char numbered[WHERE_NUMBERED_MAX];
        int n_bare, highest;
        if (nana__where_number(where, numbered, sizeof numbered, &n_bare, &highest) != NANA_OK) {
            f = nana__sql_reject(NANA_EINVAL, "where clause too long");
            goto fail;
        }
        if (!named && (size_t)highest != n_where) {
            f = nana__future_new_failed_owned(NANA_EINVAL,
                             nana__strdupf("the where clause has %d parameters, %zu were given",
                                           highest, n_where));
            goto fail;
        }
        nana__sqlbuf_add(&b, " WHERE (");
        nana__sqlbuf_add(&b, numbered);
        nana__sqlbuf_add(&b, ")");
    }
    f = submit_sql(db, nana__sqlbuf_take(&b), all, NANA__SHAPE_CHANGES, NANA__AUTH_HELPER, table,
                   true, "sql_update");
    json_decref(all);
    return f;
fail:
    free(b.s);
    json_decref(all);
    return f;
}

NANA_API nana_future_t *nana_sql_delete(nana_db_t *db, const char *table, const char *where,
                                        json_t *params)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, "DELETE FROM ");
    nana__sqlbuf_ident(&b, table);
    if ((f = add_where(&b, where, params))) {
        free(b.s);
        return f;
    }
    return submit_sql(db, nana__sqlbuf_take(&b), params, NANA__SHAPE_CHANGES, NANA__AUTH_HELPER,
                      table, true, "sql_delete");
}

NANA_API nana_future_t *nana_vacuum(nana_db_t *db)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    /* Not a write job: VACUUM cannot run inside a transaction. */
    return submit_sql(db, strdup("VACUUM"), NULL, NANA__SHAPE_NONE, NANA__AUTH_OFF, NULL, false,
                      "vacuum");
}

static nana_future_t *count_or_exists(nana_db_t *db, const char *table, const char *where,
                                      json_t *params, bool exists)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)))
        return f;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, exists ? "SELECT 1 FROM " : "SELECT COUNT(*) FROM ");
    nana__sqlbuf_ident(&b, table);
    if ((f = add_where(&b, where, params))) {
        free(b.s);
        return f;
    }
    if (exists)
        nana__sqlbuf_add(&b, " LIMIT 1");
    return submit_sql(db, nana__sqlbuf_take(&b), params,
                      exists ? NANA__SHAPE_ANY_ROW : NANA__SHAPE_SCALAR, NANA__AUTH_HELPER, table,
                      false, exists ? "exists" : "count");
}

NANA_API nana_future_t *nana_count(nana_db_t *db, const char *table, const char *where,
                                   json_t *params)
{
    return count_or_exists(db, table, where, params, false);
}

NANA_API nana_future_t *nana_exists(nana_db_t *db, const char *table, const char *where,
                                    json_t *params)
{
    return count_or_exists(db, table, where, params, true);
}

NANA_API nana_future_t *nana_alter_table_add_column(nana_db_t *db, const char *table,
                                                    const char *column, const char *type)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f || (f = check_ident("table", table)) || (f = check_ident("column", column)))
        return f;
    char built[320];
    const char *why;
    if (!type || nana__type_build(type, built, sizeof built, &why) != NANA_OK)
        return nana__sql_reject(NANA_EINVAL, type ? why : "NULL column type");
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, "ALTER TABLE ");
    nana__sqlbuf_ident(&b, table);
    nana__sqlbuf_add(&b, " ADD COLUMN ");
    nana__sqlbuf_ident(&b, column);
    nana__sqlbuf_add(&b, " ");
    nana__sqlbuf_add(&b, built);
    return submit_sql(db, nana__sqlbuf_take(&b), NULL, NANA__SHAPE_NONE, NANA__AUTH_HELPER_DDL,
                      table, true, "alter_table_add_column");
}

NANA_API nana_future_t *nana_get_table_schema(nana_db_t *db, const char *table)
{
    if (db && !table)
        return nana__sql_reject(NANA_EINVAL, "NULL table name");
    return about_table(db, table,
                       "SELECT cid, name, type, \"notnull\", dflt_value AS default_value, pk "
                       "FROM pragma_table_info(?) ORDER BY cid",
                       NANA__SHAPE_SCHEMA, "get_table_schema");
}

NANA_API nana_future_t *nana_list_indexes(nana_db_t *db, const char *table)
{
#define INDEXES_SQL(filter)                                                              \
    "SELECT m.name AS name, m.tbl_name AS \"table\", il.\"unique\" AS \"unique\", "          \
    "m.sql AS sql FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) il "           \
    "ON il.name = m.name WHERE m.type = 'index' "                                        \
    "AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'" filter " ORDER BY m.name"
    return about_table(db, table,
                       table ? INDEXES_SQL(" AND m.tbl_name = ? COLLATE NOCASE") : INDEXES_SQL(""),
                       NANA__SHAPE_OBJECTS, "list_indexes");
#undef INDEXES_SQL
}

/* PRAGMAs: which may be read, which written, which take an identifier.
 * compile_options is left out, as NanaSQLite leaves it out of its list. */
static const struct pragma_rule {
    const char *name;
    bool writable;
    bool takes_ident; /* read form is PRAGMA name(identifier) */
} pragma_rules[] = {
    {"application_id", true, false},   {"auto_vacuum", false, false},
    {"busy_timeout", true, false},     {"cache_size", true, false},
    {"data_version", false, false},    {"database_list", false, false},
    {"encoding", false, false},        {"foreign_keys", true, false},
    {"freelist_count", false, false},  {"index_info", false, true},
    {"index_list", false, true},       {"index_xinfo", false, true},
    {"integrity_check", false, false}, {"journal_mode", false, false},
    {"mmap_size", false, false},       {"optimize", true, false},
    {"page_count", false, false},      {"page_size", false, false},
    {"quick_check", false, false},     {"schema_version", false, false},
    {"synchronous", true, false},      {"table_info", false, true},
    {"table_xinfo", false, true},      {"temp_store", true, false},
    {"user_version", true, false},     {"wal_autocheckpoint", false, false},
    {"wal_checkpoint", true, false},
};

NANA_API nana_future_t *nana_pragma(nana_db_t *db, const char *name, json_t *value)
{
    nana_future_t *f = nana__sql_check_db(db);
    if (f)
        return f;
    if (!name)
        return nana__sql_reject(NANA_EINVAL, "NULL pragma name");
    const struct pragma_rule *rule = NULL;
    for (size_t i = 0; i < sizeof pragma_rules / sizeof pragma_rules[0]; i++)
        if (strcasecmp(pragma_rules[i].name, name) == 0)
            rule = &pragma_rules[i];
    if (!rule)
        return nana__future_new_failed_owned(NANA_EINVAL,
                            nana__strdupf("PRAGMA %.64s is not in the allowed list", name));
    char arg[NANA_TABLE_NAME_MAX + 32] = "";
    if (value) {
        if (json_is_integer(value)) {
            snprintf(arg, sizeof arg, "%lld", (long long)json_integer_value(value));
        } else if (json_is_boolean(value)) {
            snprintf(arg, sizeof arg, "%s", json_is_true(value) ? "ON" : "OFF");
        } else if (nana__json_string_is_cstring(value) &&
                   nana__ident_valid(json_string_value(value))) {
            snprintf(arg, sizeof arg, "\"%s\"", json_string_value(value));
        } else {
            return nana__sql_reject(NANA_EINVAL,
                                    "a PRAGMA value must be an integer, a boolean or an "
                                    "identifier");
        }
        if (!rule->writable && !rule->takes_ident)
            return nana__future_new_failed_owned(NANA_EINVAL,
                                nana__strdupf("PRAGMA %s may be read, not set", rule->name));
        if (rule->takes_ident && !json_is_string(value))
            return nana__future_new_failed_owned(NANA_EINVAL,
                                nana__strdupf("PRAGMA %s takes a table or index name", rule->name));
    } else if (rule->takes_ident) {
        return nana__future_new_failed_owned(NANA_EINVAL,
                            nana__strdupf("PRAGMA %s needs a table or index name", rule->name));
    }
    char sql[256];
    if (!value)
        snprintf(sql, sizeof sql, "PRAGMA %s", rule->name);
    else if (rule->takes_ident || strcmp(rule->name, "wal_checkpoint") == 0)
        snprintf(sql, sizeof sql, "PRAGMA %s(%s)", rule->name, arg);
    else
        snprintf(sql, sizeof sql, "PRAGMA %s = %s", rule->name, arg);
    /* Not a write job: several PRAGMAs refuse to run inside a transaction.
     * It runs alone in its batch, so there is none. */
    return submit_sql(db, strdup(sql), NULL, NANA__SHAPE_PRAGMA, NANA__AUTH_OFF, NULL, false,
                      "pragma");
}
