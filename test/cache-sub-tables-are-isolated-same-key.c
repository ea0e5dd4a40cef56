/*
 * Each table has its own data and its own cache: the same key in the root
 * table and two sub-tables holds independent values; set, delete, clear,
 * refresh(NULL), load_all and is_cached on one table never touch another; a
 * sub-table handle created from a sub-table reaches the same table as one
 * created from the root; names like "order" and "main" work.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("iso.db");
    nana_db_t *root = t_open("iso.db", NULL);
    nana_db_t *order = NULL, *mainh = NULL, *order2 = NULL;
    CHECK_ST(nana_table(root, "order", &order), NANA_OK);
    CHECK_ST(nana_table(root, "main", &mainh), NANA_OK);

    t_set_json(root, "k", "\"root\"");
    t_set_json(order, "k", "\"order\"");
    t_set_json(mainh, "k", "\"main\"");
    t_expect(nana_get(root, "k", NULL), "\"root\"");
    t_expect(nana_get(order, "k", NULL), "\"order\"");
    t_expect(nana_get(mainh, "k", NULL), "\"main\"");

    char *raw = t_raw_value(path, "order", "k");
    CHECK_STR(raw, "\"order\"");
    free(raw);
    raw = t_raw_value(path, "main", "k");
    CHECK_STR(raw, "\"main\"");
    free(raw);

    /* a key only in one table */
    t_set_json(order, "only-order", "1");
    CHECK(!t_bool(nana_contains(root, "only-order")));
    CHECK(!t_bool(nana_contains(mainh, "only-order")));
    CHECK(t_bool(nana_contains(order, "only-order")));

    /* delete in one */
    CHECK_ST(t_wait(nana_delete(root, "k")), NANA_OK);
    CHECK_ST(t_wait(nana_get(root, "k", NULL)), NANA_ENOTFOUND);
    t_expect(nana_get(order, "k", NULL), "\"order\"");
    t_expect(nana_get(mainh, "k", NULL), "\"main\"");

    /* refresh(NULL) on one cache leaves the others cached */
    CHECK(t_bool(nana_is_cached(order, "k")));
    CHECK(t_bool(nana_is_cached(mainh, "k")));
    CHECK_ST(t_wait(nana_refresh(order, NULL)), NANA_OK);
    CHECK(!t_bool(nana_is_cached(order, "k")));
    CHECK(t_bool(nana_is_cached(mainh, "k")));
    CHECK(t_bool(nana_is_cached(root, "k"))); /* cached as absent */
    t_expect(nana_get(order, "k", NULL), "\"order\"");

    /* is_cached is per table */
    CHECK_ST(t_wait(nana_refresh(root, NULL)), NANA_OK);
    t_expect(nana_get(mainh, "k", NULL), "\"main\"");
    CHECK(!t_bool(nana_is_cached(root, "k")));

    /* a handle made from a sub-table reaches the same table */
    CHECK_ST(nana_table(mainh, "order", &order2), NANA_OK);
    t_expect(nana_get(order2, "k", NULL), "\"order\"");
    t_set_json(order2, "k", "\"order v2\"");
    t_expect(nana_get(order, "k", NULL), "\"order v2\"");
    t_expect(nana_get(mainh, "k", NULL), "\"main\"");

    /* load_all counts its own rows only */
    CHECK_INT(t_int(nana_load_all(order)), 2);
    CHECK_INT(t_int(nana_load_all(mainh)), 1);
    CHECK_INT(t_int(nana_load_all(root)), 0);

    /* clear in one */
    CHECK_ST(t_wait(nana_clear(order)), NANA_OK);
    CHECK_INT(t_int(nana_len(order)), 0);
    CHECK_INT(t_int(nana_len(mainh)), 1);
    t_expect(nana_get(mainh, "k", NULL), "\"main\"");

    CHECK_ST(nana_close(order2), NANA_OK);
    CHECK_ST(nana_close(order), NANA_OK);
    CHECK_ST(nana_close(mainh), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);

    /* persisted per table */
    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "main";
    root = t_open("iso.db", &opts);
    t_expect(nana_to_dict(root), "{\"k\":\"main\"}");
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
