/*
 * sql_helpers -- what the validators accept (lib/validate.c: where
 * clauses, order_by, column types, identifiers; lib/expr.c: query columns,
 * group_by, having) put into the SQL the helpers build, as
 * lib/sqlhelpers.c builds it, and prepared on an in-memory database that
 * holds the helper's table "t" and another, "other".
 *
 * The input's first byte picks the helper, the second holds flags, and the
 * rest are the helper's pieces, separated by NUL bytes (an empty piece: the
 * argument is NULL).  See the table of helpers below for each one's
 * pieces.  A piece a validator refuses makes the helper refuse: nothing to
 * check.  Otherwise each statement the helper would submit is judged:
 *
 *   1. prepared under the oracle (fuzz/common.c), every column it names
 *      made to exist, recording all it would do;
 *   2. prepared as lib/sql.c prepares it -- under the library's authorizer
 *      with the helper's policy, then its tail check.  The where clause is
 *      a lexical filter documented to lean on that authorizer
 *      (nana_query(3): "What passes is then checked by SQLite itself");
 *      if the library refuses the statement here, nothing would run.
 *   3. If the library would run it, the oracle's record must show exactly
 *      one statement (the tail prepares to nothing), reading only "t"
 *      (and the schema tables, for a schema helper), writing only "t" and
 *      only from a helper that writes, nothing else (no PRAGMA, ATTACH,
 *      trigger, temp object, other schema), no load_extension().
 *
 * And helper 13 is the statement tail check every SQL call makes
 * (nana__tail_is_empty): what it takes for nothing must prepare to nothing.
 *
 * NANA_FUZZ_SQL_STRICT=1 judges step 1 alone, without the library's
 * authorizer: what the validators let through by themselves (a survey, not
 * the contract).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

#define PIECES_MAX 16
#define ORDER_BY_BUILT_MAX 2048 /* as sqlhelpers.c */
#define WHERE_NUMBERED_MAX 8192
#define TYPE_BUILT_MAX 320

enum helper {
    H_QUERY,          /* where, order_by, -, -, columns...                */
    H_QUERY_PAGE,     /* the same, with the count of query_with_pagination */
    H_GROUPED,        /* where, order_by, group_by, having, columns...    */
    H_GROUPED_PAGE,
    H_COUNT,          /* where                                            */
    H_EXISTS,         /* where                                            */
    H_UPDATE,         /* where, set columns... (flag 1: named parameters) */
    H_DELETE,         /* where                                            */
    H_INSERT,         /* columns...                                       */
    H_UPSERT,         /* columns..., "", conflict columns...              */
    H_CREATE_TABLE,   /* primary key, (column, type)...                   */
    H_ALTER,          /* column, type                                     */
    H_CREATE_INDEX,   /* index, columns... (flag 1: unique, 2: if not exists) */
    H_TAIL,           /* text after a statement (every call's tail check) */
    N_HELPERS
};
static const char *const helper_names[] = {
    "query",  "query_with_pagination", "query_grouped", "query_grouped_with_pagination",
    "count",  "exists", "sql_update", "sql_delete", "sql_insert", "upsert", "create_table",
    "alter_table_add_column", "create_index", "tail check"};

struct input {
    enum helper helper;
    uint8_t flags;
    char *piece[PIECES_MAX]; /* NULL: not given (an empty piece) */
    int n;
};

static bool strict(void)
{
    static int mode = -1;
    if (mode < 0) {
        const char *s = getenv("NANA_FUZZ_SQL_STRICT");
        mode = s && strcmp(s, "1") == 0;
    }
    return mode;
}

/* ------------------------------------------------------------ judging */

static void judge(const struct input *in, const char *sql, const struct fuzz_sql_rules *rules,
                  enum nana_auth_mode mode)
{
    sqlite3 *db = fuzz_sql_db();
    const char *what = helper_names[in->helper];

    struct fuzz_sql_seen seen;
    sqlite3_stmt *stmt;
    const char *tail;
    int rc = fuzz_sql_prepare(db, sql, rules, &seen, &stmt, &tail);
    bool second = rc == SQLITE_OK && stmt && !fuzz_sql_tail_is_empty(db, tail);
    bool writes = rc == SQLITE_OK && stmt && !sqlite3_stmt_readonly(stmt);
    sqlite3_finalize(stmt);

