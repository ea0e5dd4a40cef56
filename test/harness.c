#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

_Noreturn void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    exit(1);
}

const char *t_status_name(nana_status_t s)
{
    switch (s) {
#define NAME_(name, text) case name: return #name;
        NANA_STATUS_TABLE(NAME_)
#undef NAME_
    }
    return "(unknown status)";
}

void t_check_json(const char *file, int line, const char *expr, const json_t *got,
                  const char *want_text)
{
    json_error_t err;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &err);
    if (!want)
        t_fail(file, line, "bad expected JSON \"%s\": %s", want_text, err.text);
    if (!got || !json_equal(got, want)) {
        char *text = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        fprintf(stderr, "%s:%d: %s: got %s, want %s\n", file, line, expr,
                text ? text : "(null)", want_text);
        fflush(NULL);
        exit(1);
    }
    json_decref(want);
}

const char *t_dir(void)
{
    static char dir[4096];
    if (dir[0])
        return dir;
    const char *env = getenv("NANA_TEST_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else {
        char tmpl[] = "/tmp/nana-test-XXXXXX";
        if (!mkdtemp(tmpl))
            t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        snprintf(dir, sizeof dir, "%s", tmpl);
        fprintf(stderr, "test directory: %s\n", dir);
    }
    return dir;
}

const char *t_path(const char *name)
{
    static char ring[16][4096];
    static unsigned next;
    char *buf = ring[next++ % 16];
    snprintf(buf, sizeof ring[0], "%s/%s", t_dir(), name);
    return buf;
}

const char *t_fixture_path(const char *name)
{
    static char ring[8][4096];
    static unsigned next;
    char *buf = ring[next++ % 8];
    const char *root = getenv("NANA_FIXTURES");
    snprintf(buf, sizeof ring[0], "%s/%s", root && *root ? root : "test/fixtures", name);
    return buf;
}

const char *t_fixture(const char *name)
{
    const char *src = t_fixture_path(name);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const char *dst = t_path(base);
    FILE *in = fopen(src, "rb");
    if (!in)
        t_fail(__FILE__, __LINE__, "fixture %s: %s", src, strerror(errno));
    FILE *out = fopen(dst, "wb");
    if (!out)
        t_fail(__FILE__, __LINE__, "copy to %s: %s", dst, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            t_fail(__FILE__, __LINE__, "write %s: %s", dst, strerror(errno));
    fclose(in);
    if (fclose(out) != 0)
        t_fail(__FILE__, __LINE__, "close %s: %s", dst, strerror(errno));
    return dst;
}

nana_db_t *t_open(const char *name, const nana_options_t *opts)
{
    nana_db_t *db = NULL;
    nana_status_t st = nana_open(t_path(name), opts, &db);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "nana_open(%s): %s: %s", name, t_status_name(st),
               nana_db_errmsg(db));
    return db;
}

json_t *t_json(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
    if (!v)
        t_fail(__FILE__, __LINE__, "bad JSON \"%s\": %s", text, err.text);
    return v;
}

nana_status_t t_wait(nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    nana_future_free(f);
    return st;
}

json_t *t_take(nana_future_t *f, nana_status_t want)
{
    nana_status_t st = nana_future_await(f);
    if (st != want)
        t_fail(__FILE__, __LINE__, "future: got %s (%s), want %s", t_status_name(st),
               nana_future_errmsg(f), t_status_name(want));
    json_t *v = nana_future_take_json(f);
    nana_future_free(f);
    return v;
}

int64_t t_int(nana_future_t *f)
{
    int64_t v = -1;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "future: %s (%s)", t_status_name(st), nana_future_errmsg(f));
    if (nana_future_int(f, &v) != NANA_OK)
        t_fail(__FILE__, __LINE__, "future result is not an integer");
    nana_future_free(f);
    return v;
}

bool t_bool(nana_future_t *f)
{
    bool v = false;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "future: %s (%s)", t_status_name(st), nana_future_errmsg(f));
    if (nana_future_bool(f, &v) != NANA_OK)
        t_fail(__FILE__, __LINE__, "future result is not a boolean");
    nana_future_free(f);
    return v;
}

