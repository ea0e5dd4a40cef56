/*
 * A write through the SQL surface to a table a dict handle caches empties
 * that table's cache: after nana_get cached a key (each step awaits the get
 * first, so the answer really is cached -- nana_is_cached says so),
 *   - nana_execute DELETE ... WHERE key = ? makes nana_get NANA_ENOTFOUND and
 *     nana_contains false; an UPDATE makes nana_get return the new value; an
 *     INSERT of a key cached as absent makes it found;
 *   - the same through nana_sql_delete / nana_sql_update (named and
 *     positional where parameters), nana_sql_insert and nana_upsert on
 *     "data";
 *   - the same for a sub-table handle's table, written through the root
 *     handle or through the sub-table handle;
 *   - DELETE without WHERE (SQLite's truncate optimisation) through execute
 *     and nana_sql_delete with a NULL where;
 *   - a write made by a trigger on another table (through execute; a helper
 *     on that table is refused, since the trigger reads another table);
 *   - a bulk-loaded handle (every key cached, absences too).
 * Afterwards the keys written are no longer reported cached (is_cached
 * false), and every answer matches the file read through another
 * connection.
 */
#include "harness.h"

static void set_(const char *file, int line, nana_db_t *db, const char *key, const char *json)
{
    json_t *v = t_json(json);
    nana_future_t *f = nana_set(db, key, v);
    json_decref(v);
    t_expect_at(file, line, key, f, NANA_OK);
}
#define SET(db, key, json) set_(__FILE__, __LINE__, (db), (key), (json))

/* Gets key so that its answer is cached, and checks it is. */
#define CACHE(db, key, want)                                                   \
    do {                                                                       \
        SAME(nana_get((db), (key), NULL), (want));                             \
        CHECK(BOOL(nana_is_cached((db), (key))));                              \
    } while (0)
#define CACHE_ABSENT(db, key)                                                  \
    do {                                                                       \
        EXPECT(nana_get((db), (key), NULL), NANA_ENOTFOUND);                   \
        CHECK(BOOL(nana_is_cached((db), (key))));                              \
    } while (0)

/* The file, through another connection, agrees. */
static void raw_is(const char *file, int line, const char *path, const char *table,
                   const char *key, const char *want)
{
    char *raw = t_raw_value(path, table, key);
    if (want ? !raw || strcmp(raw, want) != 0 : raw != NULL)
        t_fail(file, line, "raw %s.%s: got %s, want %s", table, key, raw ? raw : "(absent)",
               want ? want : "(absent)");
    free(raw);
}
#define RAW(path, table, key, want) raw_is(__FILE__, __LINE__, (path), (table), (key), (want))

