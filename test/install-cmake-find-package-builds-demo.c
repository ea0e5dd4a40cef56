/*
 * `make install` installs a CMake package, and a CMake project builds
 * against a staged copy with nothing but find_package: after `make install
 * DESTDIR=<tmp> PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu` (Debian's
 * multiarch layout), LIBDIR/cmake/nanasqlite holds nanasqlite-config.cmake
 * and nanasqlite-config-version.cmake (mode 0644), and a project that says
 *     find_package(nanasqlite <MAJOR>.<MINOR> REQUIRED)
 *     target_link_libraries(demo PRIVATE nanasqlite::nanasqlite Threads::Threads)
 * configured with CMAKE_PREFIX_PATH=<tmp>/usr finds the package there, with
 * nanasqlite_VERSION equal to NANA_VERSION, compiles examples/demo.c against
 * the staged header (compile_commands.json), links the staged shared
 * library, and the program runs loading the staged copy (ldd).  Asking for
 * version <MAJOR + 1>.0, or for a later minor than the installed one, fails
 * to configure: the version file answers by the README's ABI policy.
 * `make uninstall` removes the package and its directory.  Runs when cmake
 * is installed; without it, says so and passes.
 */
#include "harness.h"

#include <limits.h>
#include <sys/stat.h>

static const char project[] =
    "cmake_minimum_required(VERSION 3.10)\n"
    "project(nanademo C)\n"
    "set(CMAKE_EXPORT_COMPILE_COMMANDS ON)\n"
    "find_package(Threads REQUIRED)\n"
    "find_package(nanasqlite ${WANT} REQUIRED)\n"
    "message(STATUS \"nanasqlite_VERSION=${nanasqlite_VERSION}\")\n"
    "message(STATUS \"nanasqlite_DIR=${nanasqlite_DIR}\")\n"
    "add_executable(demo demo.c)\n"
    "set_property(TARGET demo PROPERTY C_STANDARD 11)\n"
    "target_compile_definitions(demo PRIVATE _GNU_SOURCE)\n"
    "target_link_libraries(demo PRIVATE nanasqlite::nanasqlite Threads::Threads)\n";

/* Configures the project in build directory name, asking for version want;
 * returns cmake's exit status, *out its output. */
static int configure(const char *stage, const char *name, const char *want, char **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "env -u CMAKE_PREFIX_PATH -u PKG_CONFIG_PATH cmake -S '%s/src' -B '%s/%s' "
             "-DCMAKE_PREFIX_PATH='%s/usr' -DWANT='%s'",
             t_dir(), t_dir(), name, stage, want);
    return t_run_cmd(cmd, out);
}

int main(void)
{
    char *out;
    if (t_run_cmd("command -v cmake", &out) != 0) {
        printf("cmake is not installed: the CMake package is not tried (skipped)\n");
        free(out);
        return 0;
    }
    free(out);

    char stage[PATH_MAX], cmd[16384], path[PATH_MAX + 256], want[PATH_MAX + 256];
    const char *libdir = "/usr/lib/x86_64-linux-gnu";
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr LIBDIR=%s", stage,
             libdir);
    free(t_must(cmd));

    const char *files[] = {"nanasqlite-config.cmake", "nanasqlite-config-version.cmake"};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s%s/cmake/nanasqlite/%s", stage, libdir, files[i]);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0644)
            t_fail(__FILE__, __LINE__, "%s: missing, or not a 0644 file", path);
    }

    snprintf(path, sizeof path, "%s/src", t_dir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp examples/demo.c '%s/'", path, path);
    free(t_must(cmd));
    snprintf(path, sizeof path, "%s/src/CMakeLists.txt", t_dir());
    t_write_file(path, project);

    /* The version this header is: found, from the staged tree. */
    char version[64];
    snprintf(version, sizeof version, "%d.%d", NANA_VERSION_MAJOR, NANA_VERSION_MINOR);
    if (configure(stage, "build", version, &out) != 0)
        t_fail(__FILE__, __LINE__, "cmake could not configure with find_package(nanasqlite %s):\n%s",
               version, out);
    snprintf(want, sizeof want, "nanasqlite_VERSION=%s\n", NANA_VERSION);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "want %s in:\n%s", want, out);
    snprintf(want, sizeof want, "nanasqlite_DIR=%s%s/cmake/nanasqlite\n", stage, libdir);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the package was not found in the staged tree (%s):\n%s", want,
               out);
    free(out);

    snprintf(cmd, sizeof cmd, "cmake --build '%s/build' -- VERBOSE=1", t_dir());
    out = t_must(cmd);
    snprintf(want, sizeof want, "%s%s/libnanasqlite.so.%s", stage, libdir, NANA_VERSION);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the demo did not link %s:\n%s", want, out);
    free(out);
    snprintf(path, sizeof path, "%s/build/compile_commands.json", t_dir());
    char *commands = t_slurp(path);
    snprintf(want, sizeof want, "%s/usr/include", stage);
    if (!strstr(commands, want))
        t_fail(__FILE__, __LINE__, "demo.c was not compiled against %s:\n%s", want, commands);
    free(commands);

    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s%s' ldd '%s/build/demo'", stage, libdir,
             t_dir());
    out = t_must(cmd);
    snprintf(want, sizeof want, "libnanasqlite.so.%d => %s%s/", NANA_VERSION_MAJOR, stage, libdir);
    if (!strstr(out, want))
        t_fail(__FILE__, __LINE__, "the demo does not load the staged library:\n%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s%s' '%s/build/demo' '%s/demo.db'", stage, libdir,
             t_dir(), t_dir());
    out = t_must(cmd);
    CHECK(strstr(out, "done") != NULL);
    free(out);
    printf("find_package(nanasqlite %s): found in the stage; the demo built, linked the staged "
           "library and ran\n", version);

    /* Versions the installed one does not answer. */
    char next_major[64], next_minor[64];
    snprintf(next_major, sizeof next_major, "%d.0", NANA_VERSION_MAJOR + 1);
    snprintf(next_minor, sizeof next_minor, "%d.%d", NANA_VERSION_MAJOR, NANA_VERSION_MINOR + 1);
    const char *refused[] = {next_major, next_minor};
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "build-refused-%d", i);
        if (configure(stage, name, refused[i], &out) == 0)
            t_fail(__FILE__, __LINE__,
                   "find_package(nanasqlite %s) accepted version %s:\n%s", refused[i],
                   NANA_VERSION, out);
        if (!strstr(out, NANA_VERSION))
            t_fail(__FILE__, __LINE__, "cmake's refusal does not name version %s:\n%s",
                   NANA_VERSION, out);
        free(out);
        printf("find_package(nanasqlite %s): refused, as it should be\n", refused[i]);
    }

    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " uninstall DESTDIR='%s' PREFIX=/usr LIBDIR=%s", stage,
             libdir);
    free(t_must(cmd));
    struct stat st;
    snprintf(path, sizeof path, "%s%s/cmake/nanasqlite", stage, libdir);
    if (lstat(path, &st) == 0)
        t_fail(__FILE__, __LINE__, "%s is still there after make uninstall", path);
    return 0;
}
