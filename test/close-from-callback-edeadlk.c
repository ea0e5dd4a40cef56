/* nana_close() on a root from inside a callback (on_ready run here or by a
 * worker, a then function, a callback of another root's job) returns
 * NANA_EDEADLK and closes nothing: the root and its sub-table keep working
 * and close normally afterwards. */
#include <pthread.h>

#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct attempt {
    nana_db_t *target;
    nana_status_t got;
    bool done;
};

static void try_close(struct attempt *a)
{
    nana_status_t st = nana_close(a->target);
    pthread_mutex_lock(&mu);
    a->got = st;
    a->done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void close_cb(nana_future_t *f, void *arg)
{
    (void)f;
    try_close(arg);
}

static nana_future_t *close_then(nana_future_t *done, void *arg)
{
    (void)done;
    try_close(arg);
    return NULL;
}

static void check_attempt(struct attempt *a, const char *what)
{
    pthread_mutex_lock(&mu);
    while (!a->done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    if (a->got != NANA_EDEADLK)
        t_fail(__FILE__, __LINE__, "%s: nana_close(root) gave %s, want NANA_EDEADLK", what,
               t_status_name(a->got));
}

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *other = t_open("other", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    json_t *v = json_integer(1);

    struct attempt a1 = {.target = root};
    nana_future_t *r = nana_future_resolved(NULL);
    CHECK_ST(nana_future_on_ready(r, close_cb, &a1), NANA_OK);
    check_attempt(&a1, "on_ready, resolved future");
    nana_future_free(r);

    struct attempt a2 = {.target = root};
    nana_future_t *job = nana_set(root, "k", v);
    CHECK_ST(nana_future_on_ready(job, close_cb, &a2), NANA_OK);
    check_attempt(&a2, "on_ready, root's own job");
    CHECK_ST(nana_future_await(job), NANA_OK);
    nana_future_free(job);

    struct attempt a3 = {.target = root};
    nana_future_t *chain = nana_future_then(nana_len(root), close_then, &a3);
    CHECK_ST(nana_future_await(chain), NANA_OK);
    check_attempt(&a3, "then function");
    CHECK_INT(t_int(chain), 1);

    struct attempt a4 = {.target = root};
    job = nana_set(other, "x", v);
    CHECK_ST(nana_future_on_ready(job, close_cb, &a4), NANA_OK);
    check_attempt(&a4, "on_ready, another root's job");
    CHECK_ST(nana_future_await(job), NANA_OK);
    nana_future_free(job);

    /* Nothing was closed. */
    CHECK_ST(t_wait(nana_set(root, "after", v)), NANA_OK);
    t_expect(nana_get(root, "k", NULL), "1");
    CHECK_INT(t_int(nana_len(root)), 2);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);
    t_expect(nana_get(sub, "s", NULL), "1");

    json_decref(v);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    CHECK_ST(nana_close(other), NANA_OK);
    return 0;
}
