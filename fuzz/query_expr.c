/*
 * query_expr -- the grammar of query columns, group_by and having
 * (nana__expr_build, lib/expr.c) on its own, without the library's
 * authorizer behind it: the grammar must be safe by itself.  The input's
 * first byte picks the kind, the rest (to a NUL) is the expression.
 *
 * What the grammar accepts, re-spelled, is put in a SELECT over "t" --
 *   column    SELECT <it> FROM "t"
 *   group_by  SELECT 1 FROM "t" GROUP BY <it>
 *   having    SELECT 1 FROM "t" GROUP BY "a" HAVING (<it>)
 * -- and must prepare, every name it uses made a column of "t" first, as
 * exactly one read-only statement that reads only "t" and calls only the
 * functions nana_query(3) lists (LIKE is SQLite's like()).  SQLite may
 * still refuse it for a limit of its own (nesting, a GROUP BY number out of
 * range, a parameter number): a refusal, nothing run.  Besides:
 *   - the aggregate flag tells the truth: the count of a grouped or
 *     aggregate query (sqlhelpers.c) depends on it;
 *   - a column's result name is what nana_query(3) says: the name, the
 *     alias, or the call's text as written;
 *   - the re-spelling of a group_by or having is itself accepted and
 *     re-spelled the same (its canonical form);
 *   - a refusal's message is short printable ASCII: it never carries the
 *     input beyond a word of it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "internal.h"

/* nana_query(3), "The functions". */
static const char *const allowed[] = {
    "count", "sum",   "total", "avg",     "min",    "max",    "group_concat", "abs",
    "round", "upper", "lower", "length",  "trim",   "ltrim",  "rtrim",        "substr",
    "instr", "coalesce", "ifnull", "nullif", "date", "time", "datetime",    "julianday",
    "strftime", "like", NULL};

static const char *const kind_names[] = {"column", "group_by", "having"};

/* SQLite's own limits: the statement is refused, nothing runs. */
static bool sqlite_limit(const char *msg)
{
    static const char *const limits[] = {"parser stack overflow", "Expression tree is too large",
                                         "BY term out of range", "variable number must be between",
                                         "too many SQL variables", NULL};
    for (int i = 0; limits[i]; i++)
        if (strstr(msg, limits[i]))
            return true;
    return false;
}

static bool printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
            return false;
    return n > 0;
}

static bool is_word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The result name of a column element, as nana_query(3) gives it: the
 * call's text as written, the alias after AS (bare or double-quoted), or a
 * bare name's column as the table spells it. */
static bool name_ok(const char *text, const char *name)
{
    if (!name)
        return false;
    if (strcmp(name, text) == 0)
        return true;
    size_t t = strlen(text), n = strlen(name);
    const char *end = text + t, *p = NULL;
    if (t >= n + 2 && end[-1] == '"' && end[-2 - (ptrdiff_t)n] == '"' &&
        memcmp(end - 1 - n, name, n) == 0)
        p = end - n - 2;
    else if (t > n && memcmp(end - n, name, n) == 0 && end[-1 - (ptrdiff_t)n] == ' ')
        p = end - n;
    if (p) {
        while (p > text && p[-1] == ' ')
            p--;
        if (p - text >= 2 && strncasecmp(p - 2, "AS", 2) == 0 &&
            (p - 2 == text || !is_word_char(p[-3])))
            return true;
    }
    return nana__ident_valid(text) && strcasecmp(text, name) == 0;
}

