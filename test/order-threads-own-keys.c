/* Read-your-writes per thread: four threads, each on its own keys, submit
 * 300 rounds of set / get / delete / get / set without awaiting in between;
 * every thread's reads see exactly its own latest write. */
#include <pthread.h>

#include "harness.h"

#define THREADS 4
#define ROUNDS 300
#define OPS 5

static nana_db_t *db;

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    static nana_future_t *f[THREADS][ROUNDS][OPS];
    char key[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(key, sizeof key, "t%d-%d", t, i % 5);
        json_t *v = json_pack("{s:i,s:i}", "t", t, "i", i);
        json_t *w = json_integer(t * 1000 + i);
        f[t][i][0] = nana_set(db, key, v);
        f[t][i][1] = nana_get(db, key, NULL);   /* v */
        f[t][i][2] = nana_delete(db, key);
        f[t][i][3] = nana_get(db, key, NULL);   /* ENOTFOUND */
        f[t][i][4] = nana_set(db, key, w);
        json_decref(v);
        json_decref(w);
    }
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_ST(nana_future_await(f[t][i][0]), NANA_OK);
        CHECK_ST(nana_future_await(f[t][i][1]), NANA_OK);
        json_t *got = nana_future_json(f[t][i][1]);
        if (json_integer_value(json_object_get(got, "t")) != t ||
            json_integer_value(json_object_get(got, "i")) != i)
            t_fail(__FILE__, __LINE__, "thread %d round %d: read another write", t, i);
        CHECK_ST(nana_future_await(f[t][i][2]), NANA_OK);
        if (nana_future_await(f[t][i][3]) != NANA_ENOTFOUND)
            t_fail(__FILE__, __LINE__, "thread %d round %d: get after delete gave %s", t, i,
                   t_status_name(nana_future_status(f[t][i][3])));
        CHECK_ST(nana_future_await(f[t][i][4]), NANA_OK);
        for (int j = 0; j < OPS; j++)
            nana_future_free(f[t][i][j]);
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    db = t_open("db", NULL);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    CHECK_INT(t_int(nana_len(db)), THREADS * 5);
    char key[32], want[32];
    for (int t = 0; t < THREADS; t++)
        for (int k = 0; k < 5; k++) {
            snprintf(key, sizeof key, "t%d-%d", t, k);
            snprintf(want, sizeof want, "%d", t * 1000 + ROUNDS - 5 + k);
            t_expect(nana_get_fresh(db, key, NULL), want);
        }
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
