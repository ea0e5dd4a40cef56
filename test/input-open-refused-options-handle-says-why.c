/*
 * nana_open refused for a bad option or table name used to leave *out NULL
 * with no message at all.  As for every other failure, it now returns a
 * handle whose nana_db_errmsg() names the option, which nana_close frees;
 * nothing is created on disk.  Only a NULL path or NULL out leave *out NULL.
 */
#include "harness.h"

#include <unistd.h>

int main(void)
{
    const char *path = t_path("refused.db");
    struct {
        const char *table;
        int max_workers, cache_size_mb, busy_timeout_ms;
        const char *word; /* the message names this */
    } cases[] = {
        {"data", 0, 64, 5000, "max_workers"},
        {"data", 5, -1, 5000, "cache_size_mb"},
        {"data", 5, 64, -1, "busy_timeout_ms"},
        {"bad name", 5, 64, 5000, "table name"},
        {"sqlite_x", 5, 64, 5000, "table name"},
        {"", 5, 64, 5000, "table name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nana_options_t o;
        nana_options_init(&o);
        o.table = cases[i].table;
        o.max_workers = cases[i].max_workers;
        o.cache_size_mb = cases[i].cache_size_mb;
        o.busy_timeout_ms = cases[i].busy_timeout_ms;
        nana_db_t *db = (nana_db_t *)&o; /* must be overwritten */
        CHECK_ST(nana_open(path, &o, &db), NANA_EINVAL);
        CHECK(db != NULL);
        CHECK(strstr(nana_db_errmsg(db), cases[i].word) != NULL);
        /* The handle is closed: operations on it say so. */
        CHECK_ST(t_wait(nana_get(db, "k", NULL)), NANA_ECLOSED);
        CHECK_ST(nana_close(db), NANA_OK);
        CHECK(access(path, F_OK) != 0);
    }
    nana_db_t *db = (nana_db_t *)path;
    CHECK_ST(nana_open(NULL, NULL, &db), NANA_EINVAL);
    CHECK(db == NULL);
    CHECK_ST(nana_open(path, NULL, NULL), NANA_EINVAL);
    return 0;
}