static void check_accepted(enum nana_expr_kind kind, const char *text, const char *out,
                           const struct nana_expr_info *info)
{
    sqlite3 *db = fuzz_sql_db();
    struct nana_sqlbuf sql = {0};
    if (kind == NANA__EXPR_COLUMN) {
        nana__sqlbuf_add(&sql, "SELECT ");
        nana__sqlbuf_add(&sql, out);
        nana__sqlbuf_add(&sql, " FROM \"t\"");
    } else if (kind == NANA__EXPR_GROUP_BY) {
        nana__sqlbuf_add(&sql, "SELECT 1 FROM \"t\" GROUP BY ");
        nana__sqlbuf_add(&sql, out);
    } else {
        nana__sqlbuf_add(&sql, "SELECT 1 FROM \"t\" GROUP BY \"a\" HAVING (");
        nana__sqlbuf_add(&sql, out);
        nana__sqlbuf_add(&sql, ")");
    }
    if (sql.failed)
        abort();
    const struct fuzz_sql_rules rules = {"t", false, false, allowed};
    struct fuzz_sql_seen seen;
    sqlite3_stmt *stmt;
    const char *tail;
    int rc = fuzz_sql_prepare(db, sql.s, &rules, &seen, &stmt, &tail);
    if (seen.violation[0])
        fuzz_fail("%s accepted as %s: the statement does %s", kind_names[kind],
                  fuzz_show(out, strlen(out)), seen.violation);
    if (rc != SQLITE_OK) {
        if (!sqlite_limit(sqlite3_errmsg(db)))
            fuzz_fail("%s accepted as %s, which SQLite refuses: %s", kind_names[kind],
                      fuzz_show(out, strlen(out)), sqlite3_errmsg(db));
        free(sql.s);
        return;
    }
    if (!stmt || !fuzz_sql_tail_is_empty(db, tail))
        fuzz_fail("%s accepted as %s: not exactly one statement", kind_names[kind],
                  fuzz_show(out, strlen(out)));
    if (!sqlite3_stmt_readonly(stmt))
        fuzz_fail("%s accepted as %s: the statement writes", kind_names[kind],
                  fuzz_show(out, strlen(out)));
    if (kind == NANA__EXPR_GROUP_BY && (info->aggregate || seen.aggregate_called))
        fuzz_fail("group_by accepted with an aggregate: %s", fuzz_show(out, strlen(out)));
    if (!info->aggregate && seen.aggregate_called)
        fuzz_fail("%s %s calls an aggregate the grammar did not flag", kind_names[kind],
                  fuzz_show(out, strlen(out)));
    if (info->aggregate && !seen.aggregate_called && !seen.min_max_called)
        fuzz_fail("%s %s flagged aggregate without calling one", kind_names[kind],
                  fuzz_show(out, strlen(out)));
    if (kind == NANA__EXPR_COLUMN &&
        (sqlite3_column_count(stmt) != 1 || !name_ok(text, sqlite3_column_name(stmt, 0))))
        fuzz_fail("column %s gives %d columns, the first named %s", fuzz_show(text, strlen(text)),
                  sqlite3_column_count(stmt),
                  sqlite3_column_name(stmt, 0) ? sqlite3_column_name(stmt, 0) : "NULL");
    sqlite3_finalize(stmt);
    free(sql.s);
}

/* build(build(x)) == build(x) for group_by and having. */
static void check_canonical(enum nana_expr_kind kind, const char *out)
{
    size_t max = kind == NANA__EXPR_GROUP_BY ? NANA_EXPR_GROUP_BY_MAX : NANA_EXPR_HAVING_MAX;
    if (strlen(out) > max)
        return;
    struct nana_sqlbuf again = {0};
    struct nana_expr_info info;
    nana_status_t st = nana__expr_build(kind, out, &again, &info);
    if (st == NANA_ENOMEM)
        abort();
    if (st != NANA_OK || strcmp(again.s, out) != 0)
        fuzz_fail("%s re-spelled as %s, which reads back as %s", kind_names[kind],
                  fuzz_show(out, strlen(out)),
                  st == NANA_OK ? fuzz_show(again.s, strlen(again.s)) : info.msg);
    free(again.s);
    free(info.msg);
}

int fuzz_check_query_expr(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum nana_expr_kind kind = (enum nana_expr_kind)(data[0] % 3);
    size_t n = size - 1;
    const uint8_t *nul = memchr(data + 1, '\0', n);
    if (nul)
        n = (size_t)(nul - (data + 1));
    char *text = malloc(n + 1);
    if (!text)
        abort();
    memcpy(text, data + 1, n);
    text[n] = '\0';

    struct nana_sqlbuf out = {0};
    struct nana_expr_info info;
    nana_status_t st = nana__expr_build(kind, text, &out, &info);
    if (st == NANA_OK) {
        if (out.failed || !out.s)
            abort();
        check_accepted(kind, text, out.s, &info);
        if (kind != NANA__EXPR_COLUMN)
            check_canonical(kind, out.s);
    } else if (st == NANA_EINVAL) {
        if (!info.msg || !printable(info.msg, 512))
            fuzz_fail("%s %s refused with a message that is not short printable text: %s",
                      kind_names[kind], fuzz_show(text, n),
                      info.msg ? fuzz_show(info.msg, strlen(info.msg)) : "NULL");
    } else if (st != NANA_ENOMEM) {
        fuzz_fail("%s: status %s", kind_names[kind], nana_errstr(st));
    }
    free(info.msg);
    free(out.s);
    free(text);
    return 0;
}
