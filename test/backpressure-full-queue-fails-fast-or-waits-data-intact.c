/*
 * nana_set_queue_limit bounds the root's queue.  With no wait, a
 * submission that finds it full resolves NANA_EAGAIN at once, with a
 * message naming the limit, and queues nothing: its key is never written,
 * while every queued one is.  With a deadline, the submission waits that
 * long for room and then fails the same way; with no deadline it waits
 * until the queue drains, then is queued.  A transaction's operations are
 * never held back.  Determinism: another connection holds the write lock,
 * so the first job (a SQL write, a batch of its own) waits in SQLite's busy
 * handler and the queue behind it stays full.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "harness.h"

#define N 30
#define LIMIT 10

static nana_db_t *db;
static atomic_int waiter_status = -1;

static void *patient(void *arg)
{
    (void)arg;
    atomic_store(&waiter_status, (int)t_wait(t_set_async(db, "patient", "1")));
    return NULL;
}

int main(void)
{
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = 60000;
    db = t_open("t.db", &o);
    CHECK_ST(nana_set_queue_limit(NULL, 1, 0), NANA_EINVAL);
    CHECK_ST(nana_set_queue_limit(db, LIMIT, 0), NANA_OK);

    sqlite3 *gate = t_gate_lock(t_path("t.db"));
    nana_future_t *first = t_execute(db, "INSERT INTO data(key, value) VALUES ('first', '0')", NULL);
    nana_future_t *fs[N];
    char key[16];
    int refused = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        fs[i] = t_set_async(db, key, "true");
        if (nana_future_poll(fs[i])) {
            CHECK_ST(nana_future_status(fs[i]), NANA_EAGAIN);
            CHECK(strstr(nana_future_errmsg(fs[i]), "full") != NULL);
            refused++;
        }
    }
    /* The first job was queued too, or already taken to run. */
    CHECK(refused == N - LIMIT || refused == N - LIMIT + 1);
    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    CHECK(s.queued <= LIMIT);

    /* A transaction's operations are not held back... */
    nana_txn_t *txn = NULL;
    nana_future_t *begun = nana_txn_begin(db, NULL, &txn);
    CHECK(!nana_future_poll(begun));
    /* ... a deadline waits, then refuses ... */
    CHECK_ST(nana_set_queue_limit(db, LIMIT, 50), NANA_OK);
    int64_t t0 = t_now_ms();
    EXPECT(t_set_async(db, "late", "1"), NANA_EAGAIN);
    CHECK(t_now_ms() - t0 >= 50);
    /* ... and no deadline waits for room. */
    CHECK_ST(nana_set_queue_limit(db, LIMIT, -1), NANA_OK);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, patient, NULL) == 0);

    t_gate_release(gate, false);
    EXPECT(first, NANA_OK);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        nana_status_t st = nana_future_await(fs[i]);
        char *raw = t_raw_value(t_path("t.db"), "data", key);
        if (st == NANA_OK)
            CHECK_STR(raw, "true");
        else
            CHECK(st == NANA_EAGAIN && raw == NULL);
        free(raw);
        nana_future_free(fs[i]);
    }
    EXPECT(begun, NANA_OK);
    EXPECT(t_set_async(nana_txn_db(txn, db), "in_txn", "1"), NANA_OK);
    EXPECT(nana_txn_commit(txn), NANA_OK);
    nana_txn_free(txn);
    pthread_join(th, NULL);
    CHECK_INT(atomic_load(&waiter_status), NANA_OK);
    SAME(nana_get(db, "patient", NULL), "1");
    EXPECT(nana_get(db, "late", NULL), NANA_ENOTFOUND);
    CHECK_ST(nana_set_queue_limit(db, 0, 0), NANA_OK); /* unbounded again */
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
