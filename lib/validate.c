/*
 * validate.c -- the pieces the SQL helpers accept from callers: identifiers,
 * column types, ORDER BY lists and WHERE expressions.  Hand-written
 * scanners with length limits, no regular expressions: every input is read
 * once, left to right, and what is built from it is re-spelled by us, never
 * pasted in.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define TYPE_MAX 256
#define ORDER_BY_MAX 1024
#define WHERE_MAX 4096

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* SQLite keeps names beginning with sqlite_, in any case, for its own
 * tables and indexes (sqlite_master, sqlite_autoindex_t_1, ...): no helper
 * takes one, whatever it names. */
static bool is_reserved(const char *s, size_t len)
{
    static const char prefix[] = "sqlite_";
    if (len < 7)
        return false;
    for (size_t i = 0; i < 7; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        if (c != prefix[i])
            return false;
    }
    return true;
}

bool nana__ident_valid(const char *s)
{
    if (!s || !is_ident_start(s[0]))
        return false;
    size_t i = 1;
    for (; s[i]; i++)
        if (!is_ident_char(s[i]) || i >= NANA_TABLE_NAME_MAX)
            return false;
    return !is_reserved(s, i);
}

/* SQLite compares table and column names without regard to ASCII case, and
 * reports them as the schema spells them, not as the statement did: "DATA"
 * and "data" are one table.  Not strcasecmp(), which follows the locale. */
bool nana__name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

/*
 * Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), as jansson checks strings.  Dict keys are checked on every
 * call, cache hits included: eight ASCII bytes at a time.
 */
bool nana__utf8_valid(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key, *end = p + len;
    while (p < end) {
        if (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!(w & 0x8080808080808080ull)) {
                p += 8;
                continue;
            }
        }
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int n;
        unsigned lo = 0x80, hi = 0xBF; /* bounds of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;      /* overlong */
            else if (c == 0xED)
                hi = 0x9F;      /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;      /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;      /* above U+10FFFF */
        } else
            return false;
        if (end - p <= n || p[1] < lo || p[1] > hi)
            return false;
        for (int i = 2; i <= n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += n + 1;
    }
    return true;
}

/* ------------------------------------------------------------- a lexer */

enum tok_kind { T_END, T_WORD, T_NUMBER, T_STRING, T_PUNCT, T_BAD };

struct lexer {
    const char *p;
    const char *tok;
    size_t len;
    enum tok_kind kind;
};

static void skip_space(struct lexer *lx)
{
    while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r')
        lx->p++;
}

static enum tok_kind next_token(struct lexer *lx)
{
    skip_space(lx);
    const char *p = lx->p;
    lx->tok = p;
    if (!*p) {
        lx->len = 0;
        return lx->kind = T_END;
    }
    if (is_ident_start(*p)) {
        while (is_ident_char(*p))
            p++;
        lx->kind = T_WORD;
    } else if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
        while ((*p >= '0' && *p <= '9') || *p == '.')
            p++;
        if ((*p == 'e' || *p == 'E') &&
            ((p[1] >= '0' && p[1] <= '9') ||
             ((p[1] == '+' || p[1] == '-') && p[2] >= '0' && p[2] <= '9'))) {
            p += 2;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        lx->kind = is_ident_char(*p) ? T_BAD : T_NUMBER;
    } else if (*p == '\'') {
        p++;
        for (;;) {
            if (!*p) {
                lx->p = p;
                return lx->kind = T_BAD; /* unterminated */
            }
            if (*p == '\'') {
                if (p[1] == '\'') {
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            p++;
        }
        lx->kind = T_STRING;
    } else {
        p++;
        lx->kind = T_PUNCT;
    }
    lx->len = (size_t)(p - lx->tok);
    lx->p = p;
    return lx->kind;
}

static bool tok_is(const struct lexer *lx, const char *word)
{
    return lx->kind == T_WORD && strlen(word) == lx->len &&
           strncasecmp(lx->tok, word, lx->len) == 0;
}

/* Appends to a bounded buffer; false when it would not fit. */
struct out {
    char *buf;
    size_t size, len;
};

static bool put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->size)
        return false;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return true;
}

