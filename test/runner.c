/*
 * Test driver: runs each scenario binary in a child process, in its own
 * process group and fresh directory, with a timeout, and prints
 * "N passed, N failed" last.  Exit status 1 when any failed.
 *
 *   runner [-t seconds] [-f fixtures-dir] [-w "wrapper cmd"] binary...
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void print_log(const char *log_path)
{
    FILE *log = fopen(log_path, "r");
    if (!log)
        return;
    /* The tail is what explains a failure; cap what we echo. */
    fseek(log, 0, SEEK_END);
    long size = ftell(log);
    if (size > 8192)
        fseek(log, size - 8192, SEEK_SET);
    else
        rewind(log);
    char line[1024];
    while (fgets(line, sizeof line, log))
        printf("    | %s", line);
    fclose(log);
}

/* Runs one scenario; returns 1 when it passed. */
static int run_one(const char *bin, const char *fixtures, const char *wrap, int timeout_s)
{
    const char *name = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
    char dir[] = "/tmp/nana-run-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL %s (mkdtemp: %s)\n", name, strerror(errno));
        return 0;
    }
    char log_path[PATH_MAX];
    snprintf(log_path, sizeof log_path, "%s/.log", dir);

    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);

    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        setpgid(0, 0);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("NANA_TEST_DIR", dir, 1);
        setenv("NANA_FIXTURES", fixtures, 1);
        if (wrap && *wrap) {
            char cmd[8192];
            snprintf(cmd, sizeof cmd, "exec %s %s", wrap, bin);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else {
            execl(bin, bin, (char *)NULL);
        }
        perror("exec");
        _exit(127);
    }
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        printf("FAIL %s (fork: %s)\n", name, strerror(errno));
        return 0;
    }
    setpgid(pid, pid);

    int status = 0, timed_out = 0;
    struct timespec deadline = start;
    deadline.tv_sec += timeout_s;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline.tv_sec ||
            (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec left = {deadline.tv_sec - now.tv_sec, deadline.tv_nsec - now.tv_nsec};
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        sigtimedwait(&chld, NULL, &left);
    }
    /* Grandchildren a scenario forked must not outlive it. */
    kill(-pid, SIGKILL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double secs = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;

    int passed = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (passed) {
        printf("PASS %s (%.2fs)\n", name, secs);
    } else {
        if (timed_out)
            printf("FAIL %s (timed out after %ds)\n", name, timeout_s);
        else if (WIFSIGNALED(status))
            printf("FAIL %s (signal %d)\n", name, WTERMSIG(status));
        else
            printf("FAIL %s (exit %d)\n", name, WEXITSTATUS(status));
        print_log(log_path);
    }
    fflush(stdout);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return passed;
}

int main(int argc, char **argv)
{
    int timeout_s = 120, opt;
    const char *fixtures = "test/fixtures", *wrap = NULL;
    while ((opt = getopt(argc, argv, "t:f:w:")) != -1) {
        switch (opt) {
        case 't': timeout_s = atoi(optarg); break;
        case 'f': fixtures = optarg; break;
        case 'w': wrap = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-t seconds] [-f fixtures] [-w wrapper] binary...\n", argv[0]);
            return 2;
        }
    }
    char fixtures_abs[PATH_MAX];
    if (!realpath(fixtures, fixtures_abs)) {
        fprintf(stderr, "fixtures %s: %s\n", fixtures, strerror(errno));
        return 2;
    }
    int passed = 0, failed = 0;
    for (int i = optind; i < argc; i++) {
        char bin[PATH_MAX];
        if (!realpath(argv[i], bin))
            snprintf(bin, sizeof bin, "%s", argv[i]);
        if (run_one(bin, fixtures_abs, wrap, timeout_s))
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