void t_expect(nana_future_t *f, const char *want_text)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "future: %s (%s), want value %s", t_status_name(st),
               nana_future_errmsg(f), want_text);
    t_check_json(__FILE__, __LINE__, "future value", nana_future_json(f), want_text);
    nana_future_free(f);
}

char *t_raw_value(const char *db_path, const char *table, const char *key)
{
    sqlite3 *conn = NULL;
    if (sqlite3_open_v2(db_path, &conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw open %s: %s", db_path, sqlite3_errmsg(conn));
    sqlite3_busy_timeout(conn, 5000);
    char *sql = sqlite3_mprintf("SELECT value FROM \"%w\" WHERE key = ?", table);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(conn, sql, -1, &stmt, NULL) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw prepare: %s", sqlite3_errmsg(conn));
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_TRANSIENT);
    char *out = NULL;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(stmt, 0);
        out = strdup(text ? text : "");
    } else if (rc != SQLITE_DONE) {
        t_fail(__FILE__, __LINE__, "raw step: %s", sqlite3_errmsg(conn));
    }
    sqlite3_finalize(stmt);
    sqlite3_free(sql);
    sqlite3_close(conn);
    return out;
}

/* ------------------------------------------------- futures, with location */

json_t *t_take_at(const char *file, int line, const char *expr, nana_future_t *f)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(file, line, "%s: %s (%s)", expr, t_status_name(st), nana_future_errmsg(f));
    json_t *v = nana_future_take_json(f);
    nana_future_free(f);
    return v;
}

void t_same_at(const char *file, int line, const char *expr, nana_future_t *f,
               const char *want)
{
    json_t *v = t_take_at(file, line, expr, f);
    t_check_json(file, line, expr, v, want);
    nana_json_release(v);
}

void t_expect_at(const char *file, int line, const char *expr, nana_future_t *f,
                 nana_status_t want)
{
    nana_status_t st = nana_future_await(f);
    if (st != want)
        t_fail(file, line, "%s: got %s (%s), want %s", expr, t_status_name(st),
               nana_future_errmsg(f), t_status_name(want));
    if (want != NANA_OK && nana_future_errmsg(f)[0] == '\0')
        t_fail(file, line, "%s: failed with an empty message", expr);
    if (want != NANA_OK && nana_future_json(f) != NULL)
        t_fail(file, line, "%s: failed but has a value", expr);
    nana_future_free(f);
}

int64_t t_int_at(const char *file, int line, const char *expr, nana_future_t *f)
{
    int64_t v = -1;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(file, line, "%s: %s (%s)", expr, t_status_name(st), nana_future_errmsg(f));
    if (nana_future_int(f, &v) != NANA_OK)
        t_fail(file, line, "%s: not an integer result", expr);
    nana_future_free(f);
    return v;
}

bool t_bool_at(const char *file, int line, const char *expr, nana_future_t *f)
{
    bool v = false;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK)
        t_fail(file, line, "%s: %s (%s)", expr, t_status_name(st), nana_future_errmsg(f));
    if (nana_future_bool(f, &v) != NANA_OK)
        t_fail(file, line, "%s: not a boolean result", expr);
    nana_future_free(f);
    return v;
}

nana_future_t *t_execute(nana_db_t *db, const char *sql, const char *params)
{
    json_t *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_execute(db, sql, p);
    json_decref(p);
    return f;
}

void t_make_big_table(nana_db_t *db, int rows)
{
    char sql[256];
    EXPECT(t_execute(db, "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)", NULL), NANA_OK);
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
             "INSERT INTO big SELECT x, hex(randomblob(24)) FROM c",
             rows);
    EXPECT(t_execute(db, sql, NULL), NANA_OK);
}

nana_future_t *t_set_async(nana_db_t *db, const char *key, const char *text)
{
    json_t *v = t_json(text);
    nana_future_t *f = nana_set(db, key, v);
    json_decref(v);
    return f;
}

