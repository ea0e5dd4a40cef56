/*
 * nana_set: stores every JSON type (object, array, string, integers at the
 * 64-bit limits, real, true, false, null) under UTF-8 and empty keys,
 * overwrites, resolves with no value only after the commit (a separate SQLite
 * connection sees the row), copies its input before returning (the caller's
 * value may change right after), is seen by a get submitted before it was
 * awaited, and survives close/reopen.  NULL db, key or value is NANA_EINVAL
 * and stores nothing.
 */
#include "harness.h"

static const struct {
    const char *key;
    const char *json;
} cases[] = {
    {"obj", "{\"a\":1,\"b\":{\"c\":[true,false,null]}}"},
    {"arr", "[1,\"two\",3.5,[],{}]"},
    {"str", "\"hello \\\"world\\\"\\n\""},
    {"emptystr", "\"\""},
    {"int", "42"},
    {"neg", "-17"},
    {"max", "9223372036854775807"},
    {"min", "-9223372036854775808"},
    {"real", "0.25"},
    {"t", "true"},
    {"f", "false"},
    {"nul", "null"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 key", "\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\""},
    {"", "\"empty key\""},
    {"with \"quote\" and 'apos' and \\", "7"},
};
#define NCASES (sizeof cases / sizeof cases[0])

int main(void)
{
    const char *path = t_path("set.db");
    nana_db_t *db = t_open("set.db", NULL);

    for (size_t i = 0; i < NCASES; i++) {
        json_t *v = t_json(cases[i].json);
        nana_future_t *f = nana_set(db, cases[i].key, v);
        json_decref(v);
        CHECK_ST(nana_future_await(f), NANA_OK);
        CHECK(nana_future_json(f) == NULL); /* set has no value */
        nana_future_free(f);
        /* committed: another connection sees it */
        char *raw = t_raw_value(path, "data", cases[i].key);
        CHECK(raw != NULL);
        json_t *parsed = t_json(raw);
        CHECK_JSON(parsed, cases[i].json);
        json_decref(parsed);
        free(raw);
    }
    for (size_t i = 0; i < NCASES; i++)
        t_expect(nana_get(db, cases[i].key, NULL), cases[i].json);
    CHECK_INT(t_int(nana_len(db)), NCASES);

    /* overwrite, also with a different type */
    json_t *v = t_json("[\"replaced\"]");
    CHECK_ST(t_wait(nana_set(db, "obj", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "obj", NULL), "[\"replaced\"]");
    CHECK_INT(t_int(nana_len(db)), NCASES);

    /* the input is borrowed: changing it right after the call changes nothing */
    json_t *mut = t_json("{\"list\":[1,2],\"s\":\"orig\"}");
    nana_future_t *fs = nana_set(db, "mut", mut);
    json_array_append_new(json_object_get(mut, "list"), json_integer(3));
    json_object_set_new(mut, "s", json_string("changed"));
    json_object_set_new(mut, "new", json_true());
    CHECK_ST(t_wait(fs), NANA_OK);
    t_expect(nana_get(db, "mut", NULL), "{\"list\":[1,2],\"s\":\"orig\"}");
    json_decref(mut);

    /* read-your-writes: a get submitted before the set was awaited sees it */
    json_t *a = json_integer(1), *b = json_integer(2);
    nana_future_t *s1 = nana_set(db, "ryw", a);
    nana_future_t *g1 = nana_get(db, "ryw", NULL);
    nana_future_t *s2 = nana_set(db, "ryw", b);
    nana_future_t *g2 = nana_get(db, "ryw", NULL);
    json_decref(a);
    json_decref(b);
    t_expect(g2, "2");
    t_expect(g1, "1");
    CHECK_ST(t_wait(s1), NANA_OK);
    CHECK_ST(t_wait(s2), NANA_OK);

    /* bad arguments store nothing */
    json_t *x = json_string("x");
    CHECK_ST(t_wait(nana_set(NULL, "bad", x)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_set(db, NULL, x)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_set(db, "bad", NULL)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_set(db, "obj", NULL)), NANA_EINVAL);
    json_decref(x);
    CHECK_ST(t_wait(nana_get(db, "bad", NULL)), NANA_ENOTFOUND);
    CHECK(t_raw_value(path, "data", "bad") == NULL);
    t_expect(nana_get(db, "obj", NULL), "[\"replaced\"]");

    CHECK_ST(nana_close(db), NANA_OK);

    /* persisted across close and reopen */
    db = t_open("set.db", NULL);
    t_expect(nana_get(db, "obj", NULL), "[\"replaced\"]");
    for (size_t i = 1; i < NCASES; i++)
        t_expect(nana_get(db, cases[i].key, NULL), cases[i].json);
    t_expect(nana_get(db, "mut", NULL), "{\"list\":[1,2],\"s\":\"orig\"}");
    t_expect(nana_get(db, "ryw", NULL), "2");
    CHECK_INT(t_int(nana_len(db)), NCASES + 2);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
