/*
 * Bug: a handle opened on a file the process may not write said NANA_OK and
 * its writes failed NANA_EIO with SQLite's bare "attempt to write a readonly
 * database", for ever, even after the file became writable.  The handle
 * reports the read-only state: nana_db_errmsg() says so right after open,
 * reads work, and every write fails NANA_EIO with a message that names the
 * path and says to reopen the handle; the file keeps its rows (read raw);
 * once the file is writable again a reopened handle writes.
 */
#include "harness.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes path unwritable even for root (the immutable flag); false where the
 * file system has no such flag. */
static bool set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY);
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

static const char *immutable_path;

/* A failed CHECK exits: the file must not stay undeletable. */
static void clear_immutable(void)
{
    if (immutable_path)
        set_immutable(immutable_path, false);
}

int main(void)
{
    const char *path = t_path("ro.db");
    nana_db_t *db = t_open("ro.db", NULL);
    t_set_json(db, "k", "1");
    CHECK_ST(nana_close(db), NANA_OK);
    /* Back to a rollback journal, so that no -wal/-shm file is needed. */
    t_raw_exec(path, "PRAGMA journal_mode=DELETE;");

    /* root may write a file of mode 0444: make it immutable instead, or,
     * where the file system cannot, open it read-only through a URI (the
     * same state for the library: SQLite opened it read-only). */
    const char *open_path = path;
    char uri[4096];
    bool immutable = false;
    CHECK(chmod(path, 0444) == 0);
    if (geteuid() == 0 && !(immutable = set_immutable(path, true))) {
        snprintf(uri, sizeof uri, "file:%s?mode=ro", path);
        open_path = uri;
    }
    if (immutable) {
        immutable_path = path;
        atexit(clear_immutable);
    }
    nana_options_t o;
    nana_options_init(&o);
    o.optimize = false;
    db = NULL;
    CHECK_ST(nana_open(open_path, &o, &db), NANA_OK);
    CHECK(strstr(nana_db_errmsg(db), "read-only") != NULL);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK_INT(t_int(nana_len(db)), 1);
    json_t *v = json_integer(2);
    nana_future_t *f = nana_set(db, "k", v);
    json_decref(v);
    CHECK_ST(nana_future_await(f), NANA_EIO);
    CHECK(strstr(nana_future_errmsg(f), "read-only") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "reopen") != NULL);
    nana_future_free(f);
    /* The SQL surface says the same. */
    f = t_execute(db, "UPDATE data SET value = '3'", NULL);
    CHECK_ST(nana_future_await(f), NANA_EIO);
    CHECK(strstr(nana_future_errmsg(f), "read-only") != NULL);
    nana_future_free(f);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    if (immutable)
        CHECK(set_immutable(path, false));
    immutable_path = NULL;
    CHECK(chmod(path, 0644) == 0);
    char *raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "1");
    free(raw);

    /* Writable again: a reopened handle writes. */
    db = NULL;
    CHECK_ST(nana_open(path, &o, &db), NANA_OK);
    CHECK_STR(nana_db_errmsg(db), "");
    t_set_json(db, "k", "2");
    CHECK_ST(nana_close(db), NANA_OK);
    raw = t_raw_value(path, "data", "k");
    CHECK_STR(raw, "2");
    free(raw);
    return 0;
}