static bool puts_(struct out *o, const char *s)
{
    return put(o, s, strlen(s));
}

static bool put_upper(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->size)
        return false;
    for (size_t i = 0; i < n; i++)
        o->buf[o->len + i] = (char)toupper((unsigned char)s[i]);
    o->len += n;
    o->buf[o->len] = '\0';
    return true;
}

/* --------------------------------------------------------- column types */

static bool is_type_keyword(const struct lexer *lx)
{
    static const char *const stop[] = {"NOT",     "NULL",    "UNIQUE", "PRIMARY",
                                       "DEFAULT", "COLLATE", "CHECK",  "REFERENCES",
                                       "CONSTRAINT", "GENERATED", "AS", NULL};
    for (int i = 0; stop[i]; i++)
        if (tok_is(lx, stop[i]))
            return true;
    return false;
}

/* A literal after DEFAULT: number (optionally signed), string, or a keyword
 * constant. */
static bool default_literal(struct lexer *lx, struct out *o)
{
    static const char *const constants[] = {"NULL", "TRUE", "FALSE", "CURRENT_TIME",
                                            "CURRENT_DATE", "CURRENT_TIMESTAMP", NULL};
    next_token(lx);
    if (lx->kind == T_PUNCT && (*lx->tok == '-' || *lx->tok == '+')) {
        if (!put(o, lx->tok, 1) || next_token(lx) != T_NUMBER)
            return false;
    }
    if (lx->kind == T_NUMBER || lx->kind == T_STRING)
        return put(o, lx->tok, lx->len);
    for (int i = 0; constants[i]; i++)
        if (tok_is(lx, constants[i]))
            return put_upper(o, lx->tok, lx->len);
    return false;
}

nana_status_t nana__type_build(const char *type, char *buf, size_t size, const char **why)
{
    struct lexer lx = {.p = type};
    struct out o = {buf, size, 0};
    buf[0] = '\0';
    *why = "invalid column type";
    if (!type || strlen(type) > TYPE_MAX) {
        *why = "column type missing or longer than 256 bytes";
        return NANA_EINVAL;
    }
    /* The type name: one to three words of letters. */
    int words = 0;
    next_token(&lx);
    while (lx.kind == T_WORD && !is_type_keyword(&lx)) {
        for (size_t i = 0; i < lx.len; i++)
            if (!isalpha((unsigned char)lx.tok[i]))
                return NANA_EINVAL;
        if (++words > 3 || (words > 1 && !puts_(&o, " ")) || !put_upper(&o, lx.tok, lx.len))
            return NANA_EINVAL;
        next_token(&lx);
    }
    if (words == 0)
        return NANA_EINVAL;
    /* Optional (n) or (n,m). */
    if (lx.kind == T_PUNCT && *lx.tok == '(') {
        if (!puts_(&o, "(") || next_token(&lx) != T_NUMBER || !put(&o, lx.tok, lx.len))
            return NANA_EINVAL;
        next_token(&lx);
        if (lx.kind == T_PUNCT && *lx.tok == ',') {
            if (!puts_(&o, ",") || next_token(&lx) != T_NUMBER || !put(&o, lx.tok, lx.len))
                return NANA_EINVAL;
            next_token(&lx);
        }
        if (lx.kind != T_PUNCT || *lx.tok != ')' || !puts_(&o, ")"))
            return NANA_EINVAL;
        next_token(&lx);
    }
    /* Constraints from the fixed list. */
    while (lx.kind != T_END) {
        if (tok_is(&lx, "NOT")) {
            if (next_token(&lx) != T_WORD || !tok_is(&lx, "NULL") || !puts_(&o, " NOT NULL"))
                return NANA_EINVAL;
        } else if (tok_is(&lx, "NULL")) {
            if (!puts_(&o, " NULL"))
                return NANA_EINVAL;
        } else if (tok_is(&lx, "UNIQUE")) {
            if (!puts_(&o, " UNIQUE"))
                return NANA_EINVAL;
        } else if (tok_is(&lx, "PRIMARY")) {
            if (next_token(&lx) != T_WORD || !tok_is(&lx, "KEY") || !puts_(&o, " PRIMARY KEY"))
                return NANA_EINVAL;
            struct lexer peek = lx;
            next_token(&peek);
            if (tok_is(&peek, "ASC") || tok_is(&peek, "DESC")) {
                lx = peek;
                if (!puts_(&o, " ") || !put_upper(&o, lx.tok, lx.len))
                    return NANA_EINVAL;
                peek = lx;
                next_token(&peek);
            }
            if (tok_is(&peek, "AUTOINCREMENT")) {
                lx = peek;
                if (!puts_(&o, " AUTOINCREMENT"))
                    return NANA_EINVAL;
            }
        } else if (tok_is(&lx, "COLLATE")) {
            next_token(&lx);
            if (!(tok_is(&lx, "BINARY") || tok_is(&lx, "NOCASE") || tok_is(&lx, "RTRIM")) ||
                !puts_(&o, " COLLATE ") || !put_upper(&o, lx.tok, lx.len))
                return NANA_EINVAL;
        } else if (tok_is(&lx, "DEFAULT")) {
            if (!puts_(&o, " DEFAULT ") || !default_literal(&lx, &o))
                return NANA_EINVAL;
        } else {
            *why = "column type: only NOT NULL, NULL, UNIQUE, PRIMARY KEY, COLLATE and "
                   "DEFAULT <literal> may follow the type name";
            return NANA_EINVAL;
        }
        next_token(&lx);
    }
    return NANA_OK;
}

