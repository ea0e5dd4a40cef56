/*
 * Cursors read each page after the last key returned, at the page's place
 * in the queue: a key written behind the cursor is not seen, one written
 * ahead of it is, and so are deletes and new values ahead; no key comes
 * twice and keys always ascend.  Calls may overlap: four pages submitted
 * before any is awaited are the next four.  A row whose value is not JSON
 * (or whose key is not UTF-8 text) ends the page before it short; the next
 * call fails NANA_ETYPE naming it, and the cursor goes on after it.  The
 * empty page ends the cursor for good: later calls answer [] at once even
 * when keys are added after the end.  A range cursor stops before its end
 * key; a prefix cursor takes "%" and "_" literally.  A cursor closed with
 * pages pending: they resolve as usual.  Refused: NULL handle or out
 * pointer, page size 0, NULL prefix, bounds not UTF-8 (NANA_EINVAL, *out
 * NULL), a closed root (NANA_ECLOSED at open, and for nana_cursor_next()).
 * Four threads with a cursor each over one table while a fifth writes
 * always see ascending keys and every key that was there all along.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

static nana_db_t *db;
static atomic_bool stop;

static void put(const char *key, int v)
{
    json_t *j = json_integer(v);
    CHECK_ST(t_wait(nana_set(db, key, j)), NANA_OK);
    json_decref(j);
}

/* The keys of a page, "a b c". */
static void page_is(int line, nana_future_t *f, const char *want)
{
    if (nana_future_await(f) != NANA_OK)
        t_fail(__FILE__, line, "page: %s (%s), want %s", t_status_name(nana_future_status(f)),
               nana_future_errmsg(f), want);
    char got[1024] = "";
    size_t i;
    json_t *pair;
    json_array_foreach(nana_future_json(f), i, pair) {
        if (i)
            strcat(got, " ");
        strcat(got, json_string_value(json_array_get(pair, 0)));
    }
    if (strcmp(got, want) != 0)
        t_fail(__FILE__, line, "page \"%s\", want \"%s\"", got, want);
    nana_future_free(f);
}

