/* nana_close() on a sub-table releases that handle only: the root, other
 * handles on the same table (and their shared cache) and handles on other
 * tables keep working, and a table can be reopened after all its handles
 * closed. */
#include "harness.h"

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *t1 = NULL, *t2 = NULL, *on_root = NULL, *u = NULL;
    CHECK_ST(nana_table(root, "t", &t1), NANA_OK);
    CHECK_ST(nana_table(root, "t", &t2), NANA_OK);
    CHECK_ST(nana_table(root, "data", &on_root), NANA_OK);
    CHECK_ST(nana_table(root, "u", &u), NANA_OK);
    json_t *v = json_integer(1), *w = json_integer(2);

    CHECK_ST(t_wait(nana_set(t1, "a", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(on_root, "r", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(u, "x", v)), NANA_OK);
    t_expect(nana_get(t1, "a", NULL), "1");
    t_expect(nana_get(on_root, "r", NULL), "1");
    CHECK(t_bool(nana_is_cached(root, "r")));

    CHECK_ST(nana_close(t1), NANA_OK);
    /* The other handle on "t" still works, shares the cache t1 filled. */
    CHECK(t_bool(nana_is_cached(t2, "a")));
    t_expect(nana_get(t2, "a", NULL), "1");
    CHECK_ST(t_wait(nana_set(t2, "b", w)), NANA_OK);
    CHECK_INT(t_int(nana_len(t2)), 2);

    CHECK_ST(nana_close(on_root), NANA_OK);
    /* The root's table and its cache are untouched. */
    CHECK(t_bool(nana_is_cached(root, "r")));
    t_expect(nana_get(root, "r", NULL), "1");
    CHECK_ST(t_wait(nana_set(root, "r2", w)), NANA_OK);
    CHECK_INT(t_int(nana_len(root)), 2);
    t_expect(nana_get(u, "x", NULL), "1");

    CHECK_ST(nana_close(t2), NANA_OK);
    /* Every handle on "t" closed: a new one finds the rows. */
    CHECK_ST(nana_table(root, "t", &t1), NANA_OK);
    CHECK_INT(t_int(nana_len(t1)), 2);
    t_expect(nana_get(t1, "b", NULL), "2");

    /* Open and close sub-tables many times; the root stays fine. */
    for (int i = 0; i < 50; i++) {
        nana_db_t *tmp = NULL;
        CHECK_ST(nana_table(root, i % 2 ? "t" : "churn", &tmp), NANA_OK);
        CHECK_ST(t_wait(nana_set(tmp, "n", v)), NANA_OK);
        CHECK_ST(nana_close(tmp), NANA_OK);
    }
    t_expect(nana_get(t1, "n", NULL), "1");
    CHECK_INT(t_int(nana_len(root)), 2);

    CHECK_ST(nana_close(u), NANA_OK);
    CHECK_ST(nana_close(t1), NANA_OK);
    t_expect(nana_get(root, "r2", NULL), "2");
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(v);
    json_decref(w);
    return 0;
}
