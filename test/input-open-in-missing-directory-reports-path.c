/*
 * nana_open of a path in a directory that does not exist fails (NANA_EIO, as
 * decided for SQLite's CANTOPEN) and still hands back a handle whose
 * nana_db_errmsg names the path; nana_close accepts that handle; the directory
 * is not created; dict calls on a NULL handle are NANA_EINVAL; a later open of
 * a valid path works normally.  nana_db_errmsg(NULL) is a static text.
 */
#include "harness.h"

#include <sys/stat.h>

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/no-such-dir/deeper/file.db", t_dir());
    nana_db_t *db = NULL;
    nana_status_t st = nana_open(path, NULL, &db);
    CHECK(st != NANA_OK);
    CHECK_ST(st, NANA_EIO);
    CHECK(db != NULL);
    const char *msg = nana_db_errmsg(db);
    CHECK(msg != NULL);
    if (!strstr(msg, path))
        t_fail(__FILE__, __LINE__, "errmsg \"%s\" does not contain the path %s", msg, path);
    nana_close(db);

    struct stat sb;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/no-such-dir", t_dir());
    CHECK(stat(dir, &sb) != 0);

    /* with options too */
    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "users";
    db = NULL;
    st = nana_open(path, &opts, &db);
    CHECK(st != NANA_OK);
    CHECK(db != NULL);
    CHECK(strstr(nana_db_errmsg(db), path) != NULL);
    nana_close(db);

    CHECK(nana_db_errmsg(NULL) != NULL);
    CHECK_ST(t_wait(nana_get(NULL, "k", NULL)), NANA_EINVAL);

    /* a valid open afterwards works and has no error */
    db = t_open("fine.db", NULL);
    CHECK_STR(nana_db_errmsg(db), "");
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    json_decref(v);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
