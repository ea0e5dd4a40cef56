/* max_workers = 1: a single worker thread serves everything -- four threads
 * submitting at once, then chains whose functions submit more jobs from that
 * worker, sub-tables, a close that drains -- without deadlock or loss. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define USERS 4
#define ROUNDS 200

static nana_db_t *db;

static void *user(void *arg)
{
    int t = (int)(intptr_t)arg;
    nana_future_t *sets[ROUNDS], *gets[ROUNDS];
    char key[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(key, sizeof key, "u%d-%d", t, i % 20);
        json_t *v = json_integer(t * 100000 + i);
        sets[i] = nana_set(db, key, v);
        json_decref(v);
        gets[i] = nana_get(db, key, NULL);
    }
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_ST(nana_future_await(sets[i]), NANA_OK);
        CHECK_ST(nana_future_await(gets[i]), NANA_OK);
        json_t *got = nana_future_json(gets[i]);
        if (!json_is_integer(got) || json_integer_value(got) != t * 100000 + i)
            t_fail(__FILE__, __LINE__, "user %d round %d: read the wrong value", t, i);
        nana_future_free(sets[i]);
        nana_future_free(gets[i]);
    }
    return NULL;
}

static atomic_int links;

/* After a get: write the value + 1; after a set: read it back. */
static nana_future_t *next_link(nana_future_t *done, void *arg)
{
    const char *key = arg;
    atomic_fetch_add(&links, 1);
    json_t *v = nana_future_json(done);
    if (!v)
        return nana_get(db, key, NULL);
    json_t *next = json_integer(json_integer_value(v) + 1);
    nana_future_t *f = nana_set(db, key, next);
    json_decref(next);
    return f;
}

int main(void)
{
    json_object_seed(0);
    warm_up_threads();
    int before = count_tasks();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 1;
    opts.thread_name_prefix = "solo";
    db = t_open("db", &opts);
    CHECK_INT(count_tasks(), before + 1);

    pthread_t th[USERS];
    for (int t = 0; t < USERS; t++)
        CHECK(pthread_create(&th[t], NULL, user, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < USERS; t++)
        pthread_join(th[t], NULL);
    CHECK_INT(t_int(nana_len(db)), USERS * 20);

    /* Chains whose links submit from the only worker: each of 10 links
     * alternately writes its key + 1 and reads it back. */
    static const char *chain_keys[4] = {"chain0", "chain1", "chain2", "chain3"};
    json_t *zero = json_integer(0);
    nana_future_t *chains[4];
    for (int c = 0; c < 4; c++) {
        CHECK_ST(t_wait(nana_set(db, chain_keys[c], zero)), NANA_OK);
        nana_future_t *f = nana_get(db, chain_keys[c], NULL);
        for (int i = 0; i < 10; i++)
            f = nana_future_then(f, next_link, (void *)chain_keys[c]);
        chains[c] = f;
    }
    CHECK_ST(nana_future_await_all(chains, 4), NANA_OK);
    for (int c = 0; c < 4; c++) {
        CHECK_JSON(nana_future_json(chains[c]), "5");
        nana_future_free(chains[c]);
    }
    CHECK_INT(atomic_load(&links), 40);
    for (int c = 0; c < 4; c++)
        t_expect(nana_get(db, chain_keys[c], NULL), "5");

    /* A sub-table opened while jobs are queued, used, closed. */
    nana_future_t *queued[100];
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "q%d", i);
        queued[i] = nana_set(db, key, zero);
    }
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "side", &sub), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", zero)), NANA_OK);
    CHECK_INT(t_int(nana_len(sub)), 1);
    CHECK_ST(nana_future_await_all(queued, 100), NANA_OK);
    for (int i = 0; i < 100; i++)
        nana_future_free(queued[i]);
    CHECK_ST(nana_close(sub), NANA_OK);

    /* Close drains a queue it has to work through alone. */
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "d%d", i);
        nana_future_free(nana_set(db, key, zero));
    }
    CHECK_INT(count_tasks(), before + 1);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(settled_count(before), before);

    db = t_open("db", &opts);
    CHECK_INT(t_int(nana_len(db)), USERS * 20 + 4 + 100 + 300);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(zero);
    return 0;
}
