/*
 * cache_max_bytes bounds what the cache holds by cost: 64 per key plus the
 * key's length plus its value's length as compact JSON text.  With a bound
 * of 1000:
 *  - ten keys with 20-byte values (about 90 each) all stay;
 *  - a value of 2000 bytes does not fit at all: after its set it is not
 *    cached, yet every read of it is right (from SQLite);
 *  - small values then fill the cache again up to the bound, never past it:
 *    the sum of the costs of the keys is_cached reports stays within 1000;
 *  - a value growing in place (set again, larger) is charged its new size.
 */
#include "harness.h"

#define BOUND 1000

static size_t cost(const char *key, size_t value_len)
{
    return 64 + strlen(key) + value_len;
}

int main(void)
{
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_bytes = BOUND;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v3(t_path("bytes.db"), NULL, 0, &to, &db), NANA_OK);

    char key[32], text[4096];
    /* "..." of 18 characters: 20 bytes of JSON text. */
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "s%d", i);
        t_set_json(db, key, "\"abcdefghijklmnopqr\"");
    }
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "s%d", i);
        CHECK(t_bool(nana_is_cached(db, key)));
    }

    /* Too big to keep. */
    memset(text, 'x', 2000);
    text[0] = '"';
    text[1999] = '"';
    text[2000] = '\0';
    t_set_json(db, "big", text);
    CHECK(!t_bool(nana_is_cached(db, "big")));
    for (int i = 0; i < 3; i++) {
        json_t *v = TAKE(nana_get(db, "big", NULL));
        CHECK_INT(json_string_length(v), 1998);
        json_decref(v);
        CHECK(!t_bool(nana_is_cached(db, "big")));
    }

    /* Never past the bound, counting what is cached. */
    for (int i = 0; i < 60; i++) {
        snprintf(key, sizeof key, "n%d", i);
        snprintf(text, sizeof text, "[%d,\"%.*s\"]", i, i % 40, "0123456789012345678901234567890123456789");
        t_set_json(db, key, text);
        size_t held = 0;
        for (int j = 0; j <= i; j++) {
            char k2[32], t2[128];
            snprintf(k2, sizeof k2, "n%d", j);
            snprintf(t2, sizeof t2, "[%d,\"%.*s\"]", j, j % 40, "0123456789012345678901234567890123456789");
            if (t_bool(nana_is_cached(db, k2)))
                held += cost(k2, strlen(t2));
        }
        for (int j = 0; j < 10; j++) {
            snprintf(key, sizeof key, "s%d", j);
            if (t_bool(nana_is_cached(db, key)))
                held += cost(key, 20);
        }
        if (held > BOUND)
            t_fail(__FILE__, __LINE__, "after %d sets, %zu bytes cached", i + 1, held);
        snprintf(key, sizeof key, "n%d", i);
        CHECK(t_bool(nana_is_cached(db, key))); /* the newest fits */
    }

    /* Growing in place: a 900-byte value leaves room for little else. */
    memset(text, 'y', 900);
    text[0] = '"';
    text[899] = '"';
    text[900] = '\0';
    t_set_json(db, "n59", text);
    CHECK(t_bool(nana_is_cached(db, "n59")));
    int others = 0;
    for (int j = 0; j < 59; j++) {
        snprintf(key, sizeof key, "n%d", j);
        others += t_bool(nana_is_cached(db, key));
    }
    CHECK(others <= 1);
    for (int j = 0; j < 60; j++) {
        snprintf(key, sizeof key, "n%d", j);
        if (j < 59) {
            snprintf(text, sizeof text, "[%d,\"%.*s\"]", j, j % 40,
                     "0123456789012345678901234567890123456789");
            t_expect(nana_get(db, key, NULL), text);
        }
    }
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
