/* fork() while the parent's root is busy (another thread keeps writing, its
 * workers mid-batch): the child can still open roots of its own -- on a new
 * file and on the parent's file -- and use them, with its own workers, while
 * the parent carries on.  (Skipped under ThreadSanitizer, which cannot follow
 * a child of a multi-threaded process that starts threads.) */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#if defined(__SANITIZE_THREAD__)
#define NANA_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NANA_TEST_TSAN 1
#endif
#endif

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

static int child_round;

static void child_body(void)
{
    char name[32];
    snprintf(name, sizeof name, "child%d.db", child_round);
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 2;
    nana_db_t *own = NULL, *theirs = NULL;
    CHILD_ST(nana_open(t_path(name), &opts, &own), NANA_OK);
    CHILD_ST(nana_open(t_path("db"), &opts, &theirs), NANA_OK);
    json_t *v = json_integer(child_round);
    nana_future_t *fs[4];
    fs[0] = nana_set(own, "c", v);
    fs[1] = nana_get(own, "c", NULL);
    fs[2] = nana_set(theirs, "from_child", v);
    fs[3] = nana_len(theirs);
    for (int i = 0; i < 4; i++)
        CHILD_ST(nana_future_await_for(fs[i], 60000), NANA_OK);
    CHILD_CHECK(json_integer_value(nana_future_json(fs[1])) == child_round);
    int64_t n = 0;
    CHILD_ST(nana_future_int(fs[3], &n), NANA_OK);
    CHILD_CHECK(n >= 1);
    for (int i = 0; i < 4; i++)
        nana_future_free(fs[i]);
    /* The inherited handle is still refused. */
    nana_future_t *f = nana_get(root, "h1", NULL);
    CHILD_ST(nana_future_await_for(f, 20000), NANA_ECLOSED);
    nana_future_free(f);
    CHILD_ST(nana_close(theirs), NANA_OK);
    CHILD_ST(nana_close(own), NANA_OK);
    json_decref(v);
}

int main(void)
{
#ifdef NANA_TEST_TSAN
    fprintf(stderr, "skipped under ThreadSanitizer\n");
    return 0;
#endif
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, hammer, NULL) == 0);

    for (int i = 0; i < 5; i++) {
        /* Fork in the middle of the traffic. */
        int seen = atomic_load(&writes_done);
        while (atomic_load(&writes_done) < seen + 40)
            sched_yield();
        child_round = i;
        run_in_child(child_body);
    }

    atomic_store(&stop, true);
    pthread_join(th, NULL);
    /* The parent's handles are fine, and the child's write is in the file
     * (read fresh: the parent never cached it). */
    t_expect(nana_get_fresh(root, "from_child", NULL), "4");
    CHECK_INT(t_int(nana_len(root)), 33);
    CHECK_INT(t_int(nana_len(sub)), 32);
    json_t *all = t_take(nana_to_dict(root), NANA_OK);
    const char *k;
    json_t *val;
    json_object_foreach(all, k, val)
        CHECK(json_is_integer(val));
    nana_json_release(all);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
