/*
 * nana_increment / nana_increment_real: a missing key counts as 0 (with a
 * member: as {}), a missing member as 0; integers stay integers, a real on
 * either side makes a real; the member keeps its place in the object and
 * the others are untouched.  The cache learns the new value from the write
 * (a get right after is answered at once, without a job) and the file holds
 * the same text a set would have written.  Refused, each with a message and
 * with the stored row byte for byte as it was: a value that is not a number
 * (string, boolean, null, array) or not an object (with a member), a member
 * that is not a number, an integer sum beyond 64 bits either way, a real
 * sum that is not finite, a non-finite delta, a stored text that is not
 * JSON (the message names the key), NULL handle or key, keys and member
 * names that are not UTF-8, a closed root.
 */
#include <float.h>
#include <math.h>

#include "harness.h"

static const char *path;

/* Awaits f: NANA_OK with the JSON value want (integer vs real counts). */
static void same_num(int line, nana_future_t *f, const char *want)
{
    if (nana_future_await(f) != NANA_OK)
        t_fail(__FILE__, line, "%s (%s), want %s", t_status_name(nana_future_status(f)),
               nana_future_errmsg(f), want);
    char *got = json_dumps(nana_future_json(f), JSON_ENCODE_ANY | JSON_COMPACT);
    if (!got || strcmp(got, want) != 0)
        t_fail(__FILE__, line, "got %s, want %s", got ? got : "(null)", want);
    free(got);
    nana_future_free(f);
}

/* Awaits f: failed with want and a message, no value; the row of key is
 * unchanged. */
static void refused(int line, nana_future_t *f, nana_status_t want, const char *key,
                    const char *must_say)
{
    char *before = key ? t_raw_value(path, "data", key) : NULL;
    nana_status_t st = nana_future_await(f);
    if (st != want)
        t_fail(__FILE__, line, "got %s (%s), want %s", t_status_name(st), nana_future_errmsg(f),
               t_status_name(want));
    if (!*nana_future_errmsg(f) || nana_future_json(f))
        t_fail(__FILE__, line, "a failure needs a message and no value");
    if (must_say && !strstr(nana_future_errmsg(f), must_say))
        t_fail(__FILE__, line, "message \"%s\" does not say \"%s\"", nana_future_errmsg(f),
               must_say);
    nana_future_free(f);
    if (key) {
        char *after = t_raw_value(path, "data", key);
        if ((before == NULL) != (after == NULL) || (before && strcmp(before, after) != 0))
            t_fail(__FILE__, line, "row %s changed: %s -> %s", key, before ? before : "(none)",
                   after ? after : "(none)");
        free(before);
        free(after);
    }
}

