/*
 * tables.db, written by the Python NanaSQLite with tables main, users and
 * config: opened with table "main" and nana_table for "users" and "config",
 * every key of every table in the manifest reads back equal through get, and
 * each table's len and to_dict equal the manifest's; the tables do not see
 * each other's keys.
 */
#include "harness.h"

static void check_table(nana_db_t *db, const char *name, json_t *want)
{
    CHECK(json_is_object(want));
    const char *key;
    json_t *value;
    json_object_foreach(want, key, value) {
        nana_future_t *f = nana_get(db, key, NULL);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_OK)
            t_fail(__FILE__, __LINE__, "%s.get(%s): %s (%s)", name, key, t_status_name(st),
                   nana_future_errmsg(f));
        if (!json_equal(nana_future_json(f), value)) {
            char *g = json_dumps(nana_future_json(f), JSON_ENCODE_ANY);
            char *e = json_dumps(value, JSON_ENCODE_ANY);
            t_fail(__FILE__, __LINE__, "%s.%s: got %s, want %s", name, key, g, e);
        }
        nana_future_free(f);
    }
    CHECK_INT(t_int(nana_len(db)), json_object_size(want));
    json_t *d = t_take(nana_to_dict(db), NANA_OK);
    if (!json_equal(d, want))
        t_fail(__FILE__, __LINE__, "to_dict of %s differs from the manifest", name);
    nana_json_release(d);
}

int main(void)
{
    json_error_t err;
    json_t *manifest = json_load_file(t_fixture_path("nanasqlite-py/manifest.json"), 0, &err);
    if (!manifest)
        t_fail(__FILE__, __LINE__, "manifest: %s", err.text);
    json_t *tables = json_object_get(manifest, "tables.db");
    CHECK(json_is_object(tables));
    CHECK_INT(json_object_size(tables), 3);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "main";
    nana_db_t *mainh = NULL, *users = NULL, *config = NULL;
    CHECK_ST(nana_open(t_fixture("nanasqlite-py/tables.db"), &opts, &mainh), NANA_OK);
    CHECK_ST(nana_table(mainh, "users", &users), NANA_OK);
    CHECK_ST(nana_table(mainh, "config", &config), NANA_OK);

    check_table(mainh, "main", json_object_get(tables, "main"));
    check_table(users, "users", json_object_get(tables, "users"));
    check_table(config, "config", json_object_get(tables, "config"));

    /* every table of the manifest was checked */
    const char *name;
    json_t *t;
    json_object_foreach(tables, name, t) CHECK(strcmp(name, "main") == 0 ||
                                               strcmp(name, "users") == 0 ||
                                               strcmp(name, "config") == 0);

    /* no cross-talk */
    CHECK(!t_bool(nana_contains(mainh, "theme")));
    CHECK(!t_bool(nana_contains(users, "main_key")));
    CHECK(!t_bool(nana_contains(config, "user_0")));
    t_expect(nana_get(config, "theme", NULL), "\"dark\"");
    t_expect(nana_get(config, "limits", NULL), "{\"max\":10,\"ratio\":0.25}");
    t_expect(nana_get(mainh, "main_key", NULL), "[\"x\",1,true,null]");

    CHECK_ST(nana_close(users), NANA_OK);
    CHECK_ST(nana_close(config), NANA_OK);
    CHECK_ST(nana_close(mainh), NANA_OK);

    /* each table can also be the root's table */
    opts.table = "users";
    nana_db_t *u2 = NULL;
    CHECK_ST(nana_open(t_path("tables.db"), &opts, &u2), NANA_OK);
    check_table(u2, "users(root)", json_object_get(tables, "users"));
    CHECK_ST(nana_close(u2), NANA_OK);

    json_decref(manifest);
    return 0;
}
