/*
 * Table options: a sub-table inherits every cache option of the handle it
 * is opened from unless it overrides it (NanaSQLite once let sub-tables
 * ignore their parent's settings), a table a root already has keeps its
 * policy, and bad options are refused with a message, nothing opened.
 *  - root with cache_max_entries 2: nana_table(root, "t") keeps 2 keys too,
 *    and so does nana_table_v2(t, "v", NULL); nana_table_v2(root, "u",
 *    {NANA_UNLIMITED}) keeps every key; nana_table_v2(u, "w", {3}) keeps 3;
 *  - a policy shows in what stays cached, so each is checked by writing
 *    six keys and counting is_cached;
 *  - reopening "t" with another bound is NANA_EINVAL naming the table's
 *    policy; with the same one, or none, it is the same table and cache;
 *  - a negative option other than NANA_UNLIMITED, a lifetime that overflows,
 *    or a reserved slot set: NANA_EINVAL from nana_table_v2 (message on db)
 *    and from nana_open_v3 (a handle saying why, no file made);
 *  - nana_table_options_init sets every field to NANA_INHERIT, NULL is fine.
 */
#include "harness.h"

#include <sys/stat.h>

static int kept_of_six(nana_db_t *db, const char *tag)
{
    char key[32];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "%s%d", tag, i);
        t_set_json(db, key, "0");
    }
    int kept = 0;
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "%s%d", tag, i);
        kept += t_bool(nana_is_cached(db, key));
    }
    return kept;
}

static nana_table_options_t entries(int64_t n)
{
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = n;
    return to;
}

int main(void)
{
    nana_table_options_t to;
    memset(&to, 0x5a, sizeof to);
    nana_table_options_init(&to);
    CHECK_INT(to.cache_max_entries, NANA_INHERIT);
    CHECK_INT(to.cache_max_bytes, NANA_INHERIT);
    CHECK_INT(to.cache_ttl_ms, NANA_INHERIT);
    for (int i = 0; i < 5; i++)
        CHECK_INT(to.reserved[i], 0);
    nana_table_options_init(NULL);

    const char *path = t_path("inherit.db");
    nana_db_t *root = NULL, *t = NULL, *v = NULL, *u = NULL, *w = NULL, *t2 = NULL;
    to = entries(2);
    CHECK_ST(nana_open_v3(path, NULL, 0, &to, &root), NANA_OK);
    CHECK_INT(kept_of_six(root, "root"), 2);

    CHECK_ST(nana_table(root, "t", &t), NANA_OK);
    CHECK_INT(kept_of_six(t, "t"), 2);
    CHECK_ST(nana_table_v2(t, "v", NULL, &v), NANA_OK);
    CHECK_INT(kept_of_six(v, "v"), 2);
    to = entries(NANA_UNLIMITED);
    CHECK_ST(nana_table_v2(root, "u", &to, &u), NANA_OK);
    CHECK_INT(kept_of_six(u, "u"), 6);
    to = entries(3);
    CHECK_ST(nana_table_v2(u, "w", &to, &w), NANA_OK);
    CHECK_INT(kept_of_six(w, "w"), 3);

    /* "t" is kept with its policy. */
    to = entries(5);
    CHECK_ST(nana_table_v2(root, "T", &to, &t2), NANA_EINVAL);
    CHECK(t2 == NULL);
    CHECK(strstr(nana_db_errmsg(root), "\"t\"") != NULL);
    CHECK(strstr(nana_db_errmsg(root), "cache_max_entries 2") != NULL);
    to = entries(2);
    CHECK_ST(nana_table_v2(u, "T", &to, &t2), NANA_OK); /* u's own bound does not matter */
    CHECK(t_bool(nana_is_cached(t2, "t5")));           /* t's cache */
    CHECK_ST(nana_close(t2), NANA_OK);
    CHECK_ST(nana_table(w, "t", &t2), NANA_OK);
    CHECK_INT(kept_of_six(t2, "t"), 2);
    CHECK_ST(nana_close(t2), NANA_OK);

    /* Refused options. */
    nana_table_options_t bad[6];
    for (int i = 0; i < 6; i++)
        nana_table_options_init(&bad[i]);
    bad[0].cache_max_entries = -2;
    bad[1].cache_max_bytes = INT64_MIN;
    bad[2].cache_ttl_ms = -5;
    bad[3].cache_ttl_ms = INT64_MAX;
    bad[4].reserved[0] = 1;
    bad[5].reserved[4] = -1;
    const char *named[] = {"cache_max_entries", "cache_max_bytes", "cache_ttl_ms",
                           "cache_ttl_ms", "reserved", "reserved"};
    for (int i = 0; i < 6; i++) {
        nana_db_t *x = (nana_db_t *)&bad[i];
        CHECK_ST(nana_table_v2(root, "fresh", &bad[i], &x), NANA_EINVAL);
        CHECK(x == NULL);
        if (!strstr(nana_db_errmsg(root), named[i]))
            t_fail(__FILE__, __LINE__, "case %d: \"%s\" does not name %s", i,
                   nana_db_errmsg(root), named[i]);
        x = NULL;
        CHECK_ST(nana_open_v3(t_path("never.db"), NULL, 0, &bad[i], &x), NANA_EINVAL);
        CHECK(x != NULL);
        CHECK(strstr(nana_db_errmsg(x), named[i]) != NULL);
        CHECK_ST(nana_close(x), NANA_OK);
    }
    struct stat sb;
    CHECK(stat(t_path("never.db"), &sb) != 0);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'fresh'"), 0);

    /* Every table's rows are all there, whatever was cached. */
    CHECK_INT(t_int(nana_len(root)), 6);
    CHECK_INT(t_int(nana_len(t)), 6);
    CHECK_INT(t_int(nana_len(u)), 6);
    t_expect(nana_get(v, "v0", NULL), "0");
    CHECK_ST(nana_close(w), NANA_OK);
    CHECK_ST(nana_close(u), NANA_OK);
    CHECK_ST(nana_close(v), NANA_OK);
    CHECK_ST(nana_close(t), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
