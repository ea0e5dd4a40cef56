/*
 * nana_delete: removes the key (from the cache and, once resolved, from the
 * file), resolves with no value; a missing key -- never stored, already
 * deleted, or cached as absent -- is NANA_ENOTFOUND; a key holding JSON null
 * is deletable; NULL db or key is NANA_EINVAL and deletes nothing; other
 * keys are untouched.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("del.db");
    nana_db_t *db = t_open("del.db", NULL);

    json_t *one = json_integer(1), *two = t_json("{\"x\":[2]}");
    CHECK_ST(t_wait(nana_set(db, "a", one)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "b", two)), NANA_OK);
    CHECK_ST(t_wait(nana_set(db, "n", json_null())), NANA_OK);
    json_decref(one);
    json_decref(two);

    nana_future_t *f = nana_delete(db, "a");
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    CHECK(t_raw_value(path, "data", "a") == NULL); /* committed */
    CHECK(!t_bool(nana_contains(db, "a")));
    CHECK_ST(t_wait(nana_get(db, "a", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(db)), 2);

    /* deleting again: ENOTFOUND with a message */
    f = nana_delete(db, "a");
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK(nana_future_errmsg(f)[0] != '\0');
    nana_future_free(f);

    /* never stored, first uncached then cached as absent */
    CHECK_ST(t_wait(nana_delete(db, "never")), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "never2", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_delete(db, "never2")), NANA_ENOTFOUND);

    /* a stored null is a value: it can be deleted */
    CHECK_ST(t_wait(nana_delete(db, "n")), NANA_OK);
    CHECK(!t_bool(nana_contains(db, "n")));

    /* unawaited set then delete then get: get sees the delete */
    json_t *v = json_string("tmp");
    nana_future_t *s = nana_set(db, "tmp", v);
    nana_future_t *d = nana_delete(db, "tmp");
    nana_future_t *g = nana_get(db, "tmp", NULL);
    json_decref(v);
    CHECK_ST(t_wait(g), NANA_ENOTFOUND);
    CHECK_ST(t_wait(d), NANA_OK);
    CHECK_ST(t_wait(s), NANA_OK);

    /* bad arguments */
    CHECK_ST(t_wait(nana_delete(NULL, "b")), NANA_EINVAL);
    CHECK_ST(t_wait(nana_delete(db, NULL)), NANA_EINVAL);
    t_expect(nana_get(db, "b", NULL), "{\"x\":[2]}");
    char *raw = t_raw_value(path, "data", "b");
    CHECK(raw != NULL);
    free(raw);
    CHECK_INT(t_int(nana_len(db)), 1);

    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("del.db", NULL);
    CHECK_ST(t_wait(nana_get(db, "a", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_get(db, "n", NULL)), NANA_ENOTFOUND);
    t_expect(nana_keys(db), "[\"b\"]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
