/*
 * nana_import_from_dict_list inserts an array of objects into a table in
 * one transaction and resolves to the number inserted; the columns are the
 * first object's members, a later object lacking one inserts NULL there,
 * values bind as in nana_execute (BLOBs as {"$blob": ...}).  If any row
 * fails (a UNIQUE conflict at row 2), none is inserted and the message
 * names the row.  nana_export_table_to_dict gives every row back as an
 * object column -> value; exporting a dict table gives its key and value
 * text.  Importing into a dict table through this path empties that table's
 * cache, like any SQL write.  Refused with nothing written: a table name
 * that is not an identifier, a NULL table or rows, rows not an array
 * (NANA_ETYPE), a row not an object (NANA_ETYPE), a first row with no
 * column or a column name that is not an identifier, a later row with a
 * column the first lacks, a value that cannot be bound (an array:
 * NANA_ETYPE); a missing table fails with SQLite's message.  Two threads
 * importing into one table at once both land whole.
 */
#include <pthread.h>

#include "harness.h"

static nana_db_t *db;

static void *importer(void *arg)
{
    int t = (int)(intptr_t)arg;
    json_t *rows = json_array();
    for (int i = 0; i < 500; i++)
        json_array_append_new(rows, json_pack("{s:i,s:i}", "t", t, "i", i));
    CHECK_INT(INT(nana_import_from_dict_list(db, "many", rows)), 500);
    json_decref(rows);
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    const char *path = t_path("io.db");
    db = t_open("io.db", NULL);
    CHECK_ST(t_wait(t_execute(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE,"
                                  " age INTEGER, avatar BLOB)",
                              NULL)),
             NANA_OK);

    json_t *rows = t_json("[{\"id\":1,\"name\":\"Alice\",\"age\":25,\"avatar\":{\"$blob\":\"AP8=\"}},"
                          "{\"name\":\"Bob\",\"id\":2},"
                          "{\"id\":3,\"name\":\"O'Hara; DROP TABLE users\",\"age\":30}]");
    nana_future_t *f = nana_import_from_dict_list(db, "users", rows);
    json_array_clear(rows); /* borrowed: copied at the call */
    CHECK_INT(INT(f), 3);
    json_decref(rows);
    SAME(nana_export_table_to_dict(db, "users"),
         "[{\"id\":1,\"name\":\"Alice\",\"age\":25,\"avatar\":{\"$blob\":\"AP8=\"}},"
         "{\"id\":2,\"name\":\"Bob\",\"age\":null,\"avatar\":null},"
         "{\"id\":3,\"name\":\"O'Hara; DROP TABLE users\",\"age\":30,\"avatar\":null}]");
    json_t *none = json_array();
    CHECK_INT(INT(nana_import_from_dict_list(db, "users", none)), 0);
    json_decref(none);

    /* All or nothing: row 2 conflicts on name. */
    rows = t_json("[{\"name\":\"Carol\"},{\"name\":\"Dan\"},{\"name\":\"Alice\"}]");
    f = nana_import_from_dict_list(db, "users", rows);
    CHECK_ST(nana_future_await(f), NANA_ESQL);
    CHECK(strstr(nana_future_errmsg(f), "row 2") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "import_from_dict_list") != NULL);
    nana_future_free(f);
    json_decref(rows);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM users"), 3);

    /* Refusals: nothing written. */
    rows = t_json("[{\"name\":\"Eve\"}]");
    EXPECT(nana_import_from_dict_list(NULL, "users", rows), NANA_EINVAL);
    EXPECT(nana_import_from_dict_list(db, NULL, rows), NANA_EINVAL);
    EXPECT(nana_import_from_dict_list(db, "users; DROP TABLE users", rows), NANA_EINVAL);
    EXPECT(nana_import_from_dict_list(db, "sqlite_master", rows), NANA_EINVAL);
    EXPECT(nana_import_from_dict_list(db, "users", NULL), NANA_EINVAL);
    json_t *obj = t_json("{\"name\":\"Eve\"}");
    EXPECT(nana_import_from_dict_list(db, "users", obj), NANA_ETYPE);
    json_decref(obj);
    json_t *bad = t_json("[{\"name\":\"Eve\"}, 5]");
    EXPECT(nana_import_from_dict_list(db, "users", bad), NANA_ETYPE);
    json_decref(bad);
    bad = t_json("[[\"Eve\"]]");
    EXPECT(nana_import_from_dict_list(db, "users", bad), NANA_ETYPE);
    json_decref(bad);
    bad = t_json("[{}]");
    EXPECT(nana_import_from_dict_list(db, "users", bad), NANA_EINVAL);
    json_decref(bad);
    bad = t_json("[{\"name\\\" TEXT); --\":\"Eve\"}]");
    EXPECT(nana_import_from_dict_list(db, "users", bad), NANA_EINVAL);
    json_decref(bad);
    bad = t_json("[{\"name\":\"Eve\"},{\"name\":\"Fay\",\"extra\":1}]");
    f = nana_import_from_dict_list(db, "users", bad);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(strstr(nana_future_errmsg(f), "row 1") != NULL);
    nana_future_free(f);
    json_decref(bad);
    bad = t_json("[{\"name\":\"Eve\"},{\"name\":[1]}]");
    EXPECT(nana_import_from_dict_list(db, "users", bad), NANA_ETYPE);
    json_decref(bad);
    f = nana_import_from_dict_list(db, "missing", rows);
    CHECK_ST(nana_future_await(f), NANA_ESQL);
    CHECK(strstr(nana_future_errmsg(f), "missing") != NULL);
    nana_future_free(f);
    json_decref(rows);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM users"), 3);
    EXPECT(nana_export_table_to_dict(NULL, "users"), NANA_EINVAL);
    EXPECT(nana_export_table_to_dict(db, NULL), NANA_EINVAL);
    EXPECT(nana_export_table_to_dict(db, "users u, sqlite_master"), NANA_EINVAL);
    EXPECT(nana_export_table_to_dict(db, "missing"), NANA_ESQL);

    /* A dict table: export gives key and text; import empties its cache. */
    t_set_json(db, "k", "{\"a\":1}");
    SAME(nana_export_table_to_dict(db, "data"), "[{\"key\":\"k\",\"value\":\"{\\\"a\\\":1}\"}]");
    CHECK(BOOL(nana_is_cached(db, "k")));
    rows = t_json("[{\"key\":\"j\",\"value\":\"[2]\"}]");
    CHECK_INT(INT(nana_import_from_dict_list(db, "data", rows)), 1);
    json_decref(rows);
    CHECK(!BOOL(nana_is_cached(db, "k")));
    SAME(nana_get(db, "j", NULL), "[2]");

    /* Two importers at once. */
    CHECK_ST(t_wait(t_execute(db, "CREATE TABLE many (t INTEGER, i INTEGER)", NULL)), NANA_OK);
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        CHECK(pthread_create(&th[t], NULL, importer, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    json_t *all = TAKE(nana_export_table_to_dict(db, "many"));
    CHECK_INT(json_array_size(all), 1000);
    nana_json_release(all);

    nana_db_t *sub;
    CHECK_ST(nana_table(db, "data", &sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_export_table_to_dict(sub, "users"), NANA_ECLOSED);
    rows = json_array();
    EXPECT(nana_import_from_dict_list(sub, "users", rows), NANA_ECLOSED);
    json_decref(rows);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