int main(void)
{
    const char *path = t_path("coh.db");
    nana_db_t *db = t_open("coh.db", NULL);
    SET(db, "a", "1");
    SET(db, "b", "2");
    SET(db, "c", "3");
    SET(db, "d", "4");

    /* execute DELETE */
    CACHE(db, "a", "1");
    EXPECT(t_execute(db, "DELETE FROM data WHERE key = ?", "[\"a\"]"), NANA_OK);
    EXPECT(nana_get(db, "a", NULL), NANA_ENOTFOUND);
    CHECK(!BOOL(nana_contains(db, "a")));
    RAW(path, "data", "a", NULL);

    /* execute UPDATE */
    CACHE(db, "b", "2");
    EXPECT(t_execute(db, "UPDATE data SET value = '{\"n\":20}' WHERE key = :k", "{\"k\": \"b\"}"),
           NANA_OK);
    CHECK(!BOOL(nana_is_cached(db, "b")));
    SAME(nana_get(db, "b", NULL), "{\"n\":20}");

    /* execute INSERT of a key cached as absent */
    CACHE_ABSENT(db, "e");
    EXPECT(t_execute(db, "INSERT INTO data (key, value) VALUES ('e', '[5]')", NULL), NANA_OK);
    SAME(nana_get(db, "e", NULL), "[5]");
    CHECK(BOOL(nana_contains(db, "e")));

    /* sql_delete, named where */
    CACHE(db, "c", "3");
    json_t *p = t_json("{\"k\": \"c\"}");
    CHECK_INT(INT(nana_sql_delete(db, "data", "key = :k", p)), 1);
    json_decref(p);
    EXPECT(nana_get(db, "c", NULL), NANA_ENOTFOUND);
    RAW(path, "data", "c", NULL);

    /* sql_update, positional where */
    CACHE(db, "d", "4");
    json_t *set = t_json("{\"value\": \"\\\"upd\\\"\"}");
    p = t_json("[\"d\"]");
    CHECK_INT(INT(nana_sql_update(db, "data", set, "key = ?", p)), 1);
    json_decref(p);
    SAME(nana_get(db, "d", NULL), "\"upd\"");

    /* sql_update, named where */
    CACHE(db, "d", "\"upd\"");
    p = t_json("{\"which\": \"d\"}");
    json_decref(set);
    set = t_json("{\"value\": \"\\\"upd2\\\"\"}");
    CHECK_INT(INT(nana_sql_update(db, "data", set, "key = :which", p)), 1);
    json_decref(p);
    json_decref(set);
    SAME(nana_get(db, "d", NULL), "\"upd2\"");
    RAW(path, "data", "d", "\"upd2\"");

    /* sql_insert of a key cached as absent */
    CACHE_ABSENT(db, "f");
    json_t *row = t_json("{\"key\": \"f\", \"value\": \"true\"}");
    CHECK(INT(nana_sql_insert(db, "data", row)) > 0);
    json_decref(row);
    SAME(nana_get(db, "f", NULL), "true");

    /* upsert, in place and as INSERT OR REPLACE */
    CACHE(db, "f", "true");
    row = t_json("{\"key\": \"f\", \"value\": \"false\"}");
    json_t *conflict = t_json("[\"key\"]");
    CHECK(INT(nana_upsert(db, "data", row, conflict)) > 0);
    json_decref(row);
    json_decref(conflict);
    SAME(nana_get(db, "f", NULL), "false");
    CACHE(db, "f", "false");
    row = t_json("{\"key\": \"f\", \"value\": \"\\\"replaced\\\"\"}");
    CHECK(INT(nana_upsert(db, "data", row, NULL)) > 0);
    json_decref(row);
    SAME(nana_get(db, "f", NULL), "\"replaced\"");

    /* a sub-table's table, written through the root and through itself */
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    SET(sub, "x", "1");
    SET(sub, "y", "2");
    SET(sub, "z", "3");
    CACHE(sub, "x", "1");
    set = t_json("{\"value\": \"10\"}");
    p = t_json("[\"x\"]");
    CHECK_INT(INT(nana_sql_update(db, "other", set, "key = ?", p)), 1);
    json_decref(set);
    SAME(nana_get(sub, "x", NULL), "10");
    CACHE(sub, "x", "10");
    CHECK_INT(INT(nana_sql_delete(db, "other", "key = ?", p)), 1);
    json_decref(p);
    EXPECT(nana_get(sub, "x", NULL), NANA_ENOTFOUND);
    CACHE(sub, "y", "2");
    EXPECT(t_execute(sub, "UPDATE other SET value = '20' WHERE key = 'y'", NULL), NANA_OK);
    SAME(nana_get(sub, "y", NULL), "20");
    CACHE_ABSENT(sub, "w");
    EXPECT(t_execute(sub, "INSERT INTO other (key, value) VALUES ('w', '0')", NULL), NANA_OK);
    SAME(nana_get(sub, "w", NULL), "0");
    /* the root's table through the sub-table handle */
    CACHE(db, "e", "[5]");
    EXPECT(t_execute(sub, "DELETE FROM data WHERE key = 'e'", NULL), NANA_OK);
    EXPECT(nana_get(db, "e", NULL), NANA_ENOTFOUND);

    /* a trigger on another table writes data */
    EXPECT(t_execute(db, "CREATE TABLE log (k TEXT)", NULL), NANA_OK);
    EXPECT(t_execute(db, "CREATE TRIGGER log_del AFTER INSERT ON log BEGIN "
                        "DELETE FROM data WHERE key = NEW.k; END",
                    NULL),
           NANA_OK);
    CACHE(db, "d", "\"upd2\"");
    EXPECT(t_execute(db, "INSERT INTO log VALUES ('d')", NULL), NANA_OK);
    EXPECT(nana_get(db, "d", NULL), NANA_ENOTFOUND);
    RAW(path, "data", "d", NULL);
    SET(db, "t1", "1");
    CACHE(db, "t1", "1");
    /* a helper may touch its own table only: the trigger reads data, so
     * sql_insert into log is refused, and nothing changed */
    row = t_json("{\"k\": \"t1\"}");
    EXPECT(nana_sql_insert(db, "log", row), NANA_EINVAL);
    json_decref(row);
    SAME(nana_get(db, "t1", NULL), "1");
    RAW(path, "data", "t1", "1");
    EXPECT(t_execute(db, "INSERT INTO log VALUES ('t1')", NULL), NANA_OK);
    EXPECT(nana_get(db, "t1", NULL), NANA_ENOTFOUND);

    /* DELETE without WHERE: execute, then sql_delete(NULL where) */
    CACHE(db, "b", "{\"n\":20}");
    CACHE(db, "f", "\"replaced\"");
    EXPECT(t_execute(db, "DELETE FROM data", NULL), NANA_OK);
    EXPECT(nana_get(db, "b", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(db, "f", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(db)), 0);
    SAME(nana_keys(db), "[]");
    CACHE(sub, "z", "3");
    CACHE(sub, "w", "0");
    CHECK_INT(INT(nana_sql_delete(sub, "other", NULL, NULL)), 3); /* y, z, w */
    EXPECT(nana_get(sub, "z", NULL), NANA_ENOTFOUND);
    EXPECT(nana_get(sub, "w", NULL), NANA_ENOTFOUND);
    CHECK(!BOOL(nana_contains(sub, "y")));
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    /* a bulk-loaded handle: every key cached, and every absence */
    nana_options_t opts;
    nana_options_init(&opts);
    opts.bulk_load = true;
    db = t_open("coh.db", &opts);
    SET(db, "p", "1");
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("coh.db", &opts);
    CHECK(BOOL(nana_is_cached(db, "p")));
    CHECK(BOOL(nana_is_cached(db, "never")));
    EXPECT(t_execute(db, "INSERT INTO data (key, value) VALUES ('never', '\"here\"')", NULL),
           NANA_OK);
    SAME(nana_get(db, "never", NULL), "\"here\"");
    EXPECT(t_execute(db, "UPDATE data SET value = '2' WHERE key = 'p'", NULL), NANA_OK);
    SAME(nana_get(db, "p", NULL), "2");
    SAME(nana_to_dict(db), "{\"p\":2,\"never\":\"here\"}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
