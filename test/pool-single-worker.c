/* max_workers = 1: a single worker thread serves everything -- four threads
 * submitting at once, then chains whose functions submit more jobs from that
 * worker, sub-tables, a close that drains -- without deadlock or loss. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

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
    t_warm_up_threads();
    int before = t_count_tasks();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 1;
    opts.thread_name_prefix = "solo";
    db = t_open("db", &opts);
    CHECK_INT(t_count_tasks(), before + 1);

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
    CHECK_INT(t_count_tasks(), before + 1);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    db = t_open("db", &opts);
    CHECK_INT(t_int(nana_len(db)), USERS * 20 + 4 + 100 + 300);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(zero);
    return 0;
}
