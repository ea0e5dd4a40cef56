/* Many threads open sub-table handles at once -- all on the same new table,
 * each on its own new table, on the root's own table, and from sub-table
 * handles -- while writing through them; every open succeeds, handles on one
 * table see each other's writes, and each table ends with exactly its rows. */
#include <pthread.h>

#include "harness.h"

#define THREADS 8
#define ITERS 10

static nana_db_t *root;
static pthread_barrier_t start;

static nana_db_t *open_table(nana_db_t *from, const char *name)
{
    nana_db_t *h = NULL;
    nana_status_t st = nana_table(from, name, &h);
    if (st != NANA_OK || !h)
        t_fail(__FILE__, __LINE__, "nana_table(%s): %s: %s", name, t_status_name(st),
               nana_db_errmsg(from));
    return h;
}

static void *opener(void *arg)
{
    int t = (int)(intptr_t)arg;
    char own[32], key[32];
    snprintf(own, sizeof own, "own_%d", t);
    pthread_barrier_wait(&start);
    for (int it = 0; it < ITERS; it++) {
        nana_db_t *shared = open_table(root, "shared");
        nana_db_t *mine = open_table(root, own);
        nana_db_t *data = open_table(root, "data");
        nana_db_t *shared2 = open_table(mine, "shared"); /* from a sub-table */

        snprintf(key, sizeof key, "t%d-%d", t, it);
        json_t *v = json_pack("{s:i,s:i}", "t", t, "it", it);
        nana_future_t *fs[6];
        fs[0] = nana_set(shared, key, v);
        fs[1] = nana_get(shared2, key, NULL); /* another handle, same table */
        fs[2] = nana_set(mine, key, v);
        fs[3] = nana_set(data, key, v);
        fs[4] = nana_get(root, key, NULL);    /* the root reads "data" */
        fs[5] = nana_contains(mine, "nope");
        json_decref(v);
        for (int i = 0; i < 6; i++)
            if (nana_future_await(fs[i]) != NANA_OK)
                t_fail(__FILE__, __LINE__, "thread %d iteration %d op %d: %s (%s)", t, it, i,
                       t_status_name(nana_future_status(fs[i])), nana_future_errmsg(fs[i]));
        for (int i = 1; i <= 4; i += 3) {
            json_t *got = nana_future_json(fs[i]);
            if (json_integer_value(json_object_get(got, "t")) != t ||
                json_integer_value(json_object_get(got, "it")) != it)
                t_fail(__FILE__, __LINE__, "thread %d iteration %d: op %d read a wrong value", t,
                       it, i);
        }
        for (int i = 0; i < 6; i++)
            nana_future_free(fs[i]);
        CHECK_ST(nana_close(shared2), NANA_OK);
        CHECK_ST(nana_close(data), NANA_OK);
        CHECK_ST(nana_close(mine), NANA_OK);
        CHECK_ST(nana_close(shared), NANA_OK);
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    root = t_open("db", NULL);
    CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, opener, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);

    CHECK_INT(t_int(nana_len(root)), THREADS * ITERS);
    nana_db_t *shared = open_table(root, "shared");
    CHECK_INT(t_int(nana_len(shared)), THREADS * ITERS);
    t_expect(nana_get(shared, "t3-7", NULL), "{\"t\":3,\"it\":7}");
    char own[32];
    for (int t = 0; t < THREADS; t++) {
        snprintf(own, sizeof own, "own_%d", t);
        nana_db_t *mine = open_table(root, own);
        CHECK_INT(t_int(nana_len(mine)), ITERS);
        CHECK_ST(nana_close(mine), NANA_OK);
    }
    CHECK_ST(nana_close(shared), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);

    /* And all of it is in the file. */
    root = t_open("db", NULL);
    shared = open_table(root, "shared");
    CHECK_INT(t_int(nana_len(shared)), THREADS * ITERS);
    CHECK_INT(t_int(nana_len(root)), THREADS * ITERS);
    CHECK_ST(nana_close(shared), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
