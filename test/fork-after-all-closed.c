/* Once every root is closed the library holds no threads, and a process
 * forked after that may use it freely: the child opens the same file,
 * reads the parent's data, starts its own pool, writes, closes; the parent
 * then reopens and sees it -- twice over. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct task {
    int tid;
    char comm[32];
};

/* The threads of this process, from /proc/self/task; returns how many (at
 * most max). */
static int list_tasks(struct task *out, int max)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        t_fail(__FILE__, __LINE__, "opendir /proc/self/task");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue; /* the thread exited meanwhile */
        char comm[32] = "";
        if (!fgets(comm, sizeof comm, fp))
            comm[0] = '\0';
        fclose(fp);
        comm[strcspn(comm, "\n")] = '\0';
        if (n < max) {
            out[n].tid = atoi(e->d_name);
            snprintf(out[n].comm, sizeof out[n].comm, "%s", comm);
        }
        n++;
    }
    closedir(dir);
    return n;
}

__attribute__((unused)) static int count_tasks(void)
{
    struct task tasks[256];
    return list_tasks(tasks, 256);
}

/* Thread count once it has settled at want: a joined thread can stay listed
 * in /proc for a moment after pthread_join() returned, while the kernel
 * finishes reaping it, and there is nothing to wait on for that. */
__attribute__((unused)) static int settled_count(int want)
{
    int n = count_tasks();
    for (int i = 0; i < 2000 && n != want; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        n = count_tasks();
    }
    return n;
}

/* n when name is "<prefix>-<n>", else -1. */
__attribute__((unused)) static int worker_index(const char *name, const char *prefix)
{
    size_t len = strlen(prefix);
    if (strncmp(name, prefix, len) != 0 || name[len] != '-' || !name[len + 1])
        return -1;
    int n = 0;
    for (const char *p = name + len + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

static void *record_tid(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

/* A sanitizer may start a helper thread with the first pthread_create():
 * start and join one thread, and wait until the kernel has reaped it, before
 * taking a baseline count. */
__attribute__((unused)) static void warm_up_threads(void)
{
    pthread_t th;
    pid_t tid = 0;
    CHECK(pthread_create(&th, NULL, record_tid, &tid) == 0);
    pthread_join(th, NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    for (int i = 0; i < 2000 && access(path, F_OK) == 0; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

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

static int count_named(const char *prefix)
{
    struct task tasks[256];
    int n = list_tasks(tasks, 256), named = 0;
    for (int i = 0; i < n && i < 256; i++)
        if (worker_index(tasks[i].comm, prefix) >= 0)
            named++;
    return named;
}

static const char *child_key, *seen_key;

static void child_body(void)
{
    int start = count_tasks();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 4;
    opts.thread_name_prefix = "kid";
    nana_db_t *db = NULL;
    CHILD_ST(nana_open(t_path("db"), &opts, &db), NANA_OK);
    CHILD_CHECK(count_named("kid") == 4);
    CHILD_CHECK(count_tasks() == start + 4);

    nana_future_t *f = nana_get(db, seen_key, NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    CHILD_CHECK(json_is_string(nana_future_json(f)));
    nana_future_free(f);

    json_t *v = json_string("child");
    nana_future_t *fs[50];
    char key[32];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "%s-%d", child_key, i);
        fs[i] = nana_set(db, i == 49 ? child_key : key, v);
    }
    for (int i = 0; i < 50; i++) {
        CHILD_ST(nana_future_await_for(fs[i], 60000), NANA_OK);
        nana_future_free(fs[i]);
    }
    nana_db_t *sub = NULL;
    CHILD_ST(nana_table(db, "t", &sub), NANA_OK);
    f = nana_get(sub, "s", NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    nana_future_free(f);
    CHILD_ST(nana_close(sub), NANA_OK);
    CHILD_ST(nana_close(db), NANA_OK);
    CHILD_CHECK(settled_count(start) == start);
    json_decref(v);
}

int main(void)
{
    warm_up_threads();
    int before = count_tasks();

    nana_db_t *db = t_open("db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "t", &sub), NANA_OK);
    json_t *v = json_string("parent");
    CHECK_ST(t_wait(nana_set(db, "p", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(settled_count(before), before);

    child_key = "c1";
    seen_key = "p";
    run_in_child(child_body);

    db = t_open("db", NULL);
    t_expect(nana_get(db, "c1", NULL), "\"child\"");
    CHECK_INT(t_int(nana_len(db)), 1 + 50);
    CHECK_ST(t_wait(nana_set(db, "p2", v)), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(settled_count(before), before);

    child_key = "c2";
    seen_key = "p2";
    run_in_child(child_body);

    db = t_open("db", NULL);
    t_expect(nana_get(db, "c2", NULL), "\"child\"");
    t_expect(nana_get(db, "c1", NULL), "\"child\"");
    CHECK_INT(t_int(nana_len(db)), 2 + 100);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(v);
    return 0;
}
