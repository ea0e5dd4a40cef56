/*
 * Files that are not SQLite databases, given to nana_open: a text file, a
 * real database whose first page is garbage, one cut short after its
 * first page.  Each with the default options, optimize false,
 * NANA_OPEN_READONLY and NANA_OPEN_CHECK, and from four threads at once:
 *   Status: NANA_ESQL; a handle whose message names the path and says
 *   what SQLite found -- "not a database" with the note that the header is
 *   not SQLite's, or "malformed" with the file and the check to run
 *   (with NANA_OPEN_CHECK: that quick_check failed so) -- and
 *   whose operations are NANA_ECLOSED.
 *   Data: the file is byte for byte as it was; no -wal or -journal is
 *   left beside it.
 *   Recovery: none to expect from that file; the same process opens a
 *   database next to it as usual.
 * An empty file is not one of them: SQLite takes it for an empty database,
 * and nana_open makes the table in it (as NanaSQLite does).
 */
#include "harness.h"

#include <pthread.h>
#include <sys/stat.h>

static void refused(const char *path, const nana_options_t *o, unsigned flags, const char *what)
{
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, o, flags, &db), NANA_ESQL);
    const char *msg = nana_db_errmsg(db);
    bool not_db = strstr(msg, "not a database") && strstr(msg, "not SQLite's");
    bool malformed = strstr(msg, "malformed") &&
                     (strstr(msg, "integrity_check") || strstr(msg, "quick_check"));
    if (!strstr(msg, path) || !(not_db || malformed))
        t_fail(__FILE__, __LINE__, "%s (flags 0x%x): message \"%s\"", what, flags, msg);
    EXPECT(nana_get(db, "k", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
}

static void refused_every_way(const char *path, const char *what)
{
    uint64_t sum = t_fnv_file(path);
    nana_options_t plain;
    nana_options_init(&plain);
    plain.optimize = false;
    refused(path, NULL, 0, what);
    refused(path, &plain, 0, what);
    refused(path, NULL, NANA_OPEN_READONLY, what);
    refused(path, NULL, NANA_OPEN_CHECK, what);
    CHECK(t_fnv_file(path) == sum);
    struct stat sb;
    char side[4200];
    snprintf(side, sizeof side, "%s-wal", path);
    CHECK(stat(side, &sb) != 0);
    snprintf(side, sizeof side, "%s-journal", path);
    CHECK(stat(side, &sb) != 0);
}

static void *opener(void *arg)
{
    const char *path = arg;
    for (int i = 0; i < 5; i++)
        refused_every_way(path, "from a thread");
    return NULL;
}

static void cut(const char *from, const char *to, long bytes)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out);
    for (long i = 0; i < bytes; i++) {
        int c = getc(in);
        CHECK(c != EOF);
        CHECK(putc(c, out) != EOF);
    }
    fclose(in);
    CHECK(fclose(out) == 0);
}

int main(void)
{
    const char *text = t_path("notes.txt");
    t_write_file(text, "name,value\nalpha,1\nbeta,2\n");
    refused_every_way(text, "text file");

    /* A real database, closed, then its first page overwritten. */
    const char *good = t_path("good.db");
    nana_db_t *db = t_open("good.db", NULL);
    for (int i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%03d", i);
        t_set_json(db, key, "\"a value long enough for several pages of rows\"");
    }
    CHECK_ST(nana_close(db), NANA_OK);
    const char *short_file = t_path("short.db");
    cut(good, short_file, 4096);
    refused_every_way(short_file, "first page only");
    const char *headless = t_path("headless.db");
    cut(good, headless, (long)t_raw_int(good, "PRAGMA page_count") * 4096);
    t_damage_page(headless, 1);
    refused_every_way(headless, "first page damaged");

    pthread_t th[4];
    const char *paths[4] = {text, headless, short_file, text};
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, opener, (void *)paths[t]) == 0);
    for (int t = 0; t < 4; t++)
        CHECK(pthread_join(th[t], NULL) == 0);

    /* The process is fine: the database beside them opens and works. */
    db = t_open("good.db", NULL);
    t_expect(nana_get(db, "k007", NULL), "\"a value long enough for several pages of rows\"");
    t_set_json(db, "after", "1");
    CHECK_ST(nana_close(db), NANA_OK);

    /* Empty: SQLite's empty database, not a foreign file. */
    const char *empty = t_path("empty.db");
    t_write_file(empty, "");
    db = t_open("empty.db", NULL);
    t_set_json(db, "k", "\"made\"");
    CHECK_ST(nana_close(db), NANA_OK);
    char *raw = t_raw_value(empty, "data", "k");
    CHECK_STR(raw, "\"made\"");
    free(raw);
    return 0;
}