/* ----------------------------------------------------------- ORDER BY */

nana_status_t nana__order_by_build(const char *order_by, char *buf, size_t size,
                                   const char **why)
{
    struct lexer lx = {.p = order_by};
    struct out o = {buf, size, 0};
    buf[0] = '\0';
    *why = "order_by must be: column [ASC|DESC] (, column [ASC|DESC])*";
    if (!order_by || strlen(order_by) > ORDER_BY_MAX)
        return NANA_EINVAL;
    for (;;) {
        if (next_token(&lx) != T_WORD || lx.len > NANA_TABLE_NAME_MAX)
            return NANA_EINVAL;
        if (is_reserved(lx.tok, lx.len)) {
            *why = "order_by: column names must not start with sqlite_";
            return NANA_EINVAL;
        }
        if (!puts_(&o, "\"") || !put(&o, lx.tok, lx.len) || !puts_(&o, "\""))
            return NANA_EINVAL;
        next_token(&lx);
        if (tok_is(&lx, "ASC") || tok_is(&lx, "DESC")) {
            if (!puts_(&o, " ") || !put_upper(&o, lx.tok, lx.len))
                return NANA_EINVAL;
            next_token(&lx);
        }
        if (lx.kind == T_END)
            return NANA_OK;
        if (lx.kind != T_PUNCT || *lx.tok != ',' || !puts_(&o, ", "))
            return NANA_EINVAL;
    }
}

/* ---------------------------------------------------------------- WHERE */

