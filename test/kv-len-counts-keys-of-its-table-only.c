/*
 * nana_len: an integer -- 0 on a new table, counts each key once (overwrites
 * do not add, deletes subtract, null values count), counts only its own
 * table (a sub-table's keys are not included), sees unawaited writes
 * submitted before it; NULL db is NANA_EINVAL; nana_future_bool on it is
 * NANA_ETYPE.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("len.db", NULL);
    nana_db_t *other = NULL;
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);

    CHECK_INT(t_int(nana_len(db)), 0);
    CHECK_INT(t_int(nana_len(other)), 0);

    char key[32];
    for (int i = 0; i < 25; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_integer(i);
        CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
        json_decref(v);
    }
    CHECK_INT(t_int(nana_len(db)), 25);

    json_t *v = json_string("again");
    CHECK_ST(t_wait(nana_set(db, "k3", v)), NANA_OK); /* overwrite */
    CHECK_ST(t_wait(nana_set(db, "nul", json_null())), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 26);

    CHECK_ST(t_wait(nana_set(other, "k1", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(other, "only-other", v)), NANA_OK);
    CHECK_INT(t_int(nana_len(other)), 2);
    CHECK_INT(t_int(nana_len(db)), 26);

    CHECK_ST(t_wait(nana_delete(db, "k0")), NANA_OK);
    CHECK_ST(t_wait(nana_delete(db, "k1")), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 24);
    CHECK_INT(t_int(nana_len(other)), 2);

    /* unawaited writes before the len */
    nana_future_t *s1 = nana_set(db, "x1", v);
    nana_future_t *s2 = nana_set(db, "x2", v);
    nana_future_t *d = nana_delete(db, "k2");
    nana_future_t *l = nana_len(db);
    CHECK_INT(t_int(l), 25);
    CHECK_ST(t_wait(s1), NANA_OK);
    CHECK_ST(t_wait(s2), NANA_OK);
    CHECK_ST(t_wait(d), NANA_OK);
    json_decref(v);

    nana_future_t *f = nana_len(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    bool b;
    CHECK_ST(nana_future_bool(f, &b), NANA_ETYPE);
    nana_future_free(f);

    CHECK_ST(t_wait(nana_len(NULL)), NANA_EINVAL);
    f = nana_len(NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    int64_t n = 99;
    CHECK_ST(nana_future_int(f, &n), NANA_EINVAL);
    nana_future_free(f);

    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("len.db", NULL);
    CHECK_INT(t_int(nana_len(db)), 25);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
