/*
 * nana_setdefault: a missing key gets the default stored and resolves to it;
 * an existing key (including one holding JSON null) resolves to the stored
 * value and is not overwritten; a NULL default stores JSON null; the default
 * is copied before the call returns; NULL db or key is NANA_EINVAL and stores
 * nothing.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("setdefault.db");
    nana_db_t *db = t_open("setdefault.db", NULL);

    json_t *dflt = t_json("{\"count\":0,\"list\":[]}");
    nana_future_t *f = nana_setdefault(db, "fresh", dflt);
    json_object_set_new(dflt, "count", json_integer(99)); /* borrowed */
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_JSON(nana_future_json(f), "{\"count\":0,\"list\":[]}");
    nana_future_free(f);
    t_expect(nana_get(db, "fresh", NULL), "{\"count\":0,\"list\":[]}");
    char *raw = t_raw_value(path, "data", "fresh");
    CHECK(raw != NULL);
    json_t *parsed = t_json(raw);
    CHECK_JSON(parsed, "{\"count\":0,\"list\":[]}");
    json_decref(parsed);
    free(raw);

    /* existing: resolves to the stored value, not overwritten */
    t_expect(nana_setdefault(db, "fresh", dflt), "{\"count\":0,\"list\":[]}");
    t_expect(nana_get(db, "fresh", NULL), "{\"count\":0,\"list\":[]}");
    json_decref(dflt);

    /* NULL default stores JSON null */
    t_expect(nana_setdefault(db, "nothing", NULL), "null");
    CHECK(t_bool(nana_contains(db, "nothing")));
    t_expect(nana_get(db, "nothing", NULL), "null");
    raw = t_raw_value(path, "data", "nothing");
    CHECK_STR(raw, "null");
    free(raw);

    /* a stored null is a value: setdefault keeps it */
    json_t *d2 = json_string("replacement");
    t_expect(nana_setdefault(db, "nothing", d2), "null");
    t_expect(nana_get(db, "nothing", NULL), "null");

    /* key cached as absent, then setdefault stores */
    CHECK_ST(t_wait(nana_get(db, "later", NULL)), NANA_ENOTFOUND);
    t_expect(nana_setdefault(db, "later", d2), "\"replacement\"");
    t_expect(nana_get(db, "later", NULL), "\"replacement\"");

    /* bad arguments store nothing */
    CHECK_ST(t_wait(nana_setdefault(NULL, "bad", d2)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_setdefault(db, NULL, d2)), NANA_EINVAL);
    CHECK_ST(t_wait(nana_setdefault(db, NULL, NULL)), NANA_EINVAL);
    json_decref(d2);
    CHECK(!t_bool(nana_contains(db, "bad")));
    CHECK_INT(t_int(nana_len(db)), 3);

    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("setdefault.db", NULL);
    t_expect(nana_to_dict(db),
             "{\"fresh\":{\"count\":0,\"list\":[]},\"nothing\":null,\"later\":\"replacement\"}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
