/*
 * A fully loaded table answers "absent" for a key it has no entry for, so a
 * bounded cache that drops an entry must stop being fully loaded, or the
 * dropped key would read as missing.  With cache_max_entries 3:
 *  - clear makes the table fully loaded (every key absent, nothing read):
 *    a row another connection adds afterwards stays unseen;
 *  - four sets then drop one key; that key still reads its value (from
 *    SQLite), and the row the other connection added is found now;
 *  - bulk_load of six rows keeps three, every row still reads right and a
 *    key with no row reads absent from SQLite, so a row added by the other
 *    connection is found;
 *  - load_all likewise, and a table of two rows (within the bound) stays
 *    fully loaded: the other connection's new row is not seen until
 *    refresh.
 */
#include "harness.h"

int main(void)
{
    const char *path = t_path("full.db");
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = 3;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v3(path, NULL, 0, &to, &db), NANA_OK);

    /* clear: fully loaded */
    CHECK_ST(t_wait(nana_clear(db)), NANA_OK);
    t_raw_put(path, "late", "\"by another connection\"");
    CHECK_ST(t_wait(nana_get(db, "late", NULL)), NANA_ENOTFOUND); /* from the cache */
    CHECK(!t_bool(nana_contains(db, "late")));

    /* four keys through a bound of three: one dropped */
    t_set_json(db, "a", "1");
    t_set_json(db, "b", "2");
    t_set_json(db, "c", "3");
    t_set_json(db, "d", "4");
    int kept = 0;
    const char *keys[] = {"a", "b", "c", "d"}, *vals[] = {"1", "2", "3", "4"};
    for (int i = 0; i < 4; i++)
        kept += t_bool(nana_is_cached(db, keys[i]));
    CHECK_INT(kept, 3);
    for (int i = 0; i < 4; i++)
        t_expect(nana_get(db, keys[i], NULL), vals[i]);
    /* no longer fully loaded: the key nobody cached is read */
    t_expect(nana_get(db, "late", NULL), "\"by another connection\"");

    /* bulk_load of six rows into three entries */
    CHECK_ST(nana_close(db), NANA_OK);
    t_raw_exec(path, "DELETE FROM data; INSERT INTO data VALUES ('r1','1'),('r2','2'),"
                     "('r3','3'),('r4','4'),('r5','5'),('r6','6');");
    nana_options_t o;
    nana_options_init(&o);
    o.bulk_load = true;
    CHECK_ST(nana_open_v3(path, &o, 0, &to, &db), NANA_OK);
    kept = 0;
    for (int i = 1; i <= 6; i++) {
        char key[16];
        snprintf(key, sizeof key, "r%d", i);
        kept += t_bool(nana_is_cached(db, key));
    }
    CHECK_INT(kept, 3);
    t_raw_put(path, "r7", "7");
    for (int i = 1; i <= 7; i++) {
        char key[16], text[16];
        snprintf(key, sizeof key, "r%d", i);
        snprintf(text, sizeof text, "%d", i);
        t_expect(nana_get(db, key, NULL), text);
    }

    /* load_all: seven rows, three kept, not fully loaded */
    CHECK_INT(t_int(nana_load_all(db)), 7);
    t_raw_put(path, "r8", "8");
    t_expect(nana_get(db, "r8", NULL), "8");
    for (int i = 1; i <= 7; i++) {
        char key[16], text[16];
        snprintf(key, sizeof key, "r%d", i);
        snprintf(text, sizeof text, "%d", i);
        t_expect(nana_get(db, key, NULL), text);
    }

    /* within the bound, load_all leaves the table fully loaded */
    t_raw_exec(path, "DELETE FROM data WHERE key > 'r2';");
    CHECK_INT(t_int(nana_load_all(db)), 2);
    t_raw_put(path, "r9", "9");
    CHECK_ST(t_wait(nana_get(db, "r9", NULL)), NANA_ENOTFOUND); /* fully loaded */
    CHECK_ST(t_wait(nana_refresh(db, "r9")), NANA_OK);
    t_expect(nana_get(db, "r9", NULL), "9");
    t_expect(nana_get(db, "r1", NULL), "1");
    t_expect(nana_get(db, "r2", NULL), "2");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
