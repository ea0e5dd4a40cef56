/*
 * cache_ttl_ms: an answer -- a value, an absence, or the "every row is
 * cached" of a loaded or cleared table -- is served from the cache for the
 * lifetime after it was learnt, then the key is read from SQLite again.
 * Another connection's changes show the clock at work: before the lifetime
 * ran out a read still answers what the cache learnt (checked only for reads
 * that finished in time: a slow machine skips the check, never fails it);
 * afterwards every kind of answer catches up (polled until it does, within
 * a generous deadline, never earlier than the lifetime allows).  An expired
 * key is not cached (is_cached), and reading it caches it again.
 */
#include "harness.h"

#include <time.h>
#include <unistd.h>

#define TTL_MS 200

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls get(key) until it answers want (JSON text, NULL: ENOTFOUND); the
 * time it first did. */
static int64_t until_answer(nana_db_t *db, const char *key, const char *want)
{
    int64_t deadline = now_ms() + 20000;
    json_t *want_v = want ? t_json(want) : NULL;
    for (;;) {
        nana_future_t *f = nana_get(db, key, NULL);
        nana_status_t st = nana_future_await(f);
        bool ok = want ? st == NANA_OK && json_equal(nana_future_json(f), want_v)
                       : st == NANA_ENOTFOUND;
        nana_future_free(f);
        int64_t t = now_ms();
        if (ok) {
            json_decref(want_v);
            return t;
        }
        if (t > deadline)
            t_fail(__FILE__, __LINE__, "get(%s) never answered %s", key, want ? want : "absent");
        usleep(5000); /* the clock must move: nothing to wait on */
    }
}

int main(void)
{
    const char *path = t_path("ttl.db");
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_ttl_ms = TTL_MS;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v3(path, NULL, 0, &to, &db), NANA_OK);

    /* A value. */
    int64_t learnt = now_ms();
    t_set_json(db, "v", "1");
    t_raw_exec(path, "UPDATE data SET value = '2' WHERE key = 'v';");
    nana_future_t *f = nana_get(db, "v", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    if (now_ms() < learnt + TTL_MS) {
        CHECK_INT(json_integer_value(nana_future_json(f)), 1);
        CHECK(t_bool(nana_is_cached(db, "v")) || now_ms() >= learnt + TTL_MS);
    }
    nana_future_free(f);
    CHECK(until_answer(db, "v", "2") >= learnt + TTL_MS);
    CHECK(t_bool(nana_is_cached(db, "v")) || now_ms() >= learnt + 2 * TTL_MS);

    /* An absence. */
    learnt = now_ms();
    CHECK_ST(t_wait(nana_get(db, "gone", NULL)), NANA_ENOTFOUND);
    t_raw_put(path, "gone", "\"back\"");
    f = nana_get(db, "gone", NULL);
    nana_status_t st = nana_future_await(f);
    if (now_ms() < learnt + TTL_MS)
        CHECK_ST(st, NANA_ENOTFOUND);
    nana_future_free(f);
    CHECK(until_answer(db, "gone", "\"back\"") >= learnt + TTL_MS);

    /* A deletion another connection made. */
    learnt = now_ms();
    t_set_json(db, "del", "true");
    t_raw_exec(path, "DELETE FROM data WHERE key = 'del';");
    CHECK(until_answer(db, "del", NULL) >= learnt + TTL_MS);

    /* Being fully loaded: clear, then another connection's row. */
    learnt = now_ms();
    CHECK_ST(t_wait(nana_clear(db)), NANA_OK);
    t_raw_put(path, "new", "7");
    st = t_wait(nana_get(db, "new", NULL));
    if (now_ms() < learnt + TTL_MS)
        CHECK_ST(st, NANA_ENOTFOUND);
    CHECK(until_answer(db, "new", "7") >= learnt + TTL_MS);

    /* ... and bulk_load. */
    CHECK_ST(nana_close(db), NANA_OK);
    nana_options_t o;
    nana_options_init(&o);
    o.bulk_load = true;
    learnt = now_ms();
    CHECK_ST(nana_open_v3(path, &o, 0, &to, &db), NANA_OK);
    t_raw_put(path, "newer", "8");
    t_raw_exec(path, "UPDATE data SET value = '70' WHERE key = 'new';");
    CHECK(until_answer(db, "newer", "8") >= learnt + TTL_MS);
    CHECK(until_answer(db, "new", "70") >= learnt + TTL_MS);

    /* Expired is not cached; reading caches it again. */
    learnt = now_ms();
    t_set_json(db, "e", "5");
    int64_t deadline = learnt + 20000;
    while (t_bool(nana_is_cached(db, "e"))) {
        CHECK(now_ms() < deadline);
        usleep(5000);
    }
    CHECK(now_ms() >= learnt + TTL_MS);
    learnt = now_ms();
    t_expect(nana_get(db, "e", NULL), "5");
    bool again = t_bool(nana_is_cached(db, "e"));
    CHECK(again || now_ms() >= learnt + TTL_MS);

    /* Own writes are seen at once, whatever the clock. */
    t_set_json(db, "new", "71");
    t_expect(nana_get(db, "new", NULL), "71");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
