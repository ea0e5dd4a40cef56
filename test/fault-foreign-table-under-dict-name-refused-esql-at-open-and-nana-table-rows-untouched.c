/*
 * Bug: a table made by another program under the dict table's name was
 * used as it was.  Without a unique key, every set added a row beside the
 * old one and acknowledged NANA_OK, and get kept returning the oldest row:
 * acknowledged writes were never read back.  With key INTEGER, keys "1"
 * and "01" were one row; with value REAL, 1 came back as 1.0; a view, a
 * table without key or value, WITHOUT ROWID opened NANA_OK and then failed
 * every operation with SQLite's bare "no such column".
 * Now the layout is checked where the table is taken up -- nana_open (any
 * flags) and nana_table -- before anything is written:
 *   Status: NANA_ESQL, with a message naming the table, the file and what
 *   differs from the dict's layout; nana_open's handle is closed
 *   (operations NANA_ECLOSED), nana_table sets no handle.
 *   Data: the file is byte for byte as it was (the table's rows, read
 *   raw, untouched).
 *   Recovery: the root of a nana_table that was refused works on, from
 *   four threads; the layouts the dict can use -- NanaSQLite's, a UNIQUE
 *   constraint or a unique index instead of the primary key, no declared
 *   types, an extra column that may be NULL -- open and work.
 */
#include "harness.h"

#include <pthread.h>

static const struct {
    const char *sql, *says;
} foreign[] = {
    {"CREATE TABLE data (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO data VALUES (1, 'x')",
     "no column \"key\""},
    {"CREATE TABLE data (key TEXT, value TEXT); INSERT INTO data VALUES ('a', '\"old\"')",
     "neither its PRIMARY KEY nor UNIQUE"},
    {"CREATE TABLE data (key TEXT, value TEXT); CREATE UNIQUE INDEX part ON data (key) "
     "WHERE key > 'm'",
     "neither its PRIMARY KEY nor UNIQUE"},
    {"CREATE TABLE data (key TEXT, other TEXT, value TEXT, UNIQUE (key, other))",
     "neither its PRIMARY KEY nor UNIQUE"},
    {"CREATE TABLE data (key TEXT PRIMARY KEY COLLATE NOCASE, value TEXT)",
     "neither its PRIMARY KEY nor UNIQUE"},
    {"CREATE TABLE data (key INTEGER PRIMARY KEY, value TEXT)", "declared \"INTEGER\""},
    {"CREATE TABLE data (key NUMERIC UNIQUE, value TEXT)", "declared \"NUMERIC\""},
    {"CREATE TABLE data (key TEXT PRIMARY KEY, value REAL)", "declared \"REAL\""},
    {"CREATE TABLE data (key TEXT PRIMARY KEY)", "no column \"value\""},
    {"CREATE TABLE data (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID", "WITHOUT ROWID"},
    {"CREATE TABLE t (a, b); CREATE VIEW data AS SELECT a AS key, b AS value FROM t",
     "is a view"},
};
#define NFOREIGN (sizeof foreign / sizeof foreign[0])

static const char *usable[] = {
    "CREATE TABLE data (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE data (key TEXT UNIQUE, value TEXT)",
    "CREATE TABLE data (key TEXT, value TEXT); CREATE UNIQUE INDEX by_key ON data (key)",
    "CREATE TABLE data (key, value, UNIQUE (key))",
    "CREATE TABLE data (key VARCHAR(64) PRIMARY KEY, value CLOB, note TEXT DEFAULT 'n')",
    "CREATE TABLE data (\"KEY\" TEXT PRIMARY KEY, \"Value\" BLOB)",
};
#define NUSABLE (sizeof usable / sizeof usable[0])

static nana_db_t *root;

static void refused_open(const char *path, unsigned flags, size_t i)
{
    nana_db_t *db = NULL;
    nana_status_t st = nana_open_v2(path, NULL, flags, &db);
    const char *msg = nana_db_errmsg(db);
    if (st != NANA_ESQL || !strstr(msg, "\"data\"") || !strstr(msg, path) ||
        !strstr(msg, "not a dict table") || !strstr(msg, foreign[i].says))
        t_fail(__FILE__, __LINE__, "layout %zu (flags 0x%x): got %s \"%s\", want NANA_ESQL "
               "saying %s", i, flags, t_status_name(st), msg, foreign[i].says);
    EXPECT(nana_get(db, "a", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "w%d-%d", id, i);
        json_t *v = json_integer(i);
        EXPECT(nana_set(root, key, v), NANA_OK);
        json_t *got = TAKE(nana_get_fresh(root, key, NULL));
        CHECK(json_equal(got, v));
        nana_json_release(got);
        json_decref(v);
    }
    return NULL;
}

int main(void)
{
    for (size_t i = 0; i < NFOREIGN; i++) {
        char name[48];
        snprintf(name, sizeof name, "foreign-%zu.db", i);
        const char *path = t_path(name);
        t_raw_exec(path, foreign[i].sql);
        uint64_t sum = t_fnv_file(path);
        refused_open(path, 0, i);
        refused_open(path, NANA_OPEN_NOCREATE, i);
        refused_open(path, NANA_OPEN_READONLY, i);
        CHECK(t_fnv_file(path) == sum);
    }
    /* The rows of the table without a unique key were not added to. */
    CHECK_INT(t_raw_int(t_path("foreign-1.db"), "SELECT count(*) FROM data"), 1);

    /* nana_table: the same check, in queue order; the root works on. */
    const char *path = t_path("root.db");
    root = t_open("root.db", NULL);
    t_set_json(root, "r", "\"root\"");
    EXPECT(t_execute(root, "CREATE TABLE side (key TEXT, value TEXT)", NULL), NANA_OK);
    EXPECT(t_execute(root, "INSERT INTO side VALUES ('s', '1')", NULL), NANA_OK);
    nana_db_t *side = (nana_db_t *)&root;
    CHECK_ST(nana_table(root, "side", &side), NANA_ESQL);
    CHECK(side == NULL);
    CHECK(strstr(nana_db_errmsg(root), "\"side\"") != NULL);
    CHECK(strstr(nana_db_errmsg(root), "neither its PRIMARY KEY nor UNIQUE") != NULL);
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < 4; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    t_expect(nana_get(root, "r", NULL), "\"root\"");
    CHECK_ST(nana_close(root), NANA_OK);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM side"), 1);

    /* Layouts the dict can use. */
    for (size_t i = 0; i < NUSABLE; i++) {
        char name[48];
        snprintf(name, sizeof name, "usable-%zu.db", i);
        const char *p = t_path(name);
        t_raw_exec(p, usable[i]);
        nana_db_t *db = NULL;
        nana_status_t st = nana_open(p, NULL, &db);
        if (st != NANA_OK)
            t_fail(__FILE__, __LINE__, "usable layout %zu: %s \"%s\"", i, t_status_name(st),
                   nana_db_errmsg(db));
        t_set_json(db, "k", "1");
        t_set_json(db, "k", "[2]");
        t_set_json(db, "01", "1.0");
        t_expect(nana_get_fresh(db, "k", NULL), "[2]");
        t_expect(nana_get_fresh(db, "01", NULL), "1.0");
        EXPECT(nana_get_fresh(db, "1", NULL), NANA_ENOTFOUND);
        CHECK_INT(t_int(nana_len(db)), 2);
        CHECK_ST(nana_close(db), NANA_OK);
        char *raw = t_raw_value(p, "data", "k");
        CHECK_STR(raw, "[2]");
        free(raw);
    }
    return 0;
}
