/*
 * Bad inputs to nana_backup() and nana_restore() fail with a clear status
 * and a message naming what was wrong, and lose nothing: the database
 * reads as before, a refused source is unchanged, and no file is left
 * behind.
 *   backup: NULL handle or path, an empty path, pages_per_step 0 or below
 *   -1 (EINVAL); a directory as destination, with or without a trailing
 *   '/' (EINVAL); a destination in a missing directory (ENOTFOUND); the
 *   database itself or its -wal file as destination (EINVAL).
 *   restore: NULL handle or path (EINVAL); a missing file (ENOTFOUND); a
 *   directory, a text file, an empty file (EINVAL); a file with SQLite's
 *   header but damaged pages (ESQL); the database itself (EINVAL); a file
 *   of another page size into a WAL database (EINVAL); any restore through
 *   a read-only handle (EIO).
 *   A backup through a read-only handle works.
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

static nana_db_t *root;

/* f fails with want, and its message holds part. */
static void refused(int line, nana_future_t *f, nana_status_t want, const char *part)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != want)
        t_fail(__FILE__, line, "got %s (%s), want %s", t_status_name(st), msg,
               t_status_name(want));
    if (!strstr(msg, part))
        t_fail(__FILE__, line, "message \"%s\" does not say \"%s\"", msg, part);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}
#define REFUSED(f, want, part) refused(__LINE__, (f), (want), (part))

static nana_future_t *backup_step(const char *dest, int pages)
{
    nana_backup_options_t o;
    nana_backup_options_init(&o);
    o.pages_per_step = pages;
    return nana_backup(root, dest, &o);
}

int main(void)
{
    root = t_open("live.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(root, "side", &sub), NANA_OK);
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        json_t *v = json_pack("{s:i}", "i", i);
        EXPECT(nana_set(i % 2 ? sub : root, key, v), NANA_OK);
        json_decref(v);
    }
    json_t *root_before = TAKE(nana_to_dict(root));
    json_t *sub_before = TAKE(nana_to_dict(sub));
    const char *live = t_path("live.db");
    const char *out = t_path("out");
    CHECK(mkdir(out, 0700) == 0);

    /* ------------------------------------------------------------ backup */
    REFUSED(nana_backup(NULL, t_path("out/x.db"), NULL), NANA_EINVAL, "NULL handle");
    REFUSED(nana_backup(root, NULL, NULL), NANA_EINVAL, "NULL destination");
    REFUSED(nana_backup(root, "", NULL), NANA_EINVAL, "empty destination");
    REFUSED(backup_step(t_path("out/x.db"), 0), NANA_EINVAL, "pages_per_step");
    REFUSED(backup_step(t_path("out/x.db"), -2), NANA_EINVAL, "got -2");
    REFUSED(nana_backup(root, out, NULL), NANA_EINVAL, "is a directory");
    char slash[4200];
    snprintf(slash, sizeof slash, "%s/", out);
    REFUSED(nana_backup(root, slash, NULL), NANA_EINVAL, "is a directory");
    REFUSED(nana_backup(root, t_path("missing/x.db"), NULL), NANA_ENOTFOUND, "missing");
    REFUSED(nana_backup(root, live, NULL), NANA_EINVAL, "the database itself");
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", live);
    REFUSED(nana_backup(root, wal, NULL), NANA_EINVAL, "-wal file");
    char *listing = t_dir_listing(out);
    CHECK_STR(listing, "");
    free(listing);
    listing = t_dir_listing(t_dir());
    CHECK_STR(listing, "live.db live.db-shm live.db-wal out");
    free(listing);

    /* ----------------------------------------------------------- restore */
    const char *good = t_path("out/good.db");
    CHECK(INT(nana_backup(root, good, NULL)) > 0);
    REFUSED(nana_restore(NULL, good), NANA_EINVAL, "NULL handle");
    REFUSED(nana_restore(root, NULL), NANA_EINVAL, "NULL source");
    REFUSED(nana_restore(root, t_path("out/none.db")), NANA_ENOTFOUND, "none.db");
    REFUSED(nana_restore(root, out), NANA_EINVAL, "is a directory");

    const char *text = t_path("out/text.db");
    t_write_file(text, "key,value\nnot,sqlite\n");
    REFUSED(nana_restore(root, text), NANA_EINVAL, "not an SQLite database");
    const char *empty = t_path("out/empty.db");
    t_write_file(empty, "");
    REFUSED(nana_restore(root, empty), NANA_EINVAL, "is empty");

    /* SQLite's header, and garbage over the last pages. */
    const char *damaged = t_path("out/damaged.db");
    CHECK(INT(nana_backup(root, damaged, NULL)) > 0);
    int fd = open(damaged, O_WRONLY);
    CHECK(fd >= 0);
    struct stat sb;
    CHECK(fstat(fd, &sb) == 0);
    char garbage[8192];
    memset(garbage, 0x5a, sizeof garbage);
    CHECK(pwrite(fd, garbage, sizeof garbage, sb.st_size - (off_t)sizeof garbage) ==
          (ssize_t)sizeof garbage);
    CHECK(close(fd) == 0);
    uint64_t damaged_hash = t_fnv_file(damaged);
    REFUSED(nana_restore(root, damaged), NANA_ESQL, "damaged");
    CHECK(t_fnv_file(damaged) == damaged_hash);

    REFUSED(nana_restore(root, live), NANA_EINVAL, "the database itself");

    const char *small = t_path("out/small-pages.db");
    t_raw_exec(small, "PRAGMA page_size=1024; CREATE TABLE data (key TEXT PRIMARY KEY, value "
                      "TEXT); INSERT INTO data VALUES ('k1', '\"other\"');");
    REFUSED(nana_restore(root, small), NANA_EINVAL, "PRAGMA page_size=4096");

    /* Read-only: restore is refused, backup works. */
    nana_db_t *ro = NULL;
    CHECK_ST(nana_open_v2(live, NULL, NANA_OPEN_READONLY, &ro), NANA_OK);
    REFUSED(nana_restore(ro, good), NANA_EIO, "read-only");
    const char *from_ro = t_path("out/from-ro.db");
    CHECK(INT(nana_backup(ro, from_ro, NULL)) > 0);
    CHECK_ST(nana_close(ro), NANA_OK);
    CHECK_INT(t_raw_int(from_ro, "SELECT COUNT(*) FROM data"), 150);

    /* Nothing lost, nothing left over. */
    json_t *root_after = TAKE(nana_to_dict(root));
    json_t *sub_after = TAKE(nana_to_dict(sub));
    CHECK(json_equal(root_before, root_after));
    CHECK(json_equal(sub_before, sub_after));
    CHECK_INT(t_raw_int(live, "SELECT COUNT(*) FROM side"), 150);
    listing = t_dir_listing(out);
    CHECK_STR(listing, "damaged.db empty.db from-ro.db good.db small-pages.db text.db");
    free(listing);

    nana_json_release(root_before);
    nana_json_release(sub_before);
    nana_json_release(root_after);
    nana_json_release(sub_after);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
