/*
 * include/nanasqlite.h compiles on its own, as the first and only include of
 * a translation unit, with `cc -std=c99 -Wall -Wextra -Wpedantic -Werror
 * -fsyntax-only` and with `g++ -fsyntax-only -x c++ -Wall -Wextra -Wpedantic
 * -Werror`; so does a unit that uses every macro it defines (the version
 * macros, NANA_STATUS_TABLE, NANA_FIELD, NANA_FIELD_NESTED, NANA_MODEL).  A
 * C++ program calling the library links against lib/libnanasqlite.so and runs
 * (the header's extern "C" works).  jansson's own header is included as a
 * system header, so that only ours is judged.
 */
#include "harness.h"

#include <sys/wait.h>

static const char header_alone[] = "#include <nanasqlite.h>\n";

/* Valid C99 and C++: every macro of the header in use. */
static const char uses_macros[] =
    "#include <nanasqlite.h>\n"
    "\n"
    "struct address { char *city; int zip; };\n"
    "struct user { int64_t id; char *name; double score; bool admin;\n"
    "              struct address address; };\n"
    "static const nana_field_t address_fields[] = {\n"
    "    NANA_FIELD(struct address, city, NANA_FIELD_STRING, true),\n"
    "    NANA_FIELD(struct address, zip, NANA_FIELD_INT, false),\n"
    "};\n"
    "static const nana_model_t address_model =\n"
    "    NANA_MODEL(struct address, address_fields);\n"
    "static const nana_field_t user_fields[] = {\n"
    "    NANA_FIELD(struct user, id, NANA_FIELD_INT64, true),\n"
    "    NANA_FIELD(struct user, name, NANA_FIELD_STRING, true),\n"
    "    NANA_FIELD(struct user, score, NANA_FIELD_DOUBLE, false),\n"
    "    NANA_FIELD(struct user, admin, NANA_FIELD_BOOL, false),\n"
    "    NANA_FIELD_NESTED(struct user, address, &address_model, true),\n"
    "};\n"
    "static const nana_model_t user_model = NANA_MODEL(struct user, user_fields);\n"
    "\n"
    "#define NAME_(name, text) #name,\n"
    "static const char *const status_names[] = { NANA_STATUS_TABLE(NAME_) };\n"
    "#undef NAME_\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    const char *version = NANA_VERSION;\n"
    "    int number = NANA_VERSION_MAJOR * 1000000 + NANA_VERSION_MINOR * 1000 +\n"
    "                 NANA_VERSION_PATCH;\n"
    "    nana_status_t st = NANA_EAGAIN; /* the last code */\n"
    "    if (number != NANA_VERSION_NUMBER || version[0] == '\\0')\n"
    "        return 1;\n"
    "    if (user_model.n_fields != 5 || address_model.n_fields != 2)\n"
    "        return 1;\n"
    "    if (sizeof status_names / sizeof status_names[0] != (size_t)st + 1)\n"
    "        return 1;\n"
    "    return nana_libversion_number() == NANA_VERSION_NUMBER ? 0 : 1;\n"
    "}\n";

int main(void)
{
    char *out;
    if (t_run_cmd("command -v g++", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "g++ is not installed, so the header cannot be checked as C++: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install g++");
    free(out);
    free(t_must(T_MAKE_PLAIN " all"));

    /* jansson's directory as a system one: its header is not ours to judge. */
    char *jansson_dirs;
    if (t_run_cmd("pkg-config --cflags-only-I jansson | sed 's/-I/-isystem /g'", &jansson_dirs) != 0)
        t_fail(__FILE__, __LINE__, "pkg-config jansson: %s", jansson_dirs);
    jansson_dirs[strcspn(jansson_dirs, "\n")] = '\0';

    char alone[4096], macros[4096];
    snprintf(alone, sizeof alone, "%s/alone.c", t_dir());
    snprintf(macros, sizeof macros, "%s/macros.c", t_dir());
    t_write_file(alone, header_alone);
    t_write_file(macros, uses_macros);

    const char *compilers[] = {
        "${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c",
        "${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -Wstrict-prototypes "
        "-Wmissing-prototypes -Wshadow -fsyntax-only -x c",
        "g++ -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Werror",
        "g++ -std=c++11 -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Werror",
    };
    const char *units[] = {alone, macros};
    int failures = 0;
    for (size_t c = 0; c < sizeof compilers / sizeof compilers[0]; c++) {
        for (size_t u = 0; u < 2; u++) {
            char cmd[16384];
            snprintf(cmd, sizeof cmd, "%s -Iinclude %s %s", compilers[c], jansson_dirs,
                     units[u]);
            int rc = t_run_cmd(cmd, &out);
            if (rc != 0 || out[0]) {
                fprintf(stderr, "FAILED (exit %d): %s\n%s\n", rc, cmd, out);
                failures++;
            } else {
                printf("ok: %s\n", cmd);
            }
            free(out);
        }
    }

    /* extern "C": a C++ program links and runs. */
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "g++ -x c++ -Wall -Wextra -Werror -Iinclude %s %s -x none -o %s/macros-cxx "
             "-Llib -lnanasqlite -Wl,-rpath,\"$PWD/lib\" $(pkg-config --libs jansson) && "
             "%s/macros-cxx",
             jansson_dirs, macros, t_dir(), t_dir());
    int rc = t_run_cmd(cmd, &out);
    if (rc != 0) {
        fprintf(stderr, "FAILED (exit %d): %s\n%s\n", rc, cmd, out);
        failures++;
    } else {
        printf("ok: a C++ program links and runs\n");
    }
    free(out);
    free(jansson_dirs);
    CHECK_INT(failures, 0);
    return 0;
}
