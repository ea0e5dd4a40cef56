/*
 * Handles on the same table of one root share that table's cache: the root
 * (table "data") and two nana_table(root, "data") handles.  A key cached via
 * one is cached for all (is_cached); a write, delete, pop, update, clear or
 * batch_delete through one is seen at once by plain gets through the others
 * (never stale), including for keys cached as absent; refresh(NULL) through
 * one empties it for all; closing one sub-table handle leaves the others
 * working.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *root = t_open("shared.db", NULL);
    nana_db_t *h1 = NULL, *h2 = NULL;
    CHECK_ST(nana_table(root, "data", &h1), NANA_OK);
    CHECK_ST(nana_table(root, "data", &h2), NANA_OK);
    CHECK(h1 != NULL && h2 != NULL);

    t_set_json(root, "a", "1");
    t_expect(nana_get(h1, "a", NULL), "1");
    t_expect(nana_get(h2, "a", NULL), "1");
    CHECK(t_bool(nana_is_cached(root, "a")));

    /* cached via one, cached for all */
    CHECK_ST(t_wait(nana_refresh(root, NULL)), NANA_OK);
    CHECK(!t_bool(nana_is_cached(h1, "a")));
    t_expect(nana_get(h2, "a", NULL), "1");
    CHECK(t_bool(nana_is_cached(h1, "a")));
    CHECK(t_bool(nana_is_cached(root, "a")));
    CHECK_ST(t_wait(nana_get(h1, "absent", NULL)), NANA_ENOTFOUND);
    CHECK(t_bool(nana_is_cached(h2, "absent")));

    /* writes through one are seen through the others, cached or not */
    t_set_json(h1, "a", "2");
    t_expect(nana_get(root, "a", NULL), "2");
    t_expect(nana_get(h2, "a", NULL), "2");
    t_set_json(h2, "absent", "\"now here\"");
    t_expect(nana_get(h1, "absent", NULL), "\"now here\"");
    t_expect(nana_get(root, "absent", NULL), "\"now here\"");

    CHECK_ST(t_wait(nana_delete(root, "a")), NANA_OK);
    CHECK_ST(t_wait(nana_get(h1, "a", NULL)), NANA_ENOTFOUND);
    CHECK(!t_bool(nana_contains(h2, "a")));

    t_expect(nana_pop(h2, "absent", NULL), "\"now here\"");
    CHECK_ST(t_wait(nana_get(root, "absent", NULL)), NANA_ENOTFOUND);

    json_t *obj = t_json("{\"x\":1,\"y\":2,\"z\":3}");
    t_expect(nana_get(h1, "x", json_false()), "false"); /* cache x as absent */
    CHECK_ST(t_wait(nana_update(h2, obj)), NANA_OK);
    json_decref(obj);
    t_expect(nana_get(h1, "x", NULL), "1");
    t_expect(nana_get(root, "y", NULL), "2");

    const char *del[] = {"x", "y"};
    CHECK_ST(t_wait(nana_batch_delete(h1, del, 2)), NANA_OK);
    CHECK_ST(t_wait(nana_get(h2, "x", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(root, "y", NULL)), NANA_ENOTFOUND);
    t_expect(nana_get(h2, "z", NULL), "3");

    CHECK_ST(t_wait(nana_clear(root)), NANA_OK);
    CHECK_ST(t_wait(nana_get(h1, "z", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(h2)), 0);

    /* unawaited write through one, read through another */
    json_t *v = json_integer(42);
    nana_future_t *s = nana_set(h1, "ryw", v);
    json_decref(v);
    nana_future_t *g = nana_get(h2, "ryw", NULL);
    t_expect(g, "42");
    CHECK_ST(t_wait(s), NANA_OK);

    /* closing one sub-table handle leaves the others */
    CHECK_ST(nana_close(h1), NANA_OK);
    t_set_json(root, "after", "true");
    t_expect(nana_get(h2, "after", NULL), "true");
    t_expect(nana_get(h2, "ryw", NULL), "42");

    CHECK_ST(nana_close(h2), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
