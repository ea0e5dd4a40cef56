/*
 * A database whose pages are damaged: garbage written over one leaf page of
 * the dict table of a real file, as a failing disk or a stray write would
 * leave it.  Opened without NANA_OPEN_CHECK:
 *   Status: nana_open is NANA_OK (SQLite reads pages when asked); a read
 *   that reaches the page -- get of a key on it, keys(), direct SQL -- is
 *   NANA_ESQL with a message saying "malformed", naming the file and the
 *   check to run (PRAGMA integrity_check, NANA_OPEN_CHECK), and never the
 *   stored text.  SQLite then refuses to COMMIT the transaction the
 *   statement ran in, so that a job run in one with others -- a write,
 *   nana_execute, reads queued together from four threads -- fails with
 *   the COMMIT's message, NANA_ESQL "malformed" all the same, and so do the
 *   jobs that shared its batch.
 *   Data: keys on other pages read back whole, through the library and
 *   through a raw sqlite3 connection; the damage does not spread.
 *   Recovery: the handle stays usable -- new keys are written and read
 *   back; an overwrite of a key on the damaged page fails NANA_ESQL
 *   "malformed" (SQLite must read the old row) and the next write
 *   succeeds.  quick_check still reports the page: writes do not repair it.
 */
#include "harness.h"

#include <pthread.h>

#define KEYS 600

static const char *path;
static nana_db_t *db;

static void key_of(char *buf, size_t size, int i)
{
    snprintf(buf, size, "k%04d", i);
}

/* A marker that t_page_holding() finds in the page of the row, padded so
 * that the table spans many pages. */
static void value_of(char *buf, size_t size, int i)
{
    snprintf(buf, size, "\"marker-%04d-%s\"", i,
             "padding padding padding padding padding padding padding padding padding");
}

static void malformed(nana_future_t *f, const char *what)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != NANA_ESQL || !strstr(msg, "malformed") || !strstr(msg, path) ||
        !strstr(msg, "integrity_check") || !strstr(msg, "NANA_OPEN_CHECK"))
        t_fail(__FILE__, __LINE__, "%s: got %s (%s), want NANA_ESQL \"malformed\" naming %s and "
               "the check", what, t_status_name(st), msg, path);
    if (strstr(msg, "marker"))
        t_fail(__FILE__, __LINE__, "%s: message \"%s\" echoes the stored text", what, msg);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

static void expect_value(int i)
{
    char key[32], want[128];
    key_of(key, sizeof key, i);
    value_of(want, sizeof want, i);
    json_t *want_json = t_json(want);
    json_t *got = TAKE(nana_get_fresh(db, key, NULL));
    CHECK(json_equal(got, want_json));
    nana_json_release(got);
    json_decref(want_json);
}

static void *reader(void *arg)
{
    (void)arg;
    for (int round = 0; round < 20; round++) {
        nana_future_t *f = nana_get_fresh(db, "k0300", NULL);
        CHECK_ST(nana_future_await(f), NANA_ESQL);
        CHECK(strstr(nana_future_errmsg(f), "malformed") != NULL);
        nana_future_free(f);
    }
    return NULL;
}

int main(void)
{
    path = t_path("damaged.db");
    db = t_open("damaged.db", NULL);
    for (int i = 0; i < KEYS; i++) {
        char key[32], value[128];
        key_of(key, sizeof key, i);
        value_of(value, sizeof value, i);
        t_set_json(db, key, value);
    }
    CHECK_ST(nana_close(db), NANA_OK); /* checkpointed: the file holds every row */

    long bad = t_page_holding(path, "marker-0300-");
    CHECK(bad > 2);
    CHECK(t_page_holding(path, "marker-0000-") != bad);
    CHECK(t_page_holding(path, "marker-0599-") != bad);
    t_damage_page(path, bad);

    db = NULL;
    CHECK_ST(nana_open(path, NULL, &db), NANA_OK);
    CHECK_STR(nana_db_errmsg(db), "");
    malformed(nana_get(db, "k0300", NULL), "get");
    malformed(nana_keys(db), "keys");
    malformed(nana_fetch_all(db, "SELECT value FROM data WHERE key = 'k0300'", NULL),
              "fetch_all");
    expect_value(0);
    expect_value(KEYS - 1);

    pthread_t th[4];
    for (int t = 0; t < 4; t++)
        CHECK(pthread_create(&th[t], NULL, reader, NULL) == 0);
    for (int t = 0; t < 4; t++)
        CHECK(pthread_join(th[t], NULL) == 0);
    expect_value(0);

    /* Still usable: new keys go to pages that are whole. */
    t_set_json(db, "zz-new", "{\"after\": \"damage\"}");
    t_expect(nana_get_fresh(db, "zz-new", NULL), "{\"after\":\"damage\"}");
    json_t *v = json_integer(1);
    nana_future_t *f = nana_set(db, "k0300", v);
    json_decref(v);
    CHECK_ST(nana_future_await(f), NANA_ESQL);
    CHECK(strstr(nana_future_errmsg(f), "malformed") != NULL);
    nana_future_free(f);
    t_set_json(db, "zz-later", "2");
    t_expect(nana_get_fresh(db, "zz-later", NULL), "2");
    expect_value(0);
    CHECK_ST(nana_close(db), NANA_OK);

    /* SQLite alone sees the same file. */
    char *raw = t_raw_value(path, "data", "k0000");
    char want[128];
    value_of(want, sizeof want, 0);
    json_t *want_json = t_json(want);
    char *want_text = json_dumps(want_json, JSON_ENCODE_ANY | JSON_COMPACT);
    CHECK_STR(raw, want_text);
    free(raw);
    free(want_text);
    json_decref(want_json);
    raw = t_raw_value(path, "data", "zz-new");
    CHECK_STR(raw, "{\"after\":\"damage\"}");
    free(raw);
    raw = t_raw_text(path, "SELECT value FROM data WHERE key = 'k0300'");
    CHECK(raw && strstr(raw, "malformed"));
    free(raw);
    raw = t_raw_text(path, "PRAGMA quick_check");
    CHECK(raw && strcmp(raw, "ok") != 0);
    free(raw);
    return 0;
}
