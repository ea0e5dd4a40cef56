/*
 * nana_values: an array of the values in rowid order, including JSON null
 * values, [] on an empty table, only the handle's own table, reflecting
 * overwrites (moved last) and deletes; NULL db is NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("values.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);

    t_expect(nana_values(db), "[]");

    t_set_json(db, "a", "{\"x\":1}");
    t_set_json(db, "b", "null");
    t_set_json(db, "c", "[1,[2]]");
    t_set_json(db, "d", "\"s\"");
    t_set_json(sub, "a", "\"sub value\"");
    t_expect(nana_values(db), "[{\"x\":1},null,[1,[2]],\"s\"]");
    t_expect(nana_values(sub), "[\"sub value\"]");

    t_set_json(db, "a", "{\"x\":2}");
    t_expect(nana_values(db), "[null,[1,[2]],\"s\",{\"x\":2}]");

    CHECK_ST(t_wait(nana_delete(db, "c")), NANA_OK);
    t_expect(nana_values(db), "[null,\"s\",{\"x\":2}]");

    /* values agree with get, element by element, in keys order */
    json_t *keys = t_take(nana_keys(db), NANA_OK);
    json_t *vals = t_take(nana_values(db), NANA_OK);
    CHECK_INT(json_array_size(vals), json_array_size(keys));
    for (size_t i = 0; i < json_array_size(keys); i++) {
        json_t *g = t_take(nana_get(db, json_string_value(json_array_get(keys, i)), NULL),
                           NANA_OK);
        CHECK(json_equal(g, json_array_get(vals, i)));
        nana_json_release(g);
    }
    nana_json_release(keys);
    nana_json_release(vals);

    CHECK_ST(t_wait(nana_values(NULL)), NANA_EINVAL);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
