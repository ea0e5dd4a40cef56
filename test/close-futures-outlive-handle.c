/* Futures stay valid until freed, whatever happens to the handle: results
 * awaited before nana_close() -- values, integers, booleans, failures and
 * their messages -- read the same after the root and its sub-table closed,
 * and take_json still hands the value over. */
#include "harness.h"

int main(void)
{
    nana_db_t *root = t_open("db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    json_t *v = t_json("{\"list\":[1,2,3],\"name\":\"x\"}");
    CHECK_ST(t_wait(nana_set(root, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);

    nana_future_t *get = nana_get(root, "k", NULL);
    nana_future_t *sget = nana_get(sub, "s", NULL);
    nana_future_t *len = nana_len(root);
    nana_future_t *has = nana_contains(sub, "s");
    nana_future_t *miss = nana_get(root, "missing", NULL);
    nana_future_t *items = nana_items(root);
    CHECK_ST(nana_future_await(get), NANA_OK);
    CHECK_ST(nana_future_await(miss), NANA_ENOTFOUND);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", nana_future_errmsg(miss));
    CHECK(msg[0]);
    json_t *before = nana_future_json(get);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);

    CHECK(nana_future_json(get) == before);
    CHECK_JSON(nana_future_json(get), "{\"list\":[1,2,3],\"name\":\"x\"}");
    CHECK_ST(nana_future_await(sget), NANA_OK);
    CHECK_JSON(nana_future_json(sget), "{\"list\":[1,2,3],\"name\":\"x\"}");
    int64_t n = -1;
    CHECK_ST(nana_future_await(len), NANA_OK);
    CHECK_ST(nana_future_int(len, &n), NANA_OK);
    CHECK_INT(n, 1);
    bool b = false;
    CHECK_ST(nana_future_await(has), NANA_OK);
    CHECK_ST(nana_future_bool(has, &b), NANA_OK);
    CHECK(b);
    CHECK_ST(nana_future_status(miss), NANA_ENOTFOUND);
    CHECK_STR(nana_future_errmsg(miss), msg);
    CHECK_ST(nana_future_await(items), NANA_OK);
    CHECK_JSON(nana_future_json(items), "[[\"k\",{\"list\":[1,2,3],\"name\":\"x\"}]]");

    json_t *taken = nana_future_take_json(get);
    nana_future_free(get);
    CHECK_JSON(taken, "{\"list\":[1,2,3],\"name\":\"x\"}");
    nana_json_release(taken);
    nana_future_free(sget);
    nana_future_free(len);
    nana_future_free(has);
    nana_future_free(miss);
    nana_future_free(items);
    json_decref(v);
    return 0;
}
