/*
 * A dict key is a NUL-terminated string, but a jansson object member may
 * hold a NUL ("a\0b").  update and batch_update must not store such a member
 * under the key cut at the NUL (which would overwrite "a"): the whole call
 * is refused with NANA_EINVAL and nothing is written.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("nulkey.db");
    nana_db_t *db = t_open("nulkey.db", NULL);
    t_set_json(db, "a", "\"keep\"");
    json_t *obj = json_object();
    json_object_set_new(obj, "b", json_integer(1));
#if JANSSON_VERSION_HEX >= 0x020e00
    json_object_setn_new(obj, "a\0b", 3, json_integer(2));
#else
    json_object_set_new(obj, "a\xff", json_integer(2)); /* refused by jansson: skip */
#endif
    for (int batch = 0; batch < 2; batch++) {
        nana_future_t *f = batch ? nana_batch_update(db, obj) : nana_update(db, obj);
#if JANSSON_VERSION_HEX >= 0x020e00
        CHECK_ST(nana_future_await(f), NANA_EINVAL);
        CHECK(strstr(nana_future_errmsg(f), "NUL") != NULL);
#else
        nana_future_await(f);
#endif
        nana_future_free(f);
    }
    json_decref(obj);
    char *raw = t_raw_value(path, "data", "a");
    CHECK_STR(raw, "\"keep\"");
    free(raw);
#if JANSSON_VERSION_HEX >= 0x020e00
    CHECK(t_raw_value(path, "data", "b") == NULL);
#endif
    t_expect(nana_get(db, "a", NULL), "\"keep\"");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
