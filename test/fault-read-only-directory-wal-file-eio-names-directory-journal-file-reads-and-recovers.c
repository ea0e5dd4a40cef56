/*
 * The database file may be written, its directory may not: SQLite must
 * create files beside the database -- the -journal of a write, the -wal
 * and -shm of a WAL database even to read it.  (mode 0555; as root, whom
 * modes do not stop, the immutable flag, and where the file system has
 * none the scenario says so and passes.)
 *   A WAL file, closed (no -wal, no -shm): nana_open and
 *   NANA_OPEN_READONLY fail NANA_EIO with a message naming the path and
 *   the directory; the file is unchanged.  SQLite cannot read a WAL
 *   database without its -shm, and the library does not guess around it
 *   (immutable=1 would be wrong when another process writes).
 *   A file in rollback-journal mode: nana_open is NANA_OK -- the journal
 *   mode is kept, as for a file that cannot be written, and
 *   nana_db_errmsg() says why -- reads work; writes (set, batch_update,
 *   execute) fail NANA_EIO naming the directory and change nothing, the
 *   cache included.  Recovery: once the directory is writable the same
 *   handle writes, no reopen; the journal mode is still "delete".
 *   A WAL file whose -wal and -shm exist (another connection holds it
 *   open): opens and writes as usual -- only creating files needs the
 *   directory.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];
static bool immutable;

static bool set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return false;
    int flags = 0;
    bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    close(fd);
    return ok;
}

/* A failed CHECK exits: the directory must not stay undeletable. */
static void writable_again(void)
{
    if (immutable)
        set_immutable(dir, false);
    immutable = false;
    chmod(dir, 0700);
}

static bool read_only_dir(void)
{
    CHECK(chmod(dir, 0555) == 0);
    if (geteuid() != 0)
        return true;
    return immutable = set_immutable(dir, true);
}

static void names_directory(const char *msg, const char *what)
{
    if (!strstr(msg, "directory") || !strstr(msg, dir))
        t_fail(__FILE__, __LINE__, "%s: message \"%s\" does not name the directory %s", what, msg,
               dir);
}

static void write_refused(nana_future_t *f, const char *what)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EIO)
        t_fail(__FILE__, __LINE__, "%s: got %s (%s), want NANA_EIO", what, t_status_name(st),
               nana_future_errmsg(f));
    names_directory(nana_future_errmsg(f), what);
    nana_future_free(f);
}

static void fill(const char *path, const nana_options_t *o)
{
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(path, o, &db), NANA_OK);
    t_set_json(db, "k", "{\"v\": 1}");
    t_set_json(db, "n", "10");
    CHECK_ST(nana_close(db), NANA_OK);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", t_path("ro"));
    CHECK(mkdir(dir, 0700) == 0);
    atexit(writable_again);
    char wal_db[4200], journal_db[4200], held_db[4200];
    snprintf(wal_db, sizeof wal_db, "%s/wal.db", dir);
    snprintf(journal_db, sizeof journal_db, "%s/journal.db", dir);
    snprintf(held_db, sizeof held_db, "%s/held.db", dir);
    nana_options_t plain;
    nana_options_init(&plain);
    plain.optimize = false; /* rollback journal */
    fill(wal_db, NULL);
    fill(journal_db, &plain);
    fill(held_db, NULL);
    /* Another connection keeps held.db's -wal and -shm in place. */
    sqlite3 *holder = NULL;
    CHECK(sqlite3_open(held_db, &holder) == SQLITE_OK);
    CHECK(sqlite3_exec(holder, "SELECT count(*) FROM data", NULL, NULL, NULL) == SQLITE_OK);
    uint64_t wal_sum = t_fnv_file(wal_db);

    if (!read_only_dir()) {
        printf("skipped: root, and the file system has no immutable flag: %s\n",
               strerror(errno));
        sqlite3_close(holder);
        return 0;
    }

    /* WAL, no -shm: refused, naming the directory; nothing written. */
    nana_db_t *db = NULL;
    CHECK_ST(nana_open(wal_db, NULL, &db), NANA_EIO);
    CHECK(strstr(nana_db_errmsg(db), wal_db) != NULL);
    names_directory(nana_db_errmsg(db), "open of a WAL file");
    EXPECT(nana_get(db, "k", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
    db = NULL;
    CHECK_ST(nana_open_v2(wal_db, NULL, NANA_OPEN_READONLY, &db), NANA_EIO);
    names_directory(nana_db_errmsg(db), "read-only open of a WAL file");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(t_fnv_file(wal_db) == wal_sum);

    /* Rollback journal: reads work, writes fail and change nothing. */
    db = NULL;
    CHECK_ST(nana_open(journal_db, NULL, &db), NANA_OK);
    CHECK(strstr(nana_db_errmsg(db), "directory is not writable") != NULL);
    t_expect(nana_get(db, "k", NULL), "{\"v\":1}");
    SAME(nana_pragma(db, "journal_mode", NULL), "[[\"delete\"]]");
    json_t *v = json_integer(2);
    write_refused(nana_set(db, "k", v), "set");
    json_t *batch = t_json("{\"n\": 11, \"new\": true}");
    write_refused(nana_batch_update(db, batch), "batch_update");
    nana_future_t *f = t_execute(db, "UPDATE data SET value = '0'", NULL);
    CHECK_ST(nana_future_await(f), NANA_EIO);
    names_directory(nana_future_errmsg(f), "execute");
    nana_future_free(f);
    t_expect(nana_get(db, "k", NULL), "{\"v\":1}");
    t_expect(nana_get_fresh(db, "n", NULL), "10");
    EXPECT(nana_get(db, "new", NULL), NANA_ENOTFOUND);
    char *raw = t_raw_value(journal_db, "data", "k");
    CHECK_STR(raw, "{\"v\":1}");
    free(raw);

    /* WAL with its -wal and -shm in place: as usual. */
    nana_db_t *held = NULL;
    CHECK_ST(nana_open(held_db, NULL, &held), NANA_OK);
    CHECK_STR(nana_db_errmsg(held), "");
    EXPECT(nana_set(held, "k", v), NANA_OK);
    t_expect(nana_get_fresh(held, "k", NULL), "2");
    CHECK_ST(nana_close(held), NANA_OK);

    /* Recovery: the directory writable again, the same handle writes. */
    writable_again();
    EXPECT(nana_set(db, "k", v), NANA_OK);
    EXPECT(nana_batch_update(db, batch), NANA_OK);
    t_expect(nana_get_fresh(db, "new", NULL), "true");
    SAME(nana_pragma(db, "journal_mode", NULL), "[[\"delete\"]]");
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(batch);
    json_decref(v);
    raw = t_raw_value(journal_db, "data", "n");
    CHECK_STR(raw, "11");
    free(raw);
    raw = t_raw_value(held_db, "data", "k");
    CHECK_STR(raw, "2");
    free(raw);
    sqlite3_close(holder);

    /* And the WAL file opens once its directory is writable. */
    db = t_open("ro/wal.db", NULL);
    t_expect(nana_get(db, "k", NULL), "{\"v\":1}");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
