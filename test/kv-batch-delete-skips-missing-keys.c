/*
 * nana_batch_delete: removes each listed key in one call, skipping keys that
 * do not exist (resolves NANA_OK even when none exists), with no value; n == 0
 * is OK; keys NULL with n > 0, a NULL element, or NULL db is NANA_EINVAL and
 * deletes none of the listed keys; other tables are untouched.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("bdel.db");
    nana_db_t *db = t_open("bdel.db", NULL);
    nana_db_t *other = NULL;
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);

    json_t *obj = t_json("{\"a\":1,\"b\":2,\"c\":3,\"d\":null,\"e\":5}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    CHECK_ST(t_wait(nana_update(other, obj)), NANA_OK);
    json_decref(obj);
    CHECK_ST(t_wait(nana_get(db, "cached-absent", NULL)), NANA_ENOTFOUND);

    const char *keys1[] = {"a", "missing", "d", "cached-absent"};
    nana_future_t *f = nana_batch_delete(db, keys1, 4);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    t_expect(nana_keys(db), "[\"b\",\"c\",\"e\"]");
    CHECK_ST(t_wait(nana_get(db, "a", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "d")));
    CHECK(t_raw_value(path, "data", "a") == NULL);
    CHECK(t_raw_value(path, "data", "d") == NULL);
    CHECK_ST(t_wait(nana_get(db, "missing", NULL)), NANA_ENOTFOUND);

    /* all missing: still OK */
    const char *keys2[] = {"x", "y", "a"};
    CHECK_ST(t_wait(nana_batch_delete(db, keys2, 3)), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 3);

    /* n == 0, with and without an array */
    CHECK_ST(t_wait(nana_batch_delete(db, NULL, 0)), NANA_OK);
    CHECK_ST(t_wait(nana_batch_delete(db, keys1, 0)), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 3);

    /* refused: nothing deleted */
    CHECK_ST(t_wait(nana_batch_delete(db, NULL, 2)), NANA_EINVAL);
    const char *withnull[] = {"b", NULL, "c"};
    CHECK_ST(t_wait(nana_batch_delete(db, withnull, 3)), NANA_EINVAL);
    const char *keys3[] = {"b", "c"};
    CHECK_ST(t_wait(nana_batch_delete(NULL, keys3, 2)), NANA_EINVAL);
    t_expect(nana_to_dict(db), "{\"b\":2,\"c\":3,\"e\":5}");
    char *raw = t_raw_value(path, "data", "b");
    CHECK_STR(raw, "2");
    free(raw);

    /* only a prefix of the array is used */
    CHECK_ST(t_wait(nana_batch_delete(db, keys3, 1)), NANA_OK);
    t_expect(nana_to_dict(db), "{\"c\":3,\"e\":5}");

    /* the other table kept everything */
    t_expect(nana_to_dict(other), "{\"a\":1,\"b\":2,\"c\":3,\"d\":null,\"e\":5}");

    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("bdel.db", NULL);
    t_expect(nana_to_dict(db), "{\"c\":3,\"e\":5}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
