/*
 * nana_update: stores every member of an object (new keys and overwrites),
 * resolves with no value after the commit, copies its input before
 * returning; an empty object is OK; a non-object (array, string, number,
 * true, null) is NANA_ETYPE and a NULL object or db is NANA_EINVAL, and
 * after every refused call the stored data is intact.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("update.db");
    nana_db_t *db = t_open("update.db", NULL);

    json_t *v = json_string("old");
    CHECK_ST(t_wait(nana_set(db, "a", v)), NANA_OK);
    json_decref(v);

    json_t *obj = t_json("{\"a\":\"new\",\"b\":[1,2],\"c\":null,\"d\":{\"e\":true}}");
    nana_future_t *f = nana_update(db, obj);
    /* borrowed: changing it right after the call changes nothing */
    json_object_set_new(obj, "a", json_string("mutated"));
    json_object_set_new(obj, "zz", json_integer(1));
    json_array_append_new(json_object_get(obj, "b"), json_integer(3));
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    json_decref(obj);

    t_expect(nana_get(db, "a", NULL), "\"new\"");
    t_expect(nana_get(db, "b", NULL), "[1,2]");
    t_expect(nana_get(db, "c", NULL), "null");
    t_expect(nana_get(db, "d", NULL), "{\"e\":true}");
    CHECK_ST(t_wait(nana_get(db, "zz", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(db)), 4);
    /* committed */
    char *raw = t_raw_value(path, "data", "d");
    CHECK(raw != NULL);
    json_t *parsed = t_json(raw);
    CHECK_JSON(parsed, "{\"e\":true}");
    json_decref(parsed);
    free(raw);

    /* empty object: OK, nothing changes */
    obj = json_object();
    CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
    json_decref(obj);
    CHECK_INT(t_int(nana_len(db)), 4);

    /* non-objects: ETYPE */
    const char *bad[] = {"[[\"a\",1]]", "\"a\"", "3", "true", "null", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = t_json(bad[i]);
        f = nana_update(db, b);
        CHECK_ST(nana_future_await(f), NANA_ETYPE);
        CHECK(nana_future_errmsg(f)[0] != '\0');
        nana_future_free(f);
        json_decref(b);
    }
    /* NULL: EINVAL */
    CHECK_ST(t_wait(nana_update(db, NULL)), NANA_EINVAL);
    obj = t_json("{\"a\":\"from-null-db\"}");
    CHECK_ST(t_wait(nana_update(NULL, obj)), NANA_EINVAL);
    json_decref(obj);

    /* intact */
    t_expect(nana_to_dict(db), "{\"a\":\"new\",\"b\":[1,2],\"c\":null,\"d\":{\"e\":true}}");
    raw = t_raw_value(path, "data", "a");
    CHECK_STR(raw, "\"new\"");
    free(raw);

    /* unawaited update followed by get */
    obj = t_json("{\"k1\":1,\"k2\":2}");
    nana_future_t *u = nana_update(db, obj);
    json_decref(obj);
    nana_future_t *g = nana_get(db, "k2", NULL);
    t_expect(g, "2");
    CHECK_ST(t_wait(u), NANA_OK);

    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("update.db", NULL);
    t_expect(nana_to_dict(db),
             "{\"a\":\"new\",\"b\":[1,2],\"c\":null,\"d\":{\"e\":true},\"k1\":1,\"k2\":2}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
