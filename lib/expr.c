/*
 * expr.c -- the grammar of the expressions nana_query and its kin take as
 * columns, group_by and having: a hand-written tokenizer and a recursive-
 * descent parser, no regular expressions.  What passes is re-spelled from
 * the parse -- every name double-quoted, every keyword and function name
 * written by us -- so the SQL holds nothing of the input but validated
 * names, numbers, string literals and parameters.
 *
 * The grammar is small on purpose: arithmetic, concatenation, calls of the
 * functions of a fixed list, and, in having, comparisons joined by AND, OR
 * and NOT.  Its operators bind as SQLite's do, so the tree validated is the
 * tree SQLite builds from the re-spelling.  What it cannot express
 * (subqueries, CASE, CAST, COLLATE, window functions, any other function)
 * is refused, not passed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* How deep parentheses, calls and prefix operators may nest: more than a
 * query needs, little stack for any thread, and within what SQLite's own
 * parser holds for common shapes (31 nested calls; a few operators pending
 * at every level take more of it, and SQLite refuses those itself). */
#define DEPTH_MAX 16

enum tok_kind {
    TK_END,
    TK_WORD,    /* [A-Za-z_][A-Za-z0-9_]* */
    TK_NUMBER,  /* 12, 1.5, .5, 1e-3 */
    TK_STRING,  /* 'it''s' */
    TK_QUOTED,  /* "name": a column or an alias */
    TK_PARAM,   /* ?, ?3, :name, @name, $name (having only) */
    TK_OP,      /* + - * / % || = == != <> < <= > >= ( ) , */
};

struct tok {
    enum tok_kind kind;
    const char *s; /* into the input */
    size_t len;
};

struct parser {
    enum nana_expr_kind kind;
    const char *text;
    const char *p;          /* the lexer's position: after tok */
    struct tok tok;         /* the current token */
    struct nana_sqlbuf *out;
    int depth;
    bool in_aggregate;      /* inside the arguments of an aggregate */
    bool aggregate;         /* an aggregate was called */
    char *msg;              /* the refusal, malloc'd; NULL while all is well */
    bool failed;
};

/* ------------------------------------------------------------ failures */

/* Refuses the input with why, at byte at of it.  The first refusal wins. */
static bool refuse(struct parser *ps, const char *at, const char *why)
{
    if (ps->failed)
        return false;
    ps->failed = true;
    ps->msg = nana__strdupf("%s (at byte %zu)", why, (size_t)(at - ps->text));
    return false;
}

static bool fail(struct parser *ps, const char *why)
{
    return refuse(ps, ps->tok.s, why);
}

/* As refuse(), naming the word or operator at fault: fmt has one %.*s.
 * Only such tokens are ever quoted back -- printable ASCII, at most 64
 * bytes -- never the rest of the input. */
static bool refuse_naming(struct parser *ps, const char *at, const char *fmt, const char *word,
                          size_t len)
{
    char why[320];
    snprintf(why, sizeof why, fmt, (int)(len > 64 ? 64 : len), word);
    return refuse(ps, at, why);
}

static bool fail_tok(struct parser *ps, const char *fmt)
{
    const struct tok *t = &ps->tok;
    if (t->kind == TK_WORD || t->kind == TK_OP)
        return refuse_naming(ps, t->s, fmt, t->s, t->len);
    const char *what = t->kind == TK_END ? "the end" : "a literal";
    return refuse_naming(ps, t->s, fmt, what, strlen(what));
}

/* ------------------------------------------------------------- lexing */

static bool is_word_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_word_char(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(const struct parser *ps, char c)
{
    if (c == ' ')
        return true;
    /* A column is one line: it may become the key of every row. */
    return ps->kind != NANA__EXPR_COLUMN && (c == '\t' || c == '\n' || c == '\r');
}

/* ASCII case-insensitive equality of n bytes: keywords and function names
 * compare the same in every locale (strncasecmp() follows it). */
static bool ascii_caseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'a' && a[i] <= 'z' ? (char)(a[i] - 'a' + 'A') : a[i];
        char y = b[i] >= 'a' && b[i] <= 'z' ? (char)(b[i] - 'a' + 'A') : b[i];
        if (x != y)
            return false;
    }
    return true;
}

static bool starts_with_sqlite_(const char *s, size_t len)
{
    return len >= 7 && ascii_caseeq(s, "sqlite_", 7);
}

