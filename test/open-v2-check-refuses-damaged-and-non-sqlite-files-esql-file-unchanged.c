/*
 * nana_open_v2 with NANA_OPEN_CHECK runs PRAGMA quick_check before the
 * file is written to.
 *   A whole file opens NANA_OK, nana_db_errmsg() empty, and works.
 *   A file with a damaged page (garbage over a leaf of the dict table) is
 *   refused: NANA_ESQL, a message naming the path, NANA_OPEN_CHECK and what
 *   quick_check said ("Page N: ..."); a closed handle (operations
 *   NANA_ECLOSED); the file byte for byte as it was, no -wal left beside
 *   it.  With NANA_OPEN_READONLY too.  From four threads at once, each
 *   open the same.
 *   A file that is not SQLite's: NANA_ESQL, saying its header is not
 *   SQLite's.
 *   Recovery: the damaged file put back from a copy opens with the flag.
 * Without the flag the damaged file opens (see the fault-corrupt-page
 * scenario): the check is the caller's choice, as it reads every page.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/stat.h>

#define KEYS 400

static const char *path;

static void refused(unsigned flags, const char *what)
{
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, flags, &db), NANA_ESQL);
    const char *msg = nana_db_errmsg(db);
    if (!strstr(msg, path) || !strstr(msg, "NANA_OPEN_CHECK") || !strstr(msg, "quick_check") ||
        !strstr(msg, "Page "))
        t_fail(__FILE__, __LINE__, "%s: message \"%s\" does not name the file and say what "
               "quick_check found", what, msg);
    EXPECT(nana_get(db, "k0000", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
}

static void *opener(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        refused(NANA_OPEN_CHECK, "open from a thread");
    return NULL;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        CHECK(fwrite(buf, 1, n, out) == n);
    fclose(in);
    CHECK(fclose(out) == 0);
}

int main(void)
{
    path = t_path("checked.db");
    const char *backup = t_path("backup.db");
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_CHECK, &db), NANA_OK); /* new: whole */
    for (int i = 0; i < KEYS; i++) {
        char key[32], value[96];
        snprintf(key, sizeof key, "k%04d", i);
        snprintf(value, sizeof value, "\"marker-%04d-and some padding to fill pages\"", i);
        t_set_json(db, key, value);
    }
    CHECK_ST(nana_close(db), NANA_OK);

    /* Whole: opens, reads, writes. */
    db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_CHECK, &db), NANA_OK);
    CHECK_STR(nana_db_errmsg(db), "");
    t_expect(nana_get(db, "k0001", NULL), "\"marker-0001-and some padding to fill pages\"");
    CHECK_ST(nana_close(db), NANA_OK);
    copy_file(path, backup);

    /* Damaged: refused, the file left as it was. */
    long page = t_page_holding(path, "marker-0200-");
    CHECK(page > 2);
    t_damage_page(path, page);
    uint64_t damaged_sum = t_fnv_file(path);
    refused(NANA_OPEN_CHECK, "open");
    refused(NANA_OPEN_CHECK | NANA_OPEN_NOCREATE, "open, NOCREATE");
    refused(NANA_OPEN_CHECK | NANA_OPEN_READONLY, "open, READONLY");
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, opener, NULL) == 0);
    for (int t = 0; t < 4; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    CHECK(t_fnv_file(path) == damaged_sum);
    struct stat sb;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0) {
        /* NANA_OPEN_READONLY leaves SQLite's -wal and -shm (nana_open(3));
         * a read-write open after it removes them. */
        refused(NANA_OPEN_CHECK, "open after a read-only one");
        CHECK(stat(wal, &sb) != 0);
    }

    /* Not SQLite's at all. */
    const char *text = t_path("notes.txt");
    t_write_file(text, "these are notes, not a database\n");
    db = NULL;
    CHECK_ST(nana_open_v2(text, NULL, NANA_OPEN_CHECK, &db), NANA_ESQL);
    CHECK(strstr(nana_db_errmsg(db), text) != NULL);
    CHECK(strstr(nana_db_errmsg(db), "not SQLite's") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);

    /* Put back from the copy: opens with the check, every key there. */
    copy_file(backup, path);
    db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_CHECK, &db), NANA_OK);
    t_expect(nana_get(db, "k0200", NULL), "\"marker-0200-and some padding to fill pages\"");
    CHECK_INT(t_int(nana_len(db)), KEYS);
    t_set_json(db, "after", "true");
    CHECK_ST(nana_close(db), NANA_OK);
    char *check = t_raw_text(path, "PRAGMA quick_check");
    CHECK_STR(check, "ok");
    free(check);
    return 0;
}
