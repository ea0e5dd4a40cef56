/*
 * Large inputs: a 50 MiB value (10 MiB under ThreadSanitizer) and a 1 MiB
 * key.  The library sets no
 * limit of its own on either (validate.c's limits are for the SQL helpers'
 * clauses, codec.c's for nesting depth); SQLite's is SQLITE_MAX_LENGTH,
 * 10^9 bytes by default and in Debian's build, for the JSON text of a value
 * and for a key.  Both sizes here are far below it:
 *   Status: NANA_OK for set, get, get_fresh (from another root, which has
 *   nothing cached), contains, keys, delete.
 *   Data: the value and the key read back whole, through the library and
 *   through a raw sqlite3 connection (lengths and bytes); a message about
 *   the 1 MiB key (ENOTFOUND once deleted) names it cut short, never whole.
 *   Recovery: not needed -- small writes go on as usual beside them.
 */
#include "harness.h"

#include <sqlite3.h>

/* ThreadSanitizer looks for races, not limits, and makes every byte the
 * codec reads cost some hundred times more: 50 MiB took it 50 s. */
#ifdef NANA_TEST_TSAN
#define VALUE_BYTES (10u << 20)
#else
#define VALUE_BYTES (50u << 20)
#endif
#define KEY_BYTES (1u << 20)

/* A cycle of 61 characters (a prime: a part shifted by a page, or lost,
 * compares unequal), none of which JSON escapes. */
static char *patterned(size_t n, unsigned seed)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345678";
    const size_t cycle = sizeof alphabet - 1;
    char *s = malloc(n + 1);
    CHECK(s != NULL && n >= cycle);
    for (size_t i = 0; i < cycle; i++)
        s[i] = alphabet[(i + seed) % cycle];
    /* Doubling copies of whole cycles keep the pattern. */
    for (size_t have = cycle; have < n; have *= 2)
        memcpy(s + have, s, have < n - have ? have : n - have);
    s[n] = '\0';
    return s;
}

int main(void)
{
    const char *path = t_path("large.db");
    nana_db_t *db = t_open("large.db", NULL);
    char *text = patterned(VALUE_BYTES, 1);
    char *key = patterned(KEY_BYTES, 2);
    json_t *big = json_string(text);
    CHECK(big != NULL);

    EXPECT(nana_set(db, "big", big), NANA_OK);
    json_t *one = json_integer(1);
    EXPECT(nana_set(db, key, one), NANA_OK);
    t_set_json(db, "small", "\"beside\"");
    json_t *got = TAKE(nana_get(db, "big", NULL));
    CHECK(json_equal(got, big));
    nana_json_release(got);
    CHECK(t_bool(nana_contains(db, key)));

    /* A second root reads SQLite, not a cache. */
    nana_db_t *other = t_open("large.db", NULL);
    got = TAKE(nana_get_fresh(other, "big", NULL));
    CHECK(json_string_length(got) == VALUE_BYTES);
    CHECK(memcmp(json_string_value(got), text, VALUE_BYTES) == 0);
    nana_json_release(got);
    t_expect(nana_get_fresh(other, key, NULL), "1");
    json_t *keys = TAKE(nana_keys(other));
    CHECK(json_array_size(keys) == 3);
    CHECK(json_string_length(json_array_get(keys, 1)) == KEY_BYTES);
    CHECK(strcmp(json_string_value(json_array_get(keys, 1)), key) == 0);
    nana_json_release(keys);
    CHECK_ST(nana_close(other), NANA_OK);

    /* SQLite alone: the text is the value in quotes, the key whole. */
    sqlite3 *raw = NULL;
    CHECK(sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(raw, "SELECT value FROM data WHERE key = 'big'", -1, &st, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    const char *stored = (const char *)sqlite3_column_text(st, 0);
    CHECK_INT(sqlite3_column_bytes(st, 0), VALUE_BYTES + 2);
    CHECK(stored[0] == '"' && stored[VALUE_BYTES + 1] == '"');
    CHECK(memcmp(stored + 1, text, VALUE_BYTES) == 0);
    sqlite3_finalize(st);
    CHECK(sqlite3_prepare_v2(raw, "SELECT value FROM data WHERE key = ?1", -1, &st, NULL) ==
          SQLITE_OK);
    sqlite3_bind_text(st, 1, key, KEY_BYTES, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "1");
    sqlite3_finalize(st);
    sqlite3_close(raw);

    /* The 1 MiB key in a message: cut, not whole. */
    EXPECT(nana_delete(db, key), NANA_OK);
    nana_future_t *f = nana_get(db, key, NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK(strlen(nana_future_errmsg(f)) < 400);
    CHECK(strstr(nana_future_errmsg(f), "...") != NULL);
    nana_future_free(f);
    t_expect(nana_get(db, "small", NULL), "\"beside\"");
    CHECK_INT(t_int(nana_len(db)), 2);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(one);
    json_decref(big);
    free(key);
    free(text);
    return 0;
}