/* Reads the next token into ps->tok; false (with the refusal) on a byte or
 * token the grammar has no place for. */
static bool next(struct parser *ps)
{
    const char *p = ps->p;
    while (is_space(ps, *p))
        p++;
    struct tok *t = &ps->tok;
    t->s = p;
    t->len = 0;
    if (!*p) {
        t->kind = TK_END;
        ps->p = p;
        return true;
    }
    unsigned char c = (unsigned char)*p;
    if (is_word_start(*p)) {
        while (is_word_char(*p))
            p++;
        t->kind = TK_WORD;
        if ((size_t)(p - t->s) > NANA_TABLE_NAME_MAX)
            return fail(ps, "a name is longer than 128 bytes");
    } else if (is_digit(*p) || (*p == '.' && is_digit(p[1]))) {
        while (is_digit(*p))
            p++;
        if (*p == '.') {
            p++;
            while (is_digit(*p))
                p++;
        }
        if ((*p == 'e' || *p == 'E') &&
            (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
            p += 2;
            while (is_digit(*p))
                p++;
        }
        t->kind = TK_NUMBER;
        if (is_word_char(*p) || *p == '.')
            return fail(ps, "a malformed number (hexadecimal included)");
    } else if (c == '\'') {
        for (p++;; p++) {
            if (!*p)
                return fail(ps, "a string literal without its closing quote");
            if (*p == '\'') {
                if (p[1] != '\'')
                    break;
                p++;
            }
        }
        p++;
        t->kind = TK_STRING;
        if (!nana__utf8_valid(t->s, (size_t)(p - t->s)))
            return fail(ps, "a string literal that is not valid UTF-8");
    } else if (c == '"') {
        const char *name = ++p;
        while (is_word_char(*p))
            p++;
        if (*p != '"' || p == name || !is_word_start(*name))
            return fail(ps, "a double-quoted name must be [A-Za-z_][A-Za-z0-9_]*");
        p++;
        t->kind = TK_QUOTED;
        if ((size_t)(p - t->s) > NANA_TABLE_NAME_MAX + 2)
            return fail(ps, "a name is longer than 128 bytes");
    } else if (c == '?' || c == ':' || c == '@' || c == '$') {
        p++;
        if (c == '?') {
            while (is_digit(*p))
                p++;
        } else {
            if (!is_word_char(*p))
                return fail(ps, "a parameter needs a name after its ':', '@' or '$'");
            while (is_word_char(*p))
                p++;
        }
        t->kind = TK_PARAM;
        if ((size_t)(p - t->s) > NANA_TABLE_NAME_MAX + 1)
            return fail(ps, "a parameter name is longer than 128 bytes");
    } else {
        /* Operators; comments are refused before they could be read as
         * two operators ("a--b" is not a - (-b) here). */
        if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*') ||
            (p[0] == '*' && p[1] == '/'))
            return fail(ps, "comments are not allowed");
        static const char *const two[] = {"||", "==", "!=", "<>", "<=", ">=", NULL};
        t->kind = TK_OP;
        for (int i = 0; two[i]; i++)
            if (p[0] == two[i][0] && p[1] == two[i][1]) {
                p += 2;
                goto done;
            }
        if (strchr("+-*/%=<>(),", *p) && *p) {
            p++;
            goto done;
        }
        if (c == ';')
            return fail(ps, "';' is not allowed: one expression, no second statement");
        if (c >= 0x80)
            return fail(ps, "a byte outside ASCII, outside a string literal");
        if (c < 0x20 || c == 0x7f)
            return fail(ps, ps->kind == NANA__EXPR_COLUMN && (c == '\t' || c == '\n' || c == '\r')
                                ? "white space in a column is the space character only"
                                : "a control character");
        return refuse_naming(ps, p, "the character '%.*s' has no place in an expression", p, 1);
    }
done:
    t->len = (size_t)(p - t->s);
    ps->p = p;
    return true;
}

static bool is_op(const struct parser *ps, const char *op)
{
    return ps->tok.kind == TK_OP && ps->tok.len == strlen(op) &&
           memcmp(ps->tok.s, op, ps->tok.len) == 0;
}

static bool is_word(const struct parser *ps, const char *word)
{
    return ps->tok.kind == TK_WORD && ps->tok.len == strlen(word) &&
           ascii_caseeq(ps->tok.s, word, ps->tok.len);
}

/* ----------------------------------------------------------- writing */

