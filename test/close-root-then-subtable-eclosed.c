/* After nana_close(root), every operation through a sub-table handle of it
 * resolves NANA_ECLOSED with a message, nana_table() through it is
 * NANA_ECLOSED with *out NULL, and the sub-table handle itself still closes
 * with NANA_OK.  The data written before is intact. */
#include "harness.h"

static void check_closed(nana_future_t *f, const char *what)
{
    CHECK(f != NULL);
    nana_status_t st = nana_future_await(f);
    if (st != NANA_ECLOSED)
        t_fail(__FILE__, __LINE__, "%s after root close: %s, want NANA_ECLOSED", what,
               t_status_name(st));
    CHECK(*nana_future_errmsg(f));
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *sub = NULL, *same = NULL;
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    CHECK_ST(nana_table(root, "data", &same), NANA_OK);
    json_t *v = json_integer(1);
    json_t *obj = json_pack("{s:i}", "x", 1);
    CHECK_ST(t_wait(nana_set(sub, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(same, "r", v)), NANA_OK);
    t_expect(nana_get(sub, "k", NULL), "1"); /* cached before close */

    CHECK_ST(nana_close(root), NANA_OK);

    const char *keys[] = {"k"};
    check_closed(nana_get(sub, "k", NULL), "get (cached key)");
    check_closed(nana_get(sub, "missing", v), "get with default");
    check_closed(nana_set(sub, "k", v), "set");
    check_closed(nana_delete(sub, "k"), "delete");
    check_closed(nana_contains(sub, "k"), "contains");
    check_closed(nana_len(sub), "len");
    check_closed(nana_keys(sub), "keys");
    check_closed(nana_values(sub), "values");
    check_closed(nana_items(sub), "items");
    check_closed(nana_pop(sub, "k", NULL), "pop");
    check_closed(nana_update(sub, obj), "update");
    check_closed(nana_clear(sub), "clear");
    check_closed(nana_setdefault(sub, "k", v), "setdefault");
    check_closed(nana_load_all(sub), "load_all");
    check_closed(nana_refresh(sub, NULL), "refresh");
    check_closed(nana_is_cached(sub, "k"), "is_cached");
    check_closed(nana_batch_update(sub, obj), "batch_update");
    check_closed(nana_batch_delete(sub, keys, 1), "batch_delete");
    check_closed(nana_to_dict(sub), "to_dict");
    check_closed(nana_copy(sub), "copy");
    check_closed(nana_get_fresh(sub, "k", NULL), "get_fresh");
    check_closed(nana_get(same, "r", NULL), "get on the root's table");

    nana_db_t *out = (nana_db_t *)&out; /* not NULL: must be reset */
    CHECK_ST(nana_table(sub, "another", &out), NANA_ECLOSED);
    CHECK(out == NULL);
    out = (nana_db_t *)&out;
    CHECK_ST(nana_table(same, "data", &out), NANA_ECLOSED);
    CHECK(out == NULL);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(same), NANA_OK);

    /* Nothing was lost. */
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    t_expect(nana_get(sub, "k", NULL), "1");
    CHECK_INT(t_int(nana_len(sub)), 1);
    t_expect(nana_get(root, "r", NULL), "1");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(v);
    json_decref(obj);
    return 0;
}
