/*
 * Written text is compact JSON: no space after ',' or ':', object members in
 * insertion order, non-ASCII characters (Cyrillic, CJK, emoji) kept as raw
 * UTF-8 rather than \u escapes, in keys and values alike; strings needing
 * escapes use JSON escapes; scalars are written as bare JSON.  Checked on the
 * raw text of the file, for set, update, batch_update and setdefault.
 */
#include "harness.h"

static void check_raw(const char *path, const char *key, const char *want)
{
    char *raw = t_raw_value(path, "data", key);
    if (!raw)
        t_fail(__FILE__, __LINE__, "no row for %s", key);
    if (strcmp(raw, want) != 0)
        t_fail(__FILE__, __LINE__, "raw text of %s: got %s, want %s", key, raw, want);
    CHECK(strstr(raw, "\\u") == NULL);
    free(raw);
}

#define UTF "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 \xc3\xa9"

int main(void)
{
    const char *path = t_path("compact.db");
    nana_db_t *db = t_open("compact.db", NULL);

    const char *obj_text = "{\"z\":1,\"a\":[1,2,{\"b\":null,\"c\":true}],\"" UTF "\":\"" UTF "\","
                           "\"m\":{\"k\":false}}";
    json_t *v = t_json(obj_text);
    CHECK_ST(t_wait(nana_set(db, "obj", v)), NANA_OK);
    json_decref(v);
    check_raw(path, "obj", obj_text);

    v = json_string(UTF);
    CHECK_ST(t_wait(nana_set(db, UTF, v)), NANA_OK);
    json_decref(v);
    check_raw(path, UTF, "\"" UTF "\"");

    v = json_string("quote \" backslash \\ newline \n end");
    CHECK_ST(t_wait(nana_set(db, "esc", v)), NANA_OK);
    json_decref(v);
    char *raw = t_raw_value(path, "data", "esc");
    CHECK_STR(raw, "\"quote \\\" backslash \\\\ newline \\n end\"");
    free(raw);

    v = json_integer(-42);
    CHECK_ST(t_wait(nana_set(db, "int", v)), NANA_OK);
    json_decref(v);
    check_raw(path, "int", "-42");
    CHECK_ST(t_wait(nana_set(db, "null", json_null())), NANA_OK);
    check_raw(path, "null", "null");
    CHECK_ST(t_wait(nana_set(db, "true", json_true())), NANA_OK);
    check_raw(path, "true", "true");
    v = json_array();
    CHECK_ST(t_wait(nana_set(db, "empty-array", v)), NANA_OK);
    json_decref(v);
    check_raw(path, "empty-array", "[]");
    v = json_object();
    CHECK_ST(t_wait(nana_set(db, "empty-object", v)), NANA_OK);
    json_decref(v);
    check_raw(path, "empty-object", "{}");

    /* update / batch_update / setdefault write the same way */
    v = t_json("{\"u1\":{\"x\":[1, 2],\"y\":\"" UTF "\"},\"u2\":[\"" UTF "\"]}");
    CHECK_ST(t_wait(nana_update(db, v)), NANA_OK);
    json_decref(v);
    check_raw(path, "u1", "{\"x\":[1,2],\"y\":\"" UTF "\"}");
    check_raw(path, "u2", "[\"" UTF "\"]");
    v = t_json("{\"b1\":{\"k\":1,\"j\":2}}");
    CHECK_ST(t_wait(nana_batch_update(db, v)), NANA_OK);
    json_decref(v);
    check_raw(path, "b1", "{\"k\":1,\"j\":2}");
    v = t_json("{\"d\":[\"" UTF "\", 1]}");
    t_expect(nana_setdefault(db, "sd", v), "{\"d\":[\"" UTF "\",1]}");
    json_decref(v);
    check_raw(path, "sd", "{\"d\":[\"" UTF "\",1]}");

    /* and it reads back equal */
    t_expect(nana_get_fresh(db, "obj", NULL), obj_text);
    t_expect(nana_get_fresh(db, UTF, NULL), "\"" UTF "\"");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
