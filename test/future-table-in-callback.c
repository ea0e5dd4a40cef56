/* nana_table() from a callback: on a table this root already has a handle
 * for, it succeeds at once (no wait needed) and the new handle works; when
 * the table would have to be created it returns NANA_EDEADLK with *out NULL
 * instead of blocking. */
#include <pthread.h>

#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct attempt {
    nana_db_t *root;
    nana_status_t existing_st, new_st;
    nana_db_t *existing, *created;
    bool done;
};

static void try_tables(struct attempt *a)
{
    nana_db_t *h1 = NULL, *h2 = (nana_db_t *)&h2;
    nana_status_t s1 = nana_table(a->root, "existing", &h1);
    nana_status_t s2 = nana_table(a->root, "brand_new", &h2);
    pthread_mutex_lock(&mu);
    a->existing_st = s1;
    a->existing = h1;
    a->new_st = s2;
    a->created = h2;
    a->done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void table_cb(nana_future_t *f, void *arg)
{
    (void)f;
    try_tables(arg);
}

static void check_attempt(struct attempt *a, const char *what)
{
    pthread_mutex_lock(&mu);
    while (!a->done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    if (a->existing_st != NANA_OK || !a->existing)
        t_fail(__FILE__, __LINE__, "%s: nana_table on an open table: %s", what,
               t_status_name(a->existing_st));
    if (a->new_st != NANA_EDEADLK)
        t_fail(__FILE__, __LINE__, "%s: nana_table that must create: %s, want NANA_EDEADLK",
               what, t_status_name(a->new_st));
    if (a->created != NULL)
        t_fail(__FILE__, __LINE__, "%s: *out not NULL after NANA_EDEADLK", what);
    /* The handle opened in the callback works, and sees the table's rows. */
    t_expect(nana_get(a->existing, "e", NULL), "1");
    CHECK_ST(nana_close(a->existing), NANA_OK);
}

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *existing = NULL;
    CHECK_ST(nana_table(root, "existing", &existing), NANA_OK);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(existing, "e", v)), NANA_OK);

    struct attempt inline_try = {.root = root};
    nana_future_t *r = nana_future_resolved(NULL);
    CHECK_ST(nana_future_on_ready(r, table_cb, &inline_try), NANA_OK);
    check_attempt(&inline_try, "callback on this thread");
    nana_future_free(r);

    struct attempt worker_try = {.root = root};
    nana_future_t *job = nana_set(root, "k", v);
    CHECK_ST(nana_future_on_ready(job, table_cb, &worker_try), NANA_OK);
    check_attempt(&worker_try, "callback of a job");
    CHECK_ST(nana_future_await(job), NANA_OK);
    nana_future_free(job);

    /* Outside callbacks, creating works as usual. */
    nana_db_t *fresh = NULL;
    CHECK_ST(nana_table(root, "brand_new", &fresh), NANA_OK);
    CHECK_ST(t_wait(nana_set(fresh, "n", v)), NANA_OK);
    t_expect(nana_get(fresh, "n", NULL), "1");

    CHECK_ST(nana_close(fresh), NANA_OK);
    CHECK_ST(nana_close(existing), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(v);
    return 0;
}
