/*
 * Four threads at once, each on its own handle of the same table (the root
 * and three sub-table handles of "data") and its own keys: rounds of update
 * (10 keys), batch_delete (the 5 even ones plus a missing key), get / contains
 * / pop checks, all submitted without awaiting in between.  Every future
 * resolves as expected and the final state -- through the library, after
 * reopen, and in the file -- holds exactly the surviving keys.
 */
#include "harness.h"

#include <pthread.h>
#include <sqlite3.h>

#define NTHREADS 4
#define ROUNDS 20
#define PER_ROUND 10

struct worker {
    nana_db_t *db;
    int id;
    int failed;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    char key[64];
    for (int r = 0; r < ROUNDS; r++) {
        json_t *obj = json_object();
        for (int k = 0; k < PER_ROUND; k++) {
            snprintf(key, sizeof key, "t%d_r%d_k%d", w->id, r, k);
            json_object_set_new(obj, key, json_pack("{s:i,s:i,s:i}", "t", w->id, "r", r, "k", k));
        }
        nana_future_t *u = nana_update(w->db, obj);
        json_decref(obj);

        char dkeys[PER_ROUND / 2 + 1][64];
        const char *dptr[PER_ROUND / 2 + 1];
        for (int k = 0; k < PER_ROUND / 2; k++) {
            snprintf(dkeys[k], sizeof dkeys[k], "t%d_r%d_k%d", w->id, r, 2 * k);
            dptr[k] = dkeys[k];
        }
        snprintf(dkeys[PER_ROUND / 2], sizeof dkeys[0], "t%d_r%d_missing", w->id, r);
        dptr[PER_ROUND / 2] = dkeys[PER_ROUND / 2];
        nana_future_t *bd = nana_batch_delete(w->db, dptr, PER_ROUND / 2 + 1);

        nana_future_t *gets[PER_ROUND], *cont[PER_ROUND];
        for (int k = 0; k < PER_ROUND; k++) {
            snprintf(key, sizeof key, "t%d_r%d_k%d", w->id, r, k);
            gets[k] = nana_get(w->db, key, NULL);
            cont[k] = nana_contains(w->db, key);
        }
        /* pop k1 of this round: resolves to its value, then it is gone */
        snprintf(key, sizeof key, "t%d_r%d_k1", w->id, r);
        nana_future_t *p = nana_pop(w->db, key, NULL);
        nana_future_t *after = nana_get(w->db, key, NULL);

        if (nana_future_await(u) != NANA_OK || nana_future_await(bd) != NANA_OK)
            w->failed = __LINE__;
        for (int k = 0; k < PER_ROUND; k++) {
            nana_status_t st = nana_future_await(gets[k]);
            bool present = false;
            nana_status_t cst = nana_future_await(cont[k]);
            if (cst != NANA_OK || nana_future_bool(cont[k], &present) != NANA_OK)
                w->failed = __LINE__;
            if (k % 2 == 0) {
                if (st != NANA_ENOTFOUND || present)
                    w->failed = __LINE__;
            } else {
                json_t *v = nana_future_json(gets[k]);
                if (st != NANA_OK || !present || !v ||
                    json_integer_value(json_object_get(v, "t")) != w->id ||
                    json_integer_value(json_object_get(v, "r")) != r ||
                    json_integer_value(json_object_get(v, "k")) != k)
                    w->failed = __LINE__;
            }
            nana_future_free(gets[k]);
            nana_future_free(cont[k]);
        }
        if (nana_future_await(p) != NANA_OK ||
            json_integer_value(json_object_get(nana_future_json(p), "k")) != 1)
            w->failed = __LINE__;
        if (nana_future_await(after) != NANA_ENOTFOUND)
            w->failed = __LINE__;
        nana_future_free(u);
        nana_future_free(bd);
        nana_future_free(p);
        nana_future_free(after);
        if (w->failed)
            break;
    }
    return NULL;
}

static int raw_count(const char *path)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, "SELECT count(*) FROM data", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return n;
}

int main(void)
{
    const char *path = t_path("threads.db");
    nana_db_t *root = t_open("threads.db", NULL);
    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i;
        w[i].failed = 0;
        w[i].db = root;
        if (i > 0)
            CHECK_ST(nana_table(root, "data", &w[i].db), NANA_OK);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(th[i], NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].failed)
            t_fail(__FILE__, w[i].failed, "thread %d failed", i);

    /* survivors: odd k except k1, i.e. k3, k5, k7, k9 of every round */
    int per_round = PER_ROUND / 2 - 1;
    int expect = NTHREADS * ROUNDS * per_round;
    CHECK_INT(t_int(nana_len(root)), expect);
    json_t *d = t_take(nana_to_dict(root), NANA_OK);
    CHECK_INT(json_object_size(d), expect);
    char key[64];
    for (int t = 0; t < NTHREADS; t++)
        for (int r = 0; r < ROUNDS; r++)
            for (int k = 0; k < PER_ROUND; k++) {
                snprintf(key, sizeof key, "t%d_r%d_k%d", t, r, k);
                json_t *v = json_object_get(d, key);
                if (k % 2 == 1 && k != 1) {
                    CHECK(v != NULL);
                    CHECK_INT(json_integer_value(json_object_get(v, "k")), k);
                } else {
                    CHECK(v == NULL);
                }
            }
    nana_json_release(d);

    for (int i = 1; i < NTHREADS; i++)
        CHECK_ST(nana_close(w[i].db), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    CHECK_INT(raw_count(path), expect);

    root = t_open("threads.db", NULL);
    CHECK_INT(t_int(nana_len(root)), expect);
    t_expect(nana_get(root, "t3_r19_k9", NULL), "{\"t\":3,\"r\":19,\"k\":9}");
    CHECK_ST(t_wait(nana_get(root, "t3_r19_k8", NULL)), NANA_ENOTFOUND);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