    /* As lib/sql.c's prepare_one(). */
    static struct nana_auth auth;
    nana__auth_install(&auth, db);
    nana__auth_begin(&auth, mode, rules->table);
    sqlite3_stmt *lib_stmt = NULL;
    const char *lib_tail = NULL;
    int lib_rc = sqlite3_prepare_v2(db, sql, -1, &lib_stmt, &lib_tail);
    nana__auth_end(&auth);
    fuzz_sql_observe(db, NULL);
    bool library_runs = lib_rc == SQLITE_OK && lib_stmt && nana__tail_is_empty(lib_tail);
    sqlite3_finalize(lib_stmt);

    if (strict() ? rc != SQLITE_OK : !library_runs)
        return; /* refused: nothing would run */
    if (rc != SQLITE_OK)
        fuzz_fail("%s: %s prepares under the library's authorizer but not without it",
                  what, fuzz_show(sql, strlen(sql)));
    const char *runs = strict() ? "the validators let through" : "the library would run";
    if (seen.violation[0])
        fuzz_fail("%s: %s %s, which does %s", what, runs, fuzz_show(sql, strlen(sql)),
                  seen.violation);
    if (second)
        fuzz_fail("%s: %s %s, which holds a second statement", what, runs,
                  fuzz_show(sql, strlen(sql)));
    if (writes && !rules->may_write && !rules->ddl)
        fuzz_fail("%s: %s %s, which writes, for a helper that reads", what, runs,
                  fuzz_show(sql, strlen(sql)));
}

static void judge_read(const struct input *in, const char *sql)
{
    const struct fuzz_sql_rules rules = {"t", false, false, NULL};
    judge(in, sql, &rules, NANA__AUTH_HELPER);
}

static void judge_write(const struct input *in, const char *sql)
{
    const struct fuzz_sql_rules rules = {"t", true, false, NULL};
    judge(in, sql, &rules, NANA__AUTH_HELPER);
}

static void judge_ddl(const struct input *in, const char *table, const char *sql)
{
    const struct fuzz_sql_rules rules = {table, false, true, NULL};
    judge(in, sql, &rules, NANA__AUTH_HELPER_DDL);
}

/* ---------------------------------------------- the helpers' SQL text */

static bool where_ok(const char *where)
{
    const char *why;
    return !where || nana__where_check(where, &why) == NANA_OK;
}

static void add_where(struct nana_sqlbuf *b, const char *where)
{
    if (where) {
        nana__sqlbuf_add(b, " WHERE (");
        nana__sqlbuf_add(b, where);
        nana__sqlbuf_add(b, ")");
    }
}

