/*
 * nana_scan_prefix / nana_scan_range: [key, value] pairs in key order (the
 * bytes of the UTF-8 text, so "B" < "a" < "é" < "日"), not rowid order, up
 * to limit.  A prefix is matched as plain text: "50%", "a_b", "x\\" and
 * "q'" select only keys that begin with exactly those bytes (LIKE would
 * have taken % and _ as wildcards and been case-blind for ASCII).  A range
 * is [start, end): start inclusive, end exclusive, NULL for no bound.  Rows
 * whose key is NULL or a BLOB (written by another connection) are not
 * dict keys and are left out.  Values the cache holds are shared with it;
 * the others are decoded and not cached.  Writes submitted before a scan
 * are seen.  A row that is not JSON in the range fails the scan NANA_ETYPE
 * naming its key; a limit that stops before it does not.  Refused: NULL
 * handle or prefix, a bound or prefix not UTF-8, a negative limit, a closed
 * root.  Keys of a sub-table are its own.
 */
#include "harness.h"

static nana_db_t *db;

static void pairs_are(int line, nana_future_t *f, const char *want)
{
    if (nana_future_await(f) != NANA_OK)
        t_fail(__FILE__, line, "%s (%s)", t_status_name(nana_future_status(f)),
               nana_future_errmsg(f));
    char *got = json_dumps(nana_future_json(f), JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!got || strcmp(got, want) != 0)
        t_fail(__FILE__, line, "got %s\n  want %s", got ? got : "(null)", want);
    free(got);
    nana_future_free(f);
}

/* Just the keys, "k1 k2 ...". */
static void keys_are(int line, nana_future_t *f, const char *want)
{
    if (nana_future_await(f) != NANA_OK)
        t_fail(__FILE__, line, "%s (%s)", t_status_name(nana_future_status(f)),
               nana_future_errmsg(f));
    char got[4096] = "";
    size_t i;
    json_t *pair;
    json_array_foreach(nana_future_json(f), i, pair) {
        CHECK(json_is_array(pair) && json_array_size(pair) == 2);
        if (i)
            strcat(got, " ");
        strcat(got, json_string_value(json_array_get(pair, 0)));
    }
    if (strcmp(got, want) != 0)
        t_fail(__FILE__, line, "keys \"%s\", want \"%s\"", got, want);
    nana_future_free(f);
}

