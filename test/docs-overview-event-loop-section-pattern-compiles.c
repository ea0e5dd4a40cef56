/*
 * The overview, nanasqlite(3), has a section "USING THE LIBRARY FROM AN
 * EVENT LOOP" that says plainly that awaiting inside a loop callback blocks
 * the loop, and shows the pattern in three lines -- nana_libevent_attach(),
 * nana_cq_attach() of a future with a callback, event_base_dispatch() --
 * which, taken from mandoc's rendering as a reader sees them, compile and
 * link inside a program that declares what they use.  mandoc or libevent
 * missing is a failure that says what to install.
 */
#include "harness.h"

static const char before[] =
    "#include <nanasqlite.h>\n"
    "#include <nanasqlite/adapters/libevent.h>\n"
    "static void on_user(nana_future_t *f, void *arg) { (void)f; (void)arg; }\n"
    "int main(void)\n"
    "{\n"
    "    nana_db_t *db = NULL;\n"
    "    nana_cq_t *cq = NULL;\n"
    "    struct event_base *base = NULL;\n"
    "    const char *id = \"7\";\n"
    "    void *req = NULL;\n"
    "    if (db == NULL) return 0; /* compiled and linked, not run */\n";
static const char after[] = "    return 0;\n}\n";

int main(void)
{
    char *out;
    if (t_run_cmd("command -v mandoc", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "mandoc is not installed, so the overview cannot be rendered: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install mandoc");
    free(out);
    char *libevent;
    if (t_run_cmd("pkg-config --cflags --libs libevent", &libevent) != 0)
        t_fail(__FILE__, __LINE__,
               "libevent is not installed, so the pattern cannot be built: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install libevent-dev");
    libevent[strcspn(libevent, "\n")] = '\0';
    free(t_must(T_MAKE_PLAIN " all"));

    char *page = t_must("mandoc -Tascii man/man3/nanasqlite.3 | sed 's/.\\x08//g'");
    char *section = strstr(page, "\nUSING THE LIBRARY FROM AN EVENT LOOP\n");
    if (!section)
        t_fail(__FILE__, __LINE__, "nanasqlite(3) has no section USING THE LIBRARY FROM AN "
                                   "EVENT LOOP");
    /* Up to the next section heading: a line that starts in column 0. */
    char *end = strchr(section + 1, '\n');
    while (end && (end[1] == ' ' || end[1] == '\n'))
        end = strchr(end + 1, '\n');
    if (end)
        end[1] = '\0';
    /* Said plainly, whatever the line breaks. */
    char flat[16384];
    size_t n = 0;
    for (char *p = section; *p && n < sizeof flat - 1; p++)
        if (!(*p == ' ' && n && flat[n - 1] == ' ') && *p != '\n')
            flat[n++] = *p;
        else if (*p == '\n' && n && flat[n - 1] != ' ')
            flat[n++] = ' ';
    flat[n] = '\0';
    if (!strstr(flat, "blocks the loop"))
        t_fail(__FILE__, __LINE__, "the section does not say that awaiting blocks the loop:\n%s",
               section);

    const char *lines[] = {"nana_libevent_attach(cq, base);",
                           "nana_cq_attach(cq, nana_get(db, id, NULL), on_user, req);",
                           "event_base_dispatch(base);"};
    char program[8192];
    snprintf(program, sizeof program, "%s", before);
    for (int i = 0; i < 3; i++) {
        char *line = strstr(section, lines[i]);
        if (!line)
            t_fail(__FILE__, __LINE__, "the pattern's line \"%s\" is not in the section:\n%s",
                   lines[i], section);
        size_t len = strcspn(line, "\n");
        snprintf(program + strlen(program), sizeof program - strlen(program), "    %.*s\n",
                 (int)len, line);
    }
    snprintf(program + strlen(program), sizeof program - strlen(program), "%s", after);
    free(page);

    char src[1024], cmd[16384];
    snprintf(src, sizeof src, "%s/pattern.c", t_dir());
    t_write_file(src, program);
    snprintf(cmd, sizeof cmd,
             "${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude '%s' -o "
             "'%s/pattern' -Llib -lnanasqlite -Wl,-rpath,\"$PWD/lib\" "
             "$(pkg-config --cflags --libs jansson) %s",
             src, t_dir(), libevent);
    if (t_run_cmd(cmd, &out) != 0)
        t_fail(__FILE__, __LINE__, "the pattern does not build:\n%s\n%s", program, out);
    free(out);
    free(libevent);
    printf("the three lines build:\n%s", program);
    return 0;
}