static void emit_n(struct parser *ps, const char *s, size_t n)
{
    char chunk[257];
    while (n > 0) {
        size_t k = n < sizeof chunk - 1 ? n : sizeof chunk - 1;
        memcpy(chunk, s, k);
        chunk[k] = '\0';
        nana__sqlbuf_add(ps->out, chunk);
        s += k;
        n -= k;
    }
}

static void emit(struct parser *ps, const char *s)
{
    nana__sqlbuf_add(ps->out, s);
}

static void emit_upper(struct parser *ps, const char *s, size_t n)
{
    char word[NANA_TABLE_NAME_MAX + 1];
    if (n > NANA_TABLE_NAME_MAX)
        n = NANA_TABLE_NAME_MAX;
    for (size_t i = 0; i < n; i++)
        word[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    word[n] = '\0';
    emit(ps, word);
}

/* A name, double-quoted (from a word, or a "quoted" token's inside). */
static void emit_name(struct parser *ps, const char *s, size_t n)
{
    emit(ps, "\"");
    emit_n(ps, s, n);
    emit(ps, "\"");
}

/* ----------------------------------------------------------- keywords */

/* Words that would make more than an expression over the one table:
 * another statement, a subquery, a clause of the SELECT around it. */
static const char *const statement_words[] = {
    "SELECT", "FROM",      "WHERE",    "GROUP",  "HAVING",  "ORDER",   "LIMIT",  "OFFSET",
    "UNION",  "INTERSECT", "EXCEPT",   "WITH",   "VALUES",  "INSERT",  "UPDATE", "DELETE",
    "REPLACE", "UPSERT",   "DROP",     "CREATE", "ALTER",   "ATTACH",  "DETACH", "PRAGMA",
    "VACUUM", "REINDEX",   "ANALYZE",  "BEGIN",  "COMMIT",  "END",     "ROLLBACK",
    "SAVEPOINT", "RELEASE", "TRANSACTION", "JOIN", "EXISTS", "RETURNING", "WINDOW", "OVER",
    "FILTER", "PARTITION", "RAISE",    NULL};

/* SQL words the grammar does not take as names: its own (AS, AND, ...) and
 * those of constructs it does not have (CASE, CAST, COLLATE, ...). */
static const char *const other_keywords[] = {
    "AS",      "AND",    "OR",      "NOT",     "IS",     "IN",     "LIKE",   "GLOB",
    "REGEXP",  "MATCH",  "BETWEEN", "ESCAPE",  "ISNULL", "NOTNULL", "DISTINCT", "ALL",
    "CASE",    "WHEN",   "THEN",    "ELSE",    "CAST",   "COLLATE", "BY",    "ON",
    "USING",   "NATURAL", "LEFT",   "RIGHT",   "FULL",   "INNER",  "OUTER",  "CROSS",
    "ASC",     "DESC",   "NULLS",   "FIRST",   "LAST",   "INDEXED", "CURRENT_DATE",
    "CURRENT_TIME", "CURRENT_TIMESTAMP", NULL};

static bool in_list(const struct parser *ps, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (is_word(ps, list[i]))
            return true;
    return false;
}

/* ---------------------------------------------------------- functions */

#define ARGS_ANY 255

static const struct function {
    const char *name;
    unsigned char min_args, max_args;
    bool aggregate;  /* MIN and MAX: with one argument only */
} functions[] = {
    {"ABS", 1, 1, false},        {"AVG", 1, 1, true},
    {"COALESCE", 2, ARGS_ANY, false}, {"COUNT", 1, 1, true},
    {"DATE", 0, ARGS_ANY, false}, {"DATETIME", 0, ARGS_ANY, false},
    {"GROUP_CONCAT", 1, 2, true}, {"IFNULL", 2, 2, false},
    {"INSTR", 2, 2, false},      {"JULIANDAY", 0, ARGS_ANY, false},
    {"LENGTH", 1, 1, false},     {"LOWER", 1, 1, false},
    {"LTRIM", 1, 2, false},      {"MAX", 1, ARGS_ANY, true},
    {"MIN", 1, ARGS_ANY, true},  {"NULLIF", 2, 2, false},
    {"ROUND", 1, 2, false},      {"RTRIM", 1, 2, false},
    {"STRFTIME", 2, ARGS_ANY, false}, {"SUBSTR", 2, 3, false},
    {"SUM", 1, 1, true},         {"TIME", 0, ARGS_ANY, false},
    {"TOTAL", 1, 1, true},       {"TRIM", 1, 2, false},
    {"UPPER", 1, 1, false},
};

static const struct function *find_function(const struct parser *ps)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (is_word(ps, functions[i].name))
            return &functions[i];
    return NULL;
}

