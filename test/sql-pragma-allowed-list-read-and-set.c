/*
 * nana_pragma: results are arrays of rows (arrays).  Reading user_version
 * (0 on a new file), setting it (integer) and reading it back, also after a
 * reopen and from another connection; the name in any case.  journal_mode
 * reads "wal" with the default options and "delete" with optimize = false.
 * table_info / index_list take an identifier value; integrity_check,
 * page_count, foreign_keys (set with a boolean), busy_timeout, cache_size
 * (negative) work.  Refused with NANA_EINVAL and nothing changed:
 * writable_schema (read or set), names not on the list or carrying SQL, a
 * value for a read-only PRAGMA (journal_mode = OFF, page_size), a string value
 * that is not an identifier ("1; DROP TABLE data", "'7'", "a b"), a real,
 * array, object or null value, table_info without / with a non-identifier
 * value, a NULL name or db.
 */
#include "harness.h"

static nana_db_t *db;

/* pragma name = value (JSON text; NULL: read) */
static nana_future_t *pr(const char *name, const char *value)
{
    json_t *v = value ? t_json(value) : NULL;
    nana_future_t *f = nana_pragma(db, name, v);
    json_decref(v);
    return f;
}

static int raw_user_version(const char *path)
{
    return t_raw_int(path, "PRAGMA user_version");
}

int main(void)
{
    const char *path = t_path("pragma.db");
    db = t_open("pragma.db", NULL);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);

    /* user_version */
    SAME(pr("user_version", NULL), "[[0]]");
    SAME(pr("user_version", "42"), "[]");
    SAME(pr("user_version", NULL), "[[42]]");
    SAME(pr("USER_VERSION", NULL), "[[42]]");
    CHECK_INT(raw_user_version(path), 42);
    SAME(pr("user_version", "-7"), "[]");
    SAME(pr("User_Version", NULL), "[[-7]]");
    SAME(pr("application_id", "1234"), "[]");
    SAME(pr("application_id", NULL), "[[1234]]");

    /* journal mode with the default options */
    SAME(pr("journal_mode", NULL), "[[\"wal\"]]");

    /* others */
    SAME(pr("table_info", "\"data\""),
         "[[0,\"key\",\"TEXT\",0,null,1],[1,\"value\",\"TEXT\",0,null,0]]");
    SAME(pr("index_list", "\"data\""), "[[0,\"sqlite_autoindex_data_1\",1,\"pk\",0]]");
    SAME(pr("integrity_check", NULL), "[[\"ok\"]]");
    SAME(pr("quick_check", NULL), "[[\"ok\"]]");
    json_t *pc = t_take_at(__FILE__, __LINE__, "page_count", pr("page_count", NULL));
    CHECK(json_integer_value(json_array_get(json_array_get(pc, 0), 0)) >= 2);
    nana_json_release(pc);
    SAME(pr("foreign_keys", "true"), "[]");
    SAME(pr("foreign_keys", NULL), "[[1]]");
    SAME(pr("foreign_keys", "false"), "[]");
    SAME(pr("foreign_keys", NULL), "[[0]]");
    SAME(pr("cache_size", "-4000"), "[]");
    SAME(pr("cache_size", NULL), "[[-4000]]");
    SAME(pr("busy_timeout", "4321"), "[[4321]]");
    SAME(pr("busy_timeout", NULL), "[[4321]]");
    SAME(pr("busy_timeout", "5000"), "[[5000]]");

    /* refused */
    struct {
        const char *name, *value;
    } bad[] = {
        {"writable_schema", NULL},
        {"writable_schema", "true"},
        {"writable_schema", "1"},
        {"WRITABLE_SCHEMA", "\"ON\""},
        {"journal_mode", "\"OFF\""},
        {"journal_mode", "\"delete\""},
        {"journal_mode = OFF", NULL},
        {"page_size", "1024"},
        {"auto_vacuum", "1"},
        {"mmap_size", "0"},
        {"schema_version", "99"},
        {"user_version; DROP TABLE data", NULL},
        {"user_version = 1", NULL},
        {"main.user_version", NULL},
        {"user_version ", NULL},
        {" user_version", NULL},
        {"", NULL},
        {"nonsense", NULL},
        {"query_only", "true"},
        {"locking_mode", "\"EXCLUSIVE\""},
        {"trusted_schema", "true"},
        {"legacy_alter_table", "true"},
        {"temp_store_directory", "\"x\""},
        {"key", "\"secret\""},
        {"recursive_triggers", "true"},
        {"ignore_check_constraints", "true"},
        {"user_version", "\"1; DROP TABLE data\""},
        {"user_version", "\"'7'\""},
        {"user_version", "\"a b\""},
        {"user_version", "\"\""},
        {"user_version", "1.5"},
        {"user_version", "[1]"},
        {"user_version", "{\"v\": 1}"},
        {"user_version", "null"},
        {"table_info", NULL},
        {"table_info", "5"},
        {"table_info", "\"data\\\"); DROP TABLE data; --\""},
        {"table_info", "\"data data\""},
        {"index_list", "true"},
        {"integrity_check", "\"data\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nana_future_t *f = pr(bad[i].name, bad[i].value);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_EINVAL || nana_future_errmsg(f)[0] == '\0')
            t_fail(__FILE__, __LINE__, "pragma(\"%s\", %s): got %s (%s), want NANA_EINVAL",
                   bad[i].name, bad[i].value ? bad[i].value : "NULL", t_status_name(st),
                   nana_future_errmsg(f));
        nana_future_free(f);
    }
    EXPECT(nana_pragma(db, NULL, NULL), NANA_EINVAL);
    EXPECT(nana_pragma(NULL, "user_version", NULL), NANA_EINVAL);

    /* nothing changed */
    SAME(pr("user_version", NULL), "[[-7]]");
    SAME(pr("journal_mode", NULL), "[[\"wal\"]]");
    SAME(nana_fetch_one(db, "PRAGMA writable_schema", NULL), "[0]");
    SAME(nana_get(db, "k", NULL), "1");
    CHECK(t_bool(nana_table_exists(db, "data")));
    CHECK_ST(nana_close(db), NANA_OK);

    /* persists; journal_mode without optimize */
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *plain = NULL;
    CHECK_ST(nana_open(t_path("plain.db"), &opts, &plain), NANA_OK);
    db = plain;
    SAME(pr("journal_mode", NULL), "[[\"delete\"]]");
    CHECK_ST(nana_close(plain), NANA_OK);
    db = t_open("pragma.db", NULL);
    SAME(pr("user_version", NULL), "[[-7]]");
    SAME(pr("application_id", NULL), "[[1234]]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
