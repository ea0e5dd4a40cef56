/*
 * nana_open_v2 with NANA_OPEN_READONLY on a file in rollback-journal mode:
 * the handle opens with an empty message (read-only was asked for); every
 * read works -- dict reads, the SQL helpers, direct SQL, a sub-table that
 * exists; every write fails NANA_EIO with a message naming the flag --
 * set, delete, pop, update, batch_update, batch_delete, clear, setdefault
 * of a missing key, execute, sql_insert / update / delete, upsert,
 * create_table, nana_table of a table that does not exist -- and leaves
 * the cache as it was; the journal mode stays "delete", no -wal or
 * -journal file appears, and the file's FNV-64 checksum does not change.
 * A table that does not exist is NANA_ENOTFOUND at open, naming the table.
 * Four threads reading through the read-only root while a writable root
 * writes: every read succeeds, every write from those threads fails, and
 * after get_fresh the read-only root sees the writer's value.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/stat.h>

static nana_db_t *ro;

static void write_refused_(const char *file, int line, const char *expr, nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EIO || !strstr(nana_future_errmsg(f), "NANA_OPEN_READONLY"))
        t_fail(file, line, "%s: got %s (%s), want NANA_EIO naming NANA_OPEN_READONLY", expr,
               t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
}
#define WRITE_REFUSED(f) write_refused_(__FILE__, __LINE__, #f, (f))

static void *reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    json_t *cols = t_json("[\"COUNT(*) AS n\", \"SUM(b) AS s\"]");
    json_t *v = json_integer(id);
    for (int i = 0; i < 200; i++) {
        json_t *got = TAKE(nana_get(ro, "k1", NULL));
        CHECK(json_is_integer(got));
        nana_json_release(got);
        CHECK(t_bool(nana_contains(ro, "k2")));
        SAME(nana_query(ro, "t", cols, NULL, NULL, NULL, INT64_MAX, 0),
             "[{\"n\": 3, \"s\": 6}]");
        if (i % 20 == 0)
            WRITE_REFUSED(nana_set(ro, "mine", v));
    }
    json_decref(v);
    json_decref(cols);
    return NULL;
}

int main(void)
{
    const char *path = t_path("ro.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);
    for (int i = 1; i <= 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        EXPECT(nana_set(db, key, v), NANA_OK);
        json_decref(v);
    }
    EXPECT(t_execute(db, "CREATE TABLE t (a TEXT, b INTEGER)", NULL), NANA_OK);
    EXPECT(t_execute(db, "INSERT INTO t VALUES ('x', 1), ('y', 2), ('z', 3)", NULL), NANA_OK);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "side", &sub), NANA_OK);
    t_set_json(sub, "s", "\"side\"");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    const uint64_t sum_before = t_fnv_file(path);
    struct stat sb;

    /* Open read-only: no note, reads work. */
    ro = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_READONLY, &ro), NANA_OK);
    CHECK_STR(nana_db_errmsg(ro), "");
    t_expect(nana_get(ro, "k1", NULL), "1");
    CHECK_INT(t_int(nana_len(ro)), 3);
    t_expect(nana_keys(ro), "[\"k1\",\"k2\",\"k3\"]");
    t_expect(nana_to_dict(ro), "{\"k1\":1,\"k2\":2,\"k3\":3}");
    CHECK_INT(t_int(nana_load_all(ro)), 3);
    SAME(nana_fetch_all(ro, "SELECT a, b FROM t ORDER BY b", NULL),
         "[[\"x\", 1], [\"y\", 2], [\"z\", 3]]");
    json_t *cols = t_json("[\"a\", \"b * 10 AS tens\"]"), *one = json_pack("[i]", 1);
    SAME(nana_query(ro, "t", cols, "b > ?", one, "b", INT64_MAX, 0),
         "[{\"a\": \"y\", \"tens\": 20}, {\"a\": \"z\", \"tens\": 30}]");
    json_decref(cols);
    json_decref(one);
    CHECK_INT(INT(nana_count(ro, "t", NULL, NULL)), 3);
    SAME(nana_pragma(ro, "journal_mode", NULL), "[[\"delete\"]]");
    sub = NULL;
    CHECK_ST(nana_table(ro, "side", &sub), NANA_OK);
    t_expect(nana_get(sub, "s", NULL), "\"side\"");

    /* Every write fails, naming the flag; the cache keeps what it had. */
    json_t *v = json_integer(42);
    json_t *obj = t_json("{\"k1\": 10, \"new\": 11}");
    json_t *row = t_json("{\"a\": \"w\", \"b\": 4}");
    json_t *tcols = t_json("{\"c\": \"TEXT\"}");
    const char *const keys[] = {"k1", "k2"};
    WRITE_REFUSED(nana_set(ro, "k1", v));
    WRITE_REFUSED(nana_set(ro, "fresh", v));
    WRITE_REFUSED(nana_delete(ro, "k2"));
    WRITE_REFUSED(nana_pop(ro, "k3", NULL));
    WRITE_REFUSED(nana_update(ro, obj));
    WRITE_REFUSED(nana_batch_update(ro, obj));
    WRITE_REFUSED(nana_batch_delete(ro, keys, 2));
    WRITE_REFUSED(nana_clear(ro));
    WRITE_REFUSED(nana_setdefault(ro, "absent", v));
    WRITE_REFUSED(nana_set(sub, "s", v));
    WRITE_REFUSED(t_execute(ro, "INSERT INTO t VALUES ('w', 4)", NULL));
    WRITE_REFUSED(nana_sql_insert(ro, "t", row));
    WRITE_REFUSED(nana_sql_update(ro, "t", row, "b = 1", NULL));
    WRITE_REFUSED(nana_sql_delete(ro, "t", NULL, NULL));
    WRITE_REFUSED(nana_upsert(ro, "t", row, NULL));
    WRITE_REFUSED(nana_create_table(ro, "made", tcols, NULL, false));
    nana_db_t *made = ro;
    CHECK(nana_table(ro, "made", &made) == NANA_EIO);
    CHECK(made == NULL);
    CHECK(strstr(nana_db_errmsg(ro), "NANA_OPEN_READONLY") != NULL);
    json_decref(v);
    json_decref(obj);
    json_decref(row);
    json_decref(tcols);
    t_expect(nana_to_dict(ro), "{\"k1\":1,\"k2\":2,\"k3\":3}");
    t_expect(nana_get(ro, "k1", NULL), "1");
    CHECK(!t_bool(nana_contains(ro, "fresh")));
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(ro), NANA_OK);
    CHECK(t_fnv_file(path) == sum_before);
    CHECK(stat(t_path("ro.db-wal"), &sb) != 0);
    CHECK(stat(t_path("ro.db-journal"), &sb) != 0);

    /* A table that is not there cannot be made: NANA_ENOTFOUND. */
    nana_options_init(&opts);
    opts.table = "nope";
    ro = NULL;
    CHECK_ST(nana_open_v2(path, &opts, NANA_OPEN_READONLY, &ro), NANA_ENOTFOUND);
    CHECK(strstr(nana_db_errmsg(ro), "\"nope\"") != NULL);
    EXPECT(nana_get(ro, "k1", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(ro), NANA_OK);
    CHECK(t_fnv_file(path) == sum_before);

    /* Readers on a read-only root while a writable root writes. */
    ro = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_READONLY | NANA_OPEN_NOCREATE, &ro), NANA_OK);
    nana_options_init(&opts);
    opts.optimize = false;
    db = NULL;
    CHECK_ST(nana_open(path, &opts, &db), NANA_OK);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, reader, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 100; i++) {
        json_t *n = json_integer(100 + i);
        EXPECT(nana_set(db, "k1", n), NANA_OK);
        json_decref(n);
    }
    for (int i = 0; i < 4; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    t_expect(nana_get_fresh(ro, "k1", NULL), "199");
    t_expect(nana_get(ro, "k1", NULL), "199");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_close(ro), NANA_OK);
    return 0;
}