/* ------------------------------------------------------------ parsing */

/* What an expression turned out to be, for a column without AS. */
enum shape { SHAPE_NAME, SHAPE_QUOTED, SHAPE_CALL, SHAPE_OTHER };

static bool condition(struct parser *ps, enum shape *shape);
static bool arith(struct parser *ps, enum shape *shape);

static bool enter(struct parser *ps)
{
    if (++ps->depth > DEPTH_MAX)
        return fail(ps, "nested more than 16 deep");
    return true;
}

/* A call: name '(' args ')', the current token the name.  The arguments
 * of a function that may be an aggregate are read as inside one, before
 * the count says whether MIN and MAX are (one argument) or not: that
 * refuses MIN(a, SUM(b)) too, which nobody writes. */
static bool call(struct parser *ps)
{
    const struct tok name = ps->tok;
    const struct function *fn = find_function(ps);
    if (!fn) {
        if (starts_with_sqlite_(name.s, name.len))
            return fail_tok(ps, "%.*s(): SQLite's own functions are not allowed");
        return fail_tok(ps, "%.*s() is not in the list of allowed functions");
    }
    if (!next(ps) || !next(ps)) /* past the name and the '(' */
        return false;
    int args = 0;
    bool distinct = false, outer = ps->in_aggregate;
    emit(ps, fn->name);
    emit(ps, "(");
    if (is_op(ps, "*")) {
        if (strcmp(fn->name, "COUNT") != 0)
            return fail(ps, "'*' as an argument: COUNT(*) only");
        emit(ps, "*");
        args = 1;
        if (!next(ps))
            return false;
    } else if (!is_op(ps, ")")) {
        if (is_word(ps, "DISTINCT")) {
            if (!fn->aggregate)
                return fail(ps, "DISTINCT inside a function that is not an aggregate");
            emit(ps, "DISTINCT ");
            distinct = true;
            if (!next(ps))
                return false;
        }
        ps->in_aggregate = outer || fn->aggregate;
        for (;;) {
            enum shape ignored;
            if (args >= 100)
                return fail(ps, "more than 100 arguments");
            if (args)
                emit(ps, ", ");
            if (!arith(ps, &ignored))
                return false;
            args++;
            if (!is_op(ps, ","))
                break;
            if (!next(ps))
                return false;
        }
        ps->in_aggregate = outer;
    }
    if (!is_op(ps, ")"))
        return fail_tok(ps, "expected ')' after the arguments, found %.*s");
    emit(ps, ")");
    if (args < fn->min_args || args > fn->max_args)
        return refuse_naming(ps, name.s, "%.*s(): wrong number of arguments", name.s, name.len);
    if (distinct && args != 1)
        return refuse_naming(ps, name.s, "%.*s(DISTINCT ...) takes exactly one argument",
                             name.s, name.len);
    bool aggregate = fn->aggregate && !((strcmp(fn->name, "MIN") == 0 ||
                                         strcmp(fn->name, "MAX") == 0) && args > 1);
    if (aggregate) {
        if (outer)
            return refuse_naming(ps, name.s, "%.*s(): an aggregate inside an aggregate", name.s,
                                 name.len);
        if (ps->kind == NANA__EXPR_GROUP_BY)
            return refuse_naming(ps, name.s, "%.*s(): aggregates have no place in group_by",
                                 name.s, name.len);
        ps->aggregate = true;
    }
    return next(ps);
}

