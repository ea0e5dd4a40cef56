/*
 * A table opened with cache_max_entries 3 (nana_open_v3) keeps at most three
 * keys cached, present or absent, and drops the least recently used one
 * first: after set a, b, c, a get of a and a set of d, b is the one gone
 * (is_cached), and what was dropped reads right from SQLite -- including a
 * row another connection changed meanwhile, which the cache would have hidden
 * had the key stayed.  is_cached only looks: probing does not count as a use.
 * Absent answers count against the bound like present ones.  Over many
 * keys the cache never holds more than three, and every get answers the
 * value last set.
 */
#include "harness.h"

static bool cached(nana_db_t *db, const char *key)
{
    return t_bool(nana_is_cached(db, key));
}

static int n_cached(nana_db_t *db, int n_keys)
{
    int n = 0;
    for (int i = 0; i < n_keys; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        n += cached(db, key);
    }
    return n;
}

int main(void)
{
    const char *path = t_path("lru.db");
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = 3;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v3(path, NULL, 0, &to, &db), NANA_OK);

    t_set_json(db, "a", "1");
    t_set_json(db, "b", "2");
    t_set_json(db, "c", "3");
    CHECK(cached(db, "a") && cached(db, "b") && cached(db, "c"));
    t_expect(nana_get(db, "a", NULL), "1"); /* a is used: b is now the oldest unused */
    t_set_json(db, "d", "4");
    CHECK(cached(db, "a"));
    CHECK(!cached(db, "b"));
    CHECK(cached(db, "c"));
    CHECK(cached(db, "d"));

    /* b was dropped, so another connection's change to it is seen; c is
     * still cached, so its change is not (until refreshed). */
    t_raw_exec(path, "UPDATE data SET value = '20' WHERE key = 'b';"
                     "UPDATE data SET value = '30' WHERE key = 'c';");
    t_expect(nana_get(db, "c", NULL), "3");
    t_expect(nana_get(db, "b", NULL), "20");
    CHECK(cached(db, "b")); /* read back in: something else went */
    CHECK_INT(cached(db, "a") + cached(db, "b") + cached(db, "c") + cached(db, "d"), 3);

    /* Absences are entries too. */
    CHECK_ST(t_wait(nana_get(db, "x", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "y", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "z", NULL)), NANA_ENOTFOUND);
    CHECK(cached(db, "z"));
    CHECK_INT(cached(db, "a") + cached(db, "b") + cached(db, "c") + cached(db, "d") +
                  cached(db, "x") + cached(db, "y") + cached(db, "z"),
              3);

    /* Many keys through a bound of three: every answer right, never more
     * than three cached. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++) {
            char key[16], text[32];
            snprintf(key, sizeof key, "k%d", i);
            snprintf(text, sizeof text, "[%d,%d]", i, round);
            t_set_json(db, key, text);
        }
        for (int i = 39; i >= 0; i--) {
            char key[16], text[32];
            snprintf(key, sizeof key, "k%d", i);
            snprintf(text, sizeof text, "[%d,%d]", i, round);
            t_expect(nana_get(db, key, NULL), text);
        }
        CHECK(n_cached(db, 40) <= 3);
    }
    CHECK_INT(t_int(nana_len(db)), 44);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
