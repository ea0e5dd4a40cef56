/*
 * Job code reaches SQLite only through the statement seam (lib/conn.h), so
 * that the same code can run over another backend (issue 16: dqlite).  This
 * reads every C file and header of lib/, comments and literals left out, and
 * fails on a call of a sqlite3_* function, or a use of sqlite3_stmt or
 * sqlite3_value, anywhere but in
 *   - conn.h, the seam's local implementation;
 *   - the files that are local-only by nature (what only SQLite can do:
 *     opening files, the backup API, the authorizer, checkpoints);
 *   - the files still to be converted, each named with why.
 * Those lists only shrink: a file on them that no longer calls sqlite3_*
 * must be taken off, so that it stays converted.
 */
#include <ctype.h>
#include <dirent.h>

#include "harness.h"

/* Local-only: they hold sqlite3 handles on purpose (conn.h says why). */
static const char *const local_only[] = {
    "conn.h",      /* the seam itself: the local kind calls sqlite3_* */
    "dqstmt.c",    /* the seam over dqlite: sqlite3_complete splits statements */
    "backend.c",   /* opening connections, checkpoints, busy handler, hints */
    "backup.c",    /* the online backup API, behind nana__conn_local_db() */
    "authorize.c", /* sqlite3_set_authorizer */
};
/* Not converted yet: being reworked by another change (the reader lane
 * leaving engine.c) when the seam came; a later pass moves what they do
 * with sqlite3 into the backend. */
static const char *const later[] = {
    "engine.c",  /* transaction statements, wal hook, progress handler */
    "handle.c",  /* configuring the connection: db_config, pragmas, opening tables */
    "readers.c", /* the reader lane's connections: open, snapshot, progress, close */
};

static bool listed(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* text with comments, string and character literals blanked (newlines
 * kept, so that line numbers stay right). */
static void blank_comments_and_literals(char *s)
{
    for (char *p = s; *p;) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            char *stop = end ? end + 2 : p + strlen(p);
            for (; p < stop; p++)
                if (*p != '\n')
                    *p = ' ';
        } else if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            for (; *p && *p != q && *p != '\n'; p++) {
                if (*p == '\\' && p[1])
                    *p++ = ' ';
                *p = ' ';
            }
            if (*p == q)
                p++;
        } else {
            p++;
        }
    }
}

/* The uses of SQLite in text (a file's, already blanked): how many, the
 * first described in first. */
static int sqlite_uses(const char *text, char *first, size_t size)
{
    int n = 0, line = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            line++;
        if (strncmp(p, "sqlite3_", 8) != 0 || (p > text && (isalnum((unsigned char)p[-1]) ||
                                                             p[-1] == '_')))
            continue;
        const char *q = p + 8;
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        int len = (int)(q - p);
        const char *r = q;
        while (*r == ' ' || *r == '\t')
            r++;
        bool call = *r == '(';
        bool type = (len == 12 && strncmp(p, "sqlite3_stmt", 12) == 0) ||
                    (len == 13 && strncmp(p, "sqlite3_value", 13) == 0) ||
                    (len == 14 && strncmp(p, "sqlite3_backup", 14) == 0);
        if (call || type) {
            if (n++ == 0)
                snprintf(first, size, "line %d: %.*s%s", line, len, p, call ? "()" : "");
        }
        p = q - 1;
    }
    return n;
}

int main(void)
{
    /* The scanner itself: it sees calls and types, not comments or text. */
    {
        char probe[] = "/* sqlite3_step() */ const char *s = \"sqlite3_exec(\";\n"
                       "// sqlite3_reset(x)\nint nana__x(void) { return my_sqlite3_y(1); }\n";
        char first[128] = "";
        blank_comments_and_literals(probe);
        CHECK_INT(sqlite_uses(probe, first, sizeof first), 0);
        char call[] = "x;\n  rc = sqlite3_step (stmt);\n";
        blank_comments_and_literals(call);
        CHECK_INT(sqlite_uses(call, first, sizeof first), 1);
        CHECK_STR(first, "line 2: sqlite3_step()");
        char type[] = "static sqlite3_stmt *s;";
        CHECK_INT(sqlite_uses(type, first, sizeof first), 1);
    }

    DIR *d = opendir("lib");
    CHECK(d);
    int n_seam = 0, failures = 0;
    struct dirent *e;
    bool seen_local[sizeof local_only / sizeof local_only[0]] = {false};
    bool seen_later[sizeof later / sizeof later[0]] = {false};
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 3 || (strcmp(e->d_name + len - 2, ".c") != 0 &&
                        strcmp(e->d_name + len - 2, ".h") != 0))
            continue;
        char path[512];
        snprintf(path, sizeof path, "lib/%s", e->d_name);
        char *text = t_slurp(path);
        blank_comments_and_literals(text);
        char first[160] = "";
        int uses = sqlite_uses(text, first, sizeof first);
        free(text);
        bool is_local = listed(e->d_name, local_only, sizeof local_only / sizeof *local_only);
        bool is_later = listed(e->d_name, later, sizeof later / sizeof *later);
        for (size_t i = 0; i < sizeof local_only / sizeof *local_only; i++)
            seen_local[i] |= strcmp(local_only[i], e->d_name) == 0;
        for (size_t i = 0; i < sizeof later / sizeof *later; i++)
            seen_later[i] |= strcmp(later[i], e->d_name) == 0;
        if (is_local || is_later) {
            if (uses == 0) {
                fprintf(stderr, "%s no longer uses sqlite3_*: take it off the list\n", path);
                failures++;
            }
            continue;
        }
        n_seam++;
        if (uses > 0) {
            fprintf(stderr,
                    "%s uses SQLite directly %d time(s), first at %s: go through lib/conn.h "
                    "(or, for what only a local file can do, the local-only files)\n",
                    path, uses, first);
            failures++;
        }
    }
    closedir(d);
    for (size_t i = 0; i < sizeof local_only / sizeof *local_only; i++)
        if (!seen_local[i])
            t_fail(__FILE__, __LINE__, "lib/%s is listed but missing", local_only[i]);
    for (size_t i = 0; i < sizeof later / sizeof *later; i++)
        if (!seen_later[i])
            t_fail(__FILE__, __LINE__, "lib/%s is listed but missing", later[i]);
    /* The files that run jobs are among those checked. */
    CHECK(n_seam > 20);
    if (failures)
        t_fail(__FILE__, __LINE__, "%d file(s) break the seam's rule", failures);
    return 0;
}
