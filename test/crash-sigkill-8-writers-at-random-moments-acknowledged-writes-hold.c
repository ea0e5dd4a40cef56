/*
 * A process writing with 8 threads is killed with SIGKILL at a random
 * moment, again and again, on the same file; after each kill, reopening
 * finds every write whose future had resolved NANA_OK, each thread's
 * writes survive as a prefix of what it submitted (never a later one
 * without an earlier one), the counters are right, and SQLite's
 * integrity_check says ok.  The writers mix sets awaited one by one,
 * group-committed sets (several submitted, then awaited together; each
 * acknowledged from its on_ready callback), batch_update and update of
 * several keys, writes through sub-table handles, and nana_increment of a
 * counter of their own and of one they all share.  The parts are in
 * test/crash/ (crash.h says which does what).
 *
 *   crash-... [--kills N] [--seed S] [--max-delay-ms M] [-v]
 *
 * 20 kills by default (make test); `make crash CRASH_KILLS=N` runs as many
 * as asked, and CRASH_SEED=S repeats the kill moments of a failed run
 * (each round's delay follows from the seed and the round; the threads'
 * interleaving does not).  A failure names the round, its delay and what
 * the file holds against what it must hold, and keeps the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "crash/crash.h"

struct opts {
    long kills;
    uint64_t seed;
    int64_t max_delay_us;
    bool verbose;
};

static struct crash_state state;
/* The paths, fixed: t_path() hands out a ring of buffers. */
static char db_path[4200], err_path[4200];

/* Instrumented builds run the same code several times slower: the delays
 * stretch with them, so that kills still land among the writes. */
static int slowdown(void)
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload"))
        return 40;
#if defined(NANA_TEST_TSAN)
    return 8;
#elif defined(NANA_TEST_ASAN)
    return 3;
#else
    return 1;
#endif
}

/* Each round's delay, from the run's seed and the round alone: one in
 * eight lands in the first 2 ms, while the child opens the file
 * (recovering the WAL the previous kill left). */
static int64_t round_delay_us(const struct opts *o, long round)
{
    uint64_t st = o->seed ^ ((uint64_t)round * 0xD1B54A32D192ED03ULL);
    int64_t scale = slowdown();
    if (crash_below(&st, 8) == 0)
        return (int64_t)crash_below(&st, 2000) * scale;
    return (2000 + (int64_t)(crash_rand(&st) % (uint64_t)(o->max_delay_us - 2000))) * scale;
}

struct round_result {
    bool ready;       /* the child had opened the file when it was killed */
    char *fail;       /* the child's failure, or a protocol error */
};

/* Takes the records out of buf[0..*len); keeps a partial one. */
static void take_records(char *buf, size_t *len, struct round_result *rr)
{
    size_t off = 0;
    while (*len - off >= sizeof(struct crash_rec)) {
        struct crash_rec r;
        memcpy(&r, buf + off, sizeof r);
        if (r.kind == CRASH_REC_FAIL) {
            if (*len - off < sizeof r + (size_t)r.seq)
                break;
            if (!rr->fail && (rr->fail = malloc((size_t)r.seq + 1))) {
                memcpy(rr->fail, buf + off + sizeof r, (size_t)r.seq);
                rr->fail[r.seq] = '\0';
            }
            off += sizeof r + (size_t)r.seq;
            continue;
        }
        off += sizeof r;
        if (r.kind == CRASH_REC_READY) {
            rr->ready = true;
            continue;
        }
        char *why = NULL;
        if (!crash_state_record(&state, &r, &why) && !rr->fail)
            rr->fail = why;
        else
            free(why);
    }
    memmove(buf, buf + off, *len - off);
    *len -= off;
}

/* Reads what the pipe holds (a non-blocking one: until it is empty; a
 * blocking one: until EOF); false at EOF. */
static bool pump(int fd, char *buf, size_t *len, size_t cap, struct round_result *rr)
{
    for (;;) {
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n > 0) {
            *len += (size_t)n;
            take_records(buf, len, rr);
            continue;
        }
        if (n == 0)
            return false;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return true;
        t_fail(__FILE__, __LINE__, "read from the child: %s", strerror(errno));
    }
}

