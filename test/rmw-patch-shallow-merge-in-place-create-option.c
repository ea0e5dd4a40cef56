/*
 * nana_patch merges the members of an object into the object stored under
 * a key: a member it names is replaced in its place (a nested object is
 * replaced whole, not merged), the others are added after, in the order
 * given; JSON null is stored as a value, not a deletion.  The result is the
 * new object, which the cache holds (a get right after is answered at once
 * with it).  A missing key is created from the changes with create, else
 * NANA_ENOTFOUND and nothing is stored.  The changes are borrowed: changing
 * them after the call changes nothing.  Refused with the row intact: changes
 * that are not an object (NANA_ETYPE), a stored value that is not an object
 * (NANA_ETYPE), stored text that is not JSON (NANA_ETYPE naming the key),
 * changes that cannot be encoded (a member name with a NUL byte, a string
 * that is not UTF-8: NANA_EINVAL), NULL arguments, a closed root.  Four
 * threads patching members of their own into one object lose none.
 */
#include <pthread.h>

#include "harness.h"

static const char *path;
static nana_db_t *db;

static void raw_is(int line, const char *key, const char *want)
{
    char *raw = t_raw_value(path, "data", key);
    if (!raw || strcmp(raw, want) != 0)
        t_fail(__FILE__, line, "row %s is %s, want %s", key, raw ? raw : "(none)", want);
    free(raw);
}

static void refused(int line, nana_future_t *f, nana_status_t want, const char *key)
{
    char *before = key ? t_raw_value(path, "data", key) : NULL;
    nana_status_t st = nana_future_await(f);
    if (st != want || !*nana_future_errmsg(f) || nana_future_json(f))
        t_fail(__FILE__, line, "got %s (\"%s\"), want %s with a message and no value",
               t_status_name(st), nana_future_errmsg(f), t_status_name(want));
    if (key && want == NANA_ETYPE && before && strstr(before, "{") != before &&
        !strstr(nana_future_errmsg(f), key))
        t_fail(__FILE__, line, "message \"%s\" does not name key %s", nana_future_errmsg(f), key);
    nana_future_free(f);
    char *after = key ? t_raw_value(path, "data", key) : NULL;
    if ((before == NULL) != (after == NULL) || (before && strcmp(before, after) != 0))
        t_fail(__FILE__, line, "row %s changed", key);
    free(before);
    free(after);
}

#define THREADS 4
#define PER_THREAD 200

static void *patcher(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char member[16];
        snprintf(member, sizeof member, "t%d", t);
        json_t *ch = json_pack("{s:i}", member, i + 1);
        nana_future_t *f = nana_patch(db, "shared", ch, true);
        json_decref(ch);
        if (nana_future_await(f) != NANA_OK)
            t_fail(__FILE__, __LINE__, "patch: %s", nana_future_errmsg(f));
        json_t *got = nana_future_json(f);
        CHECK(json_integer_value(json_object_get(got, member)) == i + 1);
        nana_future_free(f);
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    path = t_path("patch.db");
    db = t_open("patch.db", NULL);

    t_set_json(db, "u", "{\"name\":\"Nana\",\"age\":20,\"tags\":[\"a\"],\"addr\":{\"city\":\"X\","
                        "\"zip\":\"1\"}}");
    json_t *ch = t_json("{\"age\":21,\"addr\":{\"city\":\"Y\"},\"email\":\"n@x\",\"tags\":null}");
    nana_future_t *f = nana_patch(db, "u", ch, false);
    json_object_set_new(ch, "age", json_integer(99)); /* borrowed: copied at the call */
    json_decref(ch);
    CHECK_ST(nana_future_await(f), NANA_OK);
    char *text = json_dumps(nana_future_json(f), JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(text, "{\"name\":\"Nana\",\"age\":21,\"tags\":null,\"addr\":{\"city\":\"Y\"},"
                    "\"email\":\"n@x\"}");
    nana_future_free(f);
    f = nana_get(db, "u", NULL);
    CHECK(nana_future_poll(f)); /* cached from the write */
    CHECK_ST(nana_future_await(f), NANA_OK);
    char *got = json_dumps(nana_future_json(f), JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(got, text);
    free(got);
    nana_future_free(f);
    raw_is(__LINE__, "u", text);
    free(text);

    /* Empty changes: the same object, written again. */
    ch = json_object();
    t_expect(nana_patch(db, "u", ch, false),
             "{\"name\":\"Nana\",\"age\":21,\"tags\":null,\"addr\":{\"city\":\"Y\"},\"email\":\"n@x\"}");

    /* A missing key: ENOTFOUND and nothing stored, or created. */
    refused(__LINE__, nana_patch(db, "nokey", ch, false), NANA_ENOTFOUND, "nokey");
    CHECK(!t_bool(nana_contains(db, "nokey")));
    json_decref(ch);
    ch = t_json("{\"b\":2,\"a\":1}");
    t_expect(nana_patch(db, "nokey", ch, true), "{\"b\":2,\"a\":1}");
    raw_is(__LINE__, "nokey", "{\"b\":2,\"a\":1}");

    /* Refusals. */
    t_set_json(db, "arr", "[1,2]");
    t_set_json(db, "num", "3");
    refused(__LINE__, nana_patch(db, "arr", ch, true), NANA_ETYPE, "arr");
    refused(__LINE__, nana_patch(db, "num", ch, false), NANA_ETYPE, "num");
    t_raw_put(path, "junk", "{\"a\":");
    refused(__LINE__, nana_patch(db, "junk", ch, true), NANA_ETYPE, "junk");
    json_t *notobj = t_json("[1]");
    refused(__LINE__, nana_patch(db, "u", notobj, false), NANA_ETYPE, "u");
    json_decref(notobj);
    json_t *s = json_string("x");
    refused(__LINE__, nana_patch(db, "u", s, true), NANA_ETYPE, "u");
    json_decref(s);
    refused(__LINE__, nana_patch(db, "u", NULL, true), NANA_EINVAL, "u");
    refused(__LINE__, nana_patch(NULL, "u", ch, true), NANA_EINVAL, "u");
    refused(__LINE__, nana_patch(db, NULL, ch, true), NANA_EINVAL, NULL);
    refused(__LINE__, nana_patch(db, "\xc0\x80", ch, true), NANA_EINVAL, NULL);
#if JANSSON_VERSION_HEX >= 0x020e00
    json_t *nul = json_object();
    json_object_setn_new_nocheck(nul, "a\0b", 3, json_true());
    refused(__LINE__, nana_patch(db, "u", nul, true), NANA_EINVAL, "u");
    json_decref(nul);
#endif
    json_t *bad = json_object();
    json_object_set_new_nocheck(bad, "k", json_stringn_nocheck("\xff", 1));
    refused(__LINE__, nana_patch(db, "u", bad, true), NANA_EINVAL, "u");
    json_decref(bad);
    json_decref(ch);

    /* Four threads, members of their own in one object: none lost. */
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, patcher, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    t_expect(nana_get_fresh(db, "shared", NULL), "{\"t0\":200,\"t1\":200,\"t2\":200,\"t3\":200}");

    CHECK_ST(nana_close(db), NANA_OK);
    ch = json_object();
    nana_future_t *closed = nana_patch(db = t_open("patch.db", NULL), "u", ch, false);
    CHECK_ST(t_wait(closed), NANA_OK);
    nana_db_t *sub;
    CHECK_ST(nana_table(db, "data", &sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    refused(__LINE__, nana_patch(sub, "u", ch, true), NANA_ECLOSED, "u");
    CHECK_ST(nana_close(sub), NANA_OK);
    json_decref(ch);
    return 0;
}
