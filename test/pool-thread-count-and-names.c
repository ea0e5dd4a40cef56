/* The pool: nana_open() starts exactly max_workers threads named
 * "<prefix>-<n>" (n from 0; default prefix "nana", default 5 workers), no more
 * appear under load or with sub-tables, and nana_close() leaves no thread
 * behind. */
#include <dirent.h>
#include <pthread.h>
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

/* Checks that exactly workers threads are named prefix-0 .. prefix-(workers-1). */
static void check_workers(const char *prefix, int workers)
{
    struct task tasks[256];
    int n = list_tasks(tasks, 256);
    CHECK(n <= 256);
    int seen[64] = {0}, named = 0;
    for (int i = 0; i < n; i++) {
        int idx = worker_index(tasks[i].comm, prefix);
        if (idx < 0)
            continue;
        named++;
        if (idx >= workers || idx >= 64)
            t_fail(__FILE__, __LINE__, "thread %s: index out of range for %d workers",
                   tasks[i].comm, workers);
        seen[idx]++;
    }
    if (named != workers)
        t_fail(__FILE__, __LINE__, "%d threads named %s-<n>, want %d", named, prefix, workers);
    for (int i = 0; i < workers; i++)
        if (seen[i] != 1)
            t_fail(__FILE__, __LINE__, "%d threads named %s-%d, want 1", seen[i], prefix, i);
}

static void *record_tid(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

/* Starts and joins one thread, and waits until the kernel has reaped it. */
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

int main(void)
{
    /* A sanitizer may start a helper thread with the first pthread_create();
     * let that happen before counting. */
    warm_up_threads();
    int before = count_tasks();
    CHECK(before >= 1);

    nana_options_t opts;
    nana_options_init(&opts);
    CHECK_INT(opts.max_workers, 5);
    opts.max_workers = 4;
    opts.thread_name_prefix = "pooltest";
    nana_db_t *db = t_open("db", &opts);
    CHECK_INT(count_tasks(), before + 4);
    check_workers("pooltest", 4);

    /* Load and sub-tables do not add threads. */
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    nana_future_t *fs[400];
    json_t *v = json_integer(1);
    char key[32];
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof key, "k%d", i % 37);
        nana_db_t *h = i % 2 ? db : sub;
        fs[i] = i % 3 ? nana_set(h, key, v) : nana_get(h, key, v);
    }
    CHECK_INT(count_tasks(), before + 4);
    CHECK_ST(nana_future_await_all(fs, 400), NANA_OK);
    for (int i = 0; i < 400; i++)
        nana_future_free(fs[i]);
    CHECK_INT(count_tasks(), before + 4);
    check_workers("pooltest", 4);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_INT(count_tasks(), before + 4);

    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(settled_count(before), before);
    check_workers("pooltest", 0);

    /* Defaults: five threads named nana-0 .. nana-4. */
    db = t_open("db", NULL);
    CHECK_INT(count_tasks(), before + 5);
    check_workers("nana", 5);
    CHECK_ST(t_wait(nana_set(db, "d", v)), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(settled_count(before), before);
    check_workers("nana", 0);

    /* Open and close again and again: no thread accumulates. */
    opts.max_workers = 3;
    opts.thread_name_prefix = "cycle";
    for (int round = 0; round < 10; round++) {
        db = t_open("db", &opts);
        CHECK_INT(settled_count(before + 3), before + 3);
        check_workers("cycle", 3);
        CHECK_ST(nana_close(db), NANA_OK);
    }
    CHECK_INT(settled_count(before), before);

    json_decref(v);
    return 0;
}