static void run_round(const struct opts *o, long round, int64_t delay_us, struct round_result *rr)
{
    memset(rr, 0, sizeof *rr);
    struct crash_start start;
    crash_state_start(&state, o->seed + (uint64_t)round, &start);
    int fds[2];
    CHECK(pipe(fds) == 0);
    /* The child's stderr, where a sanitizer would report: a killed child's
     * report fails no exit status, so the parent reads it. */
    int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(err_fd >= 0);
    fflush(NULL);
    struct timespec ts0;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(err_fd, 2);
        close(err_fd);
        crash_child(db_path, &start, fds[1]);
    }
    close(fds[1]);
    close(err_fd);
    CHECK(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);

    static char buf[1 << 16];
    size_t len = 0;
    bool open = true;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t spent = (int64_t)(now.tv_sec - ts0.tv_sec) * 1000000 +
                        (now.tv_nsec - ts0.tv_nsec) / 1000;
        if (spent >= delay_us || !open || rr->fail)
            break;
        /* poll() counts in milliseconds: sleep the whole ones, spin out
         * the rest (the kill moment is the point of the test). */
        int64_t left_ms = (delay_us - spent) / 1000;
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        poll(&p, 1, (int)left_ms);
        open = pump(fds[0], buf, &len, sizeof buf, rr);
    }
    kill(pid, SIGKILL);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    /* Whatever the child wrote before it died is still in the pipe. */
    CHECK(fcntl(fds[0], F_SETFL, 0) == 0);
    while (pump(fds[0], buf, &len, sizeof buf, rr))
        ;
    close(fds[0]);
    if (!rr->fail && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
        char msg[128];
        snprintf(msg, sizeof msg, "the child ended before the kill (status 0x%x)", status);
        rr->fail = strdup(msg);
    }
    char *err = t_slurp(err_path);
    if (*err) {
        size_t n = strlen(err);
        char *msg = malloc(n + 200);
        CHECK(msg != NULL);
        snprintf(msg, n + 200, "%s%sthe child wrote on stderr:\n%s", rr->fail ? rr->fail : "",
                 rr->fail ? "; " : "", err);
        free(rr->fail);
        rr->fail = msg;
    }
    free(err);
}

static void parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->kills = 20;
    o->max_delay_us = 100 * 1000;
    o->seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
    const char *env = getenv("CRASH_SEED");
    if (env && *env)
        o->seed = strtoull(env, NULL, 0);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kills") == 0 && i + 1 < argc)
            o->kills = atol(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            o->seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--max-delay-ms") == 0 && i + 1 < argc)
            o->max_delay_us = atol(argv[++i]) * 1000;
        else if (strcmp(argv[i], "-v") == 0)
            o->verbose = true;
        else
            t_fail(__FILE__, __LINE__,
                   "usage: %s [--kills N] [--seed S] [--max-delay-ms M] [-v]", argv[0]);
    }
    if (o->kills < 1 || o->max_delay_us < 3000)
        t_fail(__FILE__, __LINE__, "--kills must be >= 1 and --max-delay-ms >= 3");
}

int main(int argc, char **argv)
{
    struct opts o;
    parse(argc, argv, &o);
    snprintf(db_path, sizeof db_path, "%s", t_path("crash.db"));
    snprintf(err_path, sizeof err_path, "%s", t_path("child-stderr"));
    const char *path = db_path;
    printf("crash: seed %llu (CRASH_SEED=%llu repeats the kill moments), %ld kills, "
           "delays up to %lld ms x%d, file %s\n",
           (unsigned long long)o.seed, (unsigned long long)o.seed, o.kills,
           (long long)(o.max_delay_us / 1000), slowdown(), path);
    fflush(stdout);
    crash_state_init(&state);
    int64_t began = t_now_ms();
    long during_open = 0, submitted_total = 0;
    for (long round = 0; round < o.kills; round++) {
        int64_t delay = round_delay_us(&o, round);
        struct round_result rr;
        run_round(&o, round, delay, &rr);
        long submitted, acked;
        crash_state_counts(&state, &submitted, &acked);
        char *why = rr.fail;
        if (!why)
            crash_state_verify(&state, path, &why);
        if (why) {
            printf("FAIL round %ld of seed %llu (kill after %lld us, %ld submitted, %ld "
                   "acknowledged): %s\nThe file is kept: %s\n",
                   round, (unsigned long long)o.seed, (long long)delay, submitted, acked, why,
                   path);
            fflush(stdout);
            free(why);
            crash_state_free(&state);
            return 1;
        }
        during_open += !rr.ready;
        submitted_total += submitted;
        if (o.verbose || (round + 1) % 100 == 0)
            printf("round %ld: kill after %.1f ms%s, %ld submitted, %ld acknowledged; "
                   "all verified\n",
                   round, (double)delay / 1000, rr.ready ? "" : " (while opening)", submitted,
                   acked);
        fflush(stdout);
    }
    double secs = (double)(t_now_ms() - began) / 1000;
    printf("kills survived: %ld (%ld while the child was opening the file); acknowledged "
           "writes verified: %ld of %ld submitted; rows checked: %ld; %.1f s\n",
           o.kills, during_open, state.acks_verified, submitted_total, state.rows_verified, secs);
    crash_state_free(&state);
    /* A passing run leaves nothing behind. */
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    unlink(err_path);
    if (!getenv("NANA_TEST_DIR")) /* run by hand: the directory is ours */
        rmdir(t_dir());
    return 0;
}
