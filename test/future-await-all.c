/* nana_future_await_all(): waits for every future; returns NANA_OK, or the
 * first failure in array order -- not the first in time -- and a NULL
 * element makes it NANA_EINVAL after the others settled. */
#include <sqlite3.h>

#include "harness.h"

static void free_all(nana_future_t **fs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nana_future_free(fs[i]);
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 200;
    nana_db_t *db = t_open("db", &opts);
    json_t *v = json_integer(5);
    char key[32];

    /* All succeed. */
    nana_future_t *ok[20];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ok[i] = i % 2 ? nana_set(db, key, v) : nana_len(db);
    }
    CHECK_ST(nana_future_await_all(ok, 20), NANA_OK);
    for (int i = 0; i < 20; i++) {
        CHECK(nana_future_poll(ok[i]));
        CHECK_ST(nana_future_status(ok[i]), NANA_OK);
    }
    free_all(ok, 20);

    /* Empty sets. */
    CHECK_ST(nana_future_await_all(NULL, 0), NANA_OK);
    CHECK_ST(nana_future_await_all(ok, 0), NANA_OK);
    CHECK_ST(nana_future_await_all(NULL, 3), NANA_EINVAL);

    /* Array order: the ETYPE failure is already resolved, the ENOTFOUND one
     * resolves later, but comes first in the array. */
    nana_future_t *mix[4];
    mix[0] = nana_set(db, "a", v);
    mix[1] = nana_get(db, "missing", NULL);
    mix[2] = nana_future_failed(NANA_ETYPE, "second");
    mix[3] = nana_get(db, "a", NULL);
    CHECK_ST(nana_future_await_all(mix, 4), NANA_ENOTFOUND);
    for (int i = 0; i < 4; i++)
        CHECK(nana_future_poll(mix[i]));
    CHECK_ST(nana_future_status(mix[3]), NANA_OK);
    CHECK_JSON(nana_future_json(mix[3]), "5");
    free_all(mix, 4);

    nana_future_t *mix2[3];
    mix2[0] = nana_get(db, "a", NULL);
    mix2[1] = nana_future_failed(NANA_ESQL, "first");
    mix2[2] = nana_delete(db, "missing");
    CHECK_ST(nana_future_await_all(mix2, 3), NANA_ESQL);
    CHECK_ST(nana_future_status(mix2[2]), NANA_ENOTFOUND);
    free_all(mix2, 3);

    /* A NULL element: EINVAL, and the other futures have settled. */
    nana_future_t *holes[3];
    holes[0] = nana_set(db, "b", v);
    holes[1] = NULL;
    holes[2] = nana_set(db, "c", v);
    CHECK_ST(nana_future_await_all(holes, 3), NANA_EINVAL);
    CHECK(nana_future_poll(holes[0]));
    CHECK(nana_future_poll(holes[2]));
    CHECK_ST(nana_future_status(holes[0]), NANA_OK);
    CHECK_ST(nana_future_status(holes[2]), NANA_OK);
    free_all(holes, 3);

    /* A failure that arrives last in time (a write locked out until the
     * 200 ms busy timeout) still wins when it comes first in the array. */
    sqlite3 *gate = t_gate_lock(t_path("db"));
    nana_future_t *late[2];
    late[0] = nana_set(db, "locked", v);
    late[1] = nana_future_failed(NANA_ETYPE, NULL);
    CHECK(!nana_future_poll(late[0]));
    CHECK_ST(nana_future_await_all(late, 2), NANA_EBUSY);
    CHECK(nana_future_poll(late[0]));
    free_all(late, 2);
    t_gate_release(gate, false);

    CHECK_INT(t_int(nana_len(db)), 13); /* k1,k3,..,k19 + a, b, c */
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
