/*
 * Each event-loop adapter header (include/nanasqlite/adapters/epoll.h,
 * libevent.h, libuv.h) compiles as the only include of a translation unit,
 * and in a unit that calls its attach function, with `cc -std=c99 -Wall
 * -Wextra -Wpedantic -Werror`, with the suites' own C11 warnings
 * (-Wstrict-prototypes -Wmissing-prototypes -Wshadow) and with `g++
 * -Wall -Wextra -Wpedantic -Werror`: header-only code must not warn in its
 * users' builds, whatever they compile with.  The loop libraries' and
 * jansson's headers are included as system headers, so that only ours are
 * judged; libuv's own header needs the POSIX names (pthread_rwlock_t)
 * that strict C99 hides, so its units get -D_POSIX_C_SOURCE=200809L, as
 * every libuv program does.  g++, libevent or libuv missing is a failure
 * that says what to install.
 */
#include "harness.h"

static const struct {
    const char *header, *pkg, *debian, *defines, *call;
} adapters[] = {
    {"epoll.h", NULL, NULL, "",
     "    epoll_data_t data;\n    data.fd = 0;\n    return nana_epoll_attach(cq, 3, data);\n"},
    {"libevent.h", "libevent", "libevent-dev", "",
     "    return nana_libevent_attach(cq, (struct event_base *)0);\n"},
    {"libuv.h", "libuv", "libuv1-dev", "-D_POSIX_C_SOURCE=200809L",
     "    return nana_libuv_attach(cq, (uv_loop_t *)0);\n"},
};

int main(void)
{
    char *out;
    if (t_run_cmd("command -v g++", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "g++ is not installed, so the adapters cannot be checked as C++: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install g++");
    free(out);

    const char *compilers[] = {
        "${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c",
        "${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -Wstrict-prototypes "
        "-Wmissing-prototypes -Wshadow -fsyntax-only -x c",
        "g++ -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Werror",
    };
    int failures = 0, checked = 0;
    for (size_t a = 0; a < sizeof adapters / sizeof adapters[0]; a++) {
        char dirs[4096], cmd[16384];
        snprintf(cmd, sizeof cmd,
                 "pkg-config --cflags-only-I jansson %s | sed 's/-I/-isystem /g'",
                 adapters[a].pkg ? adapters[a].pkg : "");
        if (t_run_cmd(cmd, &out) != 0)
            t_fail(__FILE__, __LINE__,
                   "pkg-config %s: %s -- `make deps` (tools/check-deps.sh) installs it on "
                   "Debian, or: apt-get install %s",
                   adapters[a].pkg, out, adapters[a].debian);
        out[strcspn(out, "\n")] = '\0';
        snprintf(dirs, sizeof dirs, "%s", out);
        free(out);

        char alone[2048], uses[2048], text[4096];
        snprintf(alone, sizeof alone, "%s/alone-%zu.c", t_dir(), a);
        snprintf(uses, sizeof uses, "%s/uses-%zu.c", t_dir(), a);
        snprintf(text, sizeof text, "#include <nanasqlite/adapters/%s>\n", adapters[a].header);
        t_write_file(alone, text);
        snprintf(text, sizeof text,
                 "#include <nanasqlite/adapters/%s>\n"
                 "nana_status_t attach(nana_cq_t *cq);\n"
                 "nana_status_t attach(nana_cq_t *cq)\n{\n%s}\n",
                 adapters[a].header, adapters[a].call);
        t_write_file(uses, text);
        const char *units[] = {alone, uses};
        for (size_t c = 0; c < sizeof compilers / sizeof compilers[0]; c++) {
            for (size_t u = 0; u < 2; u++) {
                snprintf(cmd, sizeof cmd, "%s %s -Iinclude %s %s", compilers[c],
                         adapters[a].defines, dirs, units[u]);
                int rc = t_run_cmd(cmd, &out);
                checked++;
                if (rc != 0 || out[0]) {
                    fprintf(stderr, "FAILED (exit %d): %s\n%s\n", rc, cmd, out);
                    failures++;
                } else {
                    printf("ok: %s\n", cmd);
                }
                free(out);
            }
        }
    }
    printf("%d compilations\n", checked);
    CHECK_INT(failures, 0);
    return 0;
}
