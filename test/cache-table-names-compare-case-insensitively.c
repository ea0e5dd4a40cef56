/*
 * Bug: table names compared case-sensitively, SQLite's do not.
 * nana_table(root, "DATA") made a second cache over the root's table
 * "data", so each handle served values written through the other.  Handles
 * whose names differ only in case must share one cache, and the file must
 * hold one table.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("case.db");
    nana_db_t *root = t_open("case.db", NULL), *upper = NULL, *mixed = NULL;
    CHECK_ST(nana_table(root, "DATA", &upper), NANA_OK);
    CHECK_ST(nana_table(root, "Data", &mixed), NANA_OK);

    t_set_json(root, "k", "1");
    t_expect(nana_get(upper, "k", NULL), "1"); /* cached in the shared cache */
    t_set_json(upper, "k", "2");
    t_expect(nana_get(root, "k", NULL), "2");
    t_expect(nana_get(mixed, "k", NULL), "2");
    CHECK_ST(t_wait(nana_delete(mixed, "k")), NANA_OK);
    CHECK_ST(t_wait(nana_get(root, "k", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(upper, "k", NULL)), NANA_ENOTFOUND);

    /* Pipelined, through both spellings. */
    json_t *v = json_integer(3);
    nana_future_t *w = nana_set(upper, "p", v);
    nana_future_t *r = nana_get(root, "p", NULL);
    json_decref(v);
    CHECK_ST(t_wait(w), NANA_OK);
    t_expect(r, "3");
    CHECK(t_bool(nana_is_cached(root, "p")));

    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                              "AND name = 'data' COLLATE NOCASE"),
              1);
    nana_close(mixed);
    nana_close(upper);
    CHECK_ST(nana_close(root), NANA_OK);

    /* A root opened as "DATA" shares its cache with a sub-table "data". */
    nana_options_t o;
    nana_options_init(&o);
    o.table = "DATA";
    root = t_open("case.db", &o);
    nana_db_t *lower = NULL;
    CHECK_ST(nana_table(root, "data", &lower), NANA_OK);
    t_expect(nana_get(root, "p", NULL), "3");
    t_set_json(lower, "p", "4");
    t_expect(nana_get(root, "p", NULL), "4");
    nana_close(lower);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
