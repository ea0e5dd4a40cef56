/*
 * bulk_load = true: every row is cached right after nana_open (is_cached true
 * for every key before any get), so a change by another connection after the
 * open is not seen by get until refreshed; with bulk_load = false nothing is
 * cached at open.  Values loaded at open equal the stored ones.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("bulk.db");
    {
        nana_db_t *db = t_open("bulk.db", NULL);
        json_t *obj = json_object();
        char key[32];
        for (int i = 0; i < 200; i++) {
            snprintf(key, sizeof key, "key%03d", i);
            json_object_set_new(obj, key, json_pack("{s:i}", "i", i));
        }
        CHECK_ST(t_wait(nana_update(db, obj)), NANA_OK);
        json_decref(obj);
        CHECK_ST(nana_close(db), NANA_OK);
    }

    /* default: nothing cached at open */
    nana_options_t opts;
    nana_options_init(&opts);
    CHECK(!opts.bulk_load);
    nana_db_t *db = t_open("bulk.db", &opts);
    CHECK(!t_bool(nana_is_cached(db, "key000")));
    CHECK(!t_bool(nana_is_cached(db, "key199")));
    CHECK_ST(nana_close(db), NANA_OK);

    opts.bulk_load = true;
    db = t_open("bulk.db", &opts);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "key%03d", i);
        CHECK(t_bool(nana_is_cached(db, key)));
    }

    t_raw_exec(path, "UPDATE data SET value = '\"external\"' WHERE key = 'key007';"
                   "DELETE FROM data WHERE key = 'key008';");
    t_expect(nana_get(db, "key007", NULL), "{\"i\":7}");
    t_expect(nana_get(db, "key008", NULL), "{\"i\":8}");
    t_expect(nana_get(db, "key199", NULL), "{\"i\":199}");
    t_expect(nana_get_fresh(db, "key007", NULL), "\"external\"");
    CHECK_ST(t_wait(nana_get_fresh(db, "key008", NULL)), NANA_ENOTFOUND);
    CHECK_INT(t_int(nana_len(db)), 199);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
