/*
 * Bug: after clear, load_all or bulk_load the table is fully loaded (a key
 * with no cache entry is known absent), and keys written by update or
 * batch_update -- awaited or pipelined, through the root or a sub-table --
 * read as absent: get ENOTFOUND, contains false, setdefault overwrote the
 * stored row, pop left it.  Each read must see what update stored, and
 * setdefault must change nothing.
 */
#include "harness.h"

enum how { VIA_CLEAR, VIA_LOAD_ALL, VIA_BULK_LOAD, N_HOW };

static void fully_load(nana_db_t *db, enum how how)
{
    if (how == VIA_CLEAR)
        CHECK_ST(t_wait(nana_clear(db)), NANA_OK);
    else if (how == VIA_LOAD_ALL)
        CHECK_ST(t_wait(nana_load_all(db)), NANA_OK);
}

/* One round: k (already stored with 1 unless cleared) and a new key n are
 * written by update while the table is fully loaded, then read every way. */
static void round_trip(const char *path, nana_db_t *db, const char *table, bool batch,
                       bool pipelined)
{
    json_t *obj = t_json("{\"k\":5,\"n\":6}");
    nana_future_t *w = batch ? nana_batch_update(db, obj) : nana_update(db, obj);
    json_decref(obj);
    if (!pipelined)
        CHECK_ST(t_wait(w), NANA_OK);

    nana_future_t *get_k = nana_get(db, "k", NULL);
    nana_future_t *has_n = nana_contains(db, "n");
    json_t *two = json_integer(2);
    nana_future_t *sd = nana_setdefault(db, "k", two);
    json_decref(two);
    nana_future_t *pop_n = nana_pop(db, "n", NULL);
    nana_future_t *get_n = nana_get(db, "n", NULL);
    if (pipelined)
        CHECK_ST(t_wait(w), NANA_OK);

    t_expect(get_k, "5");
    CHECK(t_bool(has_n));
    t_expect(sd, "5");
    t_expect(pop_n, "6");
    CHECK_ST(t_wait(get_n), NANA_ENOTFOUND);

    char *raw = t_raw_value(path, table, "k");
    CHECK(raw != NULL);
    CHECK_STR(raw, "5"); /* setdefault did not overwrite it */
    free(raw);
    CHECK(t_raw_value(path, table, "n") == NULL); /* pop removed it */
}

int main(void)
{
    for (int how = 0; how < N_HOW; how++) {
        for (int variant = 0; variant < 8; variant++) {
            bool batch = variant & 1, pipelined = variant & 2, sub = variant & 4;
            char name[64];
            snprintf(name, sizeof name, "loaded-%d-%d.db", how, variant);
            const char *path = t_path(name);
            const char *table = sub ? "other" : "data";
            nana_db_t *root = t_open(name, NULL), *db = root, *sub_db = NULL;
            if (sub) {
                CHECK_ST(nana_table(root, "other", &sub_db), NANA_OK);
                db = sub_db;
            }
            t_set_json(db, "k", "1");
            if (how == VIA_BULK_LOAD) {
                nana_close(sub_db);
                CHECK_ST(nana_close(root), NANA_OK);
                nana_options_t o;
                nana_options_init(&o);
                o.bulk_load = true;
                o.table = table;
                db = root = t_open(name, &o);
                sub_db = NULL;
            }
            fully_load(db, (enum how)how);
            if (how == VIA_CLEAR)
                t_set_json(db, "k", "1");
            round_trip(path, db, table, batch, pipelined);
            nana_close(sub_db);
            CHECK_ST(nana_close(root), NANA_OK);
        }
    }
    return 0;
}
