/*
 * loopwork.h -- the workload the event-loop adapter scenarios share
 * (test/adapter-*.c): thousands of operations on a root and two sub-tables,
 * each future attached to a completion queue and checked as it is
 * delivered.  For each of LW_KEYS keys a chain set -> get -> contains ->
 * delete -> get (ENOTFOUND), each step submitted from the previous step's
 * callback on the loop thread; and LW_EXTRA more futures (lens, already
 * resolved values) attached from a thread of their own while the loop runs.
 * Every callback must run on the loop thread, exactly once, with the outcome
 * its step should have; once all have, lw.stop(lw.ctx) ends the loop.
 */
#ifndef NANA_TEST_LOOPWORK_H
#define NANA_TEST_LOOPWORK_H

#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

#define LW_KEYS 1000
#define LW_STAGES 5
#define LW_CHAINED (LW_KEYS * LW_STAGES)
#define LW_EXTRA 1000
#define LW_TOTAL (LW_CHAINED + LW_EXTRA)

static struct {
    nana_cq_t *cq;
    nana_db_t *handles[3];
    pthread_t loop_thread, helper;
    void (*stop)(void *ctx);
    void *ctx;
    int delivered; /* loop thread only */
    atomic_int calls[LW_TOTAL];
} lw;

static void lw_on_done(nana_future_t *f, void *arg);

static void lw_attach(nana_future_t *f, int slot)
{
    nana_status_t st = nana_cq_attach(lw.cq, f, lw_on_done, (void *)(intptr_t)slot);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "slot %d: nana_cq_attach: %s", slot, t_status_name(st));
}

static void lw_submit(int key, int stage)
{
    nana_db_t *db = lw.handles[key % 3];
    char k[32];
    snprintf(k, sizeof k, "key-%d", key);
    nana_future_t *f = NULL;
    json_t *v;
    switch (stage) {
    case 0:
        v = json_pack("{s:i}", "k", key);
        f = nana_set(db, k, v);
        json_decref(v);
        break;
    case 1: f = nana_get(db, k, NULL); break;
    case 2: f = nana_contains(db, k); break;
    case 3: f = nana_delete(db, k); break;
    case 4: f = nana_get(db, k, NULL); break;
    }
    lw_attach(f, key * LW_STAGES + stage);
}

static void lw_on_done(nana_future_t *f, void *arg)
{
    int slot = (int)(intptr_t)arg;
    if (!pthread_equal(pthread_self(), lw.loop_thread))
        t_fail(__FILE__, __LINE__, "slot %d: callback off the loop thread", slot);
    if (atomic_fetch_add(&lw.calls[slot], 1) != 0)
        t_fail(__FILE__, __LINE__, "slot %d: delivered twice", slot);
    if (!nana_future_poll(f))
        t_fail(__FILE__, __LINE__, "slot %d: delivered while pending", slot);
    nana_status_t st = nana_future_status(f);
    bool b = false;
    int64_t n = -1;
    if (slot < LW_CHAINED) {
        int key = slot / LW_STAGES, stage = slot % LW_STAGES;
        json_t *v = nana_future_json(f);
        bool ok = false;
        switch (stage) {
        case 0: ok = st == NANA_OK; break;
        case 1:
            ok = st == NANA_OK && json_integer_value(json_object_get(v, "k")) == key;
            break;
        case 2: ok = nana_future_bool(f, &b) == NANA_OK && b; break;
        case 3: ok = st == NANA_OK; break;
        case 4: ok = st == NANA_ENOTFOUND; break;
        }
        if (!ok)
            t_fail(__FILE__, __LINE__, "key %d stage %d: %s (%s)", key, stage, t_status_name(st),
                   nana_future_errmsg(f));
        if (stage + 1 < LW_STAGES)
            lw_submit(key, stage + 1);
    } else if ((slot - LW_CHAINED) % 2) {
        if (st != NANA_OK || json_integer_value(nana_future_json(f)) != slot)
            t_fail(__FILE__, __LINE__, "slot %d: resolved value lost", slot);
    } else if (nana_future_int(f, &n) != NANA_OK || n < 0) {
        t_fail(__FILE__, __LINE__, "slot %d: len: %s", slot, t_status_name(st));
    }
    if (++lw.delivered == LW_TOTAL)
        lw.stop(lw.ctx);
}

static void *lw_helper_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < LW_EXTRA; i++) {
        int slot = LW_CHAINED + i;
        if (i % 2) {
            json_t *v = json_integer(slot);
            lw_attach(nana_future_resolved(v), slot);
            json_decref(v);
        } else {
            lw_attach(nana_len(lw.handles[i % 3]), slot);
        }
    }
    return NULL;
}

/* Opens the handles and starts the work on cq; call on the loop thread,
 * before running the loop. */
static void lw_start(nana_cq_t *cq, void (*stop)(void *ctx), void *ctx)
{
    json_object_seed(0);
    lw.cq = cq;
    lw.stop = stop;
    lw.ctx = ctx;
    lw.loop_thread = pthread_self();
    for (int i = 0; i < LW_TOTAL; i++)
        atomic_init(&lw.calls[i], 0);
    lw.handles[0] = t_open("db", NULL);
    CHECK_ST(nana_table(lw.handles[0], "second", &lw.handles[1]), NANA_OK);
    CHECK_ST(nana_table(lw.handles[0], "third", &lw.handles[2]), NANA_OK);
    for (int key = 0; key < LW_KEYS; key++)
        lw_submit(key, 0);
    CHECK(pthread_create(&lw.helper, NULL, lw_helper_main, NULL) == 0);
}

/* After the loop returned: every callback ran once, and nothing is left. */
static void lw_check(void)
{
    pthread_join(lw.helper, NULL);
    CHECK_INT(lw.delivered, LW_TOTAL);
    for (int i = 0; i < LW_TOTAL; i++)
        if (atomic_load(&lw.calls[i]) != 1)
            t_fail(__FILE__, __LINE__, "slot %d: delivered %d times", i,
                   atomic_load(&lw.calls[i]));
    CHECK_INT(nana_cq_attached(lw.cq), 0);
    printf("%d callbacks, each once, on the loop thread\n", lw.delivered);
}

static void lw_close(void)
{
    for (int i = 2; i >= 0; i--)
        CHECK_ST(nana_close(lw.handles[i]), NANA_OK);
}

#endif