void t_set_json(nana_db_t *db, const char *key, const char *text)
{
    json_t *v = t_json(text);
    CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
    json_decref(v);
}

/* -------------------------------------------- SQLite, beside the library */

void t_raw_exec(const char *db_path, const char *sql)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open(db_path, &c) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    char *err = NULL;
    if (sqlite3_exec(c, sql, NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw exec %s: %s", sql, err ? err : "?");
    sqlite3_close(c);
}

void t_raw_put(const char *db_path, const char *key, const char *text)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open(db_path, &c) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    CHECK(sqlite3_exec(c, "CREATE TABLE IF NOT EXISTS \"data\" (key TEXT PRIMARY KEY, value TEXT)",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, "INSERT OR REPLACE INTO data (key, value) VALUES (?, ?)", -1, &st,
                             NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(c);
}

int t_raw_int(const char *db_path, const char *sql)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(db_path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return n;
}

char *t_raw_text(const char *db_path, const char *sql)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(db_path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    int rc = sqlite3_step(st);
    char *out = NULL;
    if (rc == SQLITE_ROW)
        out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    else if (rc != SQLITE_DONE && asprintf(&out, "error %d: %s", rc, sqlite3_errmsg(c)) < 0)
        out = NULL;
    sqlite3_finalize(st);
    sqlite3_close(c);
    return out;
}

long t_page_holding(const char *db_path, const char *needle)
{
    FILE *fp = fopen(db_path, "rb");
    if (!fp)
        t_fail(__FILE__, __LINE__, "open %s: %s", db_path, strerror(errno));
    unsigned char header[100];
    CHECK(fread(header, 1, sizeof header, fp) == sizeof header);
    /* The header's page size: big-endian at offset 16, 1 meaning 65536. */
    long page_size = header[16] << 8 | header[17];
    if (page_size == 1)
        page_size = 65536;
    char *page = malloc((size_t)page_size);
    CHECK(page != NULL);
    size_t n = strlen(needle);
    long found = 0;
    rewind(fp);
    for (long pgno = 1; !found && fread(page, 1, (size_t)page_size, fp) == (size_t)page_size;
         pgno++)
        for (long i = 0; i + (long)n <= page_size && !found; i++)
            if (memcmp(page + i, needle, n) == 0)
                found = pgno;
    free(page);
    fclose(fp);
    return found;
}

void t_damage_page(const char *db_path, long pgno)
{
    unsigned char header[100];
    FILE *fp = fopen(db_path, "r+b");
    if (!fp)
        t_fail(__FILE__, __LINE__, "open %s: %s", db_path, strerror(errno));
    CHECK(fread(header, 1, sizeof header, fp) == sizeof header);
    long page_size = header[16] << 8 | header[17];
    if (page_size == 1)
        page_size = 65536;
    CHECK(fseek(fp, (pgno - 1) * page_size, SEEK_SET) == 0);
    for (long i = 0; i < page_size; i++)
        CHECK(fputc(0xA5, fp) != EOF);
    CHECK(fclose(fp) == 0);
}

sqlite3 *t_gate_lock(const char *db_path)
{
    sqlite3 *conn = NULL;
    if (sqlite3_open(db_path, &conn) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw open %s: %s", db_path, sqlite3_errmsg(conn));
    sqlite3_busy_timeout(conn, 10000);
    char *err = NULL;
    if (sqlite3_exec(conn,
                     "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS gate(x);"
                     " INSERT INTO gate VALUES (1);",
                     NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw lock: %s", err ? err : "?");
    return conn;
}

void t_gate_release(sqlite3 *conn, bool commit)
{
    char *err = NULL;
    if (sqlite3_exec(conn, commit ? "COMMIT" : "ROLLBACK", NULL, NULL, &err) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "raw %s: %s", commit ? "commit" : "rollback",
               err ? err : "?");
    sqlite3_close(conn);
}

/* ---------------------------------------------------------------- misc */

uint64_t t_fnv_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        t_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    uint64_t h = 0xcbf29ce484222325ULL;
    int c;
    while ((c = getc(fp)) != EOF) {
        h ^= (unsigned char)c;
        h *= 0x100000001b3ULL;
    }
    fclose(fp);
    return h;
}

const char *t_shown(const char *s)
{
    static char buf[4][160];
    static int next;
    char *b = buf[next++ % 4];
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && o < 120; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            b[o++] = (char)c;
        else
            o += (size_t)snprintf(b + o, sizeof buf[0] - o, "\\x%02x", c);
    }
    if (o >= 120)
        o += (size_t)snprintf(b + o, sizeof buf[0] - o, "...(%zu bytes)", n);
    b[o] = '\0';
    return b;
}

int64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- threads */

int t_list_tasks(struct t_task *out, int max)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        t_fail(__FILE__, __LINE__, "opendir /proc/self/task");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue; /* the thread exited meanwhile */
        char comm[32] = "";
        if (!fgets(comm, sizeof comm, fp))
            comm[0] = '\0';
        fclose(fp);
        comm[strcspn(comm, "\n")] = '\0';
        if (n < max) {
            out[n].tid = atoi(e->d_name);
            snprintf(out[n].comm, sizeof out[n].comm, "%s", comm);
        }
        n++;
    }
    closedir(dir);
    return n;
}

int t_count_tasks(void)
{
    struct t_task tasks[256];
    return t_list_tasks(tasks, 256);
}

int t_settled_count(int want)
{
    int n = t_count_tasks();
    for (int i = 0; i < 2000 && n != want; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        n = t_count_tasks();
    }
    return n;
}

int t_worker_index(const char *name, const char *prefix)
{
    size_t len = strlen(prefix);
    if (strncmp(name, prefix, len) != 0 || name[len] != '-' || !name[len + 1])
        return -1;
    int n = 0;
    for (const char *p = name + len + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

int t_count_named(const char *prefix)
{
    struct t_task tasks[256];
    int n = t_list_tasks(tasks, 256), named = 0;
    for (int i = 0; i < n && i < 256; i++)
        if (t_worker_index(tasks[i].comm, prefix) >= 0)
            named++;
    return named;
}

static void *record_tid(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

void t_warm_up_threads(void)
{
    pthread_t th;
    pid_t tid = 0;
    CHECK(pthread_create(&th, NULL, record_tid, &tid) == 0);
    pthread_join(th, NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    for (int i = 0; i < 2000 && access(path, F_OK) == 0; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* ---------------------------------------------------------------- fork */

/* The child's end of the report pipe; -1 outside a child. */
static int report_fd = -1;

_Noreturn void t_child_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdprintf(report_fd, fmt, ap);
    va_end(ap);
    _exit(1);
}

void t_run_in_child(void (*body)(void), enum t_child_end end)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        body();
        dprintf(report_fd, "OK");
        if (end == T_CHILD_SIGKILL) {
            close(report_fd);
            kill(getpid(), SIGKILL);
        }
        _exit(0);
    }
    close(fds[1]);
    char msg[1024];
    size_t used = 0;
    for (;;) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int ready = poll(&pfd, 1, 120000);
        if (ready <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            t_fail(__FILE__, __LINE__, "child hung (report so far: %.*s)", (int)used, msg);
        }
        ssize_t n = read(fds[0], msg + used, sizeof msg - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof msg - 1)
            break;
    }
    msg[used] = '\0';
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (strcmp(msg, "OK") != 0)
        t_fail(__FILE__, __LINE__, "child: %s", used ? msg : "(no report)");
    if (end == T_CHILD_EXIT && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        t_fail(__FILE__, __LINE__, "child reported OK but exited with status %#x", status);
}

struct t_hammer {
    nana_db_t *root, *sub;
    pthread_t th;
    atomic_bool stop;
    atomic_int writes_done;
};

static void *hammer(void *arg)
{
    struct t_hammer *h = arg;
    char key[32];
    nana_future_t *fs[8];
    for (int round = 0; !atomic_load(&h->stop); round++) {
        for (int i = 0; i < 8; i++) {
            snprintf(key, sizeof key, "h%d", (round * 8 + i) % 64);
            json_t *v = json_integer(round);
            fs[i] = i % 2 ? nana_set(h->root, key, v) : nana_set(h->sub, key, v);
            json_decref(v);
        }
        for (int i = 0; i < 8; i++) {
            CHECK_ST(nana_future_await(fs[i]), NANA_OK);
            nana_future_free(fs[i]);
        }
        atomic_fetch_add(&h->writes_done, 8);
    }
    return NULL;
}

struct t_hammer *t_hammer_start(nana_db_t *root, nana_db_t *sub)
{
    struct t_hammer *h = calloc(1, sizeof *h);
    CHECK(h != NULL);
    h->root = root;
    h->sub = sub;
    atomic_init(&h->stop, false);
    atomic_init(&h->writes_done, 0);
    CHECK(pthread_create(&h->th, NULL, hammer, h) == 0);
    return h;
}

void t_hammer_wait(struct t_hammer *h, int writes)
{
    int seen = atomic_load(&h->writes_done);
    while (atomic_load(&h->writes_done) < seen + writes)
        sched_yield();
}

void t_hammer_stop(struct t_hammer *h)
{
    atomic_store(&h->stop, true);
    pthread_join(h->th, NULL);
    free(h);
}

int t_run_cmd(const char *cmd, char **out)
{
    char *full = NULL;
    if (asprintf(&full, "(%s) 2>&1", cmd) < 0)
        t_fail(__FILE__, __LINE__, "out of memory");
    FILE *p = popen(full, "r");
    free(full);
    if (!p)
        t_fail(__FILE__, __LINE__, "popen %s failed", cmd);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    if (!buf)
        t_fail(__FILE__, __LINE__, "out of memory");
    buf[len] = '\0';
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

void t_names_add(struct t_names *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && strncmp(s->v[i], name, len) == 0)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        CHECK(s->v != NULL);
    }
    s->v[s->n] = strndup(name, len);
    CHECK(s->v[s->n] != NULL);
    s->n++;
}

bool t_names_has(const struct t_names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return true;
    return false;
}

void t_names_free(struct t_names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

void t_want_einval(struct t_tally *t, nana_future_t *f, const char *helper, const char *input)
{
    t->calls++;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_EINVAL) {
        fprintf(stderr, "  %s [%s]: got %s (%s), want NANA_EINVAL\n", helper, t_shown(input),
                t_status_name(st), nana_future_errmsg(f));
        t->failures++;
    }
    nana_future_free(f);
}

char *t_must(const char *cmd)
{
    char *out;
    int rc = t_run_cmd(cmd, &out);
    if (rc != 0)
        t_fail(__FILE__, __LINE__, "exit %d: %s\n%s", rc, cmd, out);
    return out;
}

char *t_slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        t_fail(__FILE__, __LINE__, "%s: cannot open (run from the repository root)", path);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    char *text = malloc((size_t)size + 1);
    CHECK(text != NULL);
    CHECK(fread(text, 1, (size_t)size, fp) == (size_t)size);
    text[size] = '\0';
    fclose(fp);
    return text;
}

void t_write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    CHECK(fputs(text, fp) >= 0);
    CHECK(fclose(fp) == 0);
}

/* ------------------------------------------------------------ directories */

char *t_dir_listing(const char *dir)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, alphasort);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "scandir %s: %s", dir, strerror(errno));
    size_t cap = 1, len = 0;
    for (int i = 0; i < n; i++)
        cap += strlen(entries[i]->d_name) + 1;
    char *out = malloc(cap);
    CHECK(out != NULL);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *name = entries[i]->d_name;
        /* The runner keeps its log in the scenario's directory. */
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strcmp(name, ".log") != 0)
            len += (size_t)sprintf(out + len, "%s%s", len ? " " : "", name);
        free(entries[i]);
    }
    free(entries);
    return out;
}
