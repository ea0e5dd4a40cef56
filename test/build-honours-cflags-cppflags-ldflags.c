/*
 * The build takes the standard variables and keeps -Werror to the suites.
 * In a copy of the tree (the built objects copied along, one of them
 * removed, so that one file compiles and the library and the demo relink),
 * `make V=1 all build/plain/demo` with CPPFLAGS, CFLAGS and LDFLAGS set, and
 * with a compiler that warns about every file (CC="cc -include h", h holding
 * a #warning: a newer compiler's new warning):
 *   - succeeds, and the warning is printed: a plain make has no -Werror;
 *   - compiles with the project's flags first and the user's after them, in
 *     the order -O2 (OPT) ... -Wall ... CPPFLAGS ... CFLAGS, so that the
 *     user's -O1 wins;
 *   - links the shared library and the demo with LDFLAGS before the objects
 *     (-Wl,-z,now: both come out with BIND_NOW) and the library with CFLAGS.
 * The same compile with WERROR=1 fails on that warning.
 */
#include "harness.h"

#include <limits.h>

/* The environment of a make run as a user would, outside the suite. */
#define MAKE_ALONE                                                              \
    "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u VARIANT -u OPT -u EXTRA_CFLAGS " \
    "-u CFLAGS -u CPPFLAGS -u LDFLAGS -u WERROR -u DESTDIR -u PREFIX make "      \
    "--no-print-directory"

/* The first line of text that contains all of needles (NULL-terminated),
 * a command continued with backslash-newline counting as one line;
 * malloc'd, or NULL. */
static char *line_with(const char *text, const char *const *needles)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        while (n > 0 && p[n - 1] == '\\' && p[n] == '\n')
            n += 1 + strcspn(p + n + 1, "\n");
        char *line = strndup(p, n);
        CHECK(line != NULL);
        bool all = true;
        for (int i = 0; needles[i]; i++)
            all = all && strstr(line, needles[i]) != NULL;
        if (all)
            return line;
        free(line);
        p += n + (p[n] == '\n');
    }
    return NULL;
}

/* Where flag (a "-..." word) first stands as a word of its own in line: a
 * temporary directory's random name ("nana-run-O1sMIY") must not count as
 * -O1.  Other texts are found anywhere. */
static const char *find_word(const char *line, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = strstr(line, flag); p; p = strstr(p + 1, flag)) {
        if (flag[0] != '-')
            return p;
        bool starts = p == line || p[-1] == ' ';
        bool ends = p[n] == ' ' || p[n] == '\0' || p[n] == '\n';
        if (starts && ends)
            return p;
    }
    return NULL;
}

/* a occurs in line, and before b. */
static void check_before(const char *line, const char *a, const char *b)
{
    const char *pa = find_word(line, a), *pb = find_word(line, b);
    if (!pa || !pb || pa >= pb)
        t_fail(__FILE__, __LINE__, "want %s before %s in:\n%s", a, b, line);
}

int main(void)
{
    char copy[1024], cmd[32768], warn_h[1100];
    snprintf(copy, sizeof copy, "%s/tree", t_dir());

    /* The library as the suite built it, then a copy of the tree. */
    char *out;
    free(t_must(T_MAKE_PLAIN " all"));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/build/plain' && cp -pR Makefile include lib tools examples '%s/' && "
             "cp -pR build/plain/lib '%s/build/plain/' && touch '%s/build/.deps-ok' && "
             "touch '%s'/build/plain/lib/*.o && rm '%s/build/plain/lib/status.o'",
             copy, copy, copy, copy, copy, copy);
    free(t_must(cmd));

    snprintf(warn_h, sizeof warn_h, "%s/new-warning.h", t_dir());
    FILE *fp = fopen(warn_h, "w");
    CHECK(fp != NULL);
    fputs("#warning \"a warning this compiler adds\"\n", fp);
    CHECK(fclose(fp) == 0);

    const char *vars = "CPPFLAGS=-DNANA_MARK_CPPFLAGS 'CFLAGS=-DNANA_MARK_CFLAGS -O1' "
                       "'LDFLAGS=-Wl,-z,now -Wl,--as-needed'";
    snprintf(cmd, sizeof cmd, "cd '%s' && " MAKE_ALONE " V=1 CC='cc -include %s' %s all build/plain/demo",
             copy, warn_h, vars);
    out = t_must(cmd);
    if (!strstr(out, "a warning this compiler adds"))
        t_fail(__FILE__, __LINE__, "the compiler's warning was not printed:\n%s", out);

    const char *compile[] = {"lib/status.c", "-c", NULL};
    char *line = line_with(out, compile);
    if (!line)
        t_fail(__FILE__, __LINE__, "no compile line for lib/status.c:\n%s", out);
    printf("compile: %s\n", line);
    if (strstr(line, "-Werror"))
        t_fail(__FILE__, __LINE__, "a plain make compiles with -Werror:\n%s", line);
    check_before(line, "-O2", "-Wall");
    check_before(line, "-Wall", "-DNANA_MARK_CPPFLAGS");
    check_before(line, "-DNANA_MARK_CPPFLAGS", "-DNANA_MARK_CFLAGS");
    check_before(line, "-O2", "-O1");
    free(line);

    char so[64];
    snprintf(so, sizeof so, "lib/libnanasqlite.so.%s", NANA_VERSION);
    const char *link_so[] = {"-shared", so, NULL};
    line = line_with(out, link_so);
    if (!line)
        t_fail(__FILE__, __LINE__, "no link line for %s:\n%s", so, out);
    printf("link: %s\n", line);
    check_before(line, "-Wl,-z,now", ".o ");
    check_before(line, "-Wl,--as-needed", ".o ");
    CHECK(strstr(line, "-DNANA_MARK_CFLAGS") != NULL);
    free(line);

    const char *link_demo[] = {"examples/demo.c", "-o build/plain/demo", NULL};
    line = line_with(out, link_demo);
    if (!line)
        t_fail(__FILE__, __LINE__, "no link line for the demo:\n%s", out);
    check_before(line, "-DNANA_MARK_CPPFLAGS", "-DNANA_MARK_CFLAGS");
    check_before(line, "-Wl,-z,now", "-lnanasqlite");
    free(line);
    free(out);

    const char *built[] = {so, "build/plain/demo"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "readelf -d '%s/%s'", copy, built[i]);
        out = t_must(cmd);
        if (!strstr(out, "NOW"))
            t_fail(__FILE__, __LINE__, "%s was not linked with LDFLAGS' -z now:\n%s", built[i],
                   out);
        free(out);
    }
    printf("a plain make with a warning-adding compiler passed; LDFLAGS reached both links\n");

    /* WERROR=1: the same warning stops the build. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -f build/plain/lib/status.o && " MAKE_ALONE
             " V=1 WERROR=1 CC='cc -include %s' %s build/plain/lib/status.o",
             copy, warn_h, vars);
    int rc = t_run_cmd(cmd, &out);
    if (rc == 0)
        t_fail(__FILE__, __LINE__, "WERROR=1 did not turn the warning into an error:\n%s", out);
    if (!strstr(out, "-Werror") || !strstr(out, "a warning this compiler adds"))
        t_fail(__FILE__, __LINE__, "WERROR=1 failed, but not on the warning:\n%s", out);
    free(out);
    printf("with WERROR=1 the same warning fails the build\n");
    return 0;
}
