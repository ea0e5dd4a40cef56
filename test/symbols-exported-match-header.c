/*
 * The shared library exports exactly the functions the header declares:
 * the function prototypes of include/nanasqlite.h (parsed from its text,
 * comments and preprocessor lines removed: every `nana_xxx (` is a declared
 * function, but `nana_xxx (*`, a function pointer's return type) against
 * `nm -D --defined-only lib/libnanasqlite.so`.  Every
 * declared function is exported, as a function (T), and nothing else is,
 * apart from the version nodes of lib/nanasqlite.map.  The static archive's
 * global symbols are all nana_ (public) or nana__ (internal) ones.  The
 * library is built first (make all).  Every difference is listed before the
 * test fails.
 */
#include "harness.h"

#include <ctype.h>
#include <sys/wait.h>

/* Blanks out comments and preprocessor lines (with their continuations),
 * keeping line breaks. */
static void strip(char *s)
{
    bool line_start = true;
    for (char *p = s; *p;) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            end = end ? end + 2 : p + strlen(p);
            for (; p < end; p++)
                if (*p != '\n')
                    *p = ' ';
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
            continue;
        }
        if (line_start && *p == '#') {
            /* to the end of the line, and of each continued line */
            for (; *p; p++) {
                if (*p == '\n' && p[-1] != '\\')
                    break;
                if (*p != '\n')
                    *p = ' ';
            }
            continue;
        }
        if (*p == '\n')
            line_start = true;
        else if (!isspace((unsigned char)*p))
            line_start = false;
        p++;
    }
}

/* Every identifier nana_* directly followed by '(' is a declared function. */
static void declared_functions(struct t_names *out)
{
    char *text = t_slurp("include/nanasqlite.h");
    strip(text);
    for (char *p = text; (p = strstr(p, "nana_")) != NULL;) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
            p++;
            continue;
        }
        size_t len = 0;
        while (isalnum((unsigned char)p[len]) || p[len] == '_')
            len++;
        char *q = p + len;
        while (*q == ' ' || *q == '\t' || *q == '\n')
            q++;
        /* "nana_status_t (*hook)(...)": a function pointer returning it. */
        char *r = q + 1;
        while (*r == ' ' || *r == '\t' || *r == '\n')
            r++;
        if (*q == '(' && *r != '*')
            t_names_add(out, p, len);
        p += len;
    }
    free(text);
}

int main(void)
{
    char *out;
    free(t_must(T_MAKE_PLAIN " all"));

    struct t_names declared = {0}, exported = {0};
    declared_functions(&declared);
    printf("%zu functions declared in include/nanasqlite.h\n", declared.n);
    CHECK(declared.n > 60);

    /* The version nodes the map names (NANA_0, and one per later minor
     * release: NANA_0.2 ...): each exported as an absolute symbol. */
    struct t_names nodes = {0};
    char *map = t_slurp("lib/nanasqlite.map");
    for (char *line = strtok(map, "\n"); line; line = strtok(NULL, "\n")) {
        char node[128], brace[2];
        if (sscanf(line, " %127[A-Za-z0-9_.] %1[{]", node, brace) == 2)
            t_names_add(&nodes, node, strlen(node));
    }
    free(map);
    CHECK(nodes.n > 0);

    int failures = 0;
    if (t_run_cmd("nm -D --defined-only lib/libnanasqlite.so", &out) != 0)
        t_fail(__FILE__, __LINE__, "nm -D lib/libnanasqlite.so failed:\n%s", out);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char addr[64] = "", type[8] = "", name[512] = "";
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3) {
            fprintf(stderr, "unexpected nm line: %s\n", line);
            failures++;
            continue;
        }
        name[strcspn(name, "@")] = '\0';
        if (t_names_has(&nodes, name) && strcmp(type, "A") == 0)
            continue;
        t_names_add(&exported, name, strlen(name));
        if (!t_names_has(&declared, name)) {
            fprintf(stderr, "%s: exported (%s) but not declared in the header\n", name, type);
            failures++;
        } else if (strcmp(type, "T") != 0) {
            fprintf(stderr, "%s: exported as %s, not as a function (T)\n", name, type);
            failures++;
        }
    }
    free(out);
    for (size_t i = 0; i < declared.n; i++) {
        if (!t_names_has(&exported, declared.v[i])) {
            fprintf(stderr, "%s: declared in the header but not exported\n", declared.v[i]);
            failures++;
        }
    }
    printf("%zu symbols exported\n", exported.n);

    /* The archive: nothing outside the nana_ / nana__ namespace. */
    if (t_run_cmd("nm -g --defined-only lib/libnanasqlite.a", &out) != 0)
        t_fail(__FILE__, __LINE__, "nm -g lib/libnanasqlite.a failed:\n%s", out);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3)
            continue; /* "file.o:" headers and blank lines */
        if (strncmp(name, "nana_", 5) != 0) {
            fprintf(stderr, "lib/libnanasqlite.a: global symbol %s outside nana_\n", name);
            failures++;
        }
    }
    free(out);

    t_names_free(&declared);
    t_names_free(&exported);
    t_names_free(&nodes);
    CHECK_INT(failures, 0);
    return 0;
}