int main(void)
{
    path = t_path("inc.db");
    nana_db_t *db = t_open("inc.db", NULL);

    /* Missing key: 0 + delta, stored; then integers stay integers. */
    same_num(__LINE__, nana_increment(db, "n", NULL, 5), "5");
    same_num(__LINE__, nana_increment(db, "n", NULL, -7), "-2");
    same_num(__LINE__, nana_increment(db, "n", NULL, 0), "-2");
    nana_future_t *f = nana_get(db, "n", NULL);
    CHECK(nana_future_poll(f)); /* the cache learnt it from the write */
    same_num(__LINE__, f, "-2");
    char *raw = t_raw_value(path, "data", "n");
    CHECK_STR(raw, "-2");
    free(raw);

    /* A real on either side makes a real. */
    same_num(__LINE__, nana_increment_real(db, "n", NULL, 0.5), "-1.5");
    same_num(__LINE__, nana_increment(db, "n", NULL, 2), "0.5");
    same_num(__LINE__, nana_increment_real(db, "r", NULL, 2.0), "2.0");
    same_num(__LINE__, nana_increment(db, "r", NULL, 1), "3.0");

    /* Members: in place, the others untouched; missing member and key. */
    t_set_json(db, "obj", "{\"a\":1,\"n\":10,\"z\":[1,{\"b\":2}]}");
    same_num(__LINE__, nana_increment(db, "obj", "n", 5), "15");
    t_expect(nana_get(db, "obj", NULL), "{\"a\":1,\"n\":15,\"z\":[1,{\"b\":2}]}");
    raw = t_raw_value(path, "data", "obj");
    CHECK_STR(raw, "{\"a\":1,\"n\":15,\"z\":[1,{\"b\":2}]}");
    free(raw);
    same_num(__LINE__, nana_increment(db, "obj", "new", 3), "3");
    raw = t_raw_value(path, "data", "obj");
    CHECK_STR(raw, "{\"a\":1,\"n\":15,\"z\":[1,{\"b\":2}],\"new\":3}");
    free(raw);
    same_num(__LINE__, nana_increment_real(db, "obj", "a", 0.25), "1.25");
    same_num(__LINE__, nana_increment(db, "fresh", "count", 1), "1");
    raw = t_raw_value(path, "data", "fresh");
    CHECK_STR(raw, "{\"count\":1}");
    free(raw);
    same_num(__LINE__, nana_increment(db, "obj", "", 4), "4"); /* a member named "" */
    same_num(__LINE__, nana_increment(db, "obj", "ключ", 1), "1");

    /* The edges of 64 bits are reached, never crossed. */
    json_t *v = json_integer(INT64_MAX - 1);
    CHECK_ST(t_wait(nana_set(db, "big", v)), NANA_OK);
    json_decref(v);
    same_num(__LINE__, nana_increment(db, "big", NULL, 1), "9223372036854775807");
    refused(__LINE__, nana_increment(db, "big", NULL, 1), NANA_ERANGE, "big", "overflow");
    refused(__LINE__, nana_increment(db, "big", NULL, INT64_MAX), NANA_ERANGE, "big", "big");
    same_num(__LINE__, nana_increment(db, "big", NULL, INT64_MIN), "-1");
    same_num(__LINE__, nana_increment(db, "big", NULL, INT64_MIN + 1), "-9223372036854775808");
    refused(__LINE__, nana_increment(db, "big", NULL, -1), NANA_ERANGE, "big", "64-bit");
    t_set_json(db, "cnt", "{\"c\":9223372036854775807}");
    refused(__LINE__, nana_increment(db, "cnt", "c", 1), NANA_ERANGE, "cnt", "\"c\"");
    /* Reals: a sum that is not finite, a delta that is not. */
    v = json_real(DBL_MAX);
    CHECK_ST(t_wait(nana_set(db, "huge", v)), NANA_OK);
    json_decref(v);
    refused(__LINE__, nana_increment_real(db, "huge", NULL, DBL_MAX), NANA_ERANGE, "huge",
            "finite");
    refused(__LINE__, nana_increment_real(db, "huge", NULL, NAN), NANA_EINVAL, "huge", NULL);
    refused(__LINE__, nana_increment_real(db, "huge", NULL, INFINITY), NANA_EINVAL, "huge", NULL);
    CHECK(t_bool(nana_is_cached(db, "huge")));

    /* Not a number, not an object. */
    t_set_json(db, "s", "\"text\"");
    t_set_json(db, "b", "true");
    t_set_json(db, "z", "null");
    t_set_json(db, "arr", "[1]");
    refused(__LINE__, nana_increment(db, "s", NULL, 1), NANA_ETYPE, "s", "a string, not a number");
    refused(__LINE__, nana_increment(db, "b", NULL, 1), NANA_ETYPE, "b", "boolean");
    refused(__LINE__, nana_increment(db, "z", NULL, 1), NANA_ETYPE, "z", "null");
    refused(__LINE__, nana_increment(db, "arr", NULL, 1), NANA_ETYPE, "arr", "array");
    refused(__LINE__, nana_increment(db, "obj", NULL, 1), NANA_ETYPE, "obj", "object");
    refused(__LINE__, nana_increment(db, "n", "m", 1), NANA_ETYPE, "n", "not an object");
    refused(__LINE__, nana_increment(db, "obj", "z", 1), NANA_ETYPE, "obj", "member \"z\"");
    refused(__LINE__, nana_increment_real(db, "arr", NULL, 1), NANA_ETYPE, "arr", NULL);

    /* Stored text that is not JSON: named, never changed, not cached. */
    t_raw_put(path, "junk", "not json{");
    refused(__LINE__, nana_increment(db, "junk", NULL, 1), NANA_ETYPE, "junk", "\"junk\"");
    CHECK(!t_bool(nana_is_cached(db, "junk")));

    /* Bad arguments: nothing queued, nothing written. */
    refused(__LINE__, nana_increment(NULL, "n", NULL, 1), NANA_EINVAL, "n", NULL);
    refused(__LINE__, nana_increment(db, NULL, NULL, 1), NANA_EINVAL, NULL, NULL);
    refused(__LINE__, nana_increment_real(NULL, "n", NULL, 1), NANA_EINVAL, "n", NULL);
    refused(__LINE__, nana_increment(db, "bad\xff", NULL, 1), NANA_EINVAL, NULL, "UTF-8");
    refused(__LINE__, nana_increment(db, "n", "bad\xc3(", 1), NANA_EINVAL, "n", "UTF-8");
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data WHERE key LIKE 'bad%'"), 0);

    /* A sub-table has its own counters. */
    nana_db_t *sub;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    same_num(__LINE__, nana_increment(sub, "n", NULL, 1), "1");
    same_num(__LINE__, nana_increment(db, "n", NULL, 0), "0.5");

    /* A closed root. */
    CHECK_ST(nana_close(db), NANA_OK);
    refused(__LINE__, nana_increment(sub, "n", NULL, 1), NANA_ECLOSED, NULL, NULL);
    refused(__LINE__, nana_increment_real(sub, "n", NULL, 1), NANA_ECLOSED, NULL, NULL);
    CHECK_ST(nana_close(sub), NANA_OK);

    db = t_open("inc.db", NULL);
    t_expect(nana_get(db, "obj", NULL),
             "{\"a\":1.25,\"n\":15,\"z\":[1,{\"b\":2}],\"new\":3,\"\":4,\"ключ\":1}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
