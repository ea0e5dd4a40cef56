/* Submission order holds across handles of one root: writes through the
 * root are seen by reads through a second handle on the same table and vice
 * versa, a sub-table on another table stays separate, and nothing is
 * awaited between the operations. */
#include "harness.h"

#define ROUNDS 300
#define OPS 9

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *same = NULL, *other = NULL;
    CHECK_ST(nana_table(root, "data", &same), NANA_OK); /* the root's own table */
    CHECK_ST(nana_table(root, "other", &other), NANA_OK);
    static nana_future_t *f[ROUNDS][OPS];

    for (int i = 0; i < ROUNDS; i++) {
        json_t *v = json_integer(i), *w = json_integer(-i);
        json_t *obj = json_pack("{s:i,s:i}", "u1", i, "u2", i);
        f[i][0] = nana_set(root, "k", v);
        f[i][1] = nana_get(same, "k", NULL);      /* i */
        f[i][2] = nana_set(other, "k", w);
        f[i][3] = nana_get(root, "k", NULL);      /* still i */
        f[i][4] = nana_delete(same, "k");
        f[i][5] = nana_contains(root, "k");       /* false */
        f[i][6] = nana_get(other, "k", NULL);     /* -i */
        f[i][7] = nana_update(same, obj);
        f[i][8] = nana_len(root);                 /* u1, u2 (k deleted) */
        json_decref(v);
        json_decref(w);
        json_decref(obj);
    }

    for (int i = 0; i < ROUNDS; i++) {
        char want_i[32], want_neg[32];
        snprintf(want_i, sizeof want_i, "%d", i);
        snprintf(want_neg, sizeof want_neg, "%d", -i);
        for (int j = 0; j < OPS; j++)
            if (nana_future_await(f[i][j]) != NANA_OK)
                t_fail(__FILE__, __LINE__, "round %d op %d: %s (%s)", i, j,
                       t_status_name(nana_future_status(f[i][j])),
                       nana_future_errmsg(f[i][j]));
        CHECK_JSON(nana_future_json(f[i][1]), want_i);
        CHECK_JSON(nana_future_json(f[i][3]), want_i);
        bool b = true;
        CHECK_ST(nana_future_bool(f[i][5], &b), NANA_OK);
        CHECK(!b);
        CHECK_JSON(nana_future_json(f[i][6]), want_neg);
        int64_t n = -1;
        CHECK_ST(nana_future_int(f[i][8], &n), NANA_OK);
        CHECK_INT(n, 2);
        for (int j = 0; j < OPS; j++)
            nana_future_free(f[i][j]);
    }

    t_expect(nana_get(root, "u1", NULL), "299");
    t_expect(nana_get(same, "u2", NULL), "299");
    t_expect(nana_get(other, "k", NULL), "-299");
    CHECK_INT(t_int(nana_len(other)), 1);
    CHECK_ST(nana_close(same), NANA_OK);
    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
