/*
 * Rows whose value is not JSON text, written by raw SQL: broken text, SQL
 * NULL, a BLOB (which the TEXT column keeps as a BLOB) -- beside good rows,
 * one of them an SQL integer (which the column turns into the text "5").  What the single-key operations do with such
 * a row is input-non-json-stored-value-etype-names-key's, the cache's
 * cache-fully-loaded-table-non-json-row-is-etype-after-refresh's, the
 * read-modify-writes', scans' and cursors' their own scenarios'; this one
 * is the whole-table reads, from four threads at once:
 *   Status: values, items and to_dict fail NANA_ETYPE naming the first bad
 *   key in rowid order, never the stored text; keys, len and contains count
 *   the bad rows; load_all and bulk_load succeed, counting only the rows
 *   that decode (the others stay uncached and fail when read); get of the
 *   SQL NULL and the BLOB rows is NANA_ETYPE; the SQL surface
 *   (export_table_to_dict) reads every row as it is.
 *   Data: no read changes a row (raw sqlite3 reads them back as written).
 *   Recovery: overwriting the bad rows (batch_update) and deleting one
 *   makes the whole-table reads succeed on the same handle.
 */
#include "harness.h"

#include <pthread.h>

static nana_db_t *db;

static void etype_naming(nana_future_t *f, const char *key, const char *what)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    if (st != NANA_ETYPE || !strstr(msg, quoted))
        t_fail(__FILE__, __LINE__, "%s: got %s (%s), want NANA_ETYPE naming %s", what,
               t_status_name(st), msg, key);
    if (strstr(msg, "SECRET"))
        t_fail(__FILE__, __LINE__, "%s: message \"%s\" echoes the stored text", what, msg);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

static void *reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 25; i++) {
        etype_naming(nana_values(db), "bad", "values");
        etype_naming(nana_items(db), "bad", "items");
        etype_naming(nana_to_dict(db), "bad", "to_dict");
        SAME(nana_keys(db), "[\"a\", \"bad\", \"nul\", \"blob\", \"num\", \"b\"]");
        CHECK_INT(t_int(nana_len(db)), 6);
        CHECK(t_bool(nana_contains(db, "nul")));
    }
    return NULL;
}

int main(void)
{
    const char *path = t_path("mixed.db");
    t_raw_exec(path, "CREATE TABLE data (key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO data VALUES ('a', '{\"x\": 1}'), ('bad', '{SECRET'),"
                     " ('nul', NULL), ('blob', x'00ff53454352455400'), ('num', 5),"
                     " ('b', '[2]');");
    CHECK_INT(t_raw_int(path, "SELECT typeof(value) = 'blob' FROM data WHERE key = 'blob'"), 1);
    uint64_t sum = t_fnv_file(path);

    nana_options_t o;
    nana_options_init(&o);
    o.optimize = false; /* rollback journal: the checksum shows any write */
    db = t_open("mixed.db", &o);
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, reader, NULL) == 0);
    for (int t = 0; t < 4; t++)
        CHECK(pthread_join(th[t], NULL) == 0);

    etype_naming(nana_get(db, "nul", NULL), "nul", "get of SQL NULL");
    etype_naming(nana_get(db, "blob", NULL), "blob", "get of a BLOB");
    t_expect(nana_get(db, "num", NULL), "5");
    SAME(nana_load_all(db), "3");
    t_expect(nana_get(db, "a", NULL), "{\"x\":1}");
    etype_naming(nana_get(db, "bad", NULL), "bad", "get after load_all");
    json_t *rows = TAKE(nana_export_table_to_dict(db, "data"));
    CHECK(json_array_size(rows) == 6);
    CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1), "value")), "{SECRET");
    CHECK(json_is_null(json_object_get(json_array_get(rows, 2), "value")));
    nana_json_release(rows);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(t_fnv_file(path) == sum);

    /* bulk_load: the rows that decode, the others read (and fail) later. */
    o.bulk_load = true;
    db = t_open("mixed.db", &o);
    CHECK(t_bool(nana_is_cached(db, "a")));
    CHECK(!t_bool(nana_is_cached(db, "bad")));
    etype_naming(nana_get(db, "bad", NULL), "bad", "get after bulk_load");
    CHECK(t_fnv_file(path) == sum);
    char *raw = t_raw_value(path, "data", "bad");
    CHECK_STR(raw, "{SECRET");
    free(raw);

    /* Recovery on the same handle. */
    json_t *fix = t_json("{\"bad\": \"fixed\", \"nul\": null}");
    EXPECT(nana_batch_update(db, fix), NANA_OK);
    json_decref(fix);
    etype_naming(nana_values(db), "blob", "values with the BLOB left");
    EXPECT(nana_delete(db, "blob"), NANA_OK);
    /* INSERT OR REPLACE, as NanaSQLite's: a rewritten row moves last. */
    SAME(nana_values(db), "[{\"x\": 1}, 5, [2], \"fixed\", null]");
    SAME(nana_to_dict(db),
         "{\"a\": {\"x\": 1}, \"bad\": \"fixed\", \"nul\": null, \"num\": 5, \"b\": [2]}");
    CHECK_ST(nana_close(db), NANA_OK);
    raw = t_raw_value(path, "data", "nul");
    CHECK_STR(raw, "null");
    free(raw);
    return 0;
}
