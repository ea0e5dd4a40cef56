/*
 * jansson 2.14 lets an object member's key hold a NUL byte
 * (json_object_setn), but cannot bring one back: its reader refuses
 * "\u0000" inside a key even with JSON_ALLOW_NUL, and its json_deep_copy()
 * and json_equal() cut the key at the NUL.  So a value holding such a key
 * cannot round-trip, and nana_set refuses it with NANA_EINVAL -- it must
 * never store the keys cut at the NUL ({"a\0b":1,"a\0c":2} once became
 * {"a":1,"a":2}, read back as {"a":2}).  Whatever the key held before stays,
 * in the file and in the cache; keys with any other escape are stored
 * exactly.
 */
#include "harness.h"

#if JANSSON_VERSION_HEX >= 0x020e00
static void check_refused(nana_db_t *db, const char *path, json_t *value)
{
    EXPECT(nana_set(db, "k", value), NANA_EINVAL);
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "{\"keep\":1}");
    free(raw);
    t_expect(nana_get(db, "k", NULL), "{\"keep\":1}");
    t_expect(nana_get_fresh(db, "k", NULL), "{\"keep\":1}");
    json_decref(value);
}
#endif

int main(void)
{
    const char *path = t_path("nulkeys.db");
    nana_db_t *db = t_open("nulkeys.db", NULL);
    t_set_json(db, "k", "{\"keep\":1}");

#if JANSSON_VERSION_HEX >= 0x020e00
    /* The report's case: two keys equal up to their NUL. */
    json_t *v = json_object();
    CHECK(json_object_setn_new(v, "a\0b", 3, json_integer(1)) == 0);
    CHECK(json_object_setn_new(v, "a\0c", 3, json_integer(2)) == 0);
    CHECK(json_object_size(v) == 2);
    check_refused(db, path, v);

    /* One such key, at the start, the end, alone, nested deep in arrays. */
    static const struct {
        const char *key;
        size_t len;
    } keys[] = {{"\0", 1}, {"\0x", 2}, {"x\0", 2}, {"\xc3\xa9\0\xc3\xa9", 5}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        v = json_object();
        CHECK(json_object_setn_new(v, keys[i].key, keys[i].len, json_true()) == 0);
        json_t *outer = json_pack("{s:[i,{s:o}]}", "ok", 1, "inner", v);
        CHECK(outer != NULL);
        check_refused(db, path, outer);
    }

    /* update: a member's value holding such a key refuses the whole call. */
    v = json_object();
    CHECK(json_object_setn_new(v, "p\0q", 3, json_null()) == 0);
    json_t *members = json_pack("{s:i,s:o}", "other", 5, "k", v);
    EXPECT(nana_update(db, members), NANA_EINVAL);
    EXPECT(nana_batch_update(db, members), NANA_EINVAL);
    json_decref(members);
    CHECK(t_raw_value(path, "data", "other") == NULL);
    t_expect(nana_get_fresh(db, "k", NULL), "{\"keep\":1}");
#else
    printf("jansson %s: object keys cannot hold NUL, nothing to refuse\n", JANSSON_VERSION);
#endif

    /* Every other key is written exactly: escapes, the empty key, UTF-8. */
    json_t *fine = json_object();
    json_object_set_new(fine, "", json_integer(0));
    json_object_set_new(fine, "q\"b\\s/\b\f\n\r\t\x01\x1f", json_integer(1));
    json_object_set_new(fine, "日本😀", json_integer(2));
    CHECK_ST(t_wait(nana_set(db, "fine", fine)), NANA_OK);
    char *raw = t_raw_value(path, "data", "fine");
    CHECK_STR(raw, "{\"\":0,\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\":1,\"日本😀\":2}");
    free(raw);
    json_t *back = TAKE(nana_get_fresh(db, "fine", NULL));
    CHECK(json_equal(back, fine));
    CHECK(json_object_size(back) == 3);
    nana_json_release(back);
    json_decref(fine);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