nana_status_t nana__where_check(const char *where, const char **why)
{
    /* Words that would turn an expression into more than an expression over
     * the named table. */
    static const char *const refused[] = {
        "SELECT", "UNION",  "INTERSECT", "EXCEPT", "ATTACH", "DETACH",  "PRAGMA",
        "INSERT", "UPDATE", "DELETE",    "DROP",   "CREATE", "ALTER",   "VACUUM",
        "BEGIN",  "COMMIT", "ROLLBACK",  "SAVEPOINT", "RELEASE", "WITH", "VALUES",
        "load_extension", "sqlite_master", "sqlite_schema", "sqlite_temp_master", NULL};
    if (!where) {
        *why = "NULL where clause";
        return NANA_EINVAL;
    }
    if (strlen(where) > WHERE_MAX) {
        *why = "where clause longer than 4096 bytes";
        return NANA_EINVAL;
    }
    struct lexer lx = {.p = where};
    int depth = 0, tokens = 0;
    for (;;) {
        next_token(&lx);
        if (lx.kind == T_END)
            break;
        tokens++;
        if (lx.kind == T_BAD) {
            *why = "where clause: malformed token";
            return NANA_EINVAL;
        }
        if (lx.kind == T_WORD) {
            for (int i = 0; refused[i]; i++) {
                if (tok_is(&lx, refused[i])) {
                    *why = "where clause: subqueries and statement keywords are not allowed";
                    return NANA_EINVAL;
                }
            }
            continue;
        }
        if (lx.kind != T_PUNCT)
            continue;
        char c = *lx.tok;
        if (c == ';' || c == '`' || c == '[' || c == ']' || c == '\\' || c == '{' || c == '}') {
            *why = "where clause: ';', backquotes and brackets are not allowed";
            return NANA_EINVAL;
        }
        if ((c == '-' && *lx.p == '-') || (c == '/' && *lx.p == '*') ||
            (c == '*' && *lx.p == '/')) {
            *why = "where clause: comments are not allowed";
            return NANA_EINVAL;
        }
        if (c == '"') {
            /* A quoted identifier: identifier characters only. */
            const char *q = lx.p;
            while (is_ident_char(*q))
                q++;
            if (*q != '"' || q == lx.p) {
                *why = "where clause: a quoted identifier must be [A-Za-z_][A-Za-z0-9_]*";
                return NANA_EINVAL;
            }
            /* A quoted name is a column, even "select"; what it may reach
             * (another table, load_extension) the authorizer refuses. */
            lx.p = q + 1;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth < 0) {
                *why = "where clause: unbalanced parentheses";
                return NANA_EINVAL;
            }
        } else if ((unsigned char)c >= 0x80 || c < 0x20) {
            *why = "where clause: unexpected character";
            return NANA_EINVAL;
        }
    }
    if (depth != 0) {
        *why = "where clause: unbalanced parentheses";
        return NANA_EINVAL;
    }
    if (tokens == 0) {
        *why = "empty where clause";
        return NANA_EINVAL;
    }
    return NANA_OK;
}

/* ------------------------------------------------------- statement tail */

bool nana__tail_is_empty(const char *tail)
{
    /* After the first statement: only ';', whitespace and comments. */
    const char *p = tail;
    while (p && *p) {
        if (*p == ';' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*' && p[2]) {
            /* SQLite reads a comment only when a byte follows its opening
             * slash-star (the two ending the text are operators); an open
             * one runs to the end. */
            const char *end = strstr(p + 2, "*/");
            if (!end)
                return true;
            p = end + 2;
        } else {
            return false;
        }
    }
    return true;
}

/* Copies a checked where clause, numbering its bare '?' parameters
 * explicitly (?1, ?2, ...) so that parameters placed before it in the
 * statement cannot shift them. */
nana_status_t nana__where_number(const char *where, char *buf, size_t size, int *n_bare,
                                 int *highest)
{
    struct out o = {buf, size, 0};
    const char *p = where;
    buf[0] = '\0';
    *n_bare = *highest = 0;
    while (*p) {
        if (*p == '\'') { /* copy string literals untouched */
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q[1] != '\''))
                q += *q == '\'' ? 2 : 1;
            if (*q)
                q++;
            if (!put(&o, p, (size_t)(q - p)))
                return NANA_EINVAL;
            p = q;
        } else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            long explicit_n = strtol(p + 1, NULL, 10);
            if (explicit_n > *highest)
                *highest = (int)(explicit_n > 100000 ? 100000 : explicit_n);
            if (!put(&o, p, 1))
                return NANA_EINVAL;
            p++;
        } else if (*p == '?') {
            char num[24];
            /* SQLite's rule: one more than the highest number so far. */
            ++*n_bare;
            snprintf(num, sizeof num, "?%d", ++*highest);
            if (!puts_(&o, num))
                return NANA_EINVAL;
            p++;
        } else {
            if (!put(&o, p, 1))
                return NANA_EINVAL;
            p++;
        }
    }
    return NANA_OK;
}
