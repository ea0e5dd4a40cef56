/* A resolved write is committed: a child process opens the database itself
 * and sets key_i with up to 16 writes in flight, reporting i on a pipe only
 * after key_i's future resolved OK.  The parent kills it with SIGKILL after
 * 200 reports; reopening finds every reported key with its value, and any
 * further key that made it is whole. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define REPORTS 200
#define WINDOW 16

static void write_int(int fd, int32_t v)
{
    if (write(fd, &v, sizeof v) != (ssize_t)sizeof v)
        _exit(3);
}

static _Noreturn void child(int fd)
{
    nana_db_t *db = NULL;
    if (nana_open(t_path("db"), NULL, &db) != NANA_OK) {
        write_int(fd, -1);
        _exit(2);
    }
    nana_future_t *ring[WINDOW];
    char key[32];
    for (int32_t i = 0;; i++) {
        if (i >= WINDOW) {
            nana_future_t *oldest = ring[i % WINDOW];
            if (nana_future_await(oldest) != NANA_OK) {
                write_int(fd, -2);
                _exit(2);
            }
            nana_future_free(oldest);
            write_int(fd, i - WINDOW);
        }
        snprintf(key, sizeof key, "key_%d", (int)i);
        json_t *v = json_pack("{s:i,s:s}", "i", (int)i, "pad", "0123456789abcdef");
        ring[i % WINDOW] = nana_set(db, key, v);
        json_decref(v);
    }
}

static bool read_int(int fd, int32_t *out)
{
    size_t got = 0;
    while (got < sizeof *out) {
        ssize_t n = read(fd, (char *)out + got, sizeof *out - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

int main(void)
{
    (void)t_dir(); /* fix the directory before the child inherits it */
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child(fds[1]);
    }
    close(fds[1]);

    for (int32_t want = 0; want < REPORTS; want++) {
        int32_t got;
        if (!read_int(fds[0], &got)) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            t_fail(__FILE__, __LINE__, "child stopped after %d reports", (int)want);
        }
        if (got != want) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            t_fail(__FILE__, __LINE__, "child reported %d, want %d%s", (int)got, (int)want,
                   got == -1 ? " (open failed)" : got == -2 ? " (a set failed)" : "");
        }
    }
    CHECK(kill(pid, SIGKILL) == 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[0]);

    nana_db_t *db = t_open("db", NULL);
    char key[32];
    for (int i = 0; i < REPORTS; i++) {
        snprintf(key, sizeof key, "key_%d", i);
        json_t *v = t_take(nana_get(db, key, NULL), NANA_OK);
        if (json_integer_value(json_object_get(v, "i")) != i)
            t_fail(__FILE__, __LINE__, "%s has the wrong value", key);
        nana_json_release(v);
    }
    /* Writes after the last report may or may not have landed; those that did
     * are whole, and they are a prefix of the sequence. */
    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    int64_t n = (int64_t)json_object_size(all);
    CHECK(n >= REPORTS);
    for (int64_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "key_%lld", (long long)i);
        json_t *v = json_object_get(all, key);
        if (!v || json_integer_value(json_object_get(v, "i")) != i ||
            strcmp(json_string_value(json_object_get(v, "pad")), "0123456789abcdef") != 0)
            t_fail(__FILE__, __LINE__, "%s missing or damaged (%lld keys)", key, (long long)n);
    }
    nana_json_release(all);
    CHECK_ST(nana_close(db), NANA_OK);

    /* SQLite agrees the file is sound. */
    sqlite3 *raw = NULL;
    CHECK(sqlite3_open(t_path("db"), &raw) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return 0;
}
