/*
 * Four threads, each with its own handle on the same table (the root and
 * three nana_table(root, "data") handles), sharing one cache: thread i is the
 * only writer of key "k<i>"; after each of its sets resolves, it reads the key
 * through the NEXT thread's handle (a get and a contains) and must see exactly
 * the value just written, never an older cached one; it also deletes and
 * re-creates the key.  Final values are checked through every handle.
 */
#include "harness.h"

#include <pthread.h>

#define NTHREADS 4
#define ITERS 200

static nana_db_t *handles[NTHREADS];

struct worker {
    int id;
    int failed;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    char key[16];
    snprintf(key, sizeof key, "k%d", w->id);
    nana_db_t *mine = handles[w->id];
    nana_db_t *next = handles[(w->id + 1) % NTHREADS];
    for (int i = 0; i < ITERS && !w->failed; i++) {
        json_t *v = json_integer(i);
        nana_status_t st = t_wait(nana_set(mine, key, v));
        json_decref(v);
        if (st != NANA_OK) {
            w->failed = __LINE__;
            break;
        }
        nana_future_t *g = nana_get(next, key, NULL);
        if (nana_future_await(g) != NANA_OK ||
            json_integer_value(nana_future_json(g)) != i)
            w->failed = __LINE__;
        nana_future_free(g);
        if (i % 10 == 9) {
            if (t_wait(nana_delete(next, key)) != NANA_OK)
                w->failed = __LINE__;
            nana_future_t *c = nana_contains(mine, key);
            bool present = true;
            if (nana_future_await(c) != NANA_OK || nana_future_bool(c, &present) != NANA_OK ||
                present)
                w->failed = __LINE__;
            nana_future_free(c);
            nana_future_t *g2 = nana_get(next, key, NULL);
            if (nana_future_await(g2) != NANA_ENOTFOUND)
                w->failed = __LINE__;
            nana_future_free(g2);
        }
    }
    /* finally leave ITERS in place */
    json_t *v = json_integer(ITERS);
    if (t_wait(nana_set(mine, key, v)) != NANA_OK)
        w->failed = __LINE__;
    json_decref(v);
    return NULL;
}

int main(void)
{
    handles[0] = t_open("threads-cache.db", NULL);
    for (int i = 1; i < NTHREADS; i++)
        CHECK_ST(nana_table(handles[0], "data", &handles[i]), NANA_OK);

    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i;
        w[i].failed = 0;
        CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(th[i], NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].failed)
            t_fail(__FILE__, w[i].failed, "thread %d saw a wrong answer", i);

    char key[16];
    for (int h = 0; h < NTHREADS; h++)
        for (int k = 0; k < NTHREADS; k++) {
            snprintf(key, sizeof key, "k%d", k);
            json_t *v = t_take(nana_get(handles[h], key, NULL), NANA_OK);
            CHECK_INT(json_integer_value(v), ITERS);
            nana_json_release(v);
        }
    CHECK_INT(t_int(nana_len(handles[2])), NTHREADS);
    for (int i = 1; i < NTHREADS; i++)
        CHECK_ST(nana_close(handles[i]), NANA_OK);
    CHECK_ST(nana_close(handles[0]), NANA_OK);

    nana_db_t *db = t_open("threads-cache.db", NULL);
    t_expect(nana_to_dict(db), "{\"k0\":200,\"k1\":200,\"k2\":200,\"k3\":200}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
