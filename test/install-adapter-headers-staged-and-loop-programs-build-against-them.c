/*
 * `make install DESTDIR=<tmp> PREFIX=/usr` stages the event-loop adapters
 * beside the header: usr/include/nanasqlite/adapters/epoll.h, libevent.h
 * and libuv.h, each identical to include/, mode 0644, in directories 0755.
 * A program for each loop, compiled with the staged `pkg-config --cflags
 * --libs nanasqlite` (no -Iinclude, no -Llib) plus its loop's flags,
 * includes <nanasqlite/adapters/...> from the stage (-MD), and runs against
 * the staged library: a set and a get delivered through the queue on the
 * loop.  `make uninstall` removes the headers and their directories.
 * libevent or libuv missing is a failure that says what to install.
 */
#include "harness.h"

#include <sys/stat.h>

static const char program[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <nanasqlite.h>\n"
    "#if LOOP == 1\n"
    "#include <nanasqlite/adapters/epoll.h>\n"
    "#elif LOOP == 2\n"
    "#include <nanasqlite/adapters/libevent.h>\n"
    "#else\n"
    "#include <nanasqlite/adapters/libuv.h>\n"
    "#endif\n"
    "static int done;\n"
    "static void on_done(nana_future_t *f, void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    if (nana_future_status(f) != NANA_OK) exit(3);\n"
    "    if (nana_future_json(f)) printf(\"got %lld\\n\", (long long)json_integer_value(nana_future_json(f)));\n"
    "    done++;\n"
    "}\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    nana_db_t *db; nana_cq_t *cq;\n"
    "    if (argc != 2 || nana_open(argv[1], NULL, &db) != NANA_OK || nana_cq_new(&cq) != NANA_OK) return 2;\n"
    "#if LOOP == 1\n"
    "    int epfd = epoll_create1(0);\n"
    "    epoll_data_t tag = {.ptr = cq};\n"
    "    if (nana_epoll_attach(cq, epfd, tag) != NANA_OK) return 2;\n"
    "#elif LOOP == 2\n"
    "    struct event_base *base = event_base_new();\n"
    "    if (nana_libevent_attach(cq, base) != NANA_OK) return 2;\n"
    "#else\n"
    "    uv_loop_t *loop = uv_default_loop();\n"
    "    if (nana_libuv_attach(cq, loop) != NANA_OK) return 2;\n"
    "#endif\n"
    "    json_t *v = json_integer(42);\n"
    "    nana_cq_attach(cq, nana_set(db, \"k\", v), on_done, NULL);\n"
    "    json_decref(v);\n"
    "    nana_cq_attach(cq, nana_get(db, \"k\", NULL), on_done, NULL);\n"
    "    while (done < 2) {\n"
    "#if LOOP == 1\n"
    "        struct epoll_event ev;\n"
    "        if (epoll_wait(epfd, &ev, 1, -1) == 1 && ev.data.ptr == cq) nana_cq_drain(cq, 0);\n"
    "#elif LOOP == 2\n"
    "        event_base_loop(base, EVLOOP_ONCE);\n"
    "#else\n"
    "        uv_run(loop, UV_RUN_ONCE);\n"
    "#endif\n"
    "    }\n"
    "    nana_cq_free(cq);\n"
    "#if LOOP == 2\n"
    "    event_base_free(base);\n"
    "#elif LOOP == 3\n"
    "    uv_run(loop, UV_RUN_NOWAIT);\n"
    "    if (uv_loop_close(loop) != 0) return 4;\n"
    "#endif\n"
    "    return nana_close(db) == NANA_OK ? 0 : 5;\n"
    "}\n";

static void same_file(const char *a, const char *b)
{
    char *x = t_slurp(a), *y = t_slurp(b);
    if (strcmp(x, y) != 0)
        t_fail(__FILE__, __LINE__, "%s differs from %s", b, a);
    free(x);
    free(y);
}

int main(void)
{
    static const struct {
        const char *header, *pkg, *debian;
    } loops[] = {
        {"epoll.h", NULL, NULL},
        {"libevent.h", "libevent", "libevent-dev"},
        {"libuv.h", "libuv", "libuv1-dev"},
    };
    char stage[1024], cmd[16384], path[2048], *out;
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));

    struct stat st;
    snprintf(path, sizeof path, "%s/usr/include/nanasqlite/adapters", stage);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
    snprintf(path, sizeof path, "%s/usr/include/nanasqlite", stage);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);

    char src[1100];
    snprintf(src, sizeof src, "%s/program.c", t_dir());
    t_write_file(src, program);
    char env[4096];
    snprintf(env, sizeof env,
             "PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='%s'", stage, stage);

    for (int i = 0; i < 3; i++) {
        char tree[256];
        snprintf(tree, sizeof tree, "include/nanasqlite/adapters/%s", loops[i].header);
        snprintf(path, sizeof path, "%s/usr/include/nanasqlite/adapters/%s", stage,
                 loops[i].header);
        CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
        same_file(tree, path);

        char loop_flags[512] = "";
        if (loops[i].pkg) {
            snprintf(cmd, sizeof cmd, "pkg-config --cflags --libs %s", loops[i].pkg);
            if (t_run_cmd(cmd, &out) != 0)
                t_fail(__FILE__, __LINE__,
                       "%s is not installed, so its adapter cannot be built: `make deps` "
                       "(tools/check-deps.sh) installs it on Debian, or: apt-get install %s",
                       loops[i].pkg, loops[i].debian);
            out[strcspn(out, "\n")] = '\0';
            snprintf(loop_flags, sizeof loop_flags, "%s", out);
            free(out);
        }
        snprintf(cmd, sizeof cmd,
                 "${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -DLOOP=%d -MD -MF "
                 "'%s/p%d.d' '%s' -o '%s/p%d' $(%s pkg-config --cflags --libs nanasqlite) %s",
                 i + 1, t_dir(), i, src, t_dir(), i, env, loop_flags);
        free(t_must(cmd));
        snprintf(path, sizeof path, "%s/p%d.d", t_dir(), i);
        char *deps = t_slurp(path), want[2048];
        snprintf(want, sizeof want, "%s/usr/include/nanasqlite/adapters/%s", stage,
                 loops[i].header);
        if (!strstr(deps, want))
            t_fail(__FILE__, __LINE__, "the %s program did not read %s:\n%s", loops[i].header,
                   want, deps);
        free(deps);
        snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s/usr/lib' '%s/p%d' '%s/p%d.db'", stage,
                 t_dir(), i, t_dir(), i);
        out = t_must(cmd);
        CHECK_STR(out, "got 42\n");
        free(out);
        printf("%s: installed, builds against the stage, runs\n", loops[i].header);
    }

    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " uninstall DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));
    snprintf(path, sizeof path, "%s/usr/include/nanasqlite", stage);
    CHECK(stat(path, &st) != 0);
    return 0;
}
