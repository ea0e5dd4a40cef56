/* Pool workers block asynchronous signals: each worker's SigBlk mask (from
 * /proc) has SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 and SIGALRM; the
 * caller's own mask is left as it was; and a process-directed SIGUSR1 that
 * the main thread blocks stays pending until main unblocks it, then runs its
 * handler on main -- no worker takes it. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

static uint64_t sigblk_of(int tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        t_fail(__FILE__, __LINE__, "open %s", path);
    uint64_t mask = 0;
    bool found = false;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "SigBlk:", 7) == 0) {
            mask = strtoull(line + 7, NULL, 16);
            found = true;
        }
    fclose(fp);
    if (!found)
        t_fail(__FILE__, __LINE__, "no SigBlk in %s", path);
    return mask;
}

static bool blocks(uint64_t mask, int sig)
{
    return (mask >> (sig - 1)) & 1;
}

static void check_main_mask(const sigset_t *want)
{
    sigset_t now;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &now) == 0);
    for (int sig = 1; sig < 32; sig++)
        if (sigismember(&now, sig) != sigismember(want, sig))
            t_fail(__FILE__, __LINE__, "main thread's mask changed for signal %d", sig);
}

static volatile sig_atomic_t handled_by, handled_count;

static void on_usr1(int sig)
{
    (void)sig;
    handled_by = (sig_atomic_t)gettid();
    handled_count++;
}

int main(void)
{
    static const int must_block[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    sigset_t unblock_all;
    sigemptyset(&unblock_all);
    CHECK(pthread_sigmask(SIG_SETMASK, &unblock_all, NULL) == 0);
    sigset_t original;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &original) == 0);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 3;
    opts.thread_name_prefix = "sigtest";
    nana_db_t *db = t_open("db", &opts);
    check_main_mask(&original);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "1");
    check_main_mask(&original);

    struct t_task tasks[256];
    int n = t_list_tasks(tasks, 256), workers = 0;
    for (int i = 0; i < n && i < 256; i++) {
        if (t_worker_index(tasks[i].comm, "sigtest") < 0)
            continue;
        workers++;
        uint64_t mask = sigblk_of(tasks[i].tid);
        for (size_t s = 0; s < sizeof must_block / sizeof must_block[0]; s++)
            if (!blocks(mask, must_block[s]))
                t_fail(__FILE__, __LINE__, "worker %s does not block signal %d (SigBlk %016llx)",
                       tasks[i].comm, must_block[s], (unsigned long long)mask);
    }
    CHECK_INT(workers, 3);
    /* The main thread itself blocks none of them. */
    uint64_t main_mask = sigblk_of((int)gettid());
    CHECK(!blocks(main_mask, SIGUSR1));

    /* Block SIGUSR1 in main only, and send it to the process: with every
     * worker blocking it too, nobody can take it yet. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &usr1, NULL) == 0);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    /* Let the workers run jobs meanwhile: a worker that had SIGUSR1 unblocked
     * would take it now. */
    for (int i = 0; i < 50; i++)
        CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    CHECK_INT(handled_count, 0);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGUSR1));
    CHECK(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL) == 0);
    CHECK_INT(handled_count, 1);
    CHECK_INT(handled_by, gettid());

    CHECK_ST(nana_close(db), NANA_OK);
    check_main_mask(&original);
    json_decref(v);
    return 0;
}
