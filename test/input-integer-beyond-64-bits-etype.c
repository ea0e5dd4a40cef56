/*
 * A stored integer beyond 64 bits -- at top level, nested in an object or an
 * array, positive or negative (2^64, a 30-digit number, -2^64) -- fails that
 * key's get with NANA_ETYPE naming the key, without echoing the number, and
 * leaves the row intact; the 64-bit limits themselves (INT64_MAX, INT64_MIN)
 * and neighbouring keys read fine.
 */
#include "harness.h"

static const struct {
    const char *key;
    const char *text;
} big[] = {
    {"two_pow_64_key", "18446744073709551616"},
    {"thirty_digits_key", "123456789012345678901234567890"},
    {"neg_two_pow_64_key", "-18446744073709551616"},
    {"nested_obj_key", "{\"ok\": 1, \"n\": 123456789012345678901234567890}"},
    {"nested_arr_key", "[1, [2, 36893488147419103232]]"},
};
#define NBIG (sizeof big / sizeof big[0])

int main(void)
{
    const char *path = t_path("bigint.db");
    t_raw_put(path, "max_key", "9223372036854775807");
    t_raw_put(path, "min_key", "-9223372036854775808");
    for (size_t i = 0; i < NBIG; i++)
        t_raw_put(path, big[i].key, big[i].text);

    nana_db_t *db = t_open("bigint.db", NULL);
    for (size_t i = 0; i < NBIG; i++) {
        nana_future_t *f = nana_get(db, big[i].key, NULL);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_ETYPE)
            t_fail(__FILE__, __LINE__, "get(%s): got %s, want NANA_ETYPE", big[i].key,
                   t_status_name(st));
        const char *msg = nana_future_errmsg(f);
        if (!strstr(msg, big[i].key))
            t_fail(__FILE__, __LINE__, "message \"%s\" does not name %s", msg, big[i].key);
        if (strstr(msg, "1844674407370955161") || strstr(msg, "1234567890123456789") ||
            strstr(msg, "3689348814741910323"))
            t_fail(__FILE__, __LINE__, "message \"%s\" echoes the stored number", msg);
        CHECK(nana_future_json(f) == NULL);
        nana_future_free(f);
        CHECK_ST(t_wait(nana_get_fresh(db, big[i].key, NULL)), NANA_ETYPE);
        char *raw = t_raw_value(path, "data", big[i].key);
        CHECK_STR(raw, big[i].text);
        free(raw);
    }

    json_t *v = t_take(nana_get(db, "max_key", NULL), NANA_OK);
    CHECK(json_is_integer(v));
    CHECK(json_integer_value(v) == INT64_MAX);
    nana_json_release(v);
    v = t_take(nana_get(db, "min_key", NULL), NANA_OK);
    CHECK(json_is_integer(v));
    CHECK(json_integer_value(v) == INT64_MIN);
    nana_json_release(v);

    CHECK_INT(t_int(nana_len(db)), NBIG + 2);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
