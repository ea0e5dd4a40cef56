/*
 * nana_open_v2 with NANA_OPEN_NOCREATE (and NANA_OPEN_READONLY, which
 * implies it) on a path that does not exist -- a typo, a missing directory,
 * with and without options -- fails NANA_ENOTFOUND and leaves a handle
 * whose message names the path and the flag; the handle's operations are
 * NANA_ECLOSED; nana_close takes it; and nothing is created: no database,
 * no -journal, -wal or -shm file, no directory.  On a file that exists it
 * opens as nana_open does: the table is created when missing, writes work,
 * and with optimize the file is switched to WAL, from a rollback journal
 * too.  ":memory:" opens (read-only: NANA_ENOTFOUND, it has no table).  Eight threads opening missing paths at once all
 * get NANA_ENOTFOUND, and still nothing is created.
 */
#include "harness.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>

/* Entries of dir, but for names beginning with '.' (the runner's log). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Fails unless every entry of dir (as entries()) begins with prefix. */
static void only(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            t_fail(__FILE__, __LINE__, "%s: an entry \"%s\" was created", dir, e->d_name);
    closedir(d);
}

static void missing(const char *path, const nana_options_t *opts, unsigned flags,
                    const char *flag_name)
{
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, opts, flags, &db), NANA_ENOTFOUND);
    CHECK(db != NULL);
    const char *msg = nana_db_errmsg(db);
    if (!strstr(msg, path) || !strstr(msg, flag_name))
        t_fail(__FILE__, __LINE__, "message \"%s\" names neither %s nor %s", msg, path,
               flag_name);
    EXPECT(nana_get(db, "k", NULL), NANA_ECLOSED);
    EXPECT(nana_query(db, "data", NULL, NULL, NULL, NULL, 1, 0), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
}

static const char *journal_mode(const char *path)
{
    static char mode[32];
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_READONLY, &db), NANA_OK);
    json_t *v = TAKE(nana_pragma(db, "journal_mode", NULL));
    snprintf(mode, sizeof mode, "%s", json_string_value(json_array_get(json_array_get(v, 0), 0)));
    nana_json_release(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return mode;
}

static void *open_missing(void *arg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/typo-%d.db", t_dir(), (int)(intptr_t)arg);
    for (int i = 0; i < 20; i++)
        missing(path, NULL, i % 2 ? NANA_OPEN_READONLY : NANA_OPEN_NOCREATE,
                i % 2 ? "NANA_OPEN_READONLY" : "NANA_OPEN_NOCREATE");
    return NULL;
}

int main(void)
{
    CHECK_INT(entries(t_dir()), 0);

    /* A typo in the path, a missing directory; with options too. */
    missing(t_path("typo.db"), NULL, NANA_OPEN_NOCREATE, "NANA_OPEN_NOCREATE");
    char deep[4096];
    snprintf(deep, sizeof deep, "%s/no-such-dir/app.db", t_dir());
    missing(deep, NULL, NANA_OPEN_NOCREATE, "NANA_OPEN_NOCREATE");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "users";
    opts.bulk_load = true;
    opts.max_workers = 2;
    missing(t_path("typo.db"), &opts, NANA_OPEN_NOCREATE, "NANA_OPEN_NOCREATE");
    missing(t_path("typo.db"), &opts, NANA_OPEN_READONLY, "NANA_OPEN_READONLY");
    missing(deep, &opts, NANA_OPEN_READONLY | NANA_OPEN_NOCREATE, "NANA_OPEN_READONLY");
    CHECK_INT(entries(t_dir()), 0);

    /* Eight threads at once. */
    pthread_t threads[8];
    for (int i = 0; i < 8; i++)
        CHECK(pthread_create(&threads[i], NULL, open_missing, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK_INT(entries(t_dir()), 0);

    /* A file that exists: opened as nana_open opens it. */
    const char *path = t_path("app.db");
    nana_options_t plain;
    nana_options_init(&plain);
    plain.optimize = false; /* a rollback journal */
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, &plain, &db), NANA_OK);
    t_set_json(db, "k", "1");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_STR(journal_mode(path), "delete");

    db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_NOCREATE, &db), NANA_OK);
    CHECK_STR(nana_db_errmsg(db), "");
    t_expect(nana_get(db, "k", NULL), "1");
    t_set_json(db, "k2", "[2]");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_STR(journal_mode(path), "wal"); /* optimize, as nana_open */

    /* A table missing in it is created, as nana_open creates it. */
    opts.bulk_load = false;
    db = NULL;
    CHECK_ST(nana_open_v2(path, &opts, NANA_OPEN_NOCREATE, &db), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 0);
    t_set_json(db, "u", "{\"name\": \"Nana\"}");
    CHECK(t_bool(nana_table_exists(db, "users")));
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM users"), 1);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM data"), 2);

    /* Not a file: opens; read-only, it has no table. */
    db = NULL;
    CHECK_ST(nana_open_v2(":memory:", NULL, NANA_OPEN_NOCREATE, &db), NANA_OK);
    t_set_json(db, "m", "true");
    t_expect(nana_get(db, "m", NULL), "true");
    CHECK_ST(nana_close(db), NANA_OK);
    db = NULL;
    CHECK_ST(nana_open_v2(":memory:", NULL, NANA_OPEN_READONLY, &db), NANA_ENOTFOUND);
    CHECK(strstr(nana_db_errmsg(db), "no table \"data\"") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);

    /* Still nothing but app.db (and the -wal and -shm files the last,
     * read-only, connection could not remove). */
    struct stat sb;
    CHECK(stat(t_path("typo.db"), &sb) != 0);
    CHECK(stat(t_path("typo.db-journal"), &sb) != 0);
    CHECK(stat(t_path("typo.db-wal"), &sb) != 0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/no-such-dir", t_dir());
    CHECK(stat(dir, &sb) != 0);
    only(t_dir(), "app.db");
    return 0;
}
