/*
 * A completion queue's descriptor is readable exactly while completions wait.
 * A fresh queue's is not, and draining it runs nothing.  Attaching a future
 * that has already resolved -- nana_future_resolved(), nana_future_failed(),
 * a cache hit of nana_get(), a queued get awaited first -- runs no callback
 * inside nana_cq_attach() but makes the descriptor readable at once;
 * nana_cq_attached() counts it until nana_cq_drain() runs its callback,
 * once, on the calling thread, with the future as it resolved (value, or
 * failure and message), after which the descriptor is no longer readable and
 * a second drain runs nothing.
 */
#include <poll.h>
#include <pthread.h>

#include "harness.h"

struct seen {
    int calls;
    pthread_t thread;
    nana_status_t status;
    char text[256];
    char errmsg[256];
};

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void record(nana_future_t *f, void *arg)
{
    struct seen *s = arg;
    s->calls++;
    s->thread = pthread_self();
    s->status = nana_future_status(f);
    json_t *v = nana_future_json(f);
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    snprintf(s->text, sizeof s->text, "%s", text ? text : "(none)");
    free(text);
    snprintf(s->errmsg, sizeof s->errmsg, "%s", nana_future_errmsg(f));
}

/* Attaches f, checks it is delivered by one drain exactly as described. */
static void one_round(nana_cq_t *cq, nana_future_t *f, struct seen *s)
{
    int fd = nana_cq_fd(cq);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_cq_attach(cq, f, record, s), NANA_OK);
    CHECK_INT(s->calls, 0); /* not inside attach */
    CHECK(readable(fd));
    CHECK_INT(nana_cq_attached(cq), 1);
    CHECK_INT(nana_cq_drain(cq, 0), 1);
    CHECK_INT(s->calls, 1);
    CHECK(pthread_equal(s->thread, pthread_self()));
    CHECK(!readable(fd));
    CHECK_INT(nana_cq_attached(cq), 0);
    CHECK_INT(nana_cq_drain(cq, 0), 0);
    CHECK_INT(s->calls, 1);
}

int main(void)
{
    nana_cq_t *cq = NULL;
    CHECK_ST(nana_cq_new(&cq), NANA_OK);
    CHECK(cq != NULL);
    int fd = nana_cq_fd(cq);
    CHECK(fd >= 0);
    CHECK(!readable(fd));
    CHECK_INT(nana_cq_drain(cq, 0), 0);
    CHECK_INT(nana_cq_attached(cq), 0);

    /* A resolved future with a value. */
    struct seen a = {0};
    json_t *v = t_json("{\"name\":\"Nana\",\"n\":[1,2]}");
    one_round(cq, nana_future_resolved(v), &a);
    json_decref(v);
    CHECK_ST(a.status, NANA_OK);
    CHECK_STR(a.text, "{\"name\":\"Nana\",\"n\":[1,2]}");

    /* A failed one: status and message. */
    struct seen b = {0};
    one_round(cq, nana_future_failed(NANA_EBUSY, "held by another process"), &b);
    CHECK_ST(b.status, NANA_EBUSY);
    CHECK_STR(b.errmsg, "held by another process");

    /* A cache hit: nana_get() returns it already resolved. */
    nana_db_t *db = t_open("db", NULL);
    t_set_json(db, "user", "{\"id\":7}");
    nana_future_t *warm = nana_get(db, "user", NULL);
    CHECK_ST(nana_future_await(warm), NANA_OK);
    nana_future_free(warm);
    struct seen c = {0};
    one_round(cq, nana_get(db, "user", NULL), &c);
    CHECK_ST(c.status, NANA_OK);
    CHECK_STR(c.text, "{\"id\":7}");

    /* A queued get, attached once it resolved. */
    nana_future_t *missing = nana_get(db, "nobody", NULL);
    CHECK_ST(nana_future_await(missing), NANA_ENOTFOUND);
    struct seen d = {0};
    one_round(cq, missing, &d);
    CHECK_ST(d.status, NANA_ENOTFOUND);
    CHECK(d.errmsg[0] != '\0');

    nana_cq_free(cq);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
