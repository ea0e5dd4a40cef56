/*
 * nana_to_dict: an object of every key -> value of the handle's table ({} on
 * an empty table), null values included, reflecting later writes in a new
 * call; reading its shared values does not disturb later results (the test
 * never modifies them: they are read-only); NULL db is NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("todict.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);

    t_expect(nana_to_dict(db), "{}");

    json_t *obj = t_json("{\"a\":{\"n\":[1,2]},\"b\":null,\"c\":\"s\",\"\xe6\x97\xa5\":true}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(sub, "a", v)), NANA_OK);
    json_decref(v);

    /* cache some values first, so to_dict may share them with the cache */
    t_expect(nana_get(db, "a", NULL), "{\"n\":[1,2]}");

    nana_future_t *f = nana_to_dict(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    json_t *d = nana_future_json(f);
    CHECK(json_is_object(d));
    CHECK_JSON(d, "{\"a\":{\"n\":[1,2]},\"b\":null,\"c\":\"s\",\"\xe6\x97\xa5\":true}");
    CHECK_INT(json_object_size(d), 4);
    /* while this result is held, a write happens; the held result is not
     * required to follow it, but a new to_dict does */
    v = json_string("changed");
    CHECK_ST(t_wait(nana_set(db, "c", v)), NANA_OK);
    json_decref(v);
    CHECK_ST(t_wait(nana_delete(db, "b")), NANA_OK);
    /* shared values held by the first result are still intact */
    CHECK_JSON(json_object_get(d, "a"), "{\"n\":[1,2]}");
    nana_future_free(f);

    t_expect(nana_to_dict(db), "{\"a\":{\"n\":[1,2]},\"c\":\"changed\",\"\xe6\x97\xa5\":true}");
    t_expect(nana_to_dict(sub), "{\"a\":1}");

    /* taking the value works too; a get afterwards still returns the original */
    json_t *taken = t_take(nana_to_dict(db), NANA_OK);
    CHECK_JSON(taken, "{\"a\":{\"n\":[1,2]},\"c\":\"changed\",\"\xe6\x97\xa5\":true}");
    nana_json_release(taken);
    t_expect(nana_get(db, "a", NULL), "{\"n\":[1,2]}");

    CHECK_ST(t_wait(nana_to_dict(NULL)), NANA_EINVAL);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