static bool primary(struct parser *ps, enum shape *shape)
{
    struct tok *t = &ps->tok;
    *shape = SHAPE_OTHER;
    switch (t->kind) {
    case TK_NUMBER:
    case TK_STRING:
        emit_n(ps, t->s, t->len);
        return next(ps);
    case TK_PARAM:
        if (ps->kind != NANA__EXPR_HAVING)
            return fail(ps, ps->kind == NANA__EXPR_COLUMN
                                ? "parameters are not allowed in a column (only in where and "
                                  "having)"
                                : "parameters are not allowed in group_by (only in where and "
                                  "having)");
        emit_n(ps, t->s, t->len);
        return next(ps);
    case TK_QUOTED:
        /* A column whose name is a keyword: "order" */
        if (starts_with_sqlite_(t->s + 1, t->len - 2))
            return fail(ps, "names beginning with sqlite_ are SQLite's own");
        emit_name(ps, t->s + 1, t->len - 2);
        *shape = SHAPE_QUOTED;
        return next(ps);
    case TK_END:
        return fail(ps, "an expression ends where an operand was expected");
    case TK_OP:
        if (is_op(ps, "(")) {
            if (!enter(ps))
                return false;
            emit(ps, "(");
            enum shape inner;
            if (!next(ps))
                return false;
            if (!(ps->kind == NANA__EXPR_HAVING ? condition(ps, &inner) : arith(ps, &inner)))
                return false;
            if (!is_op(ps, ")"))
                return fail_tok(ps, "expected ')', found %.*s");
            emit(ps, ")");
            ps->depth--;
            return next(ps);
        }
        if (is_op(ps, "*"))
            return fail(ps, ps->kind == NANA__EXPR_COLUMN
                                ? "'*' only in COUNT(*): a NULL column list selects every "
                                  "column"
                                : "'*' only in COUNT(*)");
        if (is_op(ps, ")"))
            return fail(ps, "unbalanced parentheses: a ')' without its '('");
        return fail_tok(ps, "the operator %.*s where an operand was expected");
    case TK_WORD:
        break;
    }
    if (in_list(ps, statement_words))
        return fail_tok(ps, "%.*s: subqueries and statement keywords are not allowed");
    /* A word followed by '(' is a call. */
    const char *after = ps->p;
    while (is_space(ps, *after))
        after++;
    if (*after == '(') {
        if (!enter(ps) || !call(ps))
            return false;
        ps->depth--;
        *shape = SHAPE_CALL;
        return true;
    }
    if (is_word(ps, "NULL") || is_word(ps, "TRUE") || is_word(ps, "FALSE")) {
        emit_upper(ps, t->s, t->len);
        return next(ps);
    }
    if (in_list(ps, other_keywords))
        return fail_tok(ps, "%.*s is an SQL keyword, not a column name here (a column of that "
                            "name may be a column element of its own)");
    if (starts_with_sqlite_(t->s, t->len))
        return fail(ps, "names beginning with sqlite_ are SQLite's own");
    emit_name(ps, t->s, t->len);
    *shape = SHAPE_NAME;
    return next(ps);
}

static bool unary(struct parser *ps, enum shape *shape)
{
    if (is_op(ps, "-") || is_op(ps, "+")) {
        if (!enter(ps))
            return false;
        /* A space after it: "- -x" must never become "--". */
        emit(ps, is_op(ps, "-") ? "- " : "+ ");
        if (!next(ps) || !unary(ps, shape))
            return false;
        ps->depth--;
        *shape = SHAPE_OTHER;
        return true;
    }
    return primary(ps, shape);
}

/* One level of left-associative binary operators: ops is a NULL-ended
 * list, operand the level below. */
static bool binary(struct parser *ps, enum shape *shape, const char *const *ops,
                   bool (*operand)(struct parser *, enum shape *))
{
    if (!operand(ps, shape))
        return false;
    for (;;) {
        const char *op = NULL;
        for (int i = 0; ops[i] && !op; i++)
            if (is_op(ps, ops[i]))
                op = ops[i];
        if (!op)
            return true;
        emit(ps, " ");
        emit(ps, op);
        emit(ps, " ");
        enum shape right;
        if (!next(ps) || !operand(ps, &right))
            return false;
        *shape = SHAPE_OTHER;
    }
}

/* SQLite's precedence, tightest first: prefix - +, then ||, then * / %,
 * then + -. */
static bool concat(struct parser *ps, enum shape *shape)
{
    static const char *const ops[] = {"||", NULL};
    return binary(ps, shape, ops, unary);
}

static bool term(struct parser *ps, enum shape *shape)
{
    static const char *const ops[] = {"*", "/", "%", NULL};
    return binary(ps, shape, ops, concat);
}

static bool arith(struct parser *ps, enum shape *shape)
{
    static const char *const ops[] = {"+", "-", NULL};
    return binary(ps, shape, ops, term);
}

/* having: arith [comparison arith | IS [NOT] NULL | [NOT] BETWEEN arith AND
 * arith | [NOT] IN (arith, ...) | [NOT] LIKE arith].  One comparison per
 * predicate: "a < b < c" is refused, not read as SQLite would. */
