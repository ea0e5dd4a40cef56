/* nana_future_then() chains: three links whose functions return other nana_*
 * futures (a get on the root, a set on a sub-table, a get on the sub-table)
 * run once each, in order, each seeing the previous link's result, and the
 * last future settles with the last operation's outcome.  A twenty-link
 * chain alternating read and incremented write ends ten higher. */
#include <stdatomic.h>

#include "harness.h"

static nana_db_t *root, *sub;
static atomic_int step, calls[4], bad;

static nana_future_t *link1_read(nana_future_t *done, void *arg)
{
    (void)arg;
    atomic_fetch_add(&calls[1], 1);
    int expect = 0;
    if (!atomic_compare_exchange_strong(&step, &expect, 1))
        atomic_fetch_add(&bad, 1);
    if (nana_future_status(done) != NANA_OK || nana_future_json(done) != NULL)
        atomic_fetch_add(&bad, 1); /* done is the set: OK, no value */
    return nana_get(root, "counter", NULL);
}

static nana_future_t *link2_copy(nana_future_t *done, void *arg)
{
    (void)arg;
    atomic_fetch_add(&calls[2], 1);
    int expect = 1;
    if (!atomic_compare_exchange_strong(&step, &expect, 2))
        atomic_fetch_add(&bad, 1);
    json_t *v = nana_future_json(done);
    if (!json_is_integer(v) || json_integer_value(v) != 10)
        atomic_fetch_add(&bad, 1);
    json_t *copy = json_pack("{s:I}", "seen", (json_int_t)json_integer_value(v));
    nana_future_t *next = nana_set(sub, "copy", copy);
    json_decref(copy);
    return next;
}

static nana_future_t *link3_read_back(nana_future_t *done, void *arg)
{
    atomic_fetch_add(&calls[3], 1);
    int expect = 2;
    if (!atomic_compare_exchange_strong(&step, &expect, 3))
        atomic_fetch_add(&bad, 1);
    if (nana_future_status(done) != NANA_OK || arg != (void *)&step)
        atomic_fetch_add(&bad, 1);
    return nana_get(sub, "copy", NULL);
}

/* Reads the counter's value from done (a get) and writes counter + 1; or,
 * after a set, reads the counter. */
static nana_future_t *increment(nana_future_t *done, void *arg)
{
    atomic_int *n = arg;
    atomic_fetch_add(n, 1);
    json_t *v = nana_future_json(done);
    if (!v)
        return nana_get(root, "counter", NULL);
    json_t *next = json_integer(json_integer_value(v) + 1);
    nana_future_t *f = nana_set(root, "counter", next);
    json_decref(next);
    return f;
}

static nana_future_t *add_one(nana_future_t *done, void *arg)
{
    (void)arg;
    json_t *next = json_integer(json_integer_value(nana_future_json(done)) + 1);
    nana_future_t *f = nana_future_resolved(next);
    json_decref(next);
    return f;
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "side", &sub), NANA_OK);
    json_t *ten = json_integer(10);

    nana_future_t *f = nana_set(root, "counter", ten);
    f = nana_future_then(f, link1_read, NULL);
    CHECK(f != NULL);
    f = nana_future_then(f, link2_copy, NULL);
    CHECK(f != NULL);
    f = nana_future_then(f, link3_read_back, &step);
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_JSON(nana_future_json(f), "{\"seen\":10}");
    nana_future_free(f);
    CHECK_INT(atomic_load(&step), 3);
    for (int i = 1; i <= 3; i++)
        CHECK_INT(atomic_load(&calls[i]), 1);
    CHECK_INT(atomic_load(&bad), 0);
    t_expect(nana_get(sub, "copy", NULL), "{\"seen\":10}");

    /* Twenty links alternating get -> set(counter + 1) -> get ...: ten
     * increments. */
    atomic_int increments;
    atomic_init(&increments, 0);
    f = nana_get(root, "counter", NULL);
    for (int i = 0; i < 20; i++)
        f = nana_future_then(f, increment, &increments);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);
    CHECK_INT(atomic_load(&increments), 20);
    t_expect(nana_get(root, "counter", NULL), "20");

    /* Links over futures that are resolved before then() is called. */
    f = nana_future_resolved(ten);
    f = nana_future_then(f, add_one, NULL);
    f = nana_future_then(f, add_one, NULL);
    f = nana_future_then(f, add_one, NULL);
    t_expect(f, "13");

    json_decref(ten);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