/* The helpers' select_query(): columns, where, group_by, having, order_by. */
static void select_helper(const struct input *in)
{
    bool grouped = in->helper == H_GROUPED || in->helper == H_GROUPED_PAGE;
    bool paginate = in->helper == H_QUERY_PAGE || in->helper == H_GROUPED_PAGE;
    const char *where = in->piece[0], *order_by = in->piece[1];
    const char *group_by = grouped ? in->piece[2] : NULL, *having = grouped ? in->piece[3] : NULL;
    struct nana_sqlbuf body = {0}, b = {0}, count = {0};
    bool aggregate = false;
    if (in->n > 4) {
        for (int i = 4; i < in->n; i++) {
            struct nana_expr_info info;
            if (!in->piece[i])
                goto refused; /* an empty column name */
            if (i > 4)
                nana__sqlbuf_add(&body, ", ");
            nana_status_t st = nana__expr_build(NANA__EXPR_COLUMN, in->piece[i], &body, &info);
            free(info.msg);
            if (st != NANA_OK)
                goto refused;
            aggregate |= info.aggregate;
        }
    } else {
        nana__sqlbuf_add(&body, "*");
    }
    nana__sqlbuf_add(&body, " FROM \"t\"");
    if (!where_ok(where) || (having && !group_by))
        goto refused;
    add_where(&body, where);
    const struct {
        const char *text, *sql, *close;
        enum nana_expr_kind kind;
    } parts[] = {{group_by, " GROUP BY ", "", NANA__EXPR_GROUP_BY},
                 {having, " HAVING (", ")", NANA__EXPR_HAVING}};
    for (int k = 0; k < 2; k++) {
        if (!parts[k].text)
            continue;
        struct nana_expr_info info;
        nana__sqlbuf_add(&body, parts[k].sql);
        nana_status_t st = nana__expr_build(parts[k].kind, parts[k].text, &body, &info);
        free(info.msg);
        if (st != NANA_OK)
            goto refused;
        nana__sqlbuf_add(&body, parts[k].close);
    }
    if (body.failed)
        abort();
    nana__sqlbuf_add(&b, "SELECT ");
    nana__sqlbuf_add(&b, body.s);
    if (group_by || aggregate) {
        nana__sqlbuf_add(&count, "SELECT COUNT(*) FROM (SELECT ");
        nana__sqlbuf_add(&count, body.s);
        nana__sqlbuf_add(&count, ")");
    } else {
        nana__sqlbuf_add(&count, "SELECT COUNT(*) FROM \"t\"");
        add_where(&count, where);
    }
    if (order_by) {
        char built[ORDER_BY_BUILT_MAX];
        const char *why;
        if (nana__order_by_build(order_by, built, sizeof built, &why) != NANA_OK)
            goto refused;
        nana__sqlbuf_add(&b, " ORDER BY ");
        nana__sqlbuf_add(&b, built);
    }
    char tail[64];
    snprintf(tail, sizeof tail, " LIMIT %lld OFFSET %lld",
             in->flags & 1 ? (long long)INT64_MAX : 10LL, in->flags & 2 ? 5LL : 0LL);
    nana__sqlbuf_add(&b, tail);
    if (b.failed || count.failed)
        abort();
    judge_read(in, b.s);
    if (paginate)
        judge_read(in, count.s);
refused:
    free(body.s);
    free(b.s);
    free(count.s);
}

static void count_or_exists(const struct input *in)
{
    const char *where = in->piece[0];
    if (!where_ok(where))
        return;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, in->helper == H_EXISTS ? "SELECT 1 FROM \"t\""
                                                : "SELECT COUNT(*) FROM \"t\"");
    add_where(&b, where);
    if (in->helper == H_EXISTS)
        nana__sqlbuf_add(&b, " LIMIT 1");
    judge_read(in, b.s);
    free(b.s);
}

static void update_helper(const struct input *in)
{
    const char *where = in->piece[0];
    if (!where_ok(where) || in->n < 2)
        return;
    bool named = in->flags & 1;
    struct nana_sqlbuf b = {0};
    char numbered[WHERE_NUMBERED_MAX];
    int n_bare = 0, highest = 0;
    /* The caller gives as many positional parameters as the clause has:
     * any other count is refused before any SQL is built. */
    if (where && nana__where_number(where, numbered, sizeof numbered, &n_bare, &highest) != NANA_OK)
        return;
    nana__sqlbuf_add(&b, "UPDATE \"t\" SET ");
    for (int i = 1; i < in->n; i++) {
        if (!in->piece[i] || !nana__ident_valid(in->piece[i]))
            goto out;
        char pname[48];
        if (named)
            snprintf(pname, sizeof pname, ":nana_set_%d", i - 1);
        else
            snprintf(pname, sizeof pname, "?%d", highest + i);
        nana__sqlbuf_add(&b, i > 1 ? ", " : "");
        nana__sqlbuf_ident(&b, in->piece[i]);
        nana__sqlbuf_add(&b, " = ");
        nana__sqlbuf_add(&b, pname);
    }
    if (where) {
        nana__sqlbuf_add(&b, " WHERE (");
        nana__sqlbuf_add(&b, numbered);
        nana__sqlbuf_add(&b, ")");
    }
    judge_write(in, b.s);
out:
    free(b.s);
}

static void delete_helper(const struct input *in)
{
    const char *where = in->piece[0];
    if (!where_ok(where))
        return;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, "DELETE FROM \"t\"");
    add_where(&b, where);
    judge_write(in, b.s);
    free(b.s);
}