static bool predicate(struct parser *ps)
{
    static const char *const cmp[] = {"=", "==", "!=", "<>", "<", "<=", ">", ">=", NULL};
    enum shape s;
    if (!arith(ps, &s))
        return false;
    for (int i = 0; cmp[i]; i++) {
        if (is_op(ps, cmp[i])) {
            emit(ps, " ");
            emit(ps, cmp[i]);
            emit(ps, " ");
            return next(ps) && arith(ps, &s);
        }
    }
    if (is_word(ps, "IS")) {
        emit(ps, " IS ");
        if (!next(ps))
            return false;
        if (is_word(ps, "NOT")) {
            emit(ps, "NOT ");
            if (!next(ps))
                return false;
        }
        if (!is_word(ps, "NULL"))
            return fail_tok(ps, "IS [NOT] NULL only: found %.*s after IS");
        emit(ps, "NULL");
        return next(ps);
    }
    bool negated = false;
    const char *at = ps->tok.s;
    if (is_word(ps, "NOT")) {
        negated = true;
        if (!next(ps))
            return false;
    }
    if (is_word(ps, "BETWEEN")) {
        emit(ps, negated ? " NOT BETWEEN " : " BETWEEN ");
        if (!next(ps) || !arith(ps, &s))
            return false;
        if (!is_word(ps, "AND"))
            return fail_tok(ps, "BETWEEN ... AND ...: expected AND, found %.*s");
        emit(ps, " AND ");
        return next(ps) && arith(ps, &s);
    }
    if (is_word(ps, "LIKE")) {
        emit(ps, negated ? " NOT LIKE " : " LIKE ");
        return next(ps) && arith(ps, &s);
    }
    if (is_word(ps, "IN")) {
        emit(ps, negated ? " NOT IN (" : " IN (");
        if (!next(ps))
            return false;
        if (!is_op(ps, "("))
            return fail_tok(ps, "IN takes a parenthesised list of values, found %.*s");
        if (!next(ps))
            return false;
        for (int n = 0;; n++) {
            if (n >= 1000)
                return fail(ps, "an IN list of more than 1000 values");
            if (n)
                emit(ps, ", ");
            if (!arith(ps, &s))
                return false;
            if (!is_op(ps, ","))
                break;
            if (!next(ps))
                return false;
        }
        if (!is_op(ps, ")"))
            return fail_tok(ps, "expected ')' after the IN list, found %.*s");
        emit(ps, ")");
        return next(ps);
    }
    if (negated)
        return refuse(ps, at, "NOT must be followed by BETWEEN, IN or LIKE here");
    return true;
}

static bool negation(struct parser *ps)
{
    if (is_word(ps, "NOT")) {
        if (!enter(ps))
            return false;
        emit(ps, "NOT ");
        if (!next(ps) || !negation(ps))
            return false;
        ps->depth--;
        return true;
    }
    return predicate(ps);
}

static bool conjunction(struct parser *ps)
{
    if (!negation(ps))
        return false;
    while (is_word(ps, "AND")) {
        emit(ps, " AND ");
        if (!next(ps) || !negation(ps))
            return false;
    }
    return true;
}

static bool condition(struct parser *ps, enum shape *shape)
{
    *shape = SHAPE_OTHER;
    if (!conjunction(ps))
        return false;
    while (is_word(ps, "OR")) {
        emit(ps, " OR ");
        if (!next(ps) || !conjunction(ps))
            return false;
    }
    return true;
}

/* After a whole expression: the token must end the input (or, in
 * group_by, be the ',' before the next one). */
static bool expect_end(struct parser *ps)
{
    if (ps->tok.kind == TK_END)
        return true;
    if (is_op(ps, ")"))
        return fail(ps, "unbalanced parentheses: a ')' without its '('");
    if (is_op(ps, ",") && ps->kind == NANA__EXPR_COLUMN)
        return fail(ps, "one column per element: ',' outside a function call");
    if (ps->kind == NANA__EXPR_COLUMN &&
        ((ps->tok.kind == TK_WORD && !in_list(ps, statement_words) &&
          !in_list(ps, other_keywords)) ||
         ps->tok.kind == TK_QUOTED))
        return fail(ps, "expected AS before the name of a column");
    return fail_tok(ps, "unexpected %.*s after the expression");
}

