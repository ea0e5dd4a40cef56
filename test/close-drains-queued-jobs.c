/* nana_close() on a root drains the queue: 1000 sets (and reads between
 * them) submitted and never awaited have all resolved OK by the time close
 * returns -- their futures still valid, readable without waiting -- and a
 * reopened root finds every key. */
#include "harness.h"

#define N 1000

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    static nana_future_t *sets[N], *gets[N / 100];
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_pack("{s:i}", "i", i);
        sets[i] = nana_set(db, key, v);
        json_decref(v);
        if (i % 100 == 99)
            gets[i / 100] = nana_get(db, key, NULL);
    }
    nana_future_t *len = nana_len(db);
    CHECK_ST(nana_close(db), NANA_OK);

    /* Resolved already: poll and status, no waiting. */
    for (int i = 0; i < N; i++) {
        if (!nana_future_poll(sets[i]))
            t_fail(__FILE__, __LINE__, "set %d still pending after close", i);
        if (nana_future_status(sets[i]) != NANA_OK)
            t_fail(__FILE__, __LINE__, "set %d: %s (%s)", i,
                   t_status_name(nana_future_status(sets[i])), nana_future_errmsg(sets[i]));
        CHECK_STR(nana_future_errmsg(sets[i]), "");
        nana_future_free(sets[i]);
    }
    for (int j = 0; j < N / 100; j++) {
        CHECK(nana_future_poll(gets[j]));
        CHECK_ST(nana_future_status(gets[j]), NANA_OK);
        CHECK_INT(json_integer_value(json_object_get(nana_future_json(gets[j]), "i")),
                  j * 100 + 99);
        nana_future_free(gets[j]);
    }
    CHECK(nana_future_poll(len));
    int64_t n = -1;
    CHECK_ST(nana_future_int(len, &n), NANA_OK);
    CHECK_INT(n, N);
    nana_future_free(len);

    db = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(db)), N);
    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        if (json_integer_value(json_object_get(json_object_get(all, key), "i")) != i)
            t_fail(__FILE__, __LINE__, "%s missing or wrong after reopen", key);
    }
    nana_json_release(all);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
