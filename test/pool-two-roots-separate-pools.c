/* Two roots open at once have a pool each -- max_workers threads under their
 * own prefix -- and closing one joins only its own workers while the other
 * keeps serving. */
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

static int count_named(const char *prefix)
{
    struct task tasks[256];
    int n = list_tasks(tasks, 256), named = 0;
    for (int i = 0; i < n && i < 256; i++)
        if (worker_index(tasks[i].comm, prefix) >= 0)
            named++;
    return named;
}

int main(void)
{
    warm_up_threads();
    int before = count_tasks();
    nana_options_t oa, ob;
    nana_options_init(&oa);
    nana_options_init(&ob);
    oa.max_workers = 2;
    oa.thread_name_prefix = "rootA";
    ob.max_workers = 3;
    ob.thread_name_prefix = "rootB";

    nana_db_t *a = t_open("a.db", &oa);
    nana_db_t *b = t_open("b.db", &ob);
    CHECK_INT(count_tasks(), before + 5);
    CHECK_INT(count_named("rootA"), 2);
    CHECK_INT(count_named("rootB"), 3);

    json_t *va = json_string("a"), *vb = json_string("b");
    nana_future_t *fs[200];
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i / 2);
        fs[i] = i % 2 ? nana_set(a, key, va) : nana_set(b, key, vb);
    }
    CHECK_ST(nana_future_await_all(fs, 200), NANA_OK);
    for (int i = 0; i < 200; i++)
        nana_future_free(fs[i]);
    t_expect(nana_get(a, "k5", NULL), "\"a\"");
    t_expect(nana_get(b, "k5", NULL), "\"b\"");
    CHECK_INT(count_tasks(), before + 5);

    CHECK_ST(nana_close(a), NANA_OK);
    CHECK_INT(settled_count(before + 3), before + 3);
    CHECK_INT(count_named("rootA"), 0);
    CHECK_INT(count_named("rootB"), 3);
    /* b is untouched by a's close. */
    CHECK_ST(t_wait(nana_set(b, "after", vb)), NANA_OK);
    CHECK_INT(t_int(nana_len(b)), 101);

    /* Reopening a under another size while b is open. */
    oa.max_workers = 4;
    a = t_open("a.db", &oa);
    CHECK_INT(count_named("rootA"), 4);
    CHECK_INT(t_int(nana_len(a)), 100);
    CHECK_ST(nana_close(b), NANA_OK);
    CHECK_INT(settled_count(before + 4), before + 4);
    CHECK_INT(count_named("rootB"), 0);
    CHECK_ST(nana_close(a), NANA_OK);
    CHECK_INT(settled_count(before), before);

    json_decref(va);
    json_decref(vb);
    return 0;
}
