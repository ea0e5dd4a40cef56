/*
 * nana_get_last_insert_rowid and nana_changes read the root's connection
 * at their place in the queue, so they report the statement submitted just
 * before them, by any handle of the root, even unawaited: the rowid of the
 * last row a SQL insert (or a dict set, which inserts too) made, the rows
 * the last INSERT / UPDATE / DELETE changed.  nana_get_db_size is the size
 * of the database file in bytes, as stat() says, growing as rows are
 * checkpointed into it and 0 for an in-memory database.  Each is an
 * integer future; a NULL handle is NANA_EINVAL, a closed root NANA_ECLOSED.
 * From four threads at once they always resolve.
 */
#include <pthread.h>
#include <sys/stat.h>

#include "harness.h"

static nana_db_t *db;

static void *asker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        nana_future_t *fs[3] = {nana_get_last_insert_rowid(db), nana_changes(db),
                                nana_get_db_size(db)};
        CHECK_ST(nana_future_await_all(fs, 3), NANA_OK);
        int64_t n;
        for (int k = 0; k < 3; k++) {
            CHECK_ST(nana_future_int(fs[k], &n), NANA_OK);
            CHECK(n >= 0);
            nana_future_free(fs[k]);
        }
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    const char *path = t_path("util.db");
    db = t_open("util.db", NULL);
    nana_db_t *sub;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    CHECK_ST(t_wait(t_execute(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", NULL)),
             NANA_OK);

    nana_future_t *ins = t_execute(db, "INSERT INTO t (id, name) VALUES (41, 'a')", NULL);
    CHECK_INT(INT(nana_get_last_insert_rowid(sub)), 41); /* queued after it: sees it */
    CHECK_ST(t_wait(ins), NANA_OK);
    CHECK_ST(t_wait(t_execute(db, "INSERT INTO t (name) VALUES ('b'), ('c'), ('d')", NULL)),
             NANA_OK);
    CHECK_INT(INT(nana_get_last_insert_rowid(db)), 44);
    CHECK_INT(INT(nana_changes(db)), 3);
    CHECK_ST(t_wait(t_execute(db, "UPDATE t SET name = 'x' WHERE id > 42", NULL)), NANA_OK);
    CHECK_INT(INT(nana_changes(sub)), 2);
    CHECK_INT(INT(nana_changes(db)), 2); /* a read changes nothing */
    CHECK_ST(t_wait(t_execute(db, "DELETE FROM t WHERE id = 41", NULL)), NANA_OK);
    CHECK_INT(INT(nana_changes(db)), 1);

    /* A dict set is an INSERT OR REPLACE on the connection too. */
    t_set_json(db, "k", "1");
    int64_t rowid = INT(nana_get_last_insert_rowid(db));
    CHECK_INT(rowid, t_raw_int(path, "SELECT rowid FROM data WHERE key = 'k'"));
    CHECK_INT(INT(nana_changes(db)), 1);

    /* The file's size. */
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    CHECK_INT(INT(nana_get_db_size(db)), sb.st_size);
    CHECK(sb.st_size > 0);
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof key, "big-%d", i);
        json_t *v = json_pack("{s:s}", "pad",
                              "0123456789012345678901234567890123456789012345678901234567890123"
                              "0123456789012345678901234567890123456789012345678901234567890123");
        nana_future_free(nana_set(db, key, v));
        json_decref(v);
    }
    json_t *mode = json_string("TRUNCATE");
    CHECK_ST(t_wait(nana_pragma(db, "wal_checkpoint", mode)), NANA_OK);
    json_decref(mode);
    int64_t size = INT(nana_get_db_size(db));
    CHECK(stat(path, &sb) == 0);
    CHECK_INT(size, sb.st_size);
    CHECK(size > 300 * 128);

    /* Four threads at once. */
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, asker, NULL) == 0);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);

    EXPECT(nana_get_last_insert_rowid(NULL), NANA_EINVAL);
    EXPECT(nana_changes(NULL), NANA_EINVAL);
    EXPECT(nana_get_db_size(NULL), NANA_EINVAL);
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_get_last_insert_rowid(sub), NANA_ECLOSED);
    EXPECT(nana_changes(sub), NANA_ECLOSED);
    EXPECT(nana_get_db_size(sub), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);

    /* No file: 0. */
    nana_db_t *mem;
    CHECK_ST(nana_open(":memory:", NULL, &mem), NANA_OK);
    CHECK_INT(INT(nana_get_db_size(mem)), 0);
    CHECK_ST(nana_close(mem), NANA_OK);
    return 0;
}
