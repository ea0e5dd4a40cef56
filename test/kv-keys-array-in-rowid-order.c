/*
 * nana_keys: an array of key strings in rowid order (first insertion; an
 * overwrite moves the key last, as INSERT OR REPLACE does), [] on an empty
 * table, only the handle's own table, reflecting deletes; UTF-8 keys come
 * back byte for byte; NULL db is NANA_EINVAL.
 */
#include "harness.h"

static void set_int(nana_db_t *db, const char *key, int n)
{
    json_t *v = json_integer(n);
    CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
    json_decref(v);
}

int main(void)
{
    nana_db_t *db = t_open("keys.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);

    t_expect(nana_keys(db), "[]");

    set_int(db, "zeta", 1);
    set_int(db, "alpha", 2);
    set_int(db, "\xe6\x97\xa5\xe6\x9c\xac", 3);
    set_int(db, "mid", 4);
    set_int(sub, "sub-only", 5);
    t_expect(nana_keys(db), "[\"zeta\",\"alpha\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"mid\"]");
    t_expect(nana_keys(sub), "[\"sub-only\"]");

    /* an overwrite moves the key last (rowid order, INSERT OR REPLACE) */
    set_int(db, "zeta", 9);
    t_expect(nana_keys(db), "[\"alpha\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"mid\",\"zeta\"]");

    CHECK_ST(t_wait(nana_delete(db, "mid")), NANA_OK);
    t_expect(nana_keys(db), "[\"alpha\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"zeta\"]");

    /* every element is a string; the array is as long as len */
    json_t *keys = t_take(nana_keys(db), NANA_OK);
    CHECK(json_is_array(keys));
    CHECK_INT(json_array_size(keys), t_int(nana_len(db)));
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) CHECK(json_is_string(k));
    nana_json_release(keys);

    CHECK_ST(t_wait(nana_keys(NULL)), NANA_EINVAL);

    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("keys.db", NULL);
    t_expect(nana_keys(db), "[\"alpha\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"zeta\"]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
