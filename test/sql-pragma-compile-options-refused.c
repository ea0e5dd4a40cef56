/*
 * PRAGMA compile_options is not on the readable list (NanaSQLite's allowed
 * list does not have it either): nana_pragma refuses it in any case, read or
 * set, with NANA_EINVAL and a message naming it, before anything runs.  The
 * PRAGMAs next to it in the list still read.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("pragma.db", NULL);

    static const char *const spellings[] = {"compile_options", "COMPILE_OPTIONS",
                                            "Compile_Options"};
    for (size_t i = 0; i < 3; i++) {
        nana_future_t *f = nana_pragma(db, spellings[i], NULL);
        CHECK_ST(nana_future_await(f), NANA_EINVAL);
        CHECK(strstr(nana_future_errmsg(f), "compile_options") != NULL ||
              strstr(nana_future_errmsg(f), "COMPILE_OPTIONS") != NULL ||
              strstr(nana_future_errmsg(f), "Compile_Options") != NULL);
        CHECK(nana_future_json(f) == NULL);
        nana_future_free(f);
    }
    json_t *one = json_integer(1);
    EXPECT(nana_pragma(db, "compile_options", one), NANA_EINVAL);
    json_decref(one);

    json_t *rows = TAKE(nana_pragma(db, "data_version", NULL));
    CHECK(json_is_array(rows) && json_array_size(rows) == 1);
    nana_json_release(rows);
    rows = TAKE(nana_pragma(db, "encoding", NULL));
    CHECK_JSON(rows, "[[\"UTF-8\"]]");
    nana_json_release(rows);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
