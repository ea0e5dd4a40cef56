/*
 * A really full file system: the database on a 2 MiB tmpfs (mounted in a
 * mount namespace of this process's own, so it goes away with it -- which
 * needs root; elsewhere the scenario says so and passes, the max_page_count
 * scenario covering the library's side), filled by another file to the
 * last 96 KiB.  SQLite meets ENOSPC writing the WAL, at COMMIT.  Two threads
 * write 1 KiB values to keys of their own, in runs of four queued together.
 *   Status: every refused write is NANA_EIO, "database or disk is full".
 *   Data: every write that resolved NANA_OK holds its value (get_fresh,
 *   and a raw sqlite3 connection after close); no refused write is in the
 *   file; what was written before the disk filled is intact;
 *   integrity_check is "ok".
 *   Recovery: once the other file is removed, the same handle writes again,
 *   no reopen; the WAL is checkpointed into the file at close.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS 2
#define PER_THREAD 80
#define VALUE_LEN 1000

static nana_db_t *db;
static nana_status_t outcome[THREADS][PER_THREAD];

static void key_of(char *buf, size_t size, int t, int i)
{
    snprintf(buf, size, "w%d-%03d", t, i);
}

static json_t *value_of(int t, int i)
{
    char text[VALUE_LEN + 1];
    for (size_t at = 0; at < VALUE_LEN; at++)
        text[at] = (char)('a' + (t * 7 + i + (int)at) % 26);
    text[VALUE_LEN] = '\0';
    return json_string(text);
}

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i += 4) {
        nana_future_t *f[4];
        for (int j = 0; j < 4; j++) {
            char key[32];
            key_of(key, sizeof key, t, i + j);
            json_t *v = value_of(t, i + j);
            f[j] = nana_set(db, key, v);
            json_decref(v);
        }
        for (int j = 0; j < 4; j++) {
            nana_status_t st = outcome[t][i + j] = nana_future_await(f[j]);
            if (st != NANA_OK && (st != NANA_EIO || !strstr(nana_future_errmsg(f[j]), "full")))
                t_fail(__FILE__, __LINE__, "set w%d-%03d: got %s (%s), want OK or EIO", t,
                       i + j, t_status_name(st), nana_future_errmsg(f[j]));
            nana_future_free(f[j]);
        }
    }
    return NULL;
}

/* A tmpfs of size bytes at dir, private to this process; false when this
 * process may not mount. */
static bool mount_small_tmpfs(const char *dir, const char *size)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0)
        return false;
    /* Keep the mount from propagating back to the parent's namespace
     * (source and type are ignored; named for valgrind, which checks them). */
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return false;
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
    return mkdir(dir, 0700) == 0 && mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

/* Writes path until the file system is full; returns the bytes written. */
static long fill(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    static char block[4096];
    memset(block, 'f', sizeof block);
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n <= 0) {
            CHECK(n < 0 && errno == ENOSPC);
            break;
        }
        total += n;
    }
    CHECK(close(fd) == 0);
    return total;
}

int main(void)
{
    char dir[4096], path[4200], filler[4200];
    snprintf(dir, sizeof dir, "%s", t_path("fs"));
    if (!mount_small_tmpfs(dir, "2m")) {
        printf("skipped: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): %s\n",
               strerror(errno));
        return 0;
    }
    snprintf(path, sizeof path, "%s/full.db", dir);
    snprintf(filler, sizeof filler, "%s/filler", dir);

    nana_db_t *opened = NULL;
    CHECK_ST(nana_open(path, NULL, &opened), NANA_OK);
    db = opened;
    t_set_json(db, "before", "{\"kept\": [1, 2, 3]}");
    /* Room for a few commits, then none. */
    long filled = fill(filler);
    CHECK(truncate(filler, filled - 96 * 1024) == 0);
    printf("filler: %ld bytes\n", filled - 96 * 1024);

    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    int ok = 0, full = 0;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            outcome[t][i] == NANA_OK ? ok++ : full++;
    printf("%d writes acknowledged, %d refused as full\n", ok, full);
    CHECK(ok > 0 && full > 0);

    t_expect(nana_get_fresh(db, "before", NULL), "{\"kept\":[1,2,3]}");
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char key[32];
            key_of(key, sizeof key, t, i);
            if (outcome[t][i] != NANA_OK) {
                EXPECT(nana_get_fresh(db, key, NULL), NANA_ENOTFOUND);
                continue;
            }
            json_t *want = value_of(t, i), *got = TAKE(nana_get_fresh(db, key, NULL));
            CHECK(json_equal(got, want));
            nana_json_release(got);
            json_decref(want);
        }

    /* Recovery: space again, the same handle writes. */
    CHECK(unlink(filler) == 0);
    t_set_json(db, "after", "\"written\"");
    for (int i = 0; i < PER_THREAD; i++) {
        char key[32];
        key_of(key, sizeof key, 0, i);
        if (outcome[0][i] != NANA_OK) {
            json_t *v = value_of(0, i);
            EXPECT(nana_set(db, key, v), NANA_OK);
            json_decref(v);
            outcome[0][i] = NANA_OK;
        }
    }
    CHECK_ST(nana_close(db), NANA_OK);

    /* Checkpointed at close: the file alone holds everything. */
    struct stat sb;
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    CHECK(stat(wal, &sb) != 0);
    char *check = t_raw_text(path, "PRAGMA integrity_check");
    CHECK_STR(check, "ok");
    free(check);
    char *raw = t_raw_value(path, "data", "after");
    CHECK_STR(raw, "\"written\"");
    free(raw);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char key[32];
            key_of(key, sizeof key, t, i);
            raw = t_raw_value(path, "data", key);
            if (outcome[t][i] == NANA_OK) {
                json_t *v = value_of(t, i);
                char *want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                CHECK_STR(raw, want);
                free(want);
                json_decref(v);
            } else if (raw) {
                t_fail(__FILE__, __LINE__, "refused write of %s is in the file", key);
            }
            free(raw);
        }
    return 0;
}
