/*
 * nana_compare_and_set writes only when the stored value equals the
 * expected one (json_equal: member order does not matter, 1 and 1.0
 * differ), resolving true; otherwise it resolves false and writes nothing.
 * expected NULL: only when the key is not stored (insert if absent); value
 * NULL: delete instead of storing.  The cache knows the outcome at once:
 * after a swap a get is answered without a job with the new value, after a
 * delete with NANA_ENOTFOUND.  Refused with the row intact: stored text that
 * is not JSON (NANA_ETYPE naming the key), an expected value or a value
 * that cannot be encoded (NANA_EINVAL), NULL handle or key, a closed root.
 * Optimistic concurrency built on it: six threads each add 1 to a counter
 * 300 times with get + compare_and_set retried until it swaps, and the
 * counter ends at exactly 1,800.
 */
#include <pthread.h>

#include "harness.h"

static const char *path;
static nana_db_t *db;

static bool cas(nana_db_t *h, const char *key, const char *expected, const char *value)
{
    json_t *e = expected ? t_json(expected) : NULL, *v = value ? t_json(value) : NULL;
    nana_future_t *f = nana_compare_and_set(h, key, e, v);
    json_decref(e);
    json_decref(v);
    return t_bool(f);
}

#define THREADS 6
#define PER_THREAD 300

static void *adder(void *arg)
{
    (void)arg;
    int retries = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        for (;;) {
            json_t *cur = t_take(nana_get(db, "ctr", NULL), NANA_OK);
            json_t *next = json_integer(json_integer_value(cur) + 1);
            nana_future_t *f = nana_compare_and_set(db, "ctr", cur, next);
            nana_json_release(cur);
            json_decref(next);
            bool swapped = t_bool(f);
            if (swapped)
                break;
            retries++;
        }
    }
    return (void *)(intptr_t)retries;
}

int main(void)
{
    json_object_seed(0);
    path = t_path("cas.db");
    db = t_open("cas.db", NULL);

    /* Insert if absent, then only once. */
    CHECK(cas(db, "k", NULL, "{\"v\":1,\"w\":[true]}"));
    CHECK(!cas(db, "k", NULL, "{\"v\":2}"));
    t_expect(nana_get(db, "k", NULL), "{\"v\":1,\"w\":[true]}");

    /* Equal regardless of member order; unequal leaves the row. */
    CHECK(cas(db, "k", "{\"w\":[true],\"v\":1}", "5"));
    nana_future_t *f = nana_get(db, "k", NULL);
    CHECK(nana_future_poll(f));
    t_expect(f, "5");
    CHECK(!cas(db, "k", "5.0", "6")); /* 5 is an integer, 5.0 a real */
    CHECK(!cas(db, "k", "4", "6"));
    CHECK(!cas(db, "k", NULL, "6"));
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "5");
    free(raw);

    /* A stored null is a value, not absence. */
    t_set_json(db, "n", "null");
    CHECK(!cas(db, "n", NULL, "1"));
    CHECK(cas(db, "n", "null", "1"));
    t_expect(nana_get(db, "n", NULL), "1");

    /* Delete when equal. */
    CHECK(!cas(db, "k", "6", NULL));
    CHECK(t_bool(nana_contains(db, "k")));
    CHECK(cas(db, "k", "5", NULL));
    f = nana_get(db, "k", NULL);
    CHECK(nana_future_poll(f));
    CHECK_ST(t_wait(f), NANA_ENOTFOUND);
    CHECK(t_raw_value(path, "data", "k") == NULL);
    CHECK(cas(db, "k", NULL, NULL)); /* absent, stays absent */
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data WHERE key = 'k'"), 0);

    /* Uncached: the comparison reads SQLite, another connection's value. */
    t_raw_put(path, "ext", "[1, 2]");
    CHECK(cas(db, "ext", "[1,2]", "\"mine\""));
    raw = t_raw_value(path, "data", "ext");
    CHECK_STR(raw, "\"mine\"");
    free(raw);

    /* Refusals. */
    t_raw_put(path, "junk", "nope");
    json_t *one = json_integer(1);
    f = nana_compare_and_set(db, "junk", one, one);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"junk\"") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    raw = t_raw_value(path, "data", "junk");
    CHECK_STR(raw, "nope");
    free(raw);
    json_t *badstr = json_stringn_nocheck("\xff", 1);
    EXPECT(nana_compare_and_set(db, "n", badstr, one), NANA_EINVAL);
    EXPECT(nana_compare_and_set(db, "n", one, badstr), NANA_EINVAL);
    json_decref(badstr);
    EXPECT(nana_compare_and_set(NULL, "n", one, one), NANA_EINVAL);
    EXPECT(nana_compare_and_set(db, NULL, one, one), NANA_EINVAL);
    EXPECT(nana_compare_and_set(db, "\xed\xa0\x80", NULL, one), NANA_EINVAL);
    t_expect(nana_get(db, "n", NULL), "1");

    /* Optimistic concurrency. */
    json_t *zero = json_integer(0);
    CHECK_ST(t_wait(nana_set(db, "ctr", zero)), NANA_OK);
    json_decref(zero);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, adder, NULL) == 0);
    long retries = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        retries += (long)(intptr_t)r;
    }
    printf("%d swaps, %ld retries\n", THREADS * PER_THREAD, retries);
    CHECK_INT(t_int(nana_get(db, "ctr", NULL)), THREADS * PER_THREAD);
    CHECK_INT(t_int(nana_get_fresh(db, "ctr", NULL)), THREADS * PER_THREAD);

    nana_db_t *sub;
    CHECK_ST(nana_table(db, "data", &sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_compare_and_set(sub, "n", one, one), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);
    json_decref(one);
    return 0;
}
