/*
 * future.c -- nana_future_t.
 *
 * A future is small: no mutex or condition variable of its own.  Threads
 * that must sleep on a future use one of a fixed set of stripes (a mutex, a
 * condition variable, a waiter count) chosen by the future's address, so a
 * future that is resolved before anyone waits -- a cache hit, most group-
 * committed writes -- never touches a condition variable at all.
 *
 * References: the caller holds one, the producer (the job, or a then-chain)
 * holds one until it resolves the future.  Whoever drops the last frees it,
 * which is what makes nana_future_free() legal while pending.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define N_STRIPES 32 /* all held across fork(): ThreadSanitizer tracks at most 64 */

struct stripe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int waiters;
} __attribute__((aligned(64)));

static struct stripe stripes[N_STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    /* Timed waits measure intervals: immune to wall-clock changes. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    for (int i = 0; i < N_STRIPES; i++) {
        pthread_mutex_init(&stripes[i].lock, NULL);
        pthread_cond_init(&stripes[i].cond, &attr);
        stripes[i].waiters = 0;
    }
    pthread_condattr_destroy(&attr);
}

/* fork() while another thread holds a stripe would leave it locked forever
 * in the child, and the child may use the library with handles of its own:
 * the engine's fork handlers hold every stripe across fork(), after
 * quiescing the engines (one handler, so the lock order is always the
 * same). */
void nana__future_lock_all(void)
{
    pthread_once(&stripes_once, stripes_init);
    for (int i = 0; i < N_STRIPES; i++)
        pthread_mutex_lock(&stripes[i].lock);
}

void nana__future_unlock_all(void)
{
    for (int i = N_STRIPES - 1; i >= 0; i--)
        pthread_mutex_unlock(&stripes[i].lock);
}

static struct stripe *stripe_of(const nana_future_t *f)
{
    uintptr_t p = (uintptr_t)f;
    return &stripes[(p >> 6 ^ p >> 12) % N_STRIPES];
}

/* ------------------------------------------------------ thread context */

static __thread __attribute__((tls_model("initial-exec"))) int callback_depth;
static __thread __attribute__((tls_model("initial-exec"))) bool is_pool_thread;

bool nana__future_may_block(void)
{
    return callback_depth == 0 && !is_pool_thread;
}

void nana__future_mark_worker(void)
{
    is_pool_thread = true;
}

void nana__future_callback_enter(void)
{
    callback_depth++;
}

void nana__future_callback_leave(void)
{
    callback_depth--;
}

/* ---------------------------------------------------------- lifecycle */

/* Returned when a future cannot be allocated; never freed. */
static nana_future_t enomem_future = {
    .state = NANA__FUT_DONE,
    .refs = 1,
    .status = NANA_ENOMEM,
    .immortal = true,
};

/*
 * A small per-thread cache of free futures: a cache hit allocates and frees
 * one future per get, and malloc+free cost more than the rest of the hit.
 * A future freed on another thread than the one that made it simply joins
 * that thread's cache.
 */
#define FUTURE_CACHE_MAX 64
#define NANA_TLS __thread __attribute__((tls_model("initial-exec")))
static NANA_TLS nana_future_t *future_cache;
static NANA_TLS int future_cache_len;
static NANA_TLS bool future_cache_drains; /* its exit drain is arranged */

static pthread_key_t cache_key;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

/* At thread exit: give the cached futures back to malloc. */
static void drain_future_cache(void *unused)
{
    (void)unused;
    while (future_cache) {
        nana_future_t *next = (nana_future_t *)future_cache->value;
        free(future_cache);
        future_cache = next;
    }
    future_cache_len = 0;
}

static void make_cache_key(void)
{
    pthread_key_create(&cache_key, drain_future_cache);
}

static nana_future_t *future_alloc(int refs)
{
    nana_future_t *f = future_cache;
    if (f) {
        future_cache = (nana_future_t *)f->value; /* the link while cached */
        future_cache_len--;
    } else if (!(f = malloc(sizeof *f))) {
        return NULL;
    }
    atomic_init(&f->state, NANA__FUT_PENDING);
    atomic_init(&f->refs, refs);
    f->status = NANA_PENDING;
    f->immortal = false;
    f->value = NULL;
    f->errmsg = NULL;
    f->callbacks = NULL;
    f->helper = NULL;
    f->helper_ctx = NULL;
    f->payload = NULL;
    return f;
}

static void future_unref(nana_future_t *f)
{
    if (f->immortal)
        return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    nana__json_release(f->value);
    free(f->errmsg);
    if (f->payload)
        f->payload->destroy(f->payload);
    if (future_cache_len < FUTURE_CACHE_MAX) {
        if (!future_cache_drains) {
            /* First use on this thread: arrange the drain at its exit. */
            pthread_once(&cache_key_once, make_cache_key);
            pthread_setspecific(cache_key, (void *)1);
            future_cache_drains = true;
        }
        f->value = (json_t *)future_cache;
        future_cache = f;
        future_cache_len++;
    } else {
        free(f);
    }
}

nana_future_t *nana__future_new_pending(const struct nana_future_helper *helper, void *ctx)
{
    /* Only pending futures are ever waited on: resolved ones skip this. */
    pthread_once(&stripes_once, stripes_init);
    nana_future_t *f = future_alloc(2);
    if (f) {
        f->helper = helper;
        f->helper_ctx = ctx;
    }
    return f;
}

nana_future_t *nana__future_new_failed_owned(nana_status_t st, char *msg)
{
    nana_future_t *f = future_alloc(1);
    if (!f) {
        free(msg);
        return &enomem_future;
    }
    f->status = st;
    f->errmsg = msg;
    atomic_store_explicit(&f->state, NANA__FUT_DONE, memory_order_release);
    return f;
}

nana_future_t *nana__future_new_done(nana_status_t st, json_t *value, const char *msg)
{
    nana_future_t *f = future_alloc(1);
    if (!f) {
        nana__json_release(value);
        return &enomem_future;
    }
    f->status = st;
    f->value = value;
    if (msg && *msg)
        f->errmsg = strdup(msg); /* NULL on failure: errmsg falls back to errstr */
    atomic_store_explicit(&f->state, NANA__FUT_DONE, memory_order_release);
    return f;
}

static bool is_done(const nana_future_t *f)
{
    return atomic_load_explicit(&f->state, memory_order_acquire) == NANA__FUT_DONE;
}

static void run_callbacks(nana_future_t *f, struct nana_callback *list)
{
    /* The list was built newest first; run in registration order. */
    struct nana_callback *ordered = NULL;
    while (list) {
        struct nana_callback *next = list->next;
        list->next = ordered;
        ordered = list;
        list = next;
    }
    callback_depth++;
    while (ordered) {
        struct nana_callback *next = ordered->next;
        ordered->fn(f, ordered->arg);
        free(ordered);
        ordered = next;
    }
    callback_depth--;
}

void nana__future_resolve(nana_future_t *f, nana_status_t st, json_t *value, char *msg)
{
    struct stripe *s = stripe_of(f);
    struct nana_callback *callbacks;

    /* A failure carries no value, and always a message (errmsg() falls back
     * to errstr). */
    if (st != NANA_OK && value) {
        nana__json_release(value);
        value = NULL;
    }
    pthread_mutex_lock(&s->lock);
    f->status = st;
    f->value = value;
    f->errmsg = msg;
    f->helper = NULL;
    f->helper_ctx = NULL;
    callbacks = f->callbacks;
    f->callbacks = NULL;
    atomic_store_explicit(&f->state, NANA__FUT_DONE, memory_order_release);
    if (s->waiters > 0)
        pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);

    if (callbacks)
        run_callbacks(f, callbacks);
    future_unref(f);
}

