/*
 * writer.c -- the child of a round: CRASH_THREADS threads writing through
 * one root until SIGKILL.  Each submission is reported before the call
 * that makes it, each acknowledgement as soon as its future resolved
 * NANA_OK; any other outcome is reported as a failure and ends the child,
 * since nothing in a round should fail.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "crash.h"

static int pipe_fd;
static nana_db_t *root;
static const struct crash_start *start;

struct writer {
    int id;
    nana_db_t *tables[CRASH_TABLES]; /* [0] the root; the others its own nana_table handles */
    uint64_t rng;
    int64_t seq;        /* the next submission's */
    int64_t own_count;  /* its counter, as the last increment returned */
    int64_t shared_seen; /* the shared counter, as its last increment returned */
};

static _Noreturn void fail_status(struct writer *w, const char *what, nana_future_t *f)
{
    crash_send_fail(pipe_fd, w->id, "thread %d: %s: %s: %s", w->id, what,
                    nana_errstr(nana_future_status(f)), nana_future_errmsg(f));
    _exit(1);
}

static void submit(struct writer *w, enum crash_op op, int table, uint32_t keys)
{
    struct crash_rec r = {.kind = CRASH_REC_SUBMIT, .thread = (uint8_t)w->id, .op = (uint8_t)op,
                          .seq = w->seq};
    if (keys)
        r.keys[table] = keys;
    crash_send(pipe_fd, &r);
}

static void ack(int thread, int64_t seq)
{
    struct crash_rec r = {.kind = CRASH_REC_ACK, .thread = (uint8_t)thread, .seq = seq};
    crash_send(pipe_fd, &r);
}

/* A group member's acknowledgement, sent from whichever thread resolves its
 * future (on_ready): as soon as it resolved, not when the group is awaited.
 * The thread and seq travel in the argument itself, so nothing has to
 * outlive the group. */
#define ACK_SEQ_BITS 56
static void on_group_ack(nana_future_t *f, void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    if (nana_future_status(f) == NANA_OK)
        ack((int)(a >> ACK_SEQ_BITS), (int64_t)(a & (((uintptr_t)1 << ACK_SEQ_BITS) - 1)));
}

static void do_set(struct writer *w)
{
    int table = (int)crash_below(&w->rng, CRASH_TABLES);
    int key = (int)crash_below(&w->rng, CRASH_KEYS);
    char name[32];
    crash_key(name, sizeof name, w->id, key);
    json_t *v = crash_value(w->id, table, key, w->seq);
    submit(w, CRASH_SET, table, 1u << key);
    nana_future_t *f = nana_set(w->tables[table], name, v);
    json_decref(v);
    if (nana_future_await(f) != NANA_OK)
        fail_status(w, "set", f);
    ack(w->id, w->seq++);
    nana_future_free(f);
}

static void do_group(struct writer *w)
{
    nana_future_t *fs[CRASH_GROUP_MAX];
    int n = 2 + (int)crash_below(&w->rng, CRASH_GROUP_MAX - 1);
    for (int i = 0; i < n; i++) {
        int table = (int)crash_below(&w->rng, CRASH_TABLES);
        int key = (int)crash_below(&w->rng, CRASH_KEYS);
        char name[32];
        crash_key(name, sizeof name, w->id, key);
        json_t *v = crash_value(w->id, table, key, w->seq);
        submit(w, CRASH_GROUP_SET, table, 1u << key);
        fs[i] = nana_set(w->tables[table], name, v);
        json_decref(v);
        uintptr_t arg = (uintptr_t)w->id << ACK_SEQ_BITS | (uintptr_t)w->seq++;
        if (nana_future_on_ready(fs[i], on_group_ack, (void *)arg) != NANA_OK)
            fail_status(w, "on_ready", fs[i]);
    }
    nana_future_await_all(fs, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (nana_future_status(fs[i]) != NANA_OK)
            fail_status(w, "group-committed set", fs[i]);
        nana_future_free(fs[i]);
    }
}

static void do_batch(struct writer *w)
{
    int table = (int)crash_below(&w->rng, CRASH_TABLES);
    int want = 2 + (int)crash_below(&w->rng, CRASH_BATCH_MAX - 1);
    uint32_t keys = 0;
    json_t *obj = json_object();
    for (int got = 0; got < want;) {
        int key = (int)crash_below(&w->rng, CRASH_KEYS);
        if (keys & 1u << key)
            continue;
        keys |= 1u << key;
        got++;
        char name[32];
        crash_key(name, sizeof name, w->id, key);
        json_object_set_new(obj, name, crash_value(w->id, table, key, w->seq));
    }
    bool plain_update = crash_below(&w->rng, 4) == 0;
    submit(w, CRASH_BATCH, table, keys);
    nana_future_t *f = plain_update ? nana_update(w->tables[table], obj)
                                    : nana_batch_update(w->tables[table], obj);
    json_decref(obj);
    if (nana_future_await(f) != NANA_OK)
        fail_status(w, plain_update ? "update" : "batch_update", f);
    ack(w->id, w->seq++);
    nana_future_free(f);
}

