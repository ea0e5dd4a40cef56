/*
 * A stored value that is not valid JSON (written by another program) fails
 * that key's get, get_fresh and pop with NANA_ETYPE; the message names the key
 * and never echoes the stored text; the row is left as it was (pop does not
 * delete it); other keys -- including valid JSON next to it -- read fine, and
 * the key can be repaired with set.  Several kinds of bad text are tried:
 * truncated object, bare word, trailing garbage, single quotes, empty text,
 * NaN.
 */
#include "harness.h"

static const struct {
    const char *key;
    const char *text;
} bad[] = {
    {"broken_object_key", "{\"SECRET1\": 1"},
    {"bare_word_key", "SECRET2word"},
    {"trailing_key", "[1, 2] SECRET3"},
    {"single_quote_key", "{'SECRET4': 1}"},
    {"empty_text_key", ""},
    {"nan_key", "NaN"},
};
#define NBAD (sizeof bad / sizeof bad[0])

static void expect_etype(nana_future_t *f, size_t i, const char *op)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_ETYPE)
        t_fail(__FILE__, __LINE__, "%s(%s): got %s, want NANA_ETYPE", op, bad[i].key,
               t_status_name(st));
    const char *msg = nana_future_errmsg(f);
    if (!strstr(msg, bad[i].key))
        t_fail(__FILE__, __LINE__, "%s(%s): message \"%s\" does not name the key", op,
               bad[i].key, msg);
    if (strstr(msg, "SECRET"))
        t_fail(__FILE__, __LINE__, "%s(%s): message \"%s\" echoes the stored text", op,
               bad[i].key, msg);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

int main(void)
{
    const char *path = t_path("nonjson.db");
    t_raw_put(path, "good_before", "{\"fine\": true}");
    for (size_t i = 0; i < NBAD; i++)
        t_raw_put(path, bad[i].key, bad[i].text);
    t_raw_put(path, "good_after", "[1, \"two\"]");

    nana_db_t *db = t_open("nonjson.db", NULL);
    for (size_t i = 0; i < NBAD; i++) {
        expect_etype(nana_get(db, bad[i].key, NULL), i, "get");
        json_t *d = json_integer(0);
        expect_etype(nana_get(db, bad[i].key, d), i, "get with default");
        expect_etype(nana_get_fresh(db, bad[i].key, NULL), i, "get_fresh");
        expect_etype(nana_pop(db, bad[i].key, d), i, "pop");
        json_decref(d);
        /* asked again: still ETYPE (nothing cached as a value) */
        expect_etype(nana_get(db, bad[i].key, NULL), i, "get again");
        /* the row is intact */
        char *raw = t_raw_value(path, "data", bad[i].key);
        CHECK_STR(raw, bad[i].text);
        free(raw);
    }

    /* other keys are unaffected */
    t_expect(nana_get(db, "good_before", NULL), "{\"fine\":true}");
    t_expect(nana_get(db, "good_after", NULL), "[1,\"two\"]");
    t_expect(nana_get_fresh(db, "good_after", NULL), "[1,\"two\"]");
    CHECK_INT(t_int(nana_len(db)), NBAD + 2);

    /* repair one with set */
    json_t *v = json_string("repaired");
    CHECK_ST(t_wait(nana_set(db, bad[0].key, v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, bad[0].key, NULL), "\"repaired\"");
    char *raw = t_raw_value(path, "data", bad[0].key);
    CHECK_STR(raw, "\"repaired\"");
    free(raw);

    /* a bad value written while the library has the key cached as absent,
       then read fresh */
    CHECK_ST(t_wait(nana_get(db, "late_bad_key", NULL)), NANA_ENOTFOUND);
    t_raw_put(path, "late_bad_key", "{SECRET5");
    nana_future_t *f = nana_get_fresh(db, "late_bad_key", NULL);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "late_bad_key") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "SECRET") == NULL);
    nana_future_free(f);
    t_expect(nana_get(db, "good_before", NULL), "{\"fine\":true}");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
