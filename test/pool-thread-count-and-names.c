/* The pool: nana_open() starts exactly max_workers threads named
 * "<prefix>-<n>" (n from 0; default prefix "nana", default 5 workers), no more
 * appear under load or with sub-tables, and nana_close() leaves no thread
 * behind. */
#include "harness.h"

/* Checks that exactly workers threads are named prefix-0 .. prefix-(workers-1). */
static void check_workers(const char *prefix, int workers)
{
    struct t_task tasks[256];
    int n = t_list_tasks(tasks, 256);
    CHECK(n <= 256);
    int seen[64] = {0}, named = 0;
    for (int i = 0; i < n; i++) {
        int idx = t_worker_index(tasks[i].comm, prefix);
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

int main(void)
{
    /* A sanitizer may start a helper thread with the first pthread_create();
     * let that happen before counting. */
    t_warm_up_threads();
    int before = t_count_tasks();
    CHECK(before >= 1);

    nana_options_t opts;
    nana_options_init(&opts);
    CHECK_INT(opts.max_workers, 5);
    opts.max_workers = 4;
    opts.thread_name_prefix = "pooltest";
    nana_db_t *db = t_open("db", &opts);
    CHECK_INT(t_count_tasks(), before + 4);
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
    CHECK_INT(t_count_tasks(), before + 4);
    CHECK_ST(nana_future_await_all(fs, 400), NANA_OK);
    for (int i = 0; i < 400; i++)
        nana_future_free(fs[i]);
    CHECK_INT(t_count_tasks(), before + 4);
    check_workers("pooltest", 4);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_INT(t_count_tasks(), before + 4);

    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);
    check_workers("pooltest", 0);

    /* Defaults: five threads named nana-0 .. nana-4. */
    db = t_open("db", NULL);
    CHECK_INT(t_count_tasks(), before + 5);
    check_workers("nana", 5);
    CHECK_ST(t_wait(nana_set(db, "d", v)), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);
    check_workers("nana", 0);

    /* Open and close again and again: no thread accumulates. */
    opts.max_workers = 3;
    opts.thread_name_prefix = "cycle";
    for (int round = 0; round < 10; round++) {
        db = t_open("db", &opts);
        CHECK_INT(t_settled_count(before + 3), before + 3);
        check_workers("cycle", 3);
        CHECK_ST(nana_close(db), NANA_OK);
    }
    CHECK_INT(t_settled_count(before), before);

    json_decref(v);
    return 0;
}