static void *walker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        nana_cursor_t *c;
        CHECK_ST(nana_cursor_open_prefix(db, "s", 7, &c), NANA_OK);
        char last[64] = "";
        int stable = 0;
        for (;;) {
            json_t *page = t_take(nana_cursor_next(c), NANA_OK);
            size_t i;
            json_t *pair;
            json_array_foreach(page, i, pair) {
                const char *k = json_string_value(json_array_get(pair, 0));
                CHECK(strcmp(k, last) > 0);
                snprintf(last, sizeof last, "%s", k);
                stable += strncmp(k, "s-stable", 8) == 0;
            }
            size_t n = json_array_size(page);
            nana_json_release(page);
            if (n == 0)
                break;
        }
        CHECK_INT(stable, 40);
        nana_cursor_close(c);
    }
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    const char *path = t_path("cur.db");
    db = t_open("cur.db", NULL);
    const char *const keys[] = {"c", "e", "g", "i", "k", "m", "o", "q"};
    for (int i = 0; i < 8; i++)
        put(keys[i], i);

    /* Writes between pages. */
    nana_cursor_t *c;
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 3, &c), NANA_OK);
    page_is(__LINE__, nana_cursor_next(c), "c e g");
    put("a", 100);                       /* behind: not seen */
    put("h", 101);                       /* ahead: seen */
    CHECK_ST(t_wait(nana_delete(db, "k")), NANA_OK);
    put("m", 102);                       /* new value ahead */
    nana_future_t *f = nana_cursor_next(c);
    CHECK_ST(nana_future_await(f), NANA_OK);
    char *text = json_dumps(nana_future_json(f), JSON_COMPACT);
    CHECK_STR(text, "[[\"h\",101],[\"i\",3],[\"m\",102]]");
    free(text);
    nana_future_free(f);
    page_is(__LINE__, nana_cursor_next(c), "o q");
    page_is(__LINE__, nana_cursor_next(c), "");
    put("z", 1); /* after the end: the cursor is done */
    f = nana_cursor_next(c);
    CHECK(nana_future_poll(f));
    page_is(__LINE__, f, "");
    nana_cursor_close(c);

    /* Overlapping calls: the next four pages, in order. */
    CHECK_ST(nana_cursor_open(db, "b", NULL, 2, &c), NANA_OK);
    nana_future_t *fs[5];
    for (int i = 0; i < 5; i++)
        fs[i] = nana_cursor_next(c);
    page_is(__LINE__, fs[0], "c e");
    page_is(__LINE__, fs[1], "g h");
    page_is(__LINE__, fs[2], "i m");
    page_is(__LINE__, fs[3], "o q");
    page_is(__LINE__, fs[4], "z");
    page_is(__LINE__, nana_cursor_next(c), "");
    nana_cursor_close(c);

    /* Range and prefix cursors. */
    CHECK_ST(nana_cursor_open(db, "e", "m", 10, &c), NANA_OK);
    page_is(__LINE__, nana_cursor_next(c), "e g h i");
    page_is(__LINE__, nana_cursor_next(c), "");
    nana_cursor_close(c);
    put("p%1", 1);
    put("p%2", 2);
    put("px", 3);
    put("p_", 4);
    CHECK_ST(nana_cursor_open_prefix(db, "p%", 1, &c), NANA_OK);
    page_is(__LINE__, nana_cursor_next(c), "p%1");
    page_is(__LINE__, nana_cursor_next(c), "p%2");
    page_is(__LINE__, nana_cursor_next(c), "");
    nana_cursor_close(c);

    /* Bad rows: a short page before each, a failed page for it, then on. */
    t_raw_put(path, "r2", "{oops");
    t_raw_exec(path, "INSERT INTO data VALUES (CAST(x'72ff' AS TEXT), '1')"); /* "r\xff" */
    put("r1", 1);
    put("r3", 3);
    put("r9", 9);
    CHECK_ST(nana_cursor_open_prefix(db, "r", 5, &c), NANA_OK);
    page_is(__LINE__, nana_cursor_next(c), "r1");
    f = nana_cursor_next(c);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"r2\"") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
    page_is(__LINE__, nana_cursor_next(c), "r3 r9");
    f = nana_cursor_next(c);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "UTF-8") != NULL);
    nana_future_free(f);
    page_is(__LINE__, nana_cursor_next(c), "");
    nana_cursor_close(c);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data WHERE key LIKE 'r%'"), 5);

    /* Closed with pages pending. */
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 2, &c), NANA_OK);
    f = nana_cursor_next(c);
    nana_future_t *g = nana_cursor_next(c);
    nana_cursor_close(c);
    page_is(__LINE__, f, "a c");
    page_is(__LINE__, g, "e g");
    nana_cursor_close(NULL);

    /* Refusals. */
    c = (nana_cursor_t *)&c;
    CHECK_ST(nana_cursor_open(NULL, NULL, NULL, 5, &c), NANA_EINVAL);
    CHECK(c == NULL);
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 5, NULL), NANA_EINVAL);
    c = (nana_cursor_t *)&c;
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 0, &c), NANA_EINVAL);
    CHECK(c == NULL);
    CHECK_ST(nana_cursor_open(db, "\xff", NULL, 5, &c), NANA_EINVAL);
    CHECK_ST(nana_cursor_open(db, NULL, "a\xc3", 5, &c), NANA_EINVAL);
    CHECK_ST(nana_cursor_open_prefix(db, NULL, 5, &c), NANA_EINVAL);
    CHECK_ST(nana_cursor_open_prefix(db, "\xe0\x80\x80", 5, &c), NANA_EINVAL);
    CHECK(c == NULL);
    EXPECT(nana_cursor_next(NULL), NANA_EINVAL);

    /* Four walkers, one writer. */
    for (int i = 0; i < 40; i++) {
        char k[32];
        snprintf(k, sizeof k, "s-stable-%02d", i);
        put(k, i);
    }
    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, walker, NULL) == 0);
    for (int i = 0; i < 400; i++) {
        char k[32];
        snprintf(k, sizeof k, "s-churn-%02d", i % 37);
        json_t *v = json_integer(i);
        nana_future_t *w = i % 3 ? nana_set(db, k, v) : nana_delete(db, k);
        json_decref(v);
        nana_status_t st = t_wait(w);
        CHECK(st == NANA_OK || st == NANA_ENOTFOUND);
    }
    atomic_store(&stop, true);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);

    /* A closed root. */
    nana_db_t *sub;
    CHECK_ST(nana_table(db, "data", &sub), NANA_OK);
    CHECK_ST(nana_cursor_open(sub, NULL, NULL, 5, &c), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    EXPECT(nana_cursor_next(c), NANA_ECLOSED);
    nana_cursor_close(c);
    nana_cursor_t *c2 = (nana_cursor_t *)&c2;
    CHECK_ST(nana_cursor_open(sub, NULL, NULL, 5, &c2), NANA_ECLOSED);
    CHECK(c2 == NULL);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
