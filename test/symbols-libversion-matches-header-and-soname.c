/*
 * One version everywhere: nana_libversion_number() of the library linked at
 * run time equals the header's NANA_VERSION_NUMBER; the built shared library
 * is lib/libnanasqlite.so.<NANA_VERSION>, its SONAME (readelf -d) is
 * libnanasqlite.so.<NANA_VERSION_MAJOR>, and lib/libnanasqlite.so and
 * lib/libnanasqlite.so.<MAJOR> are the symlinks to it that the linker and
 * the loader look for.  The library is built first (make all).
 */
#include "harness.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void check_link(const char *link, const char *want_target)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "%s is not a symlink", link);
    target[n] = '\0';
    CHECK_STR(target, want_target);
}

int main(void)
{
    CHECK_INT(nana_libversion_number(), NANA_VERSION_NUMBER);

    char *out;
    free(t_must(T_MAKE_PLAIN " all"));

    char real[256], soname[256], real_path[300], soname_path[300];
    snprintf(real, sizeof real, "libnanasqlite.so.%s", NANA_VERSION);
    snprintf(soname, sizeof soname, "libnanasqlite.so.%d", NANA_VERSION_MAJOR);
    snprintf(real_path, sizeof real_path, "lib/%s", real);
    snprintf(soname_path, sizeof soname_path, "lib/%s", soname);

    struct stat st;
    CHECK(lstat(real_path, &st) == 0 && S_ISREG(st.st_mode));
    check_link(soname_path, real);
    check_link("lib/libnanasqlite.so", soname);

    if (t_run_cmd("readelf -d lib/libnanasqlite.so", &out) != 0)
        t_fail(__FILE__, __LINE__, "readelf -d failed:\n%s", out);
    char want[300];
    snprintf(want, sizeof want, "Library soname: [%s]", soname);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the SONAME is not %s:\n%s", soname, out);
    free(out);
    printf("%s, SONAME %s, version number %d\n", real, soname, nana_libversion_number());
    return 0;
}
