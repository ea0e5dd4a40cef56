/*
 * Bug: a key that is not valid UTF-8 was accepted, and then keys, items and
 * to_dict of that whole table failed NANA_ETYPE forever, also after reopen.
 * Every call that takes a key refuses it with NANA_EINVAL before queueing
 * anything, and the table stays readable.
 */
#include "harness.h"

static void refused(nana_future_t *f)
{
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(strstr(nana_future_errmsg(f), "UTF-8") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

int main(void)
{
    const char *path = t_path("utf8.db");
    nana_db_t *db = t_open("utf8.db", NULL), *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    t_set_json(db, "good", "1");
    t_set_json(db, "\xc3\xa9t\xc3\xa9", "2"); /* "été": valid */
    const char *bad[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "ok\x80z",
                         "\xf4\x90\x80\x80"};
    json_t *v = json_integer(9);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nana_db_t *handles[] = {db, sub};
        for (int h = 0; h < 2; h++) {
            nana_db_t *d = handles[h];
            const char *k = bad[i];
            refused(nana_set(d, k, v));
            refused(nana_setdefault(d, k, v));
            refused(nana_get(d, k, NULL));
            refused(nana_get(d, k, v));
            refused(nana_get_fresh(d, k, NULL));
            refused(nana_contains(d, k));
            refused(nana_is_cached(d, k));
            refused(nana_delete(d, k));
            refused(nana_pop(d, k, NULL));
            refused(nana_refresh(d, k));
            const char *keys[] = {"good", k};
            refused(nana_batch_delete(d, keys, 2));
        }
    }
    json_decref(v);
    t_expect(nana_get(db, "good", NULL), "1");
    t_expect(nana_keys(db), "[\"good\",\"\xc3\xa9t\xc3\xa9\"]");
    t_expect(nana_to_dict(db), "{\"good\":1,\"\xc3\xa9t\xc3\xa9\":2}");
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data"), 2);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM other"), 0);
    nana_close(sub);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
