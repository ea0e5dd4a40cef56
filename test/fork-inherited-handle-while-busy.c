/* fork() while the parent's root is busy (another thread keeps writing, its
 * workers mid-batch): in the child, every use of the inherited handles still
 * fails promptly with NANA_ECLOSED -- whatever locks the parent's threads
 * held at that instant -- and the parent carries on undisturbed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
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

/* Forks; the child runs body() and reports.  The child then ends itself
 * with SIGKILL rather than exit: memory that the parent's other threads were
 * using at the fork instant is unreachable in the child, and an exit-time
 * leak check (valgrind's) would count it against the library.  The parent
 * waits (at most 120 s) for the report, and fails the test unless it is
 * "OK". */
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
        close(report_fd);
        kill(getpid(), SIGKILL);
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
}

static nana_db_t *root, *sub;
static atomic_bool stop;
static atomic_int writes_done;

static void *hammer(void *arg)
{
    (void)arg;
    char key[32];
    nana_future_t *fs[8];
    for (int round = 0; !atomic_load(&stop); round++) {
        for (int i = 0; i < 8; i++) {
            snprintf(key, sizeof key, "h%d", (round * 8 + i) % 64);
            json_t *v = json_integer(round);
            fs[i] = i % 2 ? nana_set(root, key, v) : nana_set(sub, key, v);
            json_decref(v);
        }
        for (int i = 0; i < 8; i++) {
            CHECK_ST(nana_future_await(fs[i]), NANA_OK);
            nana_future_free(fs[i]);
        }
        atomic_fetch_add(&writes_done, 8);
    }
    return NULL;
}

static void expect_closed(nana_future_t *f)
{
    CHILD_ST(nana_future_await_for(f, 20000), NANA_ECLOSED);
    nana_future_free(f);
}

static void child_body(void)
{
    json_t *v = json_integer(-1);
    expect_closed(nana_get(root, "h1", NULL));
    expect_closed(nana_set(root, "h1", v));
    expect_closed(nana_len(sub));
    expect_closed(nana_get(sub, "h2", NULL));
    nana_db_t *out = NULL;
    CHILD_ST(nana_table(root, "x", &out), NANA_ECLOSED);
    CHILD_CHECK(out == NULL);
    CHILD_ST(nana_close(root), NANA_ECLOSED);
    json_decref(v);
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, hammer, NULL) == 0);

    for (int i = 0; i < 5; i++) {
        /* Fork in the middle of the traffic. */
        int seen = atomic_load(&writes_done);
        while (atomic_load(&writes_done) < seen + 40)
            sched_yield();
        run_in_child(child_body);
    }

    atomic_store(&stop, true);
    pthread_join(th, NULL);
    /* The parent's handles are fine; the child wrote nothing. */
    CHECK_INT(t_int(nana_len(root)), 32);
    CHECK_INT(t_int(nana_len(sub)), 32);
    json_t *all = t_take(nana_to_dict(root), NANA_OK);
    const char *k;
    json_t *val;
    json_object_foreach(all, k, val)
        CHECK(json_integer_value(val) >= 0);
    nana_json_release(all);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
