/* A then function that returns NULL passes its input's result on: the
 * chained future resolves OK with the same value (or the same integer, or no
 * value), and the function ran exactly once. */
#include <stdatomic.h>

#include "harness.h"

static atomic_int calls;

static nana_future_t *pass(nana_future_t *done, void *arg)
{
    (void)done;
    (void)arg;
    atomic_fetch_add(&calls, 1);
    return NULL;
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    json_t *v = t_json("{\"list\":[1,\"two\",null],\"n\":3.5}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);

    /* A value. */
    nana_future_t *f = nana_future_then(nana_get(db, "k", NULL), pass, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_JSON(nana_future_json(f), "{\"list\":[1,\"two\",null],\"n\":3.5}");
    json_t *taken = nana_future_take_json(f);
    CHECK_JSON(taken, "{\"list\":[1,\"two\",null],\"n\":3.5}");
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    nana_json_release(taken);
    CHECK_INT(atomic_load(&calls), 1);

    /* An integer and a boolean stay readable through the typed getters. */
    f = nana_future_then(nana_len(db), pass, NULL);
    CHECK_INT(t_int(f), 1);
    f = nana_future_then(nana_contains(db, "k"), pass, NULL);
    CHECK(t_bool(f));
    CHECK_INT(atomic_load(&calls), 3);

    /* No value. */
    f = nana_future_then(nana_set(db, "k2", v), pass, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    CHECK_STR(nana_future_errmsg(f), "");
    nana_future_free(f);
    CHECK_INT(atomic_load(&calls), 4);

    /* Several pass-through links, over an already resolved future. */
    f = nana_future_resolved(v);
    for (int i = 0; i < 5; i++)
        f = nana_future_then(f, pass, NULL);
    t_expect(f, "{\"list\":[1,\"two\",null],\"n\":3.5}");
    CHECK_INT(atomic_load(&calls), 9);

    /* A default value from get passes on too. */
    json_t *dflt = json_string("fallback");
    f = nana_future_then(nana_get(db, "missing", dflt), pass, NULL);
    t_expect(f, "\"fallback\"");
    CHECK_INT(atomic_load(&calls), 10);

    json_decref(dflt);
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
