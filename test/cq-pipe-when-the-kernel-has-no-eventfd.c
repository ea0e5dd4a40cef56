/*
 * Where there is no eventfd -- simulated with a seccomp filter that makes
 * eventfd() and eventfd2() fail with ENOSYS, as on a kernel built without
 * them -- nana_cq_new() falls back to a pipe, and the queue behaves the
 * same: the descriptor (the pipe's read end, non-blocking, close-on-exec) is
 * readable at once for an already resolved future and holds one byte for
 * any number of completions; a future pending behind another connection's
 * lock wakes it when it resolves; drain resets it; nana_cq_free() closes
 * both ends (no descriptor is left open).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>

#include "harness.h"

static int calls;

static void count(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    calls++;
}

/* How many open descriptors are ends of the pipe with inode ino. */
static int pipe_ends(ino_t ino)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != dirfd(d) && fstat(fd, &st) == 0 &&
            S_ISFIFO(st.st_mode) && st.st_ino == ino)
            n++;
    }
    closedir(d);
    return n;
}

static void no_eventfd(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_eventfd2, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_eventfd, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        t_fail(__FILE__, __LINE__, "cannot install the seccomp filter: %s", strerror(errno));
    errno = 0;
    CHECK(eventfd(0, 0) < 0 && errno == ENOSYS);
}

int main(void)
{
#if !defined(__x86_64__)
    printf("the filter is written for x86-64 only; this test checks nothing here\n");
    return 0;
#endif
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    no_eventfd(); /* this thread, where the queue is made */

    nana_cq_t *cq;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    int fd = nana_cq_fd(cq);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK_INT(pipe_ends(st.st_ino), 2);

    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 0);
    for (int i = 0; i < 100; i++)
        CHECK_ST(nana_cq_attach(cq, nana_future_resolved(NULL), count, NULL), NANA_OK);
    CHECK(poll(&p, 1, 0) == 1);
    int bytes = 0;
    CHECK(ioctl(fd, FIONREAD, &bytes) == 0);
    CHECK_INT(bytes, 1);
    CHECK_INT(nana_cq_drain(cq, 60), 60);
    CHECK(poll(&p, 1, 0) == 1);
    CHECK_INT(nana_cq_drain(cq, 0), 40);
    CHECK(poll(&p, 1, 0) == 0);
    CHECK_INT(calls, 100);

    struct sqlite3 *gate = t_gate_lock(t_path("db"));
    json_t *v = json_integer(5);
    CHECK_ST(nana_cq_attach(cq, nana_set(db, "k", v), count, NULL), NANA_OK);
    json_decref(v);
    CHECK(poll(&p, 1, 0) == 0);
    t_gate_release(gate, false);
    CHECK(poll(&p, 1, 60000) == 1);
    CHECK_INT(nana_cq_drain(cq, 0), 1);
    CHECK_INT(calls, 101);
    CHECK(poll(&p, 1, 0) == 0);

    nana_cq_free(cq);
    CHECK_INT(pipe_ends(st.st_ino), 0);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
