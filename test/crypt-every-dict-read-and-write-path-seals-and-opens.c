/*
 * Every dict operation goes through the one storage boundary of an
 * encrypted root: each write (set, update, batch_update, setdefault,
 * increment, increment_real, patch, compare_and_set, set_model) leaves only
 * sealed BLOBs in the file, and each read that decodes rows from SQLite
 * (get_fresh, batch_get, keys/values/items, to_dict, copy, scan_prefix,
 * scan_range, a cursor, load_all, pop) gives the values back.  The reads
 * run on a second root, opened on the file with the key after the writes,
 * so that no answer can come from the writer's cache.
 */
#include "crypt.h"

#include <sqlite3.h>

static unsigned char key[32];

/* Every row of table "data" is a BLOB; returns how many rows there are. */
static int all_sealed(const char *path)
{
    int rows = t_raw_int(path, "SELECT COUNT(*) FROM data");
    int blobs = t_raw_int(path, "SELECT COUNT(*) FROM data WHERE typeof(value) = 'blob'");
    if (rows != blobs)
        t_fail(__FILE__, __LINE__, "%d of %d rows are not sealed", rows - blobs, rows);
    return rows;
}

struct point {
    int64_t x;
    char *label;
};
static const nana_field_t point_fields[] = {
    NANA_FIELD(struct point, x, NANA_FIELD_INT64, true),
    NANA_FIELD(struct point, label, NANA_FIELD_STRING, true),
};
static const nana_model_t point_model = NANA_MODEL(struct point, point_fields);

int main(void)
{
    t_key(key, sizeof key, 42);
    const char *path = t_path("paths.db");
    nana_db_t *db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);

    t_set_json(db, "a:set", "{\"kind\":\"set\"}");
    json_t *obj = t_json("{\"b:update\":[1,2],\"b:update2\":\"two\"}");
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    obj = t_json("{\"c:batch\":{\"n\":3},\"c:batch2\":null}");
    CHECK_ST(t_wait(nana_batch_update(db, obj)), NANA_OK);
    json_decref(obj);
    json_t *dflt = t_json("\"default\"");
    SAME(nana_setdefault(db, "d:setdefault", dflt), "\"default\"");
    json_decref(dflt);
    SAME(nana_increment(db, "e:counter", NULL, 5), "5");
    SAME(nana_increment(db, "e:counter", NULL, 2), "7");
    SAME(nana_increment_real(db, "e:real", "r", 0.5), "0.5");
    json_t *changes = t_json("{\"p\":1}");
    SAME(nana_patch(db, "f:patch", changes, true), "{\"p\":1}");
    json_decref(changes);
    changes = t_json("{\"q\":2}");
    SAME(nana_patch(db, "f:patch", changes, false), "{\"p\":1,\"q\":2}");
    json_decref(changes);
    json_t *v = t_json("\"swapped\"");
    CHECK(BOOL(nana_compare_and_set(db, "g:cas", NULL, v)));
    json_decref(v);
    struct point pt = {9, "nine"};
    CHECK_ST(t_wait(nana_set_model(db, "h:model", &point_model, &pt)), NANA_OK);
    t_set_json(db, "z:popped", "\"gone soon\"");
    CHECK_INT(all_sealed(path), 12);
    CHECK_ST(nana_close(db), NANA_OK);

    /* A fresh root: every answer below is decrypted from the file. */
    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_get_fresh(db, "a:set", NULL), "{\"kind\":\"set\"}");
    const char *keys[] = {"b:update", "c:batch", "c:batch2", "e:counter", "missing"};
    SAME(nana_batch_get(db, keys, 5),
         "{\"b:update\":[1,2],\"c:batch\":{\"n\":3},\"c:batch2\":null,\"e:counter\":7}");
    CHECK_ST(nana_close(db), NANA_OK);

    const char *everything =
        "{\"a:set\":{\"kind\":\"set\"},\"b:update\":[1,2],\"b:update2\":\"two\","
        "\"c:batch\":{\"n\":3},\"c:batch2\":null,\"d:setdefault\":\"default\","
        "\"e:counter\":7,\"e:real\":{\"r\":0.5},\"f:patch\":{\"p\":1,\"q\":2},"
        "\"g:cas\":\"swapped\",\"h:model\":{\"x\":9,\"label\":\"nine\"},"
        "\"z:popped\":\"gone soon\"}";
    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_to_dict(db), everything);
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_copy(db), everything);
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_values(db), "[{\"kind\":\"set\"},[1,2],\"two\",{\"n\":3},null,\"default\",7,"
                          "{\"r\":0.5},{\"p\":1,\"q\":2},\"swapped\",{\"x\":9,\"label\":\"nine\"},"
                          "\"gone soon\"]");
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_items(db), "[[\"a:set\",{\"kind\":\"set\"}],[\"b:update\",[1,2]],"
                         "[\"b:update2\",\"two\"],[\"c:batch\",{\"n\":3}],[\"c:batch2\",null],"
                         "[\"d:setdefault\",\"default\"],[\"e:counter\",7],[\"e:real\",{\"r\":0.5}],"
                         "[\"f:patch\",{\"p\":1,\"q\":2}],[\"g:cas\",\"swapped\"],"
                         "[\"h:model\",{\"x\":9,\"label\":\"nine\"}],[\"z:popped\",\"gone soon\"]]");
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_scan_prefix(db, "b:", INT64_MAX), "[[\"b:update\",[1,2]],[\"b:update2\",\"two\"]]");
    SAME(nana_scan_range(db, "e:", "f:", INT64_MAX), "[[\"e:counter\",7],[\"e:real\",{\"r\":0.5}]]");
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    nana_cursor_t *cur = NULL;
    CHECK_ST(nana_cursor_open_prefix(db, "c:", 1, &cur), NANA_OK);
    SAME(nana_cursor_next(cur), "[[\"c:batch\",{\"n\":3}]]");
    SAME(nana_cursor_next(cur), "[[\"c:batch2\",null]]");
    SAME(nana_cursor_next(cur), "[]");
    nana_cursor_close(cur);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    CHECK_INT(INT(nana_load_all(db)), 12);
    SAME(nana_get(db, "g:cas", NULL), "\"swapped\"");
    struct point back = {0, NULL};
    CHECK_ST(t_wait(nana_get_model(db, "h:model", &point_model, &back)), NANA_OK);
    CHECK_INT(back.x, 9);
    CHECK_STR(back.label, "nine");
    nana_model_free(&point_model, &back);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open_encrypted("paths.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    SAME(nana_pop(db, "z:popped", NULL), "\"gone soon\"");
    CHECK_INT(all_sealed(path), 11);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