/* A column of the SELECT list.  A name alone is the column; anything else
 * needs AS alias, except one function call, named by its text as written
 * (what SQLite would name it in a statement of the user's own). */
static bool column(struct parser *ps)
{
    size_t len = strlen(ps->text);
    if (nana__ident_valid(ps->text)) {
        emit_name(ps, ps->text, len);
        return true;
    }
    if (ps->text[0] == ' ' || (len && ps->text[len - 1] == ' '))
        return fail(ps, "a column must not begin or end with white space");
    enum shape shape;
    if (!next(ps) || !arith(ps, &shape))
        return false;
    if (is_word(ps, "AS")) {
        if (!next(ps))
            return false;
        const struct tok alias = ps->tok;
        const char *name = alias.s;
        size_t n = alias.len;
        if (alias.kind == TK_QUOTED) {
            name++;
            n -= 2;
        } else if (alias.kind != TK_WORD) {
            return fail(ps, "AS must be followed by a name");
        } else if (in_list(ps, statement_words)) {
            return fail_tok(ps, "%.*s is a statement keyword: write it in double quotes to "
                                "use it as a name");
        }
        if (starts_with_sqlite_(name, n))
            return fail(ps, "names beginning with sqlite_ are SQLite's own");
        if (!next(ps) || !expect_end(ps))
            return false;
        emit(ps, " AS ");
        emit_name(ps, name, n);
        return true;
    }
    if (!expect_end(ps))
        return false;
    if (shape == SHAPE_QUOTED)
        return refuse(ps, ps->text,
                      "a column alone is written bare, without double quotes: the library "
                      "quotes it");
    if (shape != SHAPE_CALL)
        return refuse(ps, ps->text,
                      "an expression needs a name: write <expression> AS name (only a column "
                      "name or one function call may stand alone)");
    /* The key of every row: the text itself, as a quoted name. */
    emit(ps, " AS \"");
    for (const char *q = ps->text; *q; q++) {
        const char *quote = strchr(q, '"');
        size_t run = quote ? (size_t)(quote - q) : strlen(q);
        emit_n(ps, q, run);
        q += run;
        if (!*q)
            break;
        emit(ps, "\"\"");
    }
    emit(ps, "\"");
    return true;
}

static bool group_by(struct parser *ps)
{
    if (!next(ps))
        return false;
    for (int n = 0;; n++) {
        enum shape shape;
        if (n >= 64)
            return fail(ps, "more than 64 group_by expressions");
        if (!arith(ps, &shape))
            return false;
        if (!is_op(ps, ","))
            break;
        emit(ps, ", ");
        if (!next(ps))
            return false;
    }
    return expect_end(ps);
}

static bool having(struct parser *ps)
{
    enum shape shape;
    return next(ps) && condition(ps, &shape) && expect_end(ps);
}

nana_status_t nana__expr_build(enum nana_expr_kind kind, const char *text,
                               struct nana_sqlbuf *out, struct nana_expr_info *info)
{
    static const size_t max_len[] = {
        [NANA__EXPR_COLUMN] = NANA_EXPR_COLUMN_MAX,
        [NANA__EXPR_GROUP_BY] = NANA_EXPR_GROUP_BY_MAX,
        [NANA__EXPR_HAVING] = NANA_EXPR_HAVING_MAX,
    };
    info->aggregate = false;
    info->msg = NULL;
    if (!text) {
        info->msg = nana__strdupf("NULL expression");
        return NANA_EINVAL;
    }
    size_t len = strnlen(text, max_len[kind] + 1);
    if (len > max_len[kind]) {
        info->msg = nana__strdupf("longer than %zu bytes", max_len[kind]);
        return NANA_EINVAL;
    }
    struct parser ps = {.kind = kind, .text = text, .p = text, .out = out};
    ps.tok.s = text;
    bool blank = true;
    for (const char *q = text; *q && blank; q++)
        blank = *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r';
    bool ok;
    if (blank)
        ok = fail(&ps, "empty");
    else if (kind == NANA__EXPR_COLUMN)
        ok = column(&ps);
    else if (kind == NANA__EXPR_GROUP_BY)
        ok = group_by(&ps);
    else
        ok = having(&ps);
    if (!ok) {
        info->msg = ps.msg;
        return ps.msg ? NANA_EINVAL : NANA_ENOMEM;
    }
    info->aggregate = ps.aggregate;
    return NANA_OK;
}