int main(void)
{
    const char *path = t_path("scan.db");
    db = t_open("scan.db", NULL);
    /* Inserted out of order: rowid order is not key order. */
    static const char *const keys[] = {
        "user:2", "user:10", "user:1", "a_b", "axb", "a_c", "50%", "500", "50x", "x\\", "x\\y",
        "xy", "q'", "q'r", "q\"", "A", "B", "a", "é", "日本", "", "user;", "user", "use",
    };
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_pack("{s:i}", "i", (int)i);
        CHECK_ST(t_wait(nana_set(db, keys[i], v)), NANA_OK);
        json_decref(v);
    }

    keys_are(__LINE__, nana_scan_prefix(db, "user:", INT64_MAX), "user:1 user:10 user:2");
    keys_are(__LINE__, nana_scan_prefix(db, "user", INT64_MAX), "user user:1 user:10 user:2 user;");
    keys_are(__LINE__, nana_scan_prefix(db, "50%", INT64_MAX), "50%");
    keys_are(__LINE__, nana_scan_prefix(db, "a_", INT64_MAX), "a_b a_c");
    keys_are(__LINE__, nana_scan_prefix(db, "x\\", INT64_MAX), "x\\ x\\y");
    keys_are(__LINE__, nana_scan_prefix(db, "q'", INT64_MAX), "q' q'r");
    keys_are(__LINE__, nana_scan_prefix(db, "q\"", INT64_MAX), "q\"");
    keys_are(__LINE__, nana_scan_prefix(db, "%", INT64_MAX), "");
    keys_are(__LINE__, nana_scan_prefix(db, "_", INT64_MAX), "");
    keys_are(__LINE__, nana_scan_prefix(db, "a", INT64_MAX), "a a_b a_c axb"); /* not A */
    keys_are(__LINE__, nana_scan_prefix(db, "日", INT64_MAX), "日本");
    keys_are(__LINE__, nana_scan_prefix(db, "", INT64_MAX),
             " 50% 500 50x A B a a_b a_c axb q\" q' q'r use user user:1 user:10 user:2 user; "
             "x\\ x\\y xy é 日本");
    keys_are(__LINE__, nana_scan_prefix(db, "", 3), " 50% 500");
    keys_are(__LINE__, nana_scan_prefix(db, "user", 0), "");
    pairs_are(__LINE__, nana_scan_prefix(db, "user:1", 1), "[[\"user:1\",{\"i\":2}]]");

    keys_are(__LINE__, nana_scan_range(db, "user:1", "user:2", INT64_MAX), "user:1 user:10");
    keys_are(__LINE__, nana_scan_range(db, "user:1", "user:20", INT64_MAX),
             "user:1 user:10 user:2");
    keys_are(__LINE__, nana_scan_range(db, "x", NULL, INT64_MAX), "x\\ x\\y xy é 日本");
    keys_are(__LINE__, nana_scan_range(db, NULL, "A", INT64_MAX), " 50% 500 50x");
    keys_are(__LINE__, nana_scan_range(db, "b", "a", INT64_MAX), "");
    keys_are(__LINE__, nana_scan_range(db, "a", "a", INT64_MAX), "");
    keys_are(__LINE__, nana_scan_range(db, "é", "日本", INT64_MAX), "é");
    keys_are(__LINE__, nana_scan_range(db, NULL, NULL, 2), " 50%");

    /* Not dict keys: a NULL key, a BLOB key. */
    t_raw_exec(path, "INSERT INTO data VALUES (NULL, '1'); INSERT INTO data VALUES (x'7573', '2')");
    keys_are(__LINE__, nana_scan_range(db, "u", NULL, INT64_MAX),
             "use user user:1 user:10 user:2 user; x\\ x\\y xy é 日本");

    /* Writes queued before the scan are seen. */
    nana_future_t *w1 = nana_delete(db, "user:10");
    json_t *v = json_string("new");
    nana_future_t *w2 = nana_set(db, "user:3", v);
    json_decref(v);
    pairs_are(__LINE__, nana_scan_prefix(db, "user:", INT64_MAX),
              "[[\"user:1\",{\"i\":2}],[\"user:2\",{\"i\":0}],[\"user:3\",\"new\"]]");
    CHECK_ST(t_wait(w1), NANA_OK);
    CHECK_ST(t_wait(w2), NANA_OK);

    /* Cached values are shared with the cache; others are not cached. */
    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    json_t *cached = t_take(nana_get(db, "axb", NULL), NANA_OK);
    nana_future_t *f = nana_scan_prefix(db, "a", INT64_MAX);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(json_array_get(json_array_get(nana_future_json(f), 3), 1) == cached);
    nana_future_free(f);
    nana_json_release(cached);
    CHECK(!t_bool(nana_is_cached(db, "a_b")));

    /* Not JSON in range: ETYPE naming it; a limit short of it is fine. */
    t_raw_put(path, "m2", "{broken");
    t_raw_put(path, "m1", "1");
    f = nana_scan_prefix(db, "m", INT64_MAX);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"m2\"") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    pairs_are(__LINE__, nana_scan_prefix(db, "m", 1), "[[\"m1\",1]]");

    /* Bad input. */
    EXPECT(nana_scan_prefix(NULL, "a", 1), NANA_EINVAL);
    EXPECT(nana_scan_prefix(db, NULL, 1), NANA_EINVAL);
    EXPECT(nana_scan_prefix(db, "\xe6\x97", 1), NANA_EINVAL); /* cut UTF-8 */
    EXPECT(nana_scan_prefix(db, "a", -1), NANA_EINVAL);
    EXPECT(nana_scan_range(NULL, NULL, NULL, 1), NANA_EINVAL);
    EXPECT(nana_scan_range(db, "\x80", NULL, 1), NANA_EINVAL);
    EXPECT(nana_scan_range(db, NULL, "\xf5\x80\x80\x80", 1), NANA_EINVAL);
    EXPECT(nana_scan_range(db, NULL, NULL, INT64_MIN), NANA_EINVAL);

    /* A sub-table's keys. */
    nana_db_t *sub;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    v = json_true();
    CHECK_ST(t_wait(nana_set(sub, "user:9", v)), NANA_OK);
    json_decref(v);
    pairs_are(__LINE__, nana_scan_prefix(sub, "user", INT64_MAX), "[[\"user:9\",true]]");

    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_scan_prefix(sub, "user", 5), NANA_ECLOSED);
    EXPECT(nana_scan_range(sub, NULL, NULL, 5), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