static void do_increment(struct writer *w, bool shared)
{
    char name[32];
    crash_counter_key(name, sizeof name, w->id);
    submit(w, shared ? CRASH_INCR_SHARED : CRASH_INCR_OWN, 0, 0);
    nana_future_t *f = shared ? nana_increment(w->tables[CRASH_SHARED_TABLE], CRASH_SHARED_KEY,
                                               NULL, 1)
                              : nana_increment(w->tables[0], name, "n", 1);
    int64_t now = 0;
    if (nana_future_await(f) != NANA_OK || nana_future_int(f, &now) != NANA_OK)
        fail_status(w, "increment", f);
    /* The child can check these itself: only this thread increments its
     * counter, and the shared one only grows. */
    if (!shared && now != w->own_count + 1) {
        crash_send_fail(pipe_fd, w->id, "thread %d: increment of %s returned %lld, want %lld",
                        w->id, name, (long long)now, (long long)(w->own_count + 1));
        _exit(1);
    }
    if (shared && now <= w->shared_seen) {
        crash_send_fail(pipe_fd, w->id,
                        "thread %d: increment of the shared counter returned %lld after %lld",
                        w->id, (long long)now, (long long)w->shared_seen);
        _exit(1);
    }
    if (shared)
        w->shared_seen = now;
    else
        w->own_count = now;
    ack(w->id, w->seq++);
    nana_future_free(f);
}

/* Sets of several keys over the tables in one transaction, pipelined on
 * its views, then COMMIT: acknowledged only once COMMIT resolved. */
static void do_txn(struct writer *w)
{
    struct crash_rec r = {.kind = CRASH_REC_SUBMIT, .thread = (uint8_t)w->id,
                          .op = CRASH_TXN, .seq = w->seq};
    int n = 2 + (int)crash_below(&w->rng, CRASH_BATCH_MAX - 1);
    int tables[CRASH_BATCH_MAX], keys[CRASH_BATCH_MAX], m = 0;
    for (int i = 0; i < n; i++) {
        int table = (int)crash_below(&w->rng, CRASH_TABLES);
        int key = (int)crash_below(&w->rng, CRASH_KEYS);
        if (r.keys[table] & 1u << key)
            continue;
        r.keys[table] |= 1u << key;
        tables[m] = table;
        keys[m++] = key;
    }
    crash_send(pipe_fd, &r);
    nana_txn_t *txn = NULL;
    nana_future_t *begun = nana_txn_begin(root, NULL, &txn), *fs[CRASH_BATCH_MAX];
    if (!txn)
        fail_status(w, "txn_begin", begun);
    for (int i = 0; i < m; i++) {
        char name[32];
        crash_key(name, sizeof name, w->id, keys[i]);
        json_t *v = crash_value(w->id, tables[i], keys[i], w->seq);
        fs[i] = nana_set(nana_txn_db(txn, w->tables[tables[i]]), name, v);
        json_decref(v);
    }
    nana_future_t *commit = nana_txn_commit(txn);
    if (nana_future_await(commit) != NANA_OK)
        fail_status(w, "transaction commit", commit);
    ack(w->id, w->seq++);
    if (nana_future_await(begun) != NANA_OK)
        fail_status(w, "transaction begin", begun);
    for (int i = 0; i < m; i++) {
        if (nana_future_await(fs[i]) != NANA_OK)
            fail_status(w, "set in a transaction", fs[i]);
        nana_future_free(fs[i]);
    }
    nana_future_free(begun);
    nana_future_free(commit);
    nana_txn_free(txn);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    w->tables[0] = root;
    for (int t = 1; t < CRASH_TABLES; t++) {
        if (nana_table(root, crash_table_names[t], &w->tables[t]) != NANA_OK) {
            crash_send_fail(pipe_fd, w->id, "thread %d: nana_table(%s): %s", w->id,
                            crash_table_names[t], nana_db_errmsg(w->tables[t]));
            _exit(1);
        }
    }
    for (;;) {
        /* The mix, in percent: sets 25, group-committed sets 20, batches
         * 20, transactions 15, own increments 12, shared increments 8. */
        uint32_t pick = crash_below(&w->rng, 100);
        if (pick < 25)
            do_set(w);
        else if (pick < 45)
            do_group(w);
        else if (pick < 65)
            do_batch(w);
        else if (pick < 80)
            do_txn(w);
        else if (pick < 92)
            do_increment(w, false);
        else
            do_increment(w, true);
    }
    return NULL;
}

_Noreturn void crash_child(const char *path, const struct crash_start *st, int fd)
{
    /* Should the parent die, so does the child, at once. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    pipe_fd = fd;
    start = st;
    if (nana_open(path, NULL, &root) != NANA_OK) {
        crash_send_fail(fd, 0, "nana_open(%s): %s", path, nana_db_errmsg(root));
        _exit(1);
    }
    struct crash_rec ready = {.kind = CRASH_REC_READY};
    crash_send(fd, &ready);

    static struct writer writers[CRASH_THREADS];
    pthread_t threads[CRASH_THREADS];
    for (int i = 0; i < CRASH_THREADS; i++) {
        struct writer *w = &writers[i];
        w->id = i;
        w->rng = start->seed * 0x100000001B3ULL + (uint64_t)i;
        w->seq = start->first_seq[i];
        w->own_count = start->own_count[i];
        w->shared_seen = start->shared_count;
        if (pthread_create(&threads[i], NULL, writer_main, w) != 0) {
            crash_send_fail(fd, i, "pthread_create failed");
            _exit(1);
        }
    }
    for (;;)
        pause();
}
