/*
 * nana_load_all: resolves to the number of rows loaded (0 on an empty
 * table), every stored key is cached afterwards, and it replaces what the
 * cache held: changes, inserts and deletes made by another connection are all
 * visible after it (not before); it loads only its own table; NULL db is
 * NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("loadall.db");
    nana_db_t *db = t_open("loadall.db", NULL);
    nana_db_t *other = NULL;
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);

    CHECK_INT(t_int(nana_load_all(db)), 0);

    json_t *obj = t_json("{\"a\":1,\"b\":2,\"c\":3}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    obj = t_json("{\"o1\":1,\"o2\":2}");
    CHECK_ST(t_wait(nana_update(other, obj)), NANA_OK);
    json_decref(obj);
    CHECK_ST(t_wait(nana_refresh(db, NULL)), NANA_OK);
    CHECK(!t_bool(nana_is_cached(db, "a")));

    nana_future_t *f = nana_load_all(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    int64_t n = -1;
    CHECK_ST(nana_future_int(f, &n), NANA_OK);
    CHECK_INT(n, 3);
    nana_future_free(f);
    CHECK(t_bool(nana_is_cached(db, "a")));
    CHECK(t_bool(nana_is_cached(db, "b")));
    CHECK(t_bool(nana_is_cached(db, "c")));

    /* cache "d" as absent too */
    CHECK_ST(t_wait(nana_get(db, "d", NULL)), NANA_ENOTFOUND);

    /* another connection changes a, deletes b, inserts d */
    t_raw_exec(path, "UPDATE data SET value = '\"changed\"' WHERE key = 'a';"
                   "DELETE FROM data WHERE key = 'b';"
                   "INSERT INTO data (key, value) VALUES ('d', '[4]');");

    /* cached answers are served as they were */
    t_expect(nana_get(db, "a", NULL), "1");
    t_expect(nana_get(db, "b", NULL), "2");
    CHECK_ST(t_wait(nana_get(db, "d", NULL)), NANA_ENOTFOUND);

    CHECK_INT(t_int(nana_load_all(db)), 3);
    t_expect(nana_get(db, "a", NULL), "\"changed\"");
    CHECK_ST(t_wait(nana_get(db, "b", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "b")));
    t_expect(nana_get(db, "d", NULL), "[4]");
    t_expect(nana_get(db, "c", NULL), "3");

    /* its own table only */
    CHECK_INT(t_int(nana_load_all(other)), 2);

    CHECK_ST(t_wait(nana_load_all(NULL)), NANA_EINVAL);

    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
