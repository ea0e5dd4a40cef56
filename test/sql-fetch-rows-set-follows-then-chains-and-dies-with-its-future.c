/*
 * A row set belongs to its future: nana_future_take_json gives NULL and
 * leaves the set; a callback reads it on the resolving thread; a future
 * freed while pending still runs its statement and frees the set with
 * itself (the leak checkers of make asan / valgrind see it).  Down a
 * then-chain the set goes with the result: a then-function returning NULL
 * passes its future's set on, one returning another nana_fetch_rows future
 * passes that one's, one returning a JSON future passes no set, and a
 * failed fetch fails the chain with no set.
 */
#include "harness.h"

#include <stdatomic.h>
#include <unistd.h>

static nana_db_t *db;

static nana_future_t *pass_on(nana_future_t *done, void *arg)
{
    atomic_int *calls = arg;
    atomic_fetch_add(calls, 1);
    CHECK_INT(nana_rows_count(nana_future_rows(done)), 3); /* readable in fn */
    return NULL;
}

static nana_future_t *fetch_more(nana_future_t *done, void *arg)
{
    (void)done;
    (void)arg;
    return nana_fetch_rows(db, "SELECT 'second', 2", NULL);
}

static nana_future_t *fetch_json(nana_future_t *done, void *arg)
{
    (void)done;
    (void)arg;
    return nana_fetch_all(db, "SELECT 'json'", NULL);
}

static nana_future_t *never(nana_future_t *done, void *arg)
{
    (void)done;
    atomic_fetch_add((atomic_int *)arg, 1);
    return NULL;
}

static void on_ready(nana_future_t *f, void *arg)
{
    const nana_rows_t *rows = nana_future_rows(f);
    *(int64_t *)arg = rows ? nana_rows_int(rows, 0, 0) : -1;
}

#define THREE "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"

int main(void)
{
    db = t_open("chain.db", NULL);

    /* take_json: nothing to take; the set stays. */
    nana_future_t *f = nana_fetch_rows(db, THREE, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_take_json(f) == NULL);
    CHECK_INT(nana_rows_count(nana_future_rows(f)), 3);
    int64_t n = 0;
    CHECK_ST(nana_future_int(f, &n), NANA_ETYPE);
    nana_future_free(f);

    /* A callback, before and after the future resolved. */
    int64_t seen = 0;
    f = nana_fetch_rows(db, "SELECT 41", NULL);
    CHECK_ST(nana_future_on_ready(f, on_ready, &seen), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_INT(seen, 41);
    seen = 0;
    CHECK_ST(nana_future_on_ready(f, on_ready, &seen), NANA_OK);
    CHECK_INT(seen, 41);
    nana_future_free(f);

    /* Freed while pending: a write holds the queue behind a lock. */
    struct sqlite3 *gate = t_gate_lock(t_path("chain.db"));
    json_t *v = json_integer(1);
    nana_future_t *w = nana_set(db, "k", v);
    json_decref(v);
    for (int i = 0; i < 5; i++) {
        f = nana_fetch_rows(db, THREE, NULL);
        CHECK(!nana_future_poll(f));
        nana_future_free(f);
    }
    t_gate_release(gate, false);
    CHECK_ST(t_wait(w), NANA_OK);

    /* then: NULL passes the set on. */
    atomic_int calls = 0;
    f = nana_future_then(nana_fetch_rows(db, THREE, NULL), pass_on, &calls);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_INT(calls, 1);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 3);
    CHECK(nana_rows_int(rows, 2, 0) == 3);
    nana_future_free(f);

    /* Two steps of passing on. */
    calls = 0;
    f = nana_future_then(nana_future_then(nana_fetch_rows(db, THREE, NULL), pass_on, &calls),
                         pass_on, &calls);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_INT(calls, 2);
    CHECK_INT(nana_rows_count(nana_future_rows(f)), 3);
    nana_future_free(f);

    /* The next future's set. */
    f = nana_future_then(nana_fetch_rows(db, THREE, NULL), fetch_more, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 1);
    CHECK_STR(nana_rows_text(rows, 0, 0, NULL), "second");
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);

    /* A JSON future next: JSON, no set. */
    f = nana_future_then(nana_fetch_rows(db, THREE, NULL), fetch_json, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_rows(f) == NULL);
    CHECK_JSON(nana_future_json(f), "[[\"json\"]]");
    nana_future_free(f);

    /* A failed fetch: fn skipped, the failure passed down, no set. */
    calls = 0;
    f = nana_future_then(nana_fetch_rows(db, "SELECT * FROM nowhere", NULL), never, &calls);
    CHECK_ST(nana_future_await(f), NANA_ESQL);
    CHECK_INT(calls, 0);
    CHECK(nana_future_rows(f) == NULL);
    CHECK(strncmp(nana_future_errmsg(f), "fetch_rows: ", 12) == 0);
    nana_future_free(f);

    /* Freed while the chain is pending. */
    gate = t_gate_lock(t_path("chain.db"));
    v = json_integer(2);
    w = nana_set(db, "k", v);
    json_decref(v);
    calls = 0;
    f = nana_future_then(nana_fetch_rows(db, THREE, NULL), pass_on, &calls);
    nana_future_free(f);
    t_gate_release(gate, false);
    CHECK_ST(t_wait(w), NANA_OK);
    SAME(nana_get(db, "k", NULL), "2");
    /* The chain ran although nobody holds it; its callback may still be
     * on its way on the thread that resolved the fetch. */
    for (int waited = 0; atomic_load(&calls) == 0 && waited < 10000; waited++)
        usleep(1000);
    CHECK_INT(atomic_load(&calls), 1);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
