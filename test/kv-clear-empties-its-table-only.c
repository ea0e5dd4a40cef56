/*
 * nana_clear: removes every key of the handle's table (len 0, keys [], gets
 * NANA_ENOTFOUND, no rows in the file once resolved), resolves with no
 * value, leaves other tables of the same file alone, works on an empty
 * table, and the table stays usable; NULL db is NANA_EINVAL and clears
 * nothing.
 */
#include "harness.h"

#include <sqlite3.h>

static int raw_count(const char *path, const char *table)
{
    char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", table);
    int n = t_raw_int(path, sql);
    sqlite3_free(sql);
    return n;
}

int main(void)
{
    const char *path = t_path("clear.db");
    nana_db_t *db = t_open("clear.db", NULL);
    nana_db_t *keep = NULL;
    CHECK_ST(nana_table(db, "keep", &keep), NANA_OK);

    json_t *obj = t_json("{\"a\":1,\"b\":null,\"c\":[3]}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    CHECK_ST(t_wait(nana_update(keep, obj)), NANA_OK);
    json_decref(obj);
    /* cache some of them */
    t_expect(nana_get(db, "a", NULL), "1");
    CHECK(!t_bool(nana_contains(db, "zzz")));

    /* refused: nothing cleared */
    CHECK_ST(t_wait(nana_clear(NULL)), NANA_EINVAL);
    CHECK_INT(t_int(nana_len(db)), 3);
    CHECK_INT(raw_count(path, "data"), 3);

    nana_future_t *f = nana_clear(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);

    CHECK_INT(raw_count(path, "data"), 0);
    CHECK_INT(t_int(nana_len(db)), 0);
    t_expect(nana_keys(db), "[]");
    t_expect(nana_to_dict(db), "{}");
    CHECK_ST(t_wait(nana_get(db, "a", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "b", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(db, "c")));

    /* the other table is untouched */
    CHECK_INT(raw_count(path, "keep"), 3);
    t_expect(nana_to_dict(keep), "{\"a\":1,\"b\":null,\"c\":[3]}");

    /* clear on an empty table, then the table still works */
    CHECK_ST(t_wait(nana_clear(db)), NANA_OK);
    json_t *v = json_integer(5);
    CHECK_ST(t_wait(nana_set(db, "a", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "a", NULL), "5");

    /* set then clear then get, unawaited */
    v = json_integer(6);
    nana_future_t *s = nana_set(db, "x", v);
    nana_future_t *c = nana_clear(db);
    nana_future_t *g = nana_get(db, "x", NULL);
    json_decref(v);
    CHECK_ST(t_wait(g), NANA_ENOTFOUND);
    CHECK_ST(t_wait(c), NANA_OK);
    CHECK_ST(t_wait(s), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 0);

    CHECK_ST(nana_close(keep), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
