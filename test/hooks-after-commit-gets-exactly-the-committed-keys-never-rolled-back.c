/*
 * after_commit is called after the COMMIT holding a table's writes, with
 * exactly the keys they changed -- each once, in the order first written,
 * deleted[i] saying whether the last write deleted it -- and before the
 * writes' futures resolve; never for writes rolled back: a trigger's
 * RAISE(ROLLBACK) in a group-commit batch (the keys of the futures that
 * failed are never listed, those that succeeded always), the same inside
 * a transaction, nana_txn_rollback, and a rollback to a savepoint (the
 * writes before it and after it are listed, those undone are not).  A
 * transaction that cleared a table (whose COMMIT the cache cannot follow
 * key by key) still lists every key it changed.
 */
#include "harness.h"

#include <pthread.h>
#include <sqlite3.h>

#define MAX_KEYS 4096

/* What after_commit was told: calls, and (key, deleted) in call order. */
struct record {
    pthread_mutex_t lock;
    int calls;
    int n;
    char keys[MAX_KEYS][32];
    bool deleted[MAX_KEYS];
    int call_of[MAX_KEYS];
};

static void on_commit(void *arg, const char *const *keys, const bool *deleted, size_t n)
{
    struct record *r = arg;
    CHECK(n > 0);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(keys[i], keys[j]) != 0); /* each once */
        CHECK(r->n < MAX_KEYS && strlen(keys[i]) < 32);
        snprintf(r->keys[r->n], 32, "%s", keys[i]);
        r->deleted[r->n] = deleted[i];
        r->call_of[r->n] = r->calls;
        r->n++;
    }
    r->calls++;
    pthread_mutex_unlock(&r->lock);
}

static void reset(struct record *r)
{
    pthread_mutex_lock(&r->lock);
    r->calls = r->n = 0;
    pthread_mutex_unlock(&r->lock);
}

/* How many times key was listed. */
static int listed(struct record *r, const char *key)
{
    int count = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        count += strcmp(r->keys[i], key) == 0;
    pthread_mutex_unlock(&r->lock);
    return count;
}

/* The whole record is exactly one call listing want ("key" or "-key" for
 * deleted, in order). */
static void expect_one_call(struct record *r, const char *const *want, int n, const char *what)
{
    pthread_mutex_lock(&r->lock);
    if (r->calls != 1 || r->n != n)
        t_fail(__FILE__, __LINE__, "%s: %d calls, %d keys; want 1 call, %d keys", what,
               r->calls, r->n, n);
    for (int i = 0; i < n; i++) {
        bool del = want[i][0] == '-';
        if (strcmp(r->keys[i], want[i] + del) != 0 || r->deleted[i] != del)
            t_fail(__FILE__, __LINE__, "%s: key %d is %s%s, want %s", what, i,
                   r->deleted[i] ? "-" : "", r->keys[i], want[i]);
    }
    pthread_mutex_unlock(&r->lock);
}

static void set_int(nana_db_t *db, const char *key, int n)
{
    json_t *v = json_integer(n);
    CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
    json_decref(v);
}

static nana_txn_t *begin(nana_db_t *db, nana_db_t **view)
{
    nana_txn_t *txn;
    CHECK_ST(t_wait(nana_txn_begin(db, NULL, &txn)), NANA_OK);
    *view = nana_txn_db(txn, db);
    CHECK(*view != NULL);
    return txn;
}

