/* The stored text of reals is the shortest that reads back to the same
 * double; control characters and quotes are escaped; everything round-trips
 * exactly through the file. */
#include "harness.h"

#include <float.h>
#include <math.h>

static void check_text(nana_db_t *db, const char *key, json_t *value, const char *want_text)
{
    CHECK_ST(t_wait(nana_set(db, key, value)), NANA_OK);
    char *text = t_raw_value(t_path("enc.db"), "data", key);
    CHECK(text != NULL);
    if (want_text)
        CHECK_STR(text, want_text);
    json_error_t err;
    json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    CHECK(back != NULL);
    CHECK(json_equal(back, value));
    json_decref(back);
    free(text);
}

int main(void)
{
    nana_db_t *db = t_open("enc.db", NULL);
    json_t *v;

    check_text(db, "tenth", v = json_real(0.1), "0.1"), json_decref(v);
    check_text(db, "three", v = json_real(3.0), "3.0"), json_decref(v);
    check_text(db, "neg", v = json_real(-2.5e-7), "-2.5e-07"), json_decref(v);
    check_text(db, "third", v = json_real(1.0 / 3.0), NULL), json_decref(v);
    check_text(db, "max", v = json_real(DBL_MAX), NULL), json_decref(v);
    check_text(db, "min", v = json_real(DBL_MIN), NULL), json_decref(v);
    check_text(db, "tiny", v = json_real(4.9e-324), NULL), json_decref(v);
    check_text(db, "int64min", v = json_integer(INT64_MIN), "-9223372036854775808"), json_decref(v);
    check_text(db, "int64max", v = json_integer(INT64_MAX), "9223372036854775807"), json_decref(v);
    check_text(db, "ctrl", v = json_stringn("a\"b\\c\n\t\x01\x1f\0z", 11),
               "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\\u0000z\""), json_decref(v);
    check_text(db, "utf8", v = json_string("日本😀"), "\"日本😀\""), json_decref(v);
    check_text(db, "nested", v = t_json("{\"b\":[1,2.5,{\"c\":null}],\"a\":true}"),
               "{\"b\":[1,2.5,{\"c\":null}],\"a\":true}"), json_decref(v);

    /* Every double read back through the library is the same double. */
    double samples[] = {1e16, 1e-5, 123456789.123456789, 5e-324, 0.30000000000000004, -0.0};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char key[16];
        snprintf(key, sizeof key, "d%zu", i);
        v = json_real(samples[i]);
        check_text(db, key, v, NULL);
        json_decref(v);
        json_t *got = t_take(nana_get_fresh(db, key, NULL), NANA_OK);
        CHECK(json_is_real(got));
        CHECK(json_real_value(got) == samples[i] && signbit(json_real_value(got)) == signbit(samples[i]));
        nana_json_release(got);
    }
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
