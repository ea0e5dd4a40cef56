/*
 * What lintian would say of a package made from `make install DESTDIR=<tmp>
 * PREFIX=/usr`, checked by hand (lintian itself is not needed):
 *   - permissions: every directory is 0755 and every file 0644, the shared
 *     library included (shared-library-is-executable, executable-not-elf);
 *   - links: every symlink is relative and resolves inside the tree;
 *   - the shared library: its SONAME is libnanasqlite.so.<MAJOR> and a link
 *     of that name points to it; no RPATH or RUNPATH; linked against libc
 *     (library-not-linked-against-libc); a GNU_STACK header that is not
 *     executable; version definitions (.gnu.version_d), and every defined
 *     dynamic symbol versioned (the missing-symbol-version findings);
 *   - the static archive is not executable, and holds only objects.
 * Every finding is listed before the test fails.
 */
#include "harness.h"

#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char stage[PATH_MAX];
static int findings, files, dirs, links;

static void finding(const char *path, const char *what)
{
    fprintf(stderr, "%s: %s\n", path + strlen(stage), what);
    findings++;
}

static int check_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    mode_t mode = sb->st_mode & 07777;
    if (flag == FTW_D) {
        dirs++;
        if (mode != 0755)
            finding(path, "directory not 0755");
    } else if (flag == FTW_SL) {
        links++;
        char target[PATH_MAX], resolved[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        CHECK(n > 0);
        target[n] = '\0';
        if (target[0] == '/')
            finding(path, "absolute symlink");
        if (!realpath(path, resolved) || strncmp(resolved, stage, strlen(stage)) != 0)
            finding(path, "symlink does not resolve inside the tree");
    } else if (flag == FTW_F) {
        files++;
        if (mode != 0644)
            finding(path, "file not 0644");
    } else {
        finding(path, "neither file, directory nor symlink");
    }
    return 0;
}

int main(void)
{
    char cmd[16384], lib[PATH_MAX + 64];
    char *out;
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));
    /* realpath() of entries resolves symlinks in the test directory too. */
    char real_stage[PATH_MAX];
    CHECK(realpath(stage, real_stage) != NULL);
    snprintf(stage, sizeof stage, "%s", real_stage);

    CHECK(nftw(stage, check_entry, 16, FTW_PHYS) == 0);
    printf("%d directories, %d files, %d symlinks\n", dirs, files, links);
    CHECK(files > 20 && links > 2);

    /* The shared library. */
    snprintf(lib, sizeof lib, "%s/usr/lib/libnanasqlite.so.%s", stage, NANA_VERSION);
    snprintf(cmd, sizeof cmd, "readelf -d -W '%s'", lib);
    out = t_must(cmd);
    char want[256];
    snprintf(want, sizeof want, "Library soname: [libnanasqlite.so.%d]", NANA_VERSION_MAJOR);
    if (!strstr(out, want))
        finding(lib, "no SONAME libnanasqlite.so.<MAJOR>");
    if (strstr(out, "(RPATH)") || strstr(out, "(RUNPATH)"))
        finding(lib, "RPATH or RUNPATH set");
    if (!strstr(out, "Shared library: [libc.so"))
        finding(lib, "not linked against libc");
    free(out);
    char soname_link[PATH_MAX + 64], target[PATH_MAX];
    snprintf(soname_link, sizeof soname_link, "%s/usr/lib/libnanasqlite.so.%d", stage,
             NANA_VERSION_MAJOR);
    if (!realpath(soname_link, target) || strcmp(target, lib) != 0)
        finding(soname_link, "the SONAME link does not lead to the library");

    snprintf(cmd, sizeof cmd, "readelf -l -W '%s'", lib);
    out = t_must(cmd);
    char *stack = strstr(out, "GNU_STACK");
    if (!stack)
        finding(lib, "no GNU_STACK program header");
    else if (strstr(stack, "RWE") && strstr(stack, "RWE") < strchr(stack, '\n'))
        finding(lib, "executable stack");
    free(out);

    snprintf(cmd, sizeof cmd, "readelf -V -W '%s'", lib);
    out = t_must(cmd);
    if (!strstr(out, ".gnu.version_d"))
        finding(lib, "no symbol version definitions");
    free(out);
    snprintf(cmd, sizeof cmd, "readelf --dyn-syms -W '%s'", lib);
    out = t_must(cmd);
    int defined = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char num[32], value[64], size[32], type[32], bind[32], vis[32], ndx[32], name[512];
        if (sscanf(line, "%31s %63s %31s %31s %31s %31s %31s %511s", num, value, size, type, bind,
                   vis, ndx, name) != 8 ||
            strcmp(ndx, "UND") == 0 || strcmp(ndx, "Ndx") == 0 || strcmp(type, "SECTION") == 0 ||
            strcmp(ndx, "ABS") == 0) /* the version node itself */
            continue;
        defined++;
        if (!strchr(name, '@')) {
            char what[700];
            snprintf(what, sizeof what, "dynamic symbol %s has no version", name);
            finding(lib, what);
        }
    }
    free(out);
    printf("%d defined dynamic symbols\n", defined);
    CHECK(defined > 60);

    /* The archive: objects only. */
    snprintf(cmd, sizeof cmd, "ar t '%s/usr/lib/libnanasqlite.a'", stage);
    out = t_must(cmd);
    for (char *member = strtok(out, "\n"); member; member = strtok(NULL, "\n")) {
        size_t n = strlen(member);
        if (n < 3 || strcmp(member + n - 2, ".o") != 0) {
            char what[600];
            snprintf(what, sizeof what, "archive member %s is not an object", member);
            finding("libnanasqlite.a", what);
        }
    }
    free(out);

    CHECK_INT(findings, 0);
    return 0;
}
