/* A handle inherited across fork() fails in the child with a clear status:
 * every operation through the inherited root or sub-table resolves
 * NANA_ECLOSED with a message that mentions fork, nana_table() through it is
 * NANA_ECLOSED, nana_close() on it is NANA_ECLOSED; futures not tied to a
 * handle still work there.  The parent's handles are unaffected. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The child reports on a pipe: "OK", or the first failed check. */
static int report_fd = -1;

#define CHILD_CHECK(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            dprintf(report_fd, "%s:%d: CHECK(%s)", __FILE__, __LINE__, #cond); \
            _exit(1);                                                          \
        }                                                                      \
    } while (0)

#define CHILD_ST(expr, want)                                                   \
    do {                                                                       \
        nana_status_t got_ = (expr);                                           \
        if (got_ != (want)) {                                                  \
            dprintf(report_fd, "%s:%d: %s: got %s, want %s", __FILE__,         \
                    __LINE__, #expr, t_status_name(got_), t_status_name(want));\
            _exit(1);                                                          \
        }                                                                      \
    } while (0)

/* Forks; the child runs body() and reports; the parent waits (at most 120 s)
 * for the report and the child's exit, and fails the test unless the child
 * said "OK" and exited 0. */
static void run_in_child(void (*body)(void))
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        body();
        dprintf(report_fd, "OK");
        _exit(0);
    }
    close(fds[1]);
    char msg[1024];
    size_t used = 0;
    for (;;) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int ready = poll(&pfd, 1, 120000);
        if (ready <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            t_fail(__FILE__, __LINE__, "child hung (report so far: %.*s)", (int)used, msg);
        }
        ssize_t n = read(fds[0], msg + used, sizeof msg - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof msg - 1)
            break;
    }
    msg[used] = '\0';
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (strcmp(msg, "OK") != 0)
        t_fail(__FILE__, __LINE__, "child: %s", used ? msg : "(no report)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        t_fail(__FILE__, __LINE__, "child reported OK but exited with status %#x", status);
}

static nana_db_t *root, *sub;

static bool mentions_fork(const char *msg)
{
    for (const char *p = msg; *p; p++)
        if (strncasecmp(p, "fork", 4) == 0)
            return true;
    return false;
}

static void child_expect_closed(nana_future_t *f, int line)
{
    nana_status_t st = nana_future_await_for(f, 20000);
    if (st != NANA_ECLOSED) {
        dprintf(report_fd, "line %d: inherited handle: %s (%s), want NANA_ECLOSED", line,
                t_status_name(st), nana_future_errmsg(f));
        _exit(1);
    }
    if (!mentions_fork(nana_future_errmsg(f))) {
        dprintf(report_fd, "line %d: message \"%s\" does not mention fork", line,
                nana_future_errmsg(f));
        _exit(1);
    }
    nana_future_free(f);
}

static void child_body(void)
{
    json_t *v = json_integer(2);
    child_expect_closed(nana_get(root, "k", NULL), __LINE__); /* a cached key */
    child_expect_closed(nana_get(root, "other", NULL), __LINE__);
    child_expect_closed(nana_set(root, "k", v), __LINE__);
    child_expect_closed(nana_len(root), __LINE__);
    child_expect_closed(nana_get(sub, "s", NULL), __LINE__);
    child_expect_closed(nana_set(sub, "s", v), __LINE__);

    nana_db_t *out = (nana_db_t *)&out;
    CHILD_ST(nana_table(root, "newtable", &out), NANA_ECLOSED);
    CHILD_CHECK(out == NULL);

    /* Futures that need no handle. */
    nana_future_t *r = nana_future_resolved(v);
    CHILD_ST(nana_future_await_for(r, 20000), NANA_OK);
    CHILD_CHECK(json_integer_value(nana_future_json(r)) == 2);
    nana_future_free(r);
    nana_future_t *f = nana_future_failed(NANA_EIO, "x");
    CHILD_ST(nana_future_await_for(f, 0), NANA_EIO);
    nana_future_free(f);

    /* Closing the inherited root is refused (and leaks it, on purpose). */
    CHILD_ST(nana_close(root), NANA_ECLOSED);
    json_decref(v);
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(root, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);
    t_expect(nana_get(root, "k", NULL), "1");

    run_in_child(child_body);

    /* The child changed nothing, and the parent's handles work on. */
    t_expect(nana_get_fresh(root, "k", NULL), "1");
    t_expect(nana_get_fresh(sub, "s", NULL), "1");
    CHECK_ST(t_wait(nana_get(root, "other", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_set(root, "after", v)), NANA_OK);
    CHECK_INT(t_int(nana_len(root)), 2);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(v);
    return 0;
}
