/* Freeing a pending future is legal and the job still runs: 200 set
 * futures freed while their writes are blocked all land once the lock goes
 * away; 200 more freed right after submission land before nana_close()
 * returns. */
#include <sqlite3.h>

#include "harness.h"

#define N 200

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    nana_db_t *db = t_open("db", &opts);
    json_t *warm = json_null();
    CHECK_ST(t_wait(nana_set(db, "warm", warm)), NANA_OK);

    sqlite3 *gate = t_gate_lock(t_path("db"));
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_pack("{s:i}", "i", i);
        nana_future_t *f = nana_set(db, key, v);
        json_decref(v); /* inputs are borrowed: the job has its own copy */
        if (i == 0)
            CHECK(!nana_future_poll(f)); /* really pending when freed */
        nana_future_free(f);
        /* Reads freed while pending are dropped too. */
        nana_future_free(nana_get(db, key, NULL));
    }
    t_gate_release(gate, true);

    CHECK_INT(t_int(nana_len(db)), N + 1);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *got = t_take(nana_get(db, key, NULL), NANA_OK);
        CHECK(json_is_object(got));
        CHECK_INT(json_integer_value(json_object_get(got, "i")), i);
        nana_json_release(got);
    }

    /* Freed at once, never awaited: close drains them. */
    for (int i = N; i < 2 * N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_pack("{s:i}", "i", i);
        nana_future_free(nana_set(db, key, v));
        json_decref(v);
    }
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(db)), 2 * N + 1);
    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    for (int i = 0; i < 2 * N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *got = json_object_get(all, key);
        if (!got)
            t_fail(__FILE__, __LINE__, "%s missing after reopen", key);
        CHECK_INT(json_integer_value(json_object_get(got, "i")), i);
    }
    nana_json_release(all);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
