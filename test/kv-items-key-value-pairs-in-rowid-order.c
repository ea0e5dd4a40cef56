/*
 * nana_items: an array of [key, value] pairs in rowid order, [] on an empty
 * table, null values included, only the handle's own table, reflecting
 * overwrites, deletes and clear; NULL db is NANA_EINVAL.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("items.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);

    t_expect(nana_items(db), "[]");

    t_set_json(db, "one", "1");
    t_set_json(db, "two", "[2,2]");
    t_set_json(db, "none", "null");
    t_set_json(sub, "one", "\"sub\"");
    t_expect(nana_items(db), "[[\"one\",1],[\"two\",[2,2]],[\"none\",null]]");
    t_expect(nana_items(sub), "[[\"one\",\"sub\"]]");

    t_set_json(db, "one", "{\"again\":true}");
    CHECK_ST(t_wait(nana_delete(db, "two")), NANA_OK);
    t_expect(nana_items(db), "[[\"none\",null],[\"one\",{\"again\":true}]]");

    /* each item is a 2-element array whose first element is a string */
    json_t *items = t_take(nana_items(db), NANA_OK);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        CHECK(json_is_array(it));
        CHECK_INT(json_array_size(it), 2);
        CHECK(json_is_string(json_array_get(it, 0)));
    }
    nana_json_release(items);

    CHECK_ST(t_wait(nana_clear(db)), NANA_OK);
    t_expect(nana_items(db), "[]");
    t_expect(nana_items(sub), "[[\"one\",\"sub\"]]");

    CHECK_ST(t_wait(nana_items(NULL)), NANA_EINVAL);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
