/* The library decodes stored text with its own fast reader, falling back to
 * jansson when unsure.  Whatever the text, its verdict must be jansson's:
 * the same value, or NANA_ETYPE exactly where jansson refuses. */
#include "harness.h"

#include <sqlite3.h>

static sqlite3 *raw;
static sqlite3_stmt *ins;
static nana_db_t *db;
static int n_checked;

static void check_text(const char *text, size_t len)
{
    char key[32];
    snprintf(key, sizeof key, "k%d", n_checked++);
    sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, text, (int)len, SQLITE_STATIC);
    CHECK(sqlite3_step(ins) == SQLITE_DONE);
    sqlite3_reset(ins);

    json_error_t err;
    json_t *want = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    nana_future_t *f = nana_get_fresh(db, key, NULL);
    nana_status_t st = nana_future_await(f);
    if (!want) {
        if (st != NANA_ETYPE)
            t_fail(__FILE__, __LINE__, "text %.*s: jansson refuses it, library gave %s",
                   (int)len, text, t_status_name(st));
    } else {
        if (st != NANA_OK || !json_equal(nana_future_json(f), want))
            t_fail(__FILE__, __LINE__, "text %.*s: library gave %s / a different value",
                   (int)len, text, t_status_name(st));
        json_decref(want);
    }
    nana_future_free(f);
}

static void check(const char *text)
{
    check_text(text, strlen(text));
}

static unsigned seed = 12345;
static unsigned rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static json_t *random_value(int depth)
{
    static const char *const pieces[] = {"a", "\"", "\\", "/", "\n", "\t", "\x01", "é", "日本",
                                         "😀", " ", "\x7f", "z"};
    switch (rnd() % (depth > 4 ? 5 : 7)) {
    case 0: return json_integer((json_int_t)rnd() * (rnd() % 2 ? 1 : -1) * (rnd() % 1000));
    case 1: return json_real((double)rnd() / (double)(rnd() | 1) * (rnd() % 2 ? 1e-7 : 1e9));
    case 2: {
        char buf[128] = "";
        for (int i = rnd() % 8; i > 0; i--)
            strncat(buf, pieces[rnd() % (sizeof pieces / sizeof pieces[0])],
                    sizeof buf - strlen(buf) - 1);
        return json_string(buf);
    }
    case 3: return json_boolean(rnd() % 2);
    case 4: return json_null();
    case 5: {
        json_t *a = json_array();
        for (int i = rnd() % 5; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        char k[16];
        for (int i = rnd() % 5; i > 0; i--) {
            snprintf(k, sizeof k, "%s%u", rnd() % 3 ? "k" : "ключ", rnd() % 50);
            json_object_set_new(o, k, random_value(depth + 1));
        }
        return o;
    }
    }
}

int main(void)
{
    nana_options_t opts;
    nana_options_init(&opts);
    db = t_open("codec.db", &opts);
    CHECK(sqlite3_open(t_path("codec.db"), &raw) == SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    CHECK(sqlite3_prepare_v2(raw, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)", -1,
                             &ins, NULL) == SQLITE_OK);

    static const char *const cases[] = {
        "0", "-0", "01", "1.", ".5", "-", "+1", "1e", "1e+", "1E5", "1.5e-3", "-12.25",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "12345678901234567890123", "1e400", "-1e-400",
        "true", "false", "null", "tru", "nul", "True", "\"\"", "\"a\\\"b\"",
        "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\udc00\"", "\"\\ud83dx\"", "\"\\u00e9\\u65e5\"",
        "\"\\uZZZZ\"", "\"\\x\"", "\"\\/\\b\\f\\n\\r\\t\"", "\"abc", "\"tab\there\"",
        "[]", "{}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "[", "]",
        "{\"a\":1,\"a\":2}", " \t\n[ 1 , { \"b\" : [ ] } ]\r\n", "1 2", "[1] x", "",
        "   ", "{\"\\u0000k\":1}", "[\"\\u0000\"]", "[1.0, 2.50, -0.0, 1E+2]",
        "{\"nested\":{\"deeper\":{\"deepest\":[true,false,null]}}}", "NaN", "Infinity",
        "[1e308, 4.9e-324, 2.2250738585072014e-308]",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(cases[i]);
    /* Invalid UTF-8 in strings and keys, and a NUL byte in the text. */
    check_text("\"\xff\"", 3);
    check_text("\"\xc0\xaf\"", 4);
    check_text("\"\xed\xa0\x80\"", 5);
    check_text("{\"\xe6\x97\":1}", 8);
    check_text("\"a\0b\"", 5);
    /* Nesting deeper than the fast reader goes: jansson decides. */
    char deep[2 * 700 + 1];
    memset(deep, '[', 700);
    memset(deep + 700, ']', 700);
    check_text(deep, 1400);

    /* Random values, written as jansson writes them with various flags. */
    static const size_t flags[] = {0, JSON_COMPACT, JSON_ENSURE_ASCII, JSON_INDENT(2),
                                   JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH};
    for (int i = 0; i < 400; i++) {
        json_t *v = random_value(0);
        char *text = json_dumps(v, JSON_ENCODE_ANY | flags[i % 5]);
        CHECK(text != NULL);
        check(text);
        free(text);
        json_decref(v);
    }
    sqlite3_finalize(ins);
    sqlite3_close(raw);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(n_checked > 450);
    return 0;
}