int main(void)
{
    const char *path = t_path("commit.db");
    nana_db_t *db = t_open("commit.db", NULL);
    t_raw_exec(path, "CREATE TRIGGER poison BEFORE INSERT ON data WHEN NEW.key = 'poison' "
                     "BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;");
    static struct record rec = {.lock = PTHREAD_MUTEX_INITIALIZER};
    nana_hooks_t hooks = {.after_commit = on_commit, .arg = &rec};
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);

    /* One COMMIT: a transaction writing, deleting and writing again. */
    set_int(db, "a", 0);
    reset(&rec);
    nana_db_t *view;
    nana_txn_t *txn = begin(db, &view);
    set_int(view, "a", 1);
    set_int(view, "b", 1);
    CHECK_ST(t_wait(nana_delete(view, "a")), NANA_OK);
    set_int(view, "c", 1);
    json_t *o = t_json("{\"b\":2,\"d\":2}");
    CHECK_ST(t_wait(nana_batch_update(view, o)), NANA_OK);
    json_decref(o);
    CHECK_INT(t_int(nana_increment(view, "c", NULL, 1)), 2);
    CHECK_INT(rec.calls, 0); /* nothing before COMMIT */
    CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
    nana_txn_free(txn);
    expect_one_call(&rec, (const char *const[]){"-a", "b", "c", "d"}, 4, "transaction");

    /* Group-commit batches with a poisoned write among them: whatever the
     * batching, a key is listed (once) exactly when its future succeeded,
     * and already when the future resolved. */
    int rolled_back_with_others = 0;
    for (int round = 0; round < 20; round++) {
        reset(&rec);
        sqlite3 *gate = t_gate_lock(path);
        nana_future_t *fs[12];
        char keys[12][32];
        for (int i = 0; i < 12; i++) {
            if (i == 6)
                snprintf(keys[i], 32, "poison");
            else
                snprintf(keys[i], 32, "r%d_%d", round, i);
            json_t *v = json_integer(i);
            fs[i] = nana_set(db, keys[i], v);
            json_decref(v);
        }
        t_gate_release(gate, true);
        for (int i = 0; i < 12; i++) {
            nana_status_t st = nana_future_await(fs[i]);
            int times = listed(&rec, keys[i]);
            if (st == NANA_OK) {
                CHECK_INT(times, 1);
            } else {
                CHECK_INT(times, 0);
                CHECK(t_raw_value(path, "data", keys[i]) == NULL);
                rolled_back_with_others += i != 6;
            }
            nana_future_free(fs[i]);
        }
        CHECK_INT(listed(&rec, "poison"), 0);
    }
    CHECK(rolled_back_with_others > 0);

    /* Inside a transaction, the trigger rolls all of it back. */
    reset(&rec);
    txn = begin(db, &view);
    set_int(view, "x1", 1);
    json_t *v = json_integer(1);
    CHECK(t_wait(nana_set(view, "poison", v)) != NANA_OK);
    json_decref(v);
    nana_future_free(nana_txn_commit(txn));
    nana_txn_free(txn);
    CHECK_ST(t_wait(nana_get(db, "x1", NULL)), NANA_ENOTFOUND);
    CHECK_INT(rec.calls, 0);

    /* nana_txn_rollback. */
    txn = begin(db, &view);
    set_int(view, "y1", 1);
    CHECK_ST(t_wait(nana_delete(view, "b")), NANA_OK);
    CHECK_ST(t_wait(nana_txn_rollback(txn)), NANA_OK);
    nana_txn_free(txn);
    CHECK_INT(t_int(nana_get(db, "b", NULL)), 2);
    CHECK_INT(rec.calls, 0);

    /* Savepoints: what a rollback to one undid is not listed. */
    txn = begin(db, &view);
    set_int(view, "s1", 1);
    CHECK_ST(t_wait(nana_txn_savepoint(txn)), NANA_OK);
    set_int(view, "s2", 1);
    CHECK_ST(t_wait(nana_delete(view, "d")), NANA_OK);
    CHECK_ST(t_wait(nana_txn_rollback_to(txn)), NANA_OK);
    CHECK_ST(t_wait(nana_txn_savepoint(txn)), NANA_OK);
    set_int(view, "s3", 1);
    CHECK_ST(t_wait(nana_txn_release(txn)), NANA_OK);
    set_int(view, "s4", 1);
    CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
    nana_txn_free(txn);
    expect_one_call(&rec, (const char *const[]){"s1", "s3", "s4"}, 3, "savepoints");
    CHECK_ST(t_wait(nana_get(db, "s2", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_get(db, "d", NULL)), 2);

    /* A clear inside a transaction, on a table of its own. */
    nana_db_t *cl;
    CHECK_ST(nana_table(db, "cl", &cl), NANA_OK);
    static struct record crec = {.lock = PTHREAD_MUTEX_INITIALIZER};
    nana_hooks_t chooks = {.after_commit = on_commit, .arg = &crec};
    CHECK_ST(nana_set_hooks(cl, &chooks), NANA_OK);
    set_int(cl, "z1", 1);
    set_int(cl, "z2", 1);
    reset(&crec);
    txn = begin(db, &view);
    nana_db_t *clview = nana_txn_db(txn, cl);
    set_int(clview, "z3", 1);
    CHECK_ST(t_wait(nana_clear(clview)), NANA_OK);
    set_int(clview, "z4", 1);
    set_int(view, "other", 1); /* another table: listed there */
    reset(&rec);
    CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
    nana_txn_free(txn);
    expect_one_call(&crec, (const char *const[]){"-z3", "-z1", "-z2", "z4"}, 4, "clear");
    expect_one_call(&rec, (const char *const[]){"other"}, 1, "other table");
    CHECK_INT(t_int(nana_len(cl)), 1);

    /* And a clear outside one. */
    reset(&crec);
    CHECK_ST(t_wait(nana_clear(cl)), NANA_OK);
    expect_one_call(&crec, (const char *const[]){"-z4"}, 1, "clear outside");

    CHECK_ST(nana_close(cl), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
