/*
 * The encoder copies plain string bytes eight at a time and looks at the
 * rest one by one, so where a byte that needs care falls within an 8-byte
 * word must not matter.  Four threads store strings of 0..26 bytes with one
 * such byte -- each escape, a control character, DEL, UTF-8 of 2, 3 and 4
 * bytes -- at every offset, alone and next to another, and the text in the
 * file (read on a connection of the thread's own) is exactly what a
 * reference escaper writes (Python's json.dumps with ensure_ascii=False:
 * \uXXXX in lower case), and reading it back from the file gives the very
 * bytes.  Invalid UTF-8 at every
 * offset -- a lone continuation byte, an overlong form, a surrogate, a
 * sequence cut by the end, a byte above F4 -- is refused with NANA_EINVAL
 * and the key keeps its value, in the cache and in the file.
 */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

#define THREADS 4
#define MAX_LEN 26 /* past three words */

static nana_db_t *db;
static char db_path[4200]; /* t_path() is the main thread's */

struct special {
    const char *bytes;
    size_t len;
};

static const struct special specials[] = {
    {"\"", 1},         {"\\", 1},          {"\n", 1}, {"\t", 1},         {"\b", 1},
    {"\f", 1},         {"\r", 1},          {"\x01", 1}, {"\x1f", 1},     {"\x7f", 1},
    {" ", 1},          {"/", 1},           {"\xc3\xa9", 2}, {"\xe2\x82\xac", 3},
    {"\xf0\x9f\x98\x80", 4},
};
static const struct special invalid[] = {
    {"\x80", 1},         {"\xbf", 1},         {"\xc0\x80", 2}, {"\xc1\xbf", 2},
    {"\xe0\x80\x80", 3}, {"\xed\xa0\x80", 3}, {"\xf4\x90\x80\x80", 4},
    {"\xf5\x80\x80\x80", 4}, {"\xff", 1},     {"\xe2\x82", 2}, /* cut short */
};
#define N_SPECIALS (sizeof specials / sizeof specials[0])
#define N_INVALID (sizeof invalid / sizeof invalid[0])

/* What Python writes for s (valid UTF-8), quotes included. */
static void reference(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': *out++ = '\\'; *out++ = '"'; break;
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        case '\b': *out++ = '\\'; *out++ = 'b'; break;
        case '\f': *out++ = '\\'; *out++ = 'f'; break;
        default:
            if (c < 0x20) {
                memcpy(out, "\\u00", 4);
                out += 4;
                *out++ = hex[c >> 4];
                *out++ = hex[c & 15];
            } else {
                *out++ = (char)c;
            }
        }
    }
    *out++ = '"';
    *out = '\0';
}

/* 'a'..'z' filler with what at offset at (and, when twice, again at at+1). */
static size_t build(char *buf, size_t len, size_t at, const struct special *what, bool twice)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == at || (twice && i == at + 1)) {
            memcpy(buf + n, what->bytes, what->len);
            n += what->len;
        } else {
            buf[n++] = (char)('a' + i % 26);
        }
    }
    return n;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[32], buf[MAX_LEN * 8], want[MAX_LEN * 48];
    snprintf(key, sizeof key, "w%d", id);
    sqlite3 *raw = NULL;
    sqlite3_stmt *sel = NULL;
    CHECK(sqlite3_open_v2(db_path, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(raw, 10000);
    CHECK(sqlite3_prepare_v2(raw, "SELECT value FROM data WHERE key = ?", -1, &sel, NULL) ==
          SQLITE_OK);
    sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
    long stored = 0, refused = 0;
    for (size_t len = (size_t)id; len <= MAX_LEN; len += THREADS) {
        for (size_t at = 0; at < len || (len == 0 && at == 0); at++) {
            for (int twice = 0; twice < 2; twice++) {
                for (size_t k = 0; k < N_SPECIALS; k++) {
                    size_t n = len ? build(buf, len, at, &specials[k], twice) : 0;
                    json_t *v = json_stringn(buf, n);
                    CHECK(v != NULL);
                    EXPECT(nana_set(db, key, v), NANA_OK);
                    reference(buf, n, want);
                    CHECK(sqlite3_step(sel) == SQLITE_ROW);
                    CHECK_STR((const char *)sqlite3_column_text(sel, 0), want);
                    sqlite3_reset(sel);
                    /* And the decoder, which skips plain words too, reads
                     * the same string back. */
                    json_t *back = TAKE(nana_get_fresh(db, key, NULL));
                    CHECK(json_string_length(back) == n &&
                          memcmp(json_string_value(back), buf, n) == 0);
                    nana_json_release(back);
                    json_decref(v);
                    stored++;
                }
                for (size_t k = 0; k < N_INVALID && len; k++) {
                    size_t n = build(buf, len, at, &invalid[k], twice);
                    json_t *v = json_stringn_nocheck(buf, n);
                    EXPECT(nana_set(db, key, v), NANA_EINVAL);
                    json_decref(v);
                    refused++;
                }
            }
            /* The last stored value is still there, in the cache and the
             * file, after the refusals. */
            json_t *got = TAKE(nana_get(db, key, NULL));
            CHECK(json_is_string(got));
            json_t *fresh = TAKE(nana_get_fresh(db, key, NULL));
            CHECK(json_equal(got, fresh));
            nana_json_release(got);
            nana_json_release(fresh);
        }
    }
    sqlite3_finalize(sel);
    sqlite3_close(raw);
    CHECK(stored > 0);
    CHECK(refused > 0);
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    snprintf(db_path, sizeof db_path, "%s", t_path("db"));
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