/* A JSON object's member names, as the row of sql_insert and upsert: a
 * name given twice is one member. */
static int distinct_names(char *const *names, int n, const char **out)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < k; j++)
            seen |= strcmp(out[j], names[i]) == 0;
        if (!seen)
            out[k++] = names[i];
    }
    return k;
}

static void insert_helper(const struct input *in)
{
    /* Row columns up to the first empty piece; upsert: conflict columns
     * after it. */
    int n_row = 0;
    while (n_row < in->n && in->piece[n_row])
        n_row++;
    const char *row[PIECES_MAX];
    n_row = distinct_names(in->piece, n_row, row);
    for (int i = 0; i < n_row; i++)
        if (!nana__ident_valid(row[i]))
            return;
    bool upsert = in->helper == H_UPSERT;
    int first_conflict = n_row < in->n ? n_row + 1 : in->n;
    bool conflict = upsert && first_conflict < in->n;
    if (conflict && n_row == 0)
        return; /* "upsert with conflict columns needs a non-empty row" */
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, upsert && !conflict ? "INSERT OR REPLACE INTO \"t\""
                                             : "INSERT INTO \"t\"");
    if (n_row == 0) {
        nana__sqlbuf_add(&b, " DEFAULT VALUES");
    } else {
        nana__sqlbuf_add(&b, " (");
        for (int i = 0; i < n_row; i++) {
            nana__sqlbuf_add(&b, i ? ", " : "");
            nana__sqlbuf_ident(&b, row[i]);
        }
        nana__sqlbuf_add(&b, ") VALUES (");
        for (int i = 0; i < n_row; i++)
            nana__sqlbuf_add(&b, i ? ", ?" : "?");
        nana__sqlbuf_add(&b, ")");
    }
    if (conflict) {
        nana__sqlbuf_add(&b, " ON CONFLICT (");
        for (int i = first_conflict; i < in->n; i++) {
            if (!in->piece[i] || !nana__ident_valid(in->piece[i]))
                goto out;
            nana__sqlbuf_add(&b, i > first_conflict ? ", " : "");
            nana__sqlbuf_ident(&b, in->piece[i]);
        }
        nana__sqlbuf_add(&b, ") DO ");
        int updated = 0;
        for (int r = 0; r < n_row; r++) {
            bool is_key = false;
            for (int i = first_conflict; i < in->n; i++)
                is_key |= nana__name_eq(in->piece[i], row[r]);
            if (is_key)
                continue;
            nana__sqlbuf_add(&b, updated++ ? ", " : "UPDATE SET ");
            nana__sqlbuf_ident(&b, row[r]);
            nana__sqlbuf_add(&b, " = excluded.");
            nana__sqlbuf_ident(&b, row[r]);
        }
        if (!updated)
            nana__sqlbuf_add(&b, "NOTHING");
    }
    if (upsert)
        nana__sqlbuf_add(&b, " RETURNING rowid");
    judge_write(in, b.s);
out:
    free(b.s);
}

static void create_table_helper(const struct input *in)
{
    const char *primary_key = in->piece[0];
    if (primary_key && !nana__ident_valid(primary_key))
        return;
    /* (name, type) pairs into an object: a repeated name keeps its first
     * place and takes the last type, as json_object_set does. */
    const char *names[PIECES_MAX], *types[PIECES_MAX];
    int n = 0;
    for (int i = 1; i + 1 < in->n; i += 2) {
        const char *name = in->piece[i] ? in->piece[i] : "";
        int k = 0;
        while (k < n && strcmp(names[k], name) != 0)
            k++;
        names[k] = name;
        types[k] = in->piece[i + 1];
        if (k == n)
            n++;
    }
    if (n == 0)
        return;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, in->flags & 1 ? "CREATE TABLE IF NOT EXISTS \"t_new\" (" :
                                         "CREATE TABLE \"t_new\" (");
    bool primary_key_found = false;
    for (int i = 0; i < n; i++) {
        char built[TYPE_BUILT_MAX];
        const char *why;
        if (!nana__ident_valid(names[i]) || !types[i] ||
            nana__type_build(types[i], built, sizeof built, &why) != NANA_OK)
            goto out;
        primary_key_found |= primary_key && nana__name_eq(names[i], primary_key);
        nana__sqlbuf_add(&b, i ? ", " : "");
        nana__sqlbuf_ident(&b, names[i]);
        nana__sqlbuf_add(&b, " ");
        nana__sqlbuf_add(&b, built);
    }
    if (primary_key && !primary_key_found)
        goto out;
    if (primary_key) {
        nana__sqlbuf_add(&b, ", PRIMARY KEY (");
        nana__sqlbuf_ident(&b, primary_key);
        nana__sqlbuf_add(&b, ")");
    }
    nana__sqlbuf_add(&b, ")");
    judge_ddl(in, "t_new", b.s);
