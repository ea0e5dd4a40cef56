/* Functions that free accept NULL: nana_close(NULL) is NANA_OK and
 * nana_future_free(NULL) / nana_json_release(NULL) do nothing; closing NULL
 * in the middle of real work disturbs nothing. */
#include "harness.h"

int main(void)
{
    CHECK_ST(nana_close(NULL), NANA_OK);
    nana_future_free(NULL);
    nana_json_release(NULL);
    nana_json_release(json_true()); /* static values too */
    nana_json_release(json_null());

    nana_db_t *db = t_open("db", NULL);
    json_t *v = json_integer(1);
    nana_future_t *f = nana_set(db, "k", v);
    CHECK_ST(nana_close(NULL), NANA_OK);
    nana_future_free(NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    nana_future_free(f);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_close(NULL), NANA_OK);
    CHECK(nana_db_errmsg(NULL) != NULL);
    json_decref(v);
    return 0;
}
