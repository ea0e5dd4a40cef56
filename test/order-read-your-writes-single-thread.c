/* Read-your-writes from one thread: 400 rounds of set(k, i) followed by
 * get(k), len() and contains() submitted without awaiting anything in
 * between; each read sees exactly the writes submitted before it, none
 * after. */
#include "harness.h"

#define ROUNDS 400

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    static nana_future_t *set_k[ROUNDS], *get_k[ROUNDS], *set_n[ROUNDS], *len[ROUNDS],
        *has_next[ROUNDS], *get_n[ROUNDS];
    char key[32], next[32];

    for (int i = 0; i < ROUNDS; i++) {
        json_t *v = json_integer(i);
        snprintf(key, sizeof key, "n%d", i);
        snprintf(next, sizeof next, "n%d", i + 1);
        set_k[i] = nana_set(db, "k", v);
        get_k[i] = nana_get(db, "k", NULL);
        set_n[i] = nana_set(db, key, v);
        len[i] = nana_len(db);
        has_next[i] = nana_contains(db, next); /* not written yet */
        get_n[i] = nana_get(db, key, NULL);
        json_decref(v);
    }

    /* Await in reverse order: the results must not depend on it. */
    for (int i = ROUNDS - 1; i >= 0; i--) {
        CHECK_ST(nana_future_await(get_n[i]), NANA_OK);
        CHECK_ST(nana_future_await(has_next[i]), NANA_OK);
        CHECK_ST(nana_future_await(len[i]), NANA_OK);
        CHECK_ST(nana_future_await(get_k[i]), NANA_OK);
    }
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_ST(nana_future_await(set_k[i]), NANA_OK);
        CHECK_ST(nana_future_await(set_n[i]), NANA_OK);
        json_t *got = nana_future_json(get_k[i]);
        if (!json_is_integer(got) || json_integer_value(got) != i)
            t_fail(__FILE__, __LINE__, "round %d: get(k) saw %lld", i,
                   json_is_integer(got) ? (long long)json_integer_value(got) : -1LL);
        got = nana_future_json(get_n[i]);
        CHECK(json_is_integer(got) && json_integer_value(got) == i);
        int64_t n = -1;
        CHECK_ST(nana_future_int(len[i], &n), NANA_OK);
        if (n != i + 2)
            t_fail(__FILE__, __LINE__, "round %d: len %lld, want %d", i, (long long)n, i + 2);
        bool b = true;
        CHECK_ST(nana_future_bool(has_next[i], &b), NANA_OK);
        if (b)
            t_fail(__FILE__, __LINE__, "round %d: saw n%d before it was written", i, i + 1);
        nana_future_free(set_k[i]);
        nana_future_free(get_k[i]);
        nana_future_free(set_n[i]);
        nana_future_free(len[i]);
        nana_future_free(has_next[i]);
        nana_future_free(get_n[i]);
    }

    t_expect(nana_get_fresh(db, "k", NULL), "399");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
