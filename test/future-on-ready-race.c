/* on_ready racing resolution: 8 threads each submit futures and register two
 * callbacks on each while the workers resolve them.  Every callback runs
 * exactly once, the first before the second, on a resolved future, whether
 * registration won the race or lost it. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 300
#define TOTAL (THREADS * PER_THREAD)

struct slot {
    nana_future_t *f;
    nana_status_t want;
    atomic_int calls1, calls2, stage;
};

static struct slot slots[THREADS][PER_THREAD];
static nana_db_t *db;
static atomic_int errors, finished;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void finish_one(void)
{
    if (atomic_fetch_add(&finished, 1) + 1 == 2 * TOTAL) {
        pthread_mutex_lock(&mu);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
}

static void check_resolved(nana_future_t *f, struct slot *s)
{
    if (f != s->f || !nana_future_poll(f) || nana_future_status(f) != s->want)
        atomic_fetch_add(&errors, 1);
}

static void first_cb(nana_future_t *f, void *arg)
{
    struct slot *s = arg;
    if (atomic_fetch_add(&s->calls1, 1) != 0)
        atomic_fetch_add(&errors, 1);
    int expect = 0;
    if (!atomic_compare_exchange_strong(&s->stage, &expect, 1))
        atomic_fetch_add(&errors, 1);
    check_resolved(f, s);
    finish_one();
}

static void second_cb(nana_future_t *f, void *arg)
{
    struct slot *s = arg;
    if (atomic_fetch_add(&s->calls2, 1) != 0)
        atomic_fetch_add(&errors, 1);
    int expect = 1;
    if (!atomic_compare_exchange_strong(&s->stage, &expect, 2))
        atomic_fetch_add(&errors, 1);
    check_resolved(f, s);
    finish_one();
}

static void *submitter(void *arg)
{
    int t = (int)(intptr_t)arg;
    char key[32];
    json_t *v = json_integer(t);
    for (int i = 0; i < PER_THREAD; i++) {
        struct slot *s = &slots[t][i];
        snprintf(key, sizeof key, "t%d-%d", t, i % 10);
        switch (i % 4) {
        case 0: s->f = nana_set(db, key, v); s->want = NANA_OK; break;
        case 1: s->f = nana_get(db, key, v); s->want = NANA_OK; break;
        case 2: s->f = nana_contains(db, key); s->want = NANA_OK; break;
        default: s->f = nana_future_resolved(v); s->want = NANA_OK; break;
        }
        /* A refused registration is an error; count it as finished so the
         * test fails instead of hanging. */
        if (nana_future_on_ready(s->f, first_cb, s) != NANA_OK) {
            atomic_fetch_add(&errors, 1);
            finish_one();
        }
        if (nana_future_on_ready(s->f, second_cb, s) != NANA_OK) {
            atomic_fetch_add(&errors, 1);
            finish_one();
        }
    }
    json_decref(v);
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    db = t_open("db", NULL);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            atomic_init(&slots[t][i].calls1, 0);
            atomic_init(&slots[t][i].calls2, 0);
            atomic_init(&slots[t][i].stage, 0);
        }
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, submitter, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    pthread_mutex_lock(&mu);
    while (atomic_load(&finished) < 2 * TOTAL)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);

    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            struct slot *s = &slots[t][i];
            CHECK_ST(nana_future_await(s->f), s->want);
            nana_future_free(s->f);
        }
    CHECK_ST(nana_close(db), NANA_OK);

    /* Nothing ran twice, before or after the frees and the close. */
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            struct slot *s = &slots[t][i];
            if (atomic_load(&s->calls1) != 1 || atomic_load(&s->calls2) != 1 ||
                atomic_load(&s->stage) != 2)
                t_fail(__FILE__, __LINE__, "thread %d future %d: calls %d/%d stage %d", t, i,
                       atomic_load(&s->calls1), atomic_load(&s->calls2),
                       atomic_load(&s->stage));
        }
    CHECK_INT(atomic_load(&finished), 2 * TOTAL);
    CHECK_INT(atomic_load(&errors), 0);
    return 0;
}