out:
    free(b.s);
}

static void alter_helper(const struct input *in)
{
    const char *column = in->piece[0], *type = in->piece[1];
    char built[TYPE_BUILT_MAX];
    const char *why;
    if (!column || !nana__ident_valid(column) || !type ||
        nana__type_build(type, built, sizeof built, &why) != NANA_OK)
        return;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, "ALTER TABLE \"t\" ADD COLUMN ");
    nana__sqlbuf_ident(&b, column);
    nana__sqlbuf_add(&b, " ");
    nana__sqlbuf_add(&b, built);
    judge_ddl(in, "t", b.s);
    free(b.s);
}

static void create_index_helper(const struct input *in)
{
    const char *index = in->piece[0];
    if (!index || !nana__ident_valid(index) || in->n < 2)
        return;
    struct nana_sqlbuf b = {0};
    nana__sqlbuf_add(&b, in->flags & 1 ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (in->flags & 2)
        nana__sqlbuf_add(&b, "IF NOT EXISTS ");
    nana__sqlbuf_ident(&b, index);
    nana__sqlbuf_add(&b, " ON \"t\" (");
    for (int i = 1; i < in->n; i++) {
        if (!in->piece[i] || !nana__ident_valid(in->piece[i]))
            goto out;
        nana__sqlbuf_add(&b, i > 1 ? ", " : "");
        nana__sqlbuf_ident(&b, in->piece[i]);
    }
    nana__sqlbuf_add(&b, ")");
    judge_ddl(in, "t", b.s);
out:
    free(b.s);
}

/* What lib/sql.c takes for "nothing after the statement" (and so never
 * runs, nor refuses) must be nothing to SQLite either: nana_execute(3)
 * refuses any other text after the statement. */
static void tail_check(const struct input *in)
{
    const char *tail = in->piece[0] ? in->piece[0] : "";
    if (!nana__tail_is_empty(tail) || fuzz_sql_tail_is_empty(fuzz_sql_db(), tail))
        return;
    fuzz_fail("nana__tail_is_empty() passes %s, which SQLite does not read as nothing",
              fuzz_show(tail, strlen(tail)));
}

int fuzz_check_sql_helpers(const uint8_t *data, size_t size)
{
    struct fuzz_in fin = {data, data + size};
    struct input in = {.helper = (enum helper)(fuzz_byte(&fin) % N_HELPERS),
                       .flags = fuzz_byte(&fin)};
    char *p;
    while (in.n < PIECES_MAX && (p = fuzz_piece(&fin))) {
        if (!*p) {
            free(p);
            p = NULL;
        }
        in.piece[in.n++] = p;
    }
    switch (in.helper) {
    case H_QUERY:
    case H_QUERY_PAGE:
    case H_GROUPED:
    case H_GROUPED_PAGE: select_helper(&in); break;
    case H_COUNT:
    case H_EXISTS: count_or_exists(&in); break;
    case H_UPDATE: update_helper(&in); break;
    case H_DELETE: delete_helper(&in); break;
    case H_INSERT:
    case H_UPSERT: insert_helper(&in); break;
    case H_CREATE_TABLE: create_table_helper(&in); break;
    case H_ALTER: alter_helper(&in); break;
    case H_CREATE_INDEX: create_index_helper(&in); break;
    case H_TAIL: tail_check(&in); break;
    case N_HELPERS: break;
    }
    for (int i = 0; i < in.n; i++)
        free(in.piece[i]);
    return 0;
}
