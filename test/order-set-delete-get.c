/* Writes and removals take effect in submission order: set, delete, get on a
 * key (submitted back to back, nothing awaited) gives NANA_ENOTFOUND, and
 * the sequence set / pop / get-with-default / delete / setdefault behaves as
 * if each waited for the one before. */
#include "harness.h"

#define ROUNDS 300
#define OPS 10

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    static nana_future_t *f[ROUNDS][OPS];
    json_t *dflt = json_string("default");
    char key[32];

    for (int i = 0; i < ROUNDS; i++) {
        snprintf(key, sizeof key, "k%d", i % 10);
        json_t *v = json_integer(i), *w = json_integer(-i);
        f[i][0] = nana_set(db, key, v);
        f[i][1] = nana_delete(db, key);
        f[i][2] = nana_get(db, key, NULL);        /* ENOTFOUND */
        f[i][3] = nana_contains(db, key);         /* false */
        f[i][4] = nana_set(db, key, w);
        f[i][5] = nana_pop(db, key, NULL);        /* -i */
        f[i][6] = nana_get(db, key, dflt);        /* "default" */
        f[i][7] = nana_delete(db, key);           /* ENOTFOUND */
        f[i][8] = nana_setdefault(db, key, v);    /* i, stored */
        f[i][9] = nana_get(db, key, NULL);        /* i */
        json_decref(v);
        json_decref(w);
    }

    for (int i = 0; i < ROUNDS; i++) {
        char want_pop[32], want_i[32];
        snprintf(want_pop, sizeof want_pop, "%d", -i);
        snprintf(want_i, sizeof want_i, "%d", i);
        CHECK_ST(nana_future_await(f[i][0]), NANA_OK);
        CHECK_ST(nana_future_await(f[i][1]), NANA_OK);
        if (nana_future_await(f[i][2]) != NANA_ENOTFOUND)
            t_fail(__FILE__, __LINE__, "round %d: get after set+delete gave %s", i,
                   t_status_name(nana_future_status(f[i][2])));
        bool b = true;
        CHECK_ST(nana_future_await(f[i][3]), NANA_OK);
        CHECK_ST(nana_future_bool(f[i][3], &b), NANA_OK);
        CHECK(!b);
        CHECK_ST(nana_future_await(f[i][4]), NANA_OK);
        CHECK_ST(nana_future_await(f[i][5]), NANA_OK);
        CHECK_JSON(nana_future_json(f[i][5]), want_pop);
        CHECK_ST(nana_future_await(f[i][6]), NANA_OK);
        CHECK_JSON(nana_future_json(f[i][6]), "\"default\"");
        CHECK_ST(nana_future_await(f[i][7]), NANA_ENOTFOUND);
        CHECK_ST(nana_future_await(f[i][8]), NANA_OK);
        CHECK_JSON(nana_future_json(f[i][8]), want_i);
        CHECK_ST(nana_future_await(f[i][9]), NANA_OK);
        CHECK_JSON(nana_future_json(f[i][9]), want_i);
        for (int j = 0; j < OPS; j++)
            nana_future_free(f[i][j]);
    }

    /* The last round left k0..k9 = 290..299, in SQLite too. */
    CHECK_INT(t_int(nana_len(db)), 10);
    for (int k = 0; k < 10; k++) {
        snprintf(key, sizeof key, "k%d", k);
        char want[32];
        snprintf(want, sizeof want, "%d", 290 + k);
        t_expect(nana_get_fresh(db, key, NULL), want);
    }
    json_decref(dflt);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
