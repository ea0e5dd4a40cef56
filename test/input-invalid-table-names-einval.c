/*
 * Table names must be [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes, not starting
 * with "sqlite_" (any case).  Every invalid name -- "", "1abc", "a-b", "a b",
 * names with a double or single quote, semicolon, dot, non-ASCII, a 129-byte
 * name, "sqlite_x", "SQLITE_x", "Sqlite_master" -- is NANA_EINVAL from nana_open
 * (with *out a closed handle whose message says why, and no file created)
 * and from nana_table (with *out NULL and
 * no table created); NULL name to nana_table is NANA_EINVAL.  Valid edge cases
 * work: a 128-byte name, "order", "main", "select", "_x", "sqlite" and
 * "sqlitex".  Stored data is intact after each refusal.
 */
#include "harness.h"

#include <sys/stat.h>

static int count_tables(const char *path)
{
    return t_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
}

int main(void)
{
    char n129[130], n128[129];
    memset(n129, 'a', 129);
    n129[129] = '\0';
    memset(n128, 'b', 128);
    n128[128] = '\0';
    const char *bad[] = {
        "",       "1abc",         "a-b",           "a b",   "a\"b",   "a'b",
        "a;b",    "a.b",          "\xe6\x97\xa5",  n129,    "sqlite_x", "SQLITE_x",
        "Sqlite_master", "sqlite_", "x\n",         "\"data\"", "data;",   " data",
    };
    const size_t nbad = sizeof bad / sizeof bad[0];

    /* nana_open refuses and creates nothing */
    for (size_t i = 0; i < nbad; i++) {
        char name[32];
        snprintf(name, sizeof name, "open-bad-%zu.db", i);
        nana_options_t opts;
        nana_options_init(&opts);
        opts.table = bad[i];
        nana_db_t *db = (nana_db_t *)&opts; /* must be overwritten */
        nana_status_t st = nana_open(t_path(name), &opts, &db);
        if (st != NANA_EINVAL)
            t_fail(__FILE__, __LINE__, "nana_open table #%zu \"%s\": got %s, want NANA_EINVAL", i,
                   bad[i], t_status_name(st));
        CHECK(db != NULL && db != (nana_db_t *)&opts);
        CHECK(strstr(nana_db_errmsg(db), "table name") != NULL);
        CHECK_ST(t_wait(nana_get(db, "k", NULL)), NANA_ECLOSED);
        CHECK_ST(nana_close(db), NANA_OK);
        struct stat sb;
        if (stat(t_path(name), &sb) == 0)
            t_fail(__FILE__, __LINE__, "nana_open with bad table #%zu created the file", i);
    }

    const char *path = t_path("names.db");
    nana_db_t *root = t_open("names.db", NULL);
    json_t *v = t_json("{\"keep\":[1,2,3]}");
    CHECK_ST(t_wait(nana_set(root, "k", v)), NANA_OK);
    json_decref(v);
    int tables_before = count_tables(path);

    for (size_t i = 0; i < nbad; i++) {
        nana_db_t *sub = root; /* must be overwritten */
        nana_status_t st = nana_table(root, bad[i], &sub);
        if (st != NANA_EINVAL)
            t_fail(__FILE__, __LINE__, "nana_table #%zu \"%s\": got %s, want NANA_EINVAL", i,
                   bad[i], t_status_name(st));
        CHECK(sub == NULL);
    }
    nana_db_t *sub = root;
    CHECK_ST(nana_table(root, NULL, &sub), NANA_EINVAL);
    CHECK(sub == NULL);
    CHECK_ST(nana_table(NULL, "ok", &sub), NANA_EINVAL);
    CHECK(sub == NULL);
    CHECK_ST(nana_table(root, "ok", NULL), NANA_EINVAL);
    CHECK_INT(count_tables(path), tables_before);

    /* intact */
    t_expect(nana_get(root, "k", NULL), "{\"keep\":[1,2,3]}");
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "{\"keep\":[1,2,3]}");
    free(raw);

    /* valid edge cases */
    const char *good[] = {n128, "order", "main", "select", "_x", "sqlite", "sqlitex", "Z9_"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        nana_db_t *h = NULL;
        nana_status_t st = nana_table(root, good[i], &h);
        if (st != NANA_OK)
            t_fail(__FILE__, __LINE__, "nana_table(\"%.20s\"): %s", good[i], t_status_name(st));
        CHECK(h != NULL);
        json_t *val = json_string(good[i]);
        CHECK_ST(t_wait(nana_set(h, "k", val)), NANA_OK);
        json_decref(val);
        CHECK_ST(nana_close(h), NANA_OK);
        raw = t_raw_value(path, good[i], "k");
        CHECK(raw != NULL);
        free(raw);
    }
    CHECK_INT(count_tables(path), tables_before + 8);
    CHECK_ST(nana_close(root), NANA_OK);

    /* and as the root's table */
    for (size_t i = 0; i < 3; i++) {
        nana_options_t opts;
        nana_options_init(&opts);
        opts.table = good[i];
        nana_db_t *db = NULL;
        CHECK_ST(nana_open(path, &opts, &db), NANA_OK);
        char want[200];
        snprintf(want, sizeof want, "\"%s\"", good[i]);
        t_expect(nana_get(db, "k", NULL), want);
        CHECK_ST(nana_close(db), NANA_OK);
    }
    return 0;
}
