/*
 * jansson's *_nocheck constructors let invalid UTF-8 into strings and keys.
 * Such a value has no JSON text (and Python could not even read the row), so
 * nana_set refuses it with NANA_EINVAL and the key keeps its value; it must
 * never write the bytes as they are.  Every valid character, at the edges
 * of each UTF-8 length and around the surrogates, is stored as is.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("utf8.db");
    nana_db_t *db = t_open("utf8.db", NULL);
    t_set_json(db, "k", "\"keep\"");

    static const char *const bad[] = {
        "\xff", "\x80", "a\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe6\x97",
        "x\xf0\x9f\x98", "\xc3(", "\xe2\x82(",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int as_key = 0; as_key < 2; as_key++) {
            json_t *v = json_array();
            if (as_key) {
                json_t *o = json_object();
                CHECK(json_object_set_new_nocheck(o, bad[i], json_true()) == 0);
                json_array_append_new(v, o);
            } else {
                json_array_append_new(v, json_string_nocheck(bad[i]));
            }
            EXPECT(nana_set(db, "k", v), NANA_EINVAL);
            json_decref(v);
            char *raw = t_raw_value(path, "data", "k");
            CHECK_STR(raw, "\"keep\"");
            free(raw);
            t_expect(nana_get(db, "k", NULL), "\"keep\"");
        }
    }

    static const char good[] = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
                               "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
    json_t *v = json_object();
    CHECK(json_object_set_new(v, good, json_string(good)) == 0);
    CHECK_ST(t_wait(nana_set(db, "good", v)), NANA_OK);
    char want[128];
    snprintf(want, sizeof want, "{\"%s\":\"%s\"}", good, good);
    char *raw = t_raw_value(path, "data", "good");
    CHECK_STR(raw, want);
    free(raw);
    json_t *back = TAKE(nana_get_fresh(db, "good", NULL));
    CHECK(json_equal(back, v));
    nana_json_release(back);
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
