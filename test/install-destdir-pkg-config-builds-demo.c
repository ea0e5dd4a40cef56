/*
 * `make install DESTDIR=<tmp> PREFIX=/usr` stages the library, and a program
 * builds against that copy alone.  Installed: usr/lib/libnanasqlite.so.<V>
 * (mode 0644; its SONAME libnanasqlite.so.<MAJOR>) with the symlinks
 * .so.<MAJOR> and .so, the static library, usr/include/nanasqlite.h
 * (identical to include/), every man page under usr/share/man/man3 with a
 * link for every other name its NAME section lists, and
 * usr/lib/pkgconfig/nanasqlite.pc (prefix=/usr, Version NANA_VERSION,
 * Requires jansson, Requires.private sqlite3).  examples/demo.c
 * compiled with `PKG_CONFIG_PATH=... PKG_CONFIG_SYSROOT_DIR=<tmp> pkg-config
 * --cflags --libs nanasqlite` (no -Iinclude, no -Llib) reads the staged
 * header and links the staged library (checked with -MD and the linker's
 * trace), and runs with LD_LIBRARY_PATH=<tmp>/usr/lib, loading the staged
 * copy (ldd).  Linked statically against the staged archive with `pkg-config
 * --static --libs`, it runs without it.  `make uninstall` with the same
 * variables leaves no file behind.  Without PREFIX, the files go under
 * /usr/local (inside DESTDIR).
 */
#include "harness.h"

#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void same_file(const char *a, const char *b)
{
    char *x = t_slurp(a), *y = t_slurp(b);
    if (strcmp(x, y) != 0)
        t_fail(__FILE__, __LINE__, "%s differs from %s", b, a);
    free(x);
    free(y);
}

static void check_link(const char *link, const char *want_target)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "%s is not a symlink", link);
    target[n] = '\0';
    if (strcmp(target, want_target) != 0)
        t_fail(__FILE__, __LINE__, "%s -> %s, want -> %s", link, target, want_target);
    struct stat st;
    if (stat(link, &st) != 0)
        t_fail(__FILE__, __LINE__, "%s dangles", link);
}

static int leftovers;

static int count_leftover(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_D && flag != FTW_DP) {
        fprintf(stderr, "left behind by make uninstall: %s\n", path);
        leftovers++;
    }
    return 0;
}

/* Every page of man/man3 installed, and a link for each other .Nm name. */
static void check_man(const char *mandir)
{
    char *pages = t_must("cd man/man3 && ls *.3");
    int n_pages = 0, n_links = 0;
    for (char *page = strtok(pages, "\n"); page; page = strtok(NULL, "\n")) {
        char src[512], dst[PATH_MAX * 2];
        snprintf(src, sizeof src, "man/man3/%s", page);
        snprintf(dst, sizeof dst, "%s/%s", mandir, page);
        same_file(src, dst);
        n_pages++;
        /* the names of its NAME section */
        FILE *fp = fopen(src, "r");
        CHECK(fp != NULL);
        char line[4096];
        bool in_name = false;
        while (fgets(line, sizeof line, fp)) {
            if (strncmp(line, ".Sh ", 4) == 0)
                in_name = strcmp(line, ".Sh NAME\n") == 0;
            else if (in_name && strncmp(line, ".Nm ", 4) == 0) {
                char name[256], want[300];
                sscanf(line + 4, "%255[A-Za-z0-9_]", name);
                snprintf(want, sizeof want, "%s.3", name);
                if (strcmp(want, page) == 0)
                    continue;
                snprintf(dst, sizeof dst, "%s/%s", mandir, want);
                check_link(dst, page);
                n_links++;
            }
        }
        fclose(fp);
    }
    free(pages);
    printf("%d man pages and %d links installed\n", n_pages, n_links);
    CHECK(n_pages > 1 && n_links > n_pages);
}

