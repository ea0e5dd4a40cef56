/*
 * Stored text with a key twice (another program may write it: JSON allows
 * it) reads as Python's json module and jansson read it: the last value
 * wins, in the place where the key first appeared.  Both readers inside the
 * library agree -- the fast one, and jansson, which handles text with reals.
 */
#include "harness.h"

static void check(const char *path, nana_db_t *db, const char *key, const char *text,
                  const char *const *want_keys, size_t n, const char *want)
{
    t_raw_put(path, key, text);
    json_t *got = TAKE(nana_get_fresh(db, key, NULL));
    CHECK_JSON(got, want);
    CHECK(json_object_size(got) == n);
    size_t i = 0;
    for (void *it = json_object_iter(got); it; it = json_object_iter_next(got, it), i++)
        CHECK_STR(json_object_iter_key(it), want_keys[i]);
    nana_json_release(got);
}

int main(void)
{
    const char *path = t_path("dup.db");
    nana_db_t *db = t_open("dup.db", NULL);
    static const char *const ab[] = {"a", "b"}, *const empty[] = {""},
                             *const bca[] = {"b", "c", "a"};
    check(path, db, "ints", "{\"a\":1,\"b\":2,\"a\":3}", ab, 2, "{\"a\":3,\"b\":2}");
    check(path, db, "reals", "{\"a\": 1.5, \"b\": 2.5, \"a\": 3.5}", ab, 2,
          "{\"a\":3.5,\"b\":2.5}");
    check(path, db, "types", "{\"a\":{\"x\":1},\"b\":2,\"a\":[true]}", ab, 2,
          "{\"a\":[true],\"b\":2}");
    check(path, db, "empty", "{\"\":1,\"\":2,\"\":3}", empty, 1, "{\"\":3}");
    check(path, db, "escaped", "{\"b\":0,\"c\":0,\"\\u0061\":1,\"a\":2}", bca, 3,
          "{\"b\":0,\"c\":0,\"a\":2}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
