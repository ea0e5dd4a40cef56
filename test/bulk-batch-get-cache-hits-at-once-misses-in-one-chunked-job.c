/*
 * nana_batch_get: an object of the keys found, in the order asked, missing
 * keys left out, a key asked twice given once.  When the cache knows every
 * key (present or absent) the future has resolved when the call returns;
 * otherwise one job reads the keys it does not know -- 3,000 of them here,
 * more than ten statements of key IN (...) -- and fills the cache as get
 * does (absence included), so that the same call again is answered at
 * once.  It sees the writes submitted before it, unawaited.  Stored text
 * that is not JSON fails it with NANA_ETYPE naming the key (the other keys
 * it read are cached all the same).  Keys with quotes, percent signs,
 * underscores and non-ASCII are keys like any other.  Bad input: NULL
 * handle, array or key, a key that is not UTF-8, a closed root.  Four
 * threads reading in bulk while one writes never see a value torn or stale.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define N 3000

static nana_db_t *db;
static atomic_int readers_done;

static void *bulk_reader(void *arg)
{
    (void)arg;
    const char *keys[] = {"w0", "w1", "w2", "w3"};
    int64_t last = -1;
    for (int round = 0; round < 150; round++) {
        json_t *o = t_take(nana_batch_get(db, keys, 4), NANA_OK);
        if (json_object_size(o) == 4) {
            /* One snapshot: the writer sets all four in one update. */
            int64_t v = json_integer_value(json_object_get(o, "w0"));
            for (int i = 1; i < 4; i++)
                CHECK_INT(json_integer_value(json_object_get(o, keys[i])), v);
            CHECK(v >= last);
            last = v;
        }
        nana_json_release(o);
    }
    atomic_fetch_add(&readers_done, 1);
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    const char *path = t_path("bulk.db");
    db = t_open("bulk.db", NULL);

    /* Rows written by another connection: nothing cached. */
    t_raw_exec(path, "CREATE TABLE IF NOT EXISTS data (key TEXT PRIMARY KEY, value TEXT);"
                     "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)"
                     " INSERT INTO data SELECT 'k' || i, json_object('i', i) FROM n WHERE i % 3 != 2");
    static char names[N + 2][16];
    static const char *keys[N + 2];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "k%d", N - 1 - i); /* not in key order */
        keys[i] = names[i];
    }
    keys[N] = "k0"; /* twice */
    keys[N + 1] = "k1";
    nana_future_t *f = nana_batch_get(db, keys, N + 2);
    CHECK(!nana_future_poll(f) || nana_future_status(f) == NANA_OK);
    json_t *o = t_take(f, NANA_OK);
    CHECK_INT(json_object_size(o), 2000);
    /* In the order asked: k2999 is absent (2999 % 3 == 2), k2998 first. */
    const char *first = json_object_iter_key(json_object_iter(o));
    CHECK_STR(first, "k2998");
    for (int i = 0; i < N; i++) {
        json_t *v = json_object_get(o, names[i]);
        int k = N - 1 - i;
        if (k % 3 == 2)
            CHECK(v == NULL);
        else
            CHECK(v && json_integer_value(json_object_get(v, "i")) == k);
    }
    nana_json_release(o);
    for (int i = 0; i < N; i += 97)
        CHECK(t_bool(nana_is_cached(db, keys[i]))); /* absent ones too */

    /* Everything cached now: answered at once, no job. */
    f = nana_batch_get(db, keys, N + 2);
    CHECK(nana_future_poll(f));
    o = t_take(f, NANA_OK);
    CHECK_INT(json_object_size(o), 2000);
    nana_json_release(o);

    /* Unawaited writes are seen; a key written is not answered early. */
    json_t *v = json_string("new");
    nana_future_t *s = nana_set(db, "k2999", v);
    nana_future_t *d = nana_delete(db, "k0");
    json_decref(v);
    const char *two[] = {"k2999", "k0", "k3"};
    t_expect(nana_batch_get(db, two, 3), "{\"k2999\":\"new\",\"k3\":{\"i\":3}}");
    CHECK_ST(t_wait(s), NANA_OK);
    CHECK_ST(t_wait(d), NANA_OK);

    /* Odd keys are keys. */
    const char *odd[] = {"a'b", "50%", "x_y", "ключ", "", "q\"z"};
    for (int i = 0; i < 6; i++) {
        v = json_integer(i);
        CHECK_ST(t_wait(nana_set(db, odd[i], v)), NANA_OK);
        json_decref(v);
    }
    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    t_expect(nana_batch_get(db, odd, 6),
             "{\"a'b\":0,\"50%\":1,\"x_y\":2,\"ключ\":3,\"\":4,\"q\\\"z\":5}");
    const char *like[] = {"5%", "x%", "%", "_"};
    t_expect(nana_batch_get(db, like, 4), "{}");

    /* Not JSON: ETYPE naming the key, the other keys still cached. */
    t_raw_put(path, "junk", "{bad");
    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    const char *with_junk[] = {"k3", "junk", "k4"};
    f = nana_batch_get(db, with_junk, 3);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"junk\"") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    CHECK(t_bool(nana_is_cached(db, "k3")));
    CHECK(t_bool(nana_is_cached(db, "k4")));
    CHECK(!t_bool(nana_is_cached(db, "junk")));

    /* Empty, and bad input. */
    t_expect(nana_batch_get(db, NULL, 0), "{}");
    EXPECT(nana_batch_get(NULL, keys, 1), NANA_EINVAL);
    EXPECT(nana_batch_get(db, NULL, 2), NANA_EINVAL);
    const char *with_null[] = {"k3", NULL};
    EXPECT(nana_batch_get(db, with_null, 2), NANA_EINVAL);
    const char *not_utf8[] = {"k3", "\xfe"};
    EXPECT(nana_batch_get(db, not_utf8, 2), NANA_EINVAL);

    /* Four bulk readers, one writer of four keys at a time. */
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, bulk_reader, NULL) == 0);
    for (int i = 0; atomic_load(&readers_done) < 4; i++) {
        json_t *u = json_pack("{s:i,s:i,s:i,s:i}", "w0", i, "w1", i, "w2", i, "w3", i);
        CHECK_ST(t_wait(nana_update(db, u)), NANA_OK);
        json_decref(u);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);

    nana_db_t *sub;
    CHECK_ST(nana_table(db, "data", &sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_batch_get(sub, two, 3), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
