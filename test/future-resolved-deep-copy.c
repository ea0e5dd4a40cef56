/* nana_future_resolved() is a future already OK holding a deep copy of the
 * value: changing or freeing the input afterwards, at any depth, does not
 * change the future's value.  NULL gives an OK future with no value. */
#include "harness.h"

int main(void)
{
    json_t *v = t_json("{\"a\":[1,{\"deep\":\"x\"}],\"s\":\"text\",\"n\":5}");
    json_t *nested_arr = json_object_get(v, "a");
    json_t *nested_obj = json_array_get(nested_arr, 1);
    json_t *str = json_object_get(v, "s");

    nana_future_t *f = nana_future_resolved(v);
    CHECK(f != NULL);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_OK);
    CHECK_ST(nana_future_await_for(f, 0), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_STR(nana_future_errmsg(f), "");

    json_t *held = nana_future_json(f);
    CHECK(held != NULL);
    CHECK(held != v);
    CHECK(json_object_get(held, "a") != nested_arr);

    /* Change the input at every level. */
    json_object_set_new(v, "n", json_integer(6));
    json_object_set_new(v, "added", json_true());
    json_array_append_new(nested_arr, json_integer(3));
    json_object_set_new(nested_obj, "deep", json_string("changed"));
    json_string_set(str, "changed too");
    CHECK_JSON(nana_future_json(f), "{\"a\":[1,{\"deep\":\"x\"}],\"s\":\"text\",\"n\":5}");

    /* Free the input entirely. */
    json_decref(v);
    CHECK_JSON(nana_future_json(f), "{\"a\":[1,{\"deep\":\"x\"}],\"s\":\"text\",\"n\":5}");
    nana_future_free(f);

    /* Scalars and containers alike. */
    json_t *arr = t_json("[[1],[2]]");
    f = nana_future_resolved(arr);
    json_array_append_new(json_array_get(arr, 0), json_integer(9));
    json_array_clear(json_array_get(arr, 1));
    json_decref(arr);
    t_expect(f, "[[1],[2]]");

    json_t *s = json_string("abc");
    f = nana_future_resolved(s);
    json_string_set(s, "xyz");
    json_decref(s);
    t_expect(f, "\"abc\"");

    json_t *null = json_null();
    f = nana_future_resolved(null);
    t_expect(f, "null");

    /* NULL: OK with no value. */
    f = nana_future_resolved(NULL);
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    CHECK(nana_future_take_json(f) == NULL);
    CHECK_STR(nana_future_errmsg(f), "");
    nana_future_free(f);

    /* Two futures from one value are independent of each other. */
    json_t *shared = t_json("{\"k\":[1]}");
    nana_future_t *a = nana_future_resolved(shared);
    nana_future_t *b = nana_future_resolved(shared);
    json_decref(shared);
    json_t *mine = nana_future_take_json(a);
    nana_future_free(a);
    t_expect(b, "{\"k\":[1]}");
    CHECK_JSON(mine, "{\"k\":[1]}");
    nana_json_release(mine);
    return 0;
}