/* --------------------------------------------------------------- public */

NANA_API void nana_future_free(nana_future_t *f)
{
    if (f)
        future_unref(f);
}

NANA_API bool nana_future_poll(const nana_future_t *f)
{
    return f && is_done(f);
}

NANA_API nana_status_t nana_future_status(const nana_future_t *f)
{
    if (!f)
        return NANA_EINVAL;
    return is_done(f) ? f->status : NANA_PENDING;
}

NANA_API const char *nana_future_errmsg(const nana_future_t *f)
{
    if (!f)
        return "NULL future";
    if (!is_done(f) || f->status == NANA_OK)
        return "";
    return f->errmsg && *f->errmsg ? f->errmsg : nana_errstr(f->status);
}

NANA_API json_t *nana_future_json(const nana_future_t *f)
{
    if (!f || !is_done(f))
        return NULL;
    return f->value;
}

NANA_API json_t *nana_future_take_json(nana_future_t *f)
{
    if (!f || !is_done(f) || f->immortal)
        return NULL;
    json_t *v = f->value;
    f->value = NULL;
    return v;
}

NANA_API nana_status_t nana_future_int(const nana_future_t *f, int64_t *out)
{
    if (!f || !out)
        return NANA_EINVAL;
    if (!is_done(f))
        return NANA_PENDING;
    if (f->status != NANA_OK)
        return f->status;
    if (!json_is_integer(f->value))
        return NANA_ETYPE;
    *out = (int64_t)json_integer_value(f->value);
    return NANA_OK;
}

