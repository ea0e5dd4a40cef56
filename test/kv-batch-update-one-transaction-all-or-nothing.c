/*
 * nana_batch_update: stores every member of an object in one transaction
 * (1000 keys at once; overwrites included), resolves with no value after the
 * commit; when the database is locked by another connection past the busy
 * timeout it fails NANA_EBUSY and none of its keys is stored or cached (old
 * values stay); a non-object is NANA_ETYPE, NULL object or db NANA_EINVAL,
 * with the data intact.
 */
#include "harness.h"

#include <sqlite3.h>

int main(void)
{
    const char *path = t_path("batch.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 200;
    nana_db_t *db = t_open("batch.db", &opts);

    json_t *v = json_string("old");
    CHECK_ST(t_wait(nana_set(db, "k0", v)), NANA_OK);
    json_decref(v);

    json_t *obj = json_object();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(obj, key, json_pack("{s:i,s:[i]}", "i", i, "sq", i * i));
    }
    nana_future_t *f = nana_batch_update(db, obj);
    json_object_set_new(obj, "k1", json_string("mutated after the call"));
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    json_decref(obj);

    CHECK_INT(t_int(nana_len(db)), 1000);
    t_expect(nana_get(db, "k0", NULL), "{\"i\":0,\"sq\":[0]}");
    t_expect(nana_get(db, "k1", NULL), "{\"i\":1,\"sq\":[1]}");
    t_expect(nana_get(db, "k999", NULL), "{\"i\":999,\"sq\":[998001]}");
    char *raw = t_raw_value(path, "data", "k500");
    CHECK(raw != NULL);
    json_t *parsed = t_json(raw);
    CHECK_JSON(parsed, "{\"i\":500,\"sq\":[250000]}");
    json_decref(parsed);
    free(raw);

    /* another connection holds the write lock: the whole batch fails */
    sqlite3 *locker = NULL;
    CHECK(sqlite3_open(path, &locker) == SQLITE_OK);
    sqlite3_busy_timeout(locker, 5000);
    CHECK(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);

    CHECK_ST(t_wait(nana_get(db, "fresh1", NULL)), NANA_ENOTFOUND); /* cached absent */
    obj = t_json("{\"fresh1\":1,\"fresh2\":2,\"k2\":\"overwritten\"}");
    f = nana_batch_update(db, obj);
    json_decref(obj);
    CHECK_ST(nana_future_await(f), NANA_EBUSY);
    CHECK(nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    CHECK(sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(locker);

    /* nothing of the failed batch is visible, cached or stored */
    CHECK_ST(t_wait(nana_get(db, "fresh1", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "fresh2", NULL)), NANA_ENOTFOUND);
    t_expect(nana_get(db, "k2", NULL), "{\"i\":2,\"sq\":[4]}");
    CHECK(t_raw_value(path, "data", "fresh1") == NULL);
    CHECK(t_raw_value(path, "data", "fresh2") == NULL);
    CHECK_INT(t_int(nana_len(db)), 1000);

    /* the lock is gone: the same batch now succeeds */
    obj = t_json("{\"fresh1\":1,\"fresh2\":2,\"k2\":\"overwritten\"}");
    CHECK_ST(t_wait(nana_batch_update(db, obj)), NANA_OK);
    json_decref(obj);
    t_expect(nana_get(db, "fresh1", NULL), "1");
    t_expect(nana_get(db, "k2", NULL), "\"overwritten\"");
    CHECK_INT(t_int(nana_len(db)), 1002);

    /* bad input */
    json_t *arr = t_json("[1,2]");
    CHECK_ST(t_wait(nana_batch_update(db, arr)), NANA_ETYPE);
    json_decref(arr);
    json_t *s = json_string("{\"k0\":0}");
    CHECK_ST(t_wait(nana_batch_update(db, s)), NANA_ETYPE);
    json_decref(s);
    CHECK_ST(t_wait(nana_batch_update(db, json_null())), NANA_ETYPE);
    CHECK_ST(t_wait(nana_batch_update(db, NULL)), NANA_EINVAL);
    obj = t_json("{\"k0\":\"x\"}");
    CHECK_ST(t_wait(nana_batch_update(NULL, obj)), NANA_EINVAL);
    json_decref(obj);
    t_expect(nana_get(db, "k0", NULL), "{\"i\":0,\"sq\":[0]}");
    CHECK_INT(t_int(nana_len(db)), 1002);

    obj = json_object();
    CHECK_ST(t_wait(nana_batch_update(db, obj)), NANA_OK);
    json_decref(obj);
    CHECK_INT(t_int(nana_len(db)), 1002);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