int main(void)
{
    char stage[1024], path2[1024], cmd[16384], path[PATH_MAX];
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    char real[64], soname[64];
    snprintf(real, sizeof real, "libnanasqlite.so.%s", NANA_VERSION);
    snprintf(soname, sizeof soname, "libnanasqlite.so.%d", NANA_VERSION_MAJOR);

    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));

    /* The files. */
    struct stat st;
    snprintf(path, sizeof path, "%s/usr/lib/%s", stage, real);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
    snprintf(cmd, sizeof cmd, "readelf -d '%s'", path);
    char *out = t_must(cmd), want[2048];
    snprintf(want, sizeof want, "Library soname: [%s]", soname);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "installed SONAME is not %s:\n%s", soname, out);
    free(out);
    snprintf(path, sizeof path, "%s/usr/lib/%s", stage, soname);
    check_link(path, real);
    snprintf(path, sizeof path, "%s/usr/lib/libnanasqlite.so", stage);
    check_link(path, soname);
    snprintf(path, sizeof path, "%s/usr/lib/libnanasqlite.a", stage);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
    snprintf(path, sizeof path, "%s/usr/include/nanasqlite.h", stage);
    same_file("include/nanasqlite.h", path);
    snprintf(path, sizeof path, "%s/usr/share/man/man3", stage);
    check_man(path);

    snprintf(path, sizeof path, "%s/usr/lib/pkgconfig/nanasqlite.pc", stage);
    char *pc = t_slurp(path);
    CHECK(strstr(pc, "prefix=/usr\n") != NULL);
    CHECK(strstr(pc, "Requires: jansson") != NULL);
    CHECK(strstr(pc, "Requires.private: sqlite3") != NULL);
    CHECK(strstr(pc, "Libs.private: -lpthread") != NULL);
    free(pc);

    /* pkg-config sees the staged copy. */
    char env[PATH_MAX * 2 + 128];
    snprintf(env, sizeof env,
             "PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='%s'", stage, stage);
    snprintf(cmd, sizeof cmd, "%s pkg-config --modversion nanasqlite", env);
    out = t_must(cmd);
    out[strcspn(out, "\n")] = '\0';
    CHECK_STR(out, NANA_VERSION);
    free(out);
    snprintf(cmd, sizeof cmd, "%s pkg-config --cflags --libs nanasqlite", env);
    char *flags = t_must(cmd);
    flags[strcspn(flags, "\n")] = '\0';
    printf("pkg-config --cflags --libs nanasqlite: %s\n", flags);
    snprintf(want, sizeof want, "-I%s/usr/include", stage);
    CHECK(strstr(flags, want) != NULL);
    snprintf(want, sizeof want, "-L%s/usr/lib", stage);
    CHECK(strstr(flags, want) != NULL);
    CHECK(strstr(flags, "-lnanasqlite") != NULL);
    CHECK(strstr(flags, "-ljansson") != NULL);

    /* The demo, built against the staged copy only. */
    snprintf(cmd, sizeof cmd,
             "${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -MD -MF '%s/demo.d' "
             "examples/demo.c -o '%s/demo' %s -Wl,--trace",
             t_dir(), t_dir(), flags);
    out = t_must(cmd);
    snprintf(want, sizeof want, "%s/usr/lib/libnanasqlite.so", stage);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the demo did not link %s:\n%s", want, out);
    free(out);
    snprintf(path, sizeof path, "%s/demo.d", t_dir());
    char *deps = t_slurp(path);
    snprintf(want, sizeof want, "%s/usr/include/nanasqlite.h", stage);
    if (!strstr(deps, want))
        t_fail(__FILE__, __LINE__, "the demo did not read %s:\n%s", want, deps);
    free(deps);

    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s/usr/lib' ldd '%s/demo'", stage, t_dir());
    out = t_must(cmd);
    snprintf(want, sizeof want, "%s => %s/usr/lib/%s", soname, stage, soname);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the demo does not load the staged library:\n%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s/usr/lib' '%s/demo' '%s/demo.db'", stage,
             t_dir(), t_dir());
    out = t_must(cmd);
    printf("demo (shared): ran, %zu bytes of output\n", strlen(out));
    free(out);
    free(flags);

    /* Statically: the archive, and the private libraries of the .pc. */
    snprintf(cmd, sizeof cmd, "%s pkg-config --static --libs nanasqlite", env);
    flags = t_must(cmd);
    flags[strcspn(flags, "\n")] = '\0';
    char *l = strstr(flags, "-lnanasqlite");
    CHECK(l != NULL);
    char static_flags[8192];
    snprintf(static_flags, sizeof static_flags, "%.*s'%s/usr/lib/libnanasqlite.a'%s",
             (int)(l - flags), flags, stage, l + strlen("-lnanasqlite"));
    snprintf(cmd, sizeof cmd, "%s pkg-config --cflags nanasqlite", env);
    char *cflags = t_must(cmd);
    cflags[strcspn(cflags, "\n")] = '\0';
    snprintf(cmd, sizeof cmd,
             "${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread %s "
             "examples/demo.c -o '%s/demo-static' %s",
             cflags, t_dir(), static_flags);
    free(t_must(cmd));
    snprintf(cmd, sizeof cmd, "readelf -d '%s/demo-static'", t_dir());
    out = t_must(cmd);
    CHECK(strstr(out, "libnanasqlite") == NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s/demo-static' '%s/demo-static.db'", t_dir(), t_dir());
    free(t_must(cmd));
    printf("demo (static): ran\n");
    free(cflags);
    free(flags);

    /* Uninstall leaves nothing. */
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " uninstall DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));
    CHECK(nftw(stage, count_leftover, 16, FTW_PHYS) == 0);
    CHECK_INT(leftovers, 0);

    /* PREFIX defaults to /usr/local. */
    snprintf(path2, sizeof path2, "%s/stage-default", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s'", path2);
    free(t_must(cmd));
    snprintf(path, sizeof path, "%s/usr/local/lib/%s", path2, soname);
    check_link(path, real);
    snprintf(path, sizeof path, "%s/usr/local/lib/pkgconfig/nanasqlite.pc", path2);
    pc = t_slurp(path);
    CHECK(strstr(pc, "prefix=/usr/local\n") != NULL);
    free(pc);
    snprintf(path, sizeof path, "%s/usr/local/share/man/man3/nanasqlite.3", path2);
    CHECK(lstat(path, &st) == 0);
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " uninstall DESTDIR='%s'", path2);
    free(t_must(cmd));
    CHECK(nftw(path2, count_leftover, 16, FTW_PHYS) == 0);
    CHECK_INT(leftovers, 0);
    return 0;
}
