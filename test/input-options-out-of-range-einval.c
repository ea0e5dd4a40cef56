/*
 * nana_open option checks: max_workers < 1, cache_size_mb < 0,
 * busy_timeout_ms < 0 (and INT_MIN values) are NANA_EINVAL with *out a closed
 * handle whose message names the option, and no file created; NULL path or NULL out is NANA_EINVAL; the boundaries
 * max_workers 1, cache_size_mb 0, busy_timeout_ms 0 and opts NULL open and
 * work; nana_options_init sets the documented defaults and accepts NULL.
 * Refused opens of an existing file leave its data intact.
 */
#include "harness.h"

#include <limits.h>
#include <sys/stat.h>

static void expect_einval(const char *name, const nana_options_t *opts, const char *what)
{
    nana_db_t *db = (nana_db_t *)opts; /* must be overwritten */
    nana_status_t st = nana_open(t_path(name), opts, &db);
    if (st != NANA_EINVAL)
        t_fail(__FILE__, __LINE__, "%s: got %s, want NANA_EINVAL", what, t_status_name(st));
    if (db == NULL || db == (nana_db_t *)opts)
        t_fail(__FILE__, __LINE__, "%s: *out is not a handle", what);
    const char *names[] = {"max_workers", "cache_size_mb", "busy_timeout_ms", "table name"};
    bool named = false;
    for (int i = 0; i < 4; i++)
        named |= strstr(nana_db_errmsg(db), names[i]) != NULL;
    if (!named)
        t_fail(__FILE__, __LINE__, "%s: message \"%s\" names no option", what,
               nana_db_errmsg(db));
    CHECK_ST(nana_close(db), NANA_OK);
}

int main(void)
{
    nana_options_t opts;
    memset(&opts, 0x5a, sizeof opts);
    nana_options_init(&opts);
    CHECK(!opts.bulk_load);
    CHECK(opts.optimize);
    CHECK_INT(opts.cache_size_mb, 64);
    CHECK_INT(opts.max_workers, 5);
    CHECK_INT(opts.busy_timeout_ms, 5000);
    nana_options_init(NULL); /* does nothing */

    struct {
        int field; /* 0 max_workers, 1 cache_size_mb, 2 busy_timeout_ms */
        int value;
    } bad[] = {
        {0, 0}, {0, -1}, {0, INT_MIN}, {1, -1}, {1, INT_MIN}, {2, -1}, {2, INT_MIN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nana_options_init(&opts);
        if (bad[i].field == 0)
            opts.max_workers = bad[i].value;
        else if (bad[i].field == 1)
            opts.cache_size_mb = bad[i].value;
        else
            opts.busy_timeout_ms = bad[i].value;
        char what[64];
        snprintf(what, sizeof what, "field %d = %d", bad[i].field, bad[i].value);
        expect_einval("never.db", &opts, what);
        struct stat sb;
        if (stat(t_path("never.db"), &sb) == 0)
            t_fail(__FILE__, __LINE__, "%s: the file was created", what);
    }

    /* NULL path / out */
    nana_db_t *db = (nana_db_t *)&opts;
    CHECK_ST(nana_open(NULL, NULL, &db), NANA_EINVAL);
    CHECK(db == NULL);
    CHECK_ST(nana_open(t_path("never.db"), NULL, NULL), NANA_EINVAL);
    struct stat sb;
    CHECK(stat(t_path("never.db"), &sb) != 0);

    /* boundaries that are valid */
    nana_options_init(&opts);
    opts.max_workers = 1;
    opts.cache_size_mb = 0;
    opts.busy_timeout_ms = 0;
    db = t_open("edge.db", &opts);
    json_t *v = t_json("{\"ok\":true}");
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "k", NULL), "{\"ok\":true}");
    CHECK_ST(nana_close(db), NANA_OK);

    nana_options_init(&opts);
    opts.optimize = false;
    db = t_open("edge.db", &opts);
    t_expect(nana_get(db, "k", NULL), "{\"ok\":true}");
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("edge.db", NULL);
    t_expect(nana_get(db, "k", NULL), "{\"ok\":true}");
    CHECK_ST(nana_close(db), NANA_OK);

    /* refused opens of the existing file leave it intact */
    nana_options_init(&opts);
    opts.max_workers = 0;
    expect_einval("edge.db", &opts, "existing file, max_workers 0");
    nana_options_init(&opts);
    opts.table = "bad name";
    expect_einval("edge.db", &opts, "existing file, bad table");
    char *raw = t_raw_value(t_path("edge.db"), "data", "k");
    CHECK_STR(raw, "{\"ok\":true}");
    free(raw);
    return 0;
}
