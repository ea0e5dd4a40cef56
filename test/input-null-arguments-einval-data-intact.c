/*
 * Every one of the 20 dict functions with a NULL db resolves NANA_EINVAL
 * (never a crash, never a NULL future), with a non-empty message and no
 * value; every one taking a key does so for a NULL key; set / update /
 * batch_update with a NULL value or object, batch_delete with NULL keys or a
 * NULL element too.  The calls are submitted interleaved with valid ones, and
 * afterwards the stored data -- through the library and in the file -- is
 * exactly what the valid calls produced.
 */
#include "harness.h"

static void expect_einval(nana_future_t *f, const char *what)
{
    if (!f)
        t_fail(__FILE__, __LINE__, "%s: NULL future", what);
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EINVAL)
        t_fail(__FILE__, __LINE__, "%s: got %s, want NANA_EINVAL", what, t_status_name(st));
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_EINVAL);
    if (nana_future_errmsg(f)[0] == '\0')
        t_fail(__FILE__, __LINE__, "%s: empty message", what);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

#define EXPECT_EINVAL(call) expect_einval((call), #call)

int main(void)
{
    const char *path = t_path("nulls.db");
    nana_db_t *db = t_open("nulls.db", NULL);
    json_t *obj = t_json("{\"a\":1,\"b\":{\"c\":[2]},\"n\":null}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_t *val = json_string("v");
    const char *keys[] = {"a", "b"};
    const char *keys_null[] = {"a", NULL};

    /* NULL db */
    EXPECT_EINVAL(nana_get(NULL, "a", NULL));
    EXPECT_EINVAL(nana_set(NULL, "a", val));
    EXPECT_EINVAL(nana_delete(NULL, "a"));
    EXPECT_EINVAL(nana_contains(NULL, "a"));
    EXPECT_EINVAL(nana_len(NULL));
    EXPECT_EINVAL(nana_keys(NULL));
    EXPECT_EINVAL(nana_values(NULL));
    EXPECT_EINVAL(nana_items(NULL));
    EXPECT_EINVAL(nana_pop(NULL, "a", NULL));
    EXPECT_EINVAL(nana_update(NULL, obj));
    EXPECT_EINVAL(nana_clear(NULL));
    EXPECT_EINVAL(nana_setdefault(NULL, "a", val));
    EXPECT_EINVAL(nana_load_all(NULL));
    EXPECT_EINVAL(nana_refresh(NULL, "a"));
    EXPECT_EINVAL(nana_refresh(NULL, NULL));
    EXPECT_EINVAL(nana_is_cached(NULL, "a"));
    EXPECT_EINVAL(nana_batch_update(NULL, obj));
    EXPECT_EINVAL(nana_batch_delete(NULL, keys, 2));
    EXPECT_EINVAL(nana_to_dict(NULL));
    EXPECT_EINVAL(nana_copy(NULL));
    EXPECT_EINVAL(nana_get_fresh(NULL, "a", NULL));

    /* NULL key / value, interleaved with valid writes that are not awaited */
    nana_future_t *w1 = nana_set(db, "w1", val);
    EXPECT_EINVAL(nana_get(db, NULL, val));
    EXPECT_EINVAL(nana_set(db, NULL, val));
    EXPECT_EINVAL(nana_set(db, "a", NULL));
    EXPECT_EINVAL(nana_delete(db, NULL));
    EXPECT_EINVAL(nana_contains(db, NULL));
    nana_future_t *w2 = nana_delete(db, "w1");
    EXPECT_EINVAL(nana_pop(db, NULL, val));
    EXPECT_EINVAL(nana_update(db, NULL));
    EXPECT_EINVAL(nana_setdefault(db, NULL, val));
    EXPECT_EINVAL(nana_is_cached(db, NULL));
    EXPECT_EINVAL(nana_batch_update(db, NULL));
    EXPECT_EINVAL(nana_batch_delete(db, NULL, 1));
    EXPECT_EINVAL(nana_batch_delete(db, keys_null, 2));
    EXPECT_EINVAL(nana_get_fresh(db, NULL, NULL));
    nana_future_t *w3 = nana_set(db, "w3", obj);
    CHECK_ST(t_wait(w1), NANA_OK);
    CHECK_ST(t_wait(w2), NANA_OK);
    CHECK_ST(t_wait(w3), NANA_OK);
    json_decref(obj);
    json_decref(val);

    /* exactly what the valid calls produced */
    t_expect(nana_to_dict(db),
             "{\"a\":1,\"b\":{\"c\":[2]},\"n\":null,"
             "\"w3\":{\"a\":1,\"b\":{\"c\":[2]},\"n\":null}}");
    t_expect(nana_get(db, "a", NULL), "1");
    CHECK_INT(t_int(nana_len(db)), 4);
    CHECK(t_raw_value(path, "data", "w1") == NULL);
    char *raw = t_raw_value(path, "data", "a");
    CHECK_STR(raw, "1");
    free(raw);

    /* the library's synchronous NULL handling */
    CHECK_ST(nana_close(NULL), NANA_OK);
    nana_future_free(NULL);
    nana_json_release(NULL);

    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("nulls.db", NULL);
    CHECK_INT(t_int(nana_len(db)), 4);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
