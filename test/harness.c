#include "harness.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
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
