/*
 * A missing test tool never stops the library from building.  In a copy of
 * the tree with no dependency stamp (so the dependency step runs), on a PATH
 * where mandoc and g++ do not exist and apt-get is a stand-in that records
 * its arguments and fails (an offline machine):
 *   - `make all` runs the dependency step and builds the library (one file
 *     compiled, the library relinked); the step neither looks for the test
 *     tools nor calls apt-get, as SQLite and jansson are present;
 *   - `make test-deps` (what make test runs first) warns that mandoc and g++
 *     are missing, names the apt-get line, and succeeds -- after trying
 *     apt-get install when run as root;
 *   - `make deps`, the explicit step, fails naming both.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAKE_ALONE                                                              \
    "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u VARIANT -u OPT -u EXTRA_CFLAGS " \
    "-u CFLAGS -u CPPFLAGS -u LDFLAGS -u WERROR -u DESTDIR -u PREFIX make "      \
    "--no-print-directory"

static bool hidden(const char *name)
{
    static const char *const tools[] = {"mandoc", "g++", "c++", "apt-get", NULL};
    for (int i = 0; tools[i]; i++)
        if (strcmp(name, tools[i]) == 0)
            return true;
    /* x86_64-linux-gnu-g++-12, g++-12, ... */
    return strstr(name, "g++") != NULL;
}

/* bin/: a link to every program of the system's PATH directories but the
 * hidden ones; the first directory that has a name wins, as on PATH. */
static int fill_bin(const char *bin)
{
    static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                       "/usr/bin", "/sbin", "/bin", NULL};
    int linked = 0;
    for (int d = 0; dirs[d]; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.' || hidden(e->d_name))
                continue;
            char target[4096], link[4096];
            snprintf(target, sizeof target, "%s/%s", dirs[d], e->d_name);
            snprintf(link, sizeof link, "%s/%s", bin, e->d_name);
            if (symlink(target, link) == 0)
                linked++;
            else if (errno != EEXIST)
                t_fail(__FILE__, __LINE__, "symlink %s: %s", link, strerror(errno));
        }
        closedir(dir);
    }
    return linked;
}

int main(void)
{
    char copy[1024], bin[1024], apt_log[1100], cmd[16384], path_env[1200];
    snprintf(copy, sizeof copy, "%s/tree", t_dir());
    snprintf(bin, sizeof bin, "%s/bin", t_dir());
    snprintf(apt_log, sizeof apt_log, "%s/apt-get.log", t_dir());

    char *out;
    free(t_must(T_MAKE_PLAIN " all"));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/build/plain' && cp -pR Makefile include lib tools examples '%s/' && "
             "cp -pR build/plain/lib '%s/build/plain/' && touch '%s'/build/plain/lib/*.o && "
             "rm '%s/build/plain/lib/status.o'",
             copy, copy, copy, copy, copy);
    free(t_must(cmd));

    CHECK(mkdir(bin, 0755) == 0);
    int linked = fill_bin(bin);
    char stub[1200];
    snprintf(stub, sizeof stub, "%s/apt-get", bin);
    FILE *fp = fopen(stub, "w");
    CHECK(fp != NULL);
    fprintf(fp, "#!/bin/sh\necho \"$*\" >>'%s'\necho 'E: offline' >&2\nexit 100\n", apt_log);
    CHECK(fclose(fp) == 0);
    CHECK(chmod(stub, 0755) == 0);
    snprintf(path_env, sizeof path_env, "PATH='%s'", bin);
    snprintf(cmd, sizeof cmd, "%s sh -c 'command -v mandoc || command -v g++' ", path_env);
    if (t_run_cmd(cmd, &out) == 0)
        t_fail(__FILE__, __LINE__, "the tools are still on the PATH: %s", out);
    free(out);
    printf("%d programs on a PATH without mandoc and g++\n", linked);

    /* The library builds. */
    snprintf(cmd, sizeof cmd, "cd '%s' && %s " MAKE_ALONE " all", copy, path_env);
    out = t_must(cmd);
    if (!strstr(out, "deps: sqlite3") || !strstr(out, "build/plain/lib/status.o"))
        t_fail(__FILE__, __LINE__, "the dependency step or the compile did not run:\n%s", out);
    if (strstr(out, "mandoc") || strstr(out, "g++"))
        t_fail(__FILE__, __LINE__, "building the library looked for test tools:\n%s", out);
    free(out);
    if (access(apt_log, F_OK) == 0)
        t_fail(__FILE__, __LINE__, "building the library called apt-get");
    printf("make all: the library built\n");

    /* The suites' step warns and goes on. */
    snprintf(cmd, sizeof cmd, "cd '%s' && %s " MAKE_ALONE " test-deps", copy, path_env);
    out = t_must(cmd);
    if (!strstr(out, "warning: missing mandoc g++") || !strstr(out, "apt-get install mandoc g++"))
        t_fail(__FILE__, __LINE__, "make test-deps did not warn about mandoc and g++:\n%s", out);
    printf("make test-deps: %s", out);
    free(out);
    if (geteuid() == 0) {
        snprintf(cmd, sizeof cmd, "cat '%s'", apt_log);
        out = t_must(cmd);
        if (!strstr(out, "install -y -qq mandoc g++"))
            t_fail(__FILE__, __LINE__, "as root, apt-get install was not tried:\n%s", out);
        free(out);
    }

    /* The explicit step fails. */
    snprintf(cmd, sizeof cmd, "cd '%s' && %s " MAKE_ALONE " deps", copy, path_env);
    if (t_run_cmd(cmd, &out) == 0)
        t_fail(__FILE__, __LINE__, "make deps succeeded without mandoc and g++:\n%s", out);
    if (!strstr(out, "missing mandoc g++"))
        t_fail(__FILE__, __LINE__, "make deps failed without naming mandoc and g++:\n%s", out);
    free(out);
    printf("make deps: failed, naming mandoc and g++\n");
    return 0;
}
