/* The future functions given a NULL future or out-pointer answer
 * NANA_EINVAL (or NULL / false) and never crash; freeing NULL does nothing. */
#include "harness.h"

static int calls;

static void count_cb(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    calls++;
}

static nana_future_t *count_then(nana_future_t *f, void *arg)
{
    (void)f;
    (void)arg;
    calls++;
    return NULL;
}

int main(void)
{
    int64_t i = 0;
    bool b = false;

    CHECK_ST(nana_future_await(NULL), NANA_EINVAL);
    CHECK_ST(nana_future_await_for(NULL, 0), NANA_EINVAL);
    CHECK_ST(nana_future_await_for(NULL, 100), NANA_EINVAL);
    CHECK(!nana_future_poll(NULL));
    CHECK_ST(nana_future_status(NULL), NANA_EINVAL);
    CHECK(nana_future_errmsg(NULL) != NULL);
    CHECK(nana_future_json(NULL) == NULL);
    CHECK(nana_future_take_json(NULL) == NULL);
    CHECK_ST(nana_future_int(NULL, &i), NANA_EINVAL);
    CHECK_ST(nana_future_bool(NULL, &b), NANA_EINVAL);
    nana_future_free(NULL);
    CHECK_ST(nana_future_on_ready(NULL, count_cb, NULL), NANA_EINVAL);

    json_t *n = json_integer(3);
    nana_future_t *f = nana_future_resolved(n);
    CHECK_ST(nana_future_int(f, NULL), NANA_EINVAL);
    CHECK_ST(nana_future_bool(f, NULL), NANA_EINVAL);
    CHECK_ST(nana_future_on_ready(f, NULL, NULL), NANA_EINVAL);
    /* Still intact after the refused calls. */
    CHECK_ST(nana_future_int(f, &i), NANA_OK);
    CHECK_INT(i, 3);
    nana_future_free(f);

    nana_future_t *g = nana_future_then(NULL, count_then, NULL);
    CHECK(g != NULL);
    CHECK_ST(nana_future_await(g), NANA_EINVAL);
    nana_future_free(g);
    g = nana_future_then(nana_future_resolved(n), NULL, NULL);
    CHECK(g != NULL);
    CHECK_ST(nana_future_await(g), NANA_EINVAL);
    CHECK(*nana_future_errmsg(g));
    nana_future_free(g);

    nana_future_t *set[2] = {NULL, NULL};
    CHECK_ST(nana_future_await_all(set, 2), NANA_EINVAL);
    CHECK_ST(nana_future_await_all(NULL, 1), NANA_EINVAL);

    CHECK_INT(calls, 0);
    json_decref(n);
    return 0;
}
