/*
 * A cursor streams a dict table larger than what should be held at once:
 * a million rows (a hundred thousand under a sanitizer or valgrind),
 * written by another connection last key first (rowid order is the reverse
 * of key order), are
 * exported page by page (1,000 pairs each) to a JSON-lines file.  Every key
 * comes exactly once, in key order, with its value; the last page is the
 * empty one and later calls answer it at once.  The heap in use while the
 * cursor runs stays within 32 MiB of where it started (the whole table as
 * JSON values would take several hundred), measured with mallinfo2() in
 * the plain build.
 */
#include <malloc.h>

#include "harness.h"

#if defined(NANA_TEST_TSAN) || defined(NANA_TEST_ASAN)
#define INSTRUMENTED 1
#else
#define INSTRUMENTED 0
#endif

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

int main(void)
{
    const char *pre = getenv("LD_PRELOAD");
    bool valgrind = pre && strstr(pre, "vgpreload");
    bool measure = !INSTRUMENTED && !valgrind;
    int rows = measure ? 1000000 : 100000;
    const char *path = t_path("big.db");
    char sql[1024];
    /* Keys k0000000.. inserted last to first: rowid order is the reverse
     * of key order. */
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
             "CREATE TABLE data (key TEXT PRIMARY KEY, value TEXT);"
             "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i - 1 FROM n WHERE i > 0)"
             " INSERT INTO data SELECT printf('k%%07d', i),"
             " '{\"i\":' || i || ',\"pad\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}' FROM n",
             rows - 1);
    t_raw_exec(path, sql);

    nana_options_t o;
    nana_options_init(&o);
    o.cache_size_mb = 2; /* SQLite's page cache is on the heap too */
    nana_db_t *db = t_open("big.db", &o);
    nana_cursor_t *cur = NULL;
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 1000, &cur), NANA_OK);
    FILE *out = fopen(t_path("export.jsonl"), "w");
    CHECK(out != NULL);

    size_t base = heap_in_use(), peak = base;
    int64_t seen = 0, pages = 0;
    for (;;) {
        nana_future_t *f = nana_cursor_next(cur);
        CHECK_ST(nana_future_await(f), NANA_OK);
        json_t *page = nana_future_json(f);
        CHECK(json_is_array(page));
        size_t n = json_array_size(page);
        CHECK(n <= 1000);
        if (n == 0) {
            nana_future_free(f);
            break;
        }
        pages++;
        size_t now = heap_in_use(); /* with the page held */
        if (now > peak)
            peak = now;
        size_t i;
        json_t *pair;
        json_array_foreach(page, i, pair) {
            char want[16];
            snprintf(want, sizeof want, "k%07lld", (long long)seen);
            const char *key = json_string_value(json_array_get(pair, 0));
            if (!key || strcmp(key, want) != 0)
                t_fail(__FILE__, __LINE__, "pair %lld: key %s, want %s", (long long)seen,
                       key ? key : "(none)", want);
            CHECK_INT(json_integer_value(json_object_get(json_array_get(pair, 1), "i")), seen);
            char *line = json_dumps(pair, JSON_COMPACT | JSON_PRESERVE_ORDER);
            CHECK(line != NULL);
            fputs(line, out);
            fputc('\n', out);
            free(line);
            seen++;
        }
        nana_future_free(f);
    }
    CHECK_INT(seen, rows);
    CHECK_INT(pages, (rows + 999) / 1000);
    CHECK(fclose(out) == 0);

    /* Done: answered at once from now on. */
    nana_future_t *f = nana_cursor_next(cur);
    CHECK(nana_future_poll(f));
    t_expect(f, "[]");
    nana_cursor_close(cur);
    CHECK_ST(nana_close(db), NANA_OK);

    int lines = 0;
    out = fopen(t_path("export.jsonl"), "r");
    CHECK(out != NULL);
    for (int c; (c = fgetc(out)) != EOF;)
        lines += c == '\n';
    fclose(out);
    CHECK_INT(lines, rows);
    printf("%d rows in %lld pages; heap grew by at most %.1f MiB%s\n", rows, (long long)pages,
           (double)(peak - base) / (1 << 20), measure ? "" : " (not checked here)");
    if (measure && peak - base > 32u << 20)
        t_fail(__FILE__, __LINE__, "the heap grew by %zu bytes while paging", peak - base);
    return 0;
}
