/*
 * A fully static program links with nothing but what pkg-config says.  After
 * `make install DESTDIR=<tmp> PREFIX=/usr`, the line of the README and of
 * nanasqlite(3),
 *     cc -static app.c $(pkg-config --static --cflags --libs nanasqlite)
 * pointed at the staged copy (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR), links
 * examples/demo.c into a program with no dynamic section, which runs.  That
 * needs nanasqlite.pc to name SQLite and libcrypto as packages
 * (Requires.private: sqlite3 libcrypto), so that their own private
 * libraries (-lm -lz on Debian) come with them: every library of
 * `pkg-config --static --libs sqlite3 libcrypto` is in nanasqlite's static
 * flags, while the shared flags name none of them (a program linked against
 * the shared library needs only -lnanasqlite and jansson).
 */
#include "harness.h"

#include <limits.h>

/* Output of cmd as one line, its trailing newline dropped. */
static char *line_of(const char *cmd)
{
    char *out = t_must(cmd);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* flags holds the word word (whitespace-separated). */
static bool has_word(const char *flags, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = flags; (p = strstr(p, word)) != NULL; p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

int main(void)
{
    char stage[PATH_MAX], cmd[16384], path[PATH_MAX + 64], env[2 * PATH_MAX + 128];
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));

    snprintf(path, sizeof path, "%s/usr/lib/pkgconfig/nanasqlite.pc", stage);
    char *pc = t_slurp(path);
    if (!strstr(pc, "\nRequires.private: sqlite3 libcrypto\n"))
        t_fail(__FILE__, __LINE__,
               "nanasqlite.pc does not say Requires.private: sqlite3 libcrypto:\n%s", pc);
    if (strstr(pc, "-lsqlite3") || strstr(pc, "-lcrypto"))
        t_fail(__FILE__, __LINE__, "nanasqlite.pc names -lsqlite3 or -lcrypto itself:\n%s", pc);
    free(pc);

    snprintf(env, sizeof env,
             "PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='%s'", stage, stage);
    snprintf(cmd, sizeof cmd, "%s pkg-config --static --cflags --libs nanasqlite", env);
    char *static_flags = line_of(cmd);
    snprintf(cmd, sizeof cmd, "%s pkg-config --cflags --libs nanasqlite", env);
    char *shared_flags = line_of(cmd);
    char *sqlite_libs = line_of("pkg-config --static --libs-only-l sqlite3 libcrypto");
    printf("pkg-config --static --cflags --libs nanasqlite: %s\n", static_flags);
    printf("pkg-config --cflags --libs nanasqlite: %s\n", shared_flags);

    int failures = 0;
    for (char *lib = strtok(sqlite_libs, " "); lib; lib = strtok(NULL, " ")) {
        if (!has_word(static_flags, lib)) {
            fprintf(stderr,
                    "static flags lack %s (from pkg-config --static --libs sqlite3 libcrypto)\n",
                    lib);
            failures++;
        }
        if (has_word(shared_flags, lib)) {
            fprintf(stderr, "shared flags name %s, which only a static link needs\n", lib);
            failures++;
        }
    }
    CHECK(has_word(static_flags, "-lnanasqlite") && has_word(static_flags, "-ljansson") &&
          has_word(static_flags, "-lpthread"));
    CHECK_INT(failures, 0);

    /* The documented line, word for word but for the file names. */
    snprintf(cmd, sizeof cmd,
             "export %s; ${CC:-cc} -static examples/demo.c -o '%s/demo-static' "
             "$(pkg-config --static --cflags --libs nanasqlite)",
             env, t_dir());
    char *out = t_must(cmd);
    if (out[0])
        printf("linker said:\n%s", out); /* glibc's note on getpwuid/dlopen, if any */
    free(out);

    snprintf(cmd, sizeof cmd, "readelf -d '%s/demo-static'", t_dir());
    out = t_must(cmd);
    if (!strstr(out, "no dynamic section"))
        t_fail(__FILE__, __LINE__, "demo-static is not a static program:\n%s", out);
    free(out);

    snprintf(cmd, sizeof cmd, "env -u LD_LIBRARY_PATH '%s/demo-static' '%s/demo.db'", t_dir(),
             t_dir());
    out = t_must(cmd);
    CHECK(strstr(out, "done") != NULL);
    printf("demo-static: no dynamic section, ran (%zu bytes of output)\n", strlen(out));
    free(out);

    free(static_flags);
    free(shared_flags);
    free(sqlite_libs);
    return 0;
}