NANA_API nana_status_t nana_future_bool(const nana_future_t *f, bool *out)
{
    if (!f || !out)
        return NANA_EINVAL;
    if (!is_done(f))
        return NANA_PENDING;
    if (f->status != NANA_OK)
        return f->status;
    if (!json_is_boolean(f->value))
        return NANA_ETYPE;
    *out = json_is_true(f->value);
    return NANA_OK;
}

/* Sleeps until f resolves or the monotonic deadline (NULL: none) passes. */
static nana_status_t wait_done(nana_future_t *f, const struct timespec *deadline)
{
    struct stripe *s = stripe_of(f);
    nana_status_t st = NANA_OK;
    pthread_mutex_lock(&s->lock);
    while (!is_done(f)) {
        s->waiters++;
        int rc = deadline ? pthread_cond_timedwait(&s->cond, &s->lock, deadline)
                          : pthread_cond_wait(&s->cond, &s->lock);
        s->waiters--;
        if (rc == ETIMEDOUT && !is_done(f)) {
            st = NANA_ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return st == NANA_OK ? f->status : st;
}

NANA_API nana_status_t nana_future_await(nana_future_t *f)
{
    if (!f)
        return NANA_EINVAL;
    if (is_done(f))
        return f->status;
    if (!nana__future_may_block())
        return NANA_EDEADLK;

    /* Whoever resolves f may let us help (run its queue ourselves) rather
     * than sleep and be woken: a wake-up costs more than a whole write. */
    struct stripe *s = stripe_of(f);
    const struct nana_future_helper *helper = NULL;
    void *ctx = NULL;
    pthread_mutex_lock(&s->lock);
    if (!is_done(f) && f->helper) {
        helper = f->helper;
        ctx = f->helper_ctx;
        helper->hold(ctx); /* the pending job keeps ctx alive until here */
    }
    pthread_mutex_unlock(&s->lock);
    if (helper) {
        nana_status_t st = helper->run_until(ctx, f);
        helper->release(ctx);
        if (st != NANA_OK)
            return st;
    }
    return wait_done(f, NULL);
}

NANA_API nana_status_t nana_future_await_for(nana_future_t *f, int64_t timeout_ms)
{
    if (!f)
        return NANA_EINVAL;
    if (is_done(f))
        return f->status;
    if (timeout_ms == 0)
        return NANA_ETIMEDOUT;
    if (!nana__future_may_block())
        return NANA_EDEADLK;
    if (timeout_ms < 0)
        return wait_done(f, NULL);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(timeout_ms / 1000);
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return wait_done(f, &deadline);
}

NANA_API nana_status_t nana_future_await_all(nana_future_t *const *fs, size_t n)
{
    if (!fs)
        return n ? NANA_EINVAL : NANA_OK;
    nana_status_t first = NANA_OK;
    for (size_t i = 0; i < n; i++) {
        nana_status_t st = fs[i] ? nana_future_await(fs[i]) : NANA_EINVAL;
        if (first == NANA_OK && st != NANA_OK)
            first = st;
    }
    return first;
}

NANA_API nana_status_t nana_future_on_ready(nana_future_t *f, nana_callback_fn cb, void *arg)
{
    if (!f || !cb)
        return NANA_EINVAL;
    if (!is_done(f)) {
        struct nana_callback *node = malloc(sizeof *node);
        if (!node)
            return NANA_ENOMEM;
        node->fn = cb;
        node->arg = arg;
        struct stripe *s = stripe_of(f);
        pthread_mutex_lock(&s->lock);
        if (!is_done(f)) {
            node->next = f->callbacks;
            f->callbacks = node;
            pthread_mutex_unlock(&s->lock);
            return NANA_OK;
        }
        pthread_mutex_unlock(&s->lock);
        free(node);
    }
    /* Already resolved: run now, on this thread. */
    callback_depth++;
    cb(f, arg);
    callback_depth--;
    return NANA_OK;
}

NANA_API nana_future_t *nana_future_resolved(json_t *value)
{
    json_t *copy = NULL;
    if (value && !(copy = nana__json_copy(value)))
        return &enomem_future;
    return nana__future_new_done(NANA_OK, copy, NULL);
}

NANA_API nana_future_t *nana_future_failed(nana_status_t code, const char *msg)
{
    if (code == NANA_OK || code == NANA_PENDING)
        return nana__future_new_done(NANA_EINVAL, NULL,
                                     "nana_future_failed: the code must be a failure");
    return nana__future_new_done(code, NULL, msg);
}

/* ------------------------------------------------ non-JSON results
 * A payload (internal.h) rides on the future beside the JSON value: set
 * before the future resolves, read once it resolved NANA_OK, destroyed in
 * future_unref(), passed down a then-chain with the value. */

void nana__future_set_payload(nana_future_t *f, struct nana_future_payload *p)
{
    f->payload = p;
}

const struct nana_future_payload *nana__future_payload(const nana_future_t *f)
{
    if (!f || !is_done(f) || f->status != NANA_OK)
        return NULL;
    return f->payload;
}

/* Moves from's payload (if any) to to, a pending future about to resolve
 * with from's outcome. */
static void pass_payload(nana_future_t *from, nana_future_t *to)
{
    if (from->payload && !from->immortal) {
        to->payload = from->payload;
        from->payload = NULL;
    }
}

/* ----------------------------------------------------------- then-chains */

struct then_step {
    nana_then_fn fn;
    void *arg;
    bool owns_arg;          /* free(arg) when fn is skipped */
    nana_future_t *chained; /* the future nana_future_then() returned */
};

static char *copy_errmsg(const nana_future_t *f)
{
    return strdup(nana_future_errmsg(f));
}

/* The next future settled: the chained one takes its outcome. */
static void then_forward(nana_future_t *next, void *arg)
{
    nana_future_t *chained = arg;
    nana_status_t st = next->status;
    pass_payload(next, chained);
    nana__future_resolve(chained, st, nana_future_take_json(next),
                         st == NANA_OK ? NULL : copy_errmsg(next));
    nana_future_free(next);
}

static void then_run(nana_future_t *done, void *arg)
{
    struct then_step *step = arg;
    nana_future_t *chained = step->chained;

    if (done->status != NANA_OK) {
        if (step->owns_arg)
            free(step->arg);
        nana__future_resolve(chained, done->status, NULL, copy_errmsg(done));
    } else {
        nana_future_t *next = step->fn(done, step->arg);
        if (!next || next == done) {
            pass_payload(done, chained);
            nana__future_resolve(chained, NANA_OK, nana_future_take_json(done), NULL);
        } else if (nana_future_on_ready(next, then_forward, chained) != NANA_OK) {
            nana_future_free(next);
            nana__future_resolve(chained, NANA_ENOMEM, NULL, NULL);
        }
    }
    free(step);
    nana_future_free(done);
}

static nana_future_t *then_impl(nana_future_t *f, nana_then_fn fn, void *arg, bool owns_arg);

NANA_API nana_future_t *nana_future_then(nana_future_t *f, nana_then_fn fn, void *arg)
{
    return then_impl(f, fn, arg, false);
}

nana_future_t *nana__future_then_owning(nana_future_t *f, nana_then_fn fn, void *arg)
{
    return then_impl(f, fn, arg, true);
}

static nana_future_t *then_impl(nana_future_t *f, nana_then_fn fn, void *arg, bool owns_arg)
{
    if (!f) {
        if (owns_arg)
            free(arg);
        return nana_future_failed(NANA_EINVAL, "nana_future_then: NULL future");
    }
    if (!fn) {
        nana_future_free(f);
        return nana_future_failed(NANA_EINVAL, "nana_future_then: NULL function");
    }
    nana_future_t *chained = nana__future_new_pending(NULL, NULL);
    struct then_step *step = malloc(sizeof *step);
    if (!chained || !step) {
        free(chained);
        free(step);
        if (owns_arg)
            free(arg);
        nana_future_free(f);
        return &enomem_future;
    }
    step->fn = fn;
    step->arg = arg;
    step->owns_arg = owns_arg;
    step->chained = chained;
    if (nana_future_on_ready(f, then_run, step) != NANA_OK) {
        if (owns_arg)
            free(arg);
        free(step);
        nana_future_free(f);
        nana__future_resolve(chained, NANA_ENOMEM, NULL, NULL);
    }
    return chained;
}
