/*
 * nana_close() of the root while a backup is under way: close drains the
 * queue, the step that finds the root closing finishes the backup instead
 * of queueing the next one, and the backup's future resolves NANA_ECLOSED
 * -- with no copy and no temporary file left, and the database intact.
 * The progress callback waits, on its first call, until the main thread is
 * about to close, and on later calls until the close has begun (a sub-table
 * handle's next operation is refused), so that the close begins with
 * hundreds of steps to go however the threads are scheduled -- when the
 * main thread was descheduled between the two, all 300 one-page steps ran
 * first and the backup finished (1 run in 20 under load).
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool started, closing;
static int calls;
static nana_db_t *sub;

/* Submitting is allowed in a callback (awaiting is not): a closing root
 * refuses the job at once; an open one queues it, and it is let go. */
static bool close_begun(void)
{
    nana_future_t *f = nana_len(sub);
    bool begun = nana_future_poll(f) && nana_future_status(f) == NANA_ECLOSED;
    nana_future_free(f);
    return begun;
}

static int on_progress(int64_t remaining, int64_t total, void *arg)
{
    (void)arg;
    (void)total;
    CHECK(remaining > 0);
    if (calls > 0) {
        while (!close_begun())
            sched_yield();
        calls++;
        return 0;
    }
    pthread_mutex_lock(&lock);
    calls++;
    started = true;
    pthread_cond_broadcast(&cond);
    while (!closing)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return 0;
}

int main(void)
{
    nana_db_t *root = t_open("live.db", NULL);
    CHECK_ST(nana_table(root, "other", &sub), NANA_OK);
    json_t *obj = json_object();
    for (int i = 0; i < 5000; i++) {
        char key[32];
        snprintf(key, sizeof key, "row-%05d", i);
        json_object_set_new(obj, key, json_pack("{s:i, s:s}", "n", i, "pad",
                                                "................................................"
                                                "................................................"
                                                "................................................"
                                                "................................................"));
    }
    CHECK_ST(t_wait(nana_update(root, obj)), NANA_OK);
    json_decref(obj);

    const char *out = t_path("out");
    CHECK(mkdir(out, 0700) == 0);
    nana_backup_options_t o;
    nana_backup_options_init(&o);
    o.pages_per_step = 1;
    o.progress = on_progress;
    nana_future_t *f = nana_backup(root, t_path("out/copy.db"), &o);

    pthread_mutex_lock(&lock);
    while (!started)
        pthread_cond_wait(&cond, &lock);
    closing = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    CHECK_ST(nana_close(root), NANA_OK);

    /* Resolved by the close, which drained the queue. */
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_ECLOSED);
    CHECK(strstr(nana_future_errmsg(f), "closed before it finished") != NULL);
    nana_future_free(f);
    fprintf(stderr, "%d steps before the close\n", calls);
    CHECK(calls >= 1);

    char *listing = t_dir_listing(out);
    CHECK_STR(listing, "");
    free(listing);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_INT(t_raw_int(t_path("live.db"), "SELECT COUNT(*) FROM data"), 5000);
    return 0;
}
