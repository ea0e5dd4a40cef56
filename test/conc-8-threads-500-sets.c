/* Eight threads each submit 500 sets of distinct keys before awaiting any;
 * all resolve OK, and len is 4000 with every value right -- through the
 * same handle, through a fresh root after reopening, and in the file as
 * SQLite sees it. */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 500

static nana_db_t *db;

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    nana_future_t **fs = calloc(PER_THREAD, sizeof *fs);
    CHECK(fs != NULL);
    char key[32], text[32];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "t%d-%d", t, i);
        snprintf(text, sizeof text, "value %d/%d", t, i);
        json_t *v = json_pack("{s:i,s:i,s:s}", "t", t, "i", i, "s", text);
        fs[i] = nana_set(db, key, v);
        json_decref(v);
    }
    for (int i = 0; i < PER_THREAD; i++) {
        if (nana_future_await(fs[i]) != NANA_OK)
            t_fail(__FILE__, __LINE__, "thread %d set %d: %s (%s)", t, i,
                   t_status_name(nana_future_status(fs[i])), nana_future_errmsg(fs[i]));
        nana_future_free(fs[i]);
    }
    free(fs);
    return NULL;
}

static void check_all(json_t *dict)
{
    CHECK(json_is_object(dict));
    CHECK_INT(json_object_size(dict), THREADS * PER_THREAD);
    char key[32], text[32];
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            snprintf(key, sizeof key, "t%d-%d", t, i);
            snprintf(text, sizeof text, "value %d/%d", t, i);
            json_t *v = json_object_get(dict, key);
            if (!v || json_integer_value(json_object_get(v, "t")) != t ||
                json_integer_value(json_object_get(v, "i")) != i ||
                !json_is_string(json_object_get(v, "s")) ||
                strcmp(json_string_value(json_object_get(v, "s")), text) != 0)
                t_fail(__FILE__, __LINE__, "%s: missing or wrong", key);
        }
}

int main(void)
{
    json_object_seed(0);
    db = t_open("db", NULL);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    CHECK_INT(t_int(nana_len(db)), THREADS * PER_THREAD);
    json_t *dict = t_take(nana_to_dict(db), NANA_OK);
    check_all(dict);
    nana_json_release(dict);
    t_expect(nana_get(db, "t7-499", NULL), "{\"t\":7,\"i\":499,\"s\":\"value 7/499\"}");
    CHECK_ST(nana_close(db), NANA_OK);

    /* What SQLite holds. */
    sqlite3 *raw = NULL;
    CHECK(sqlite3_open_v2(t_path("db"), &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(raw, "SELECT count(*), count(DISTINCT key) FROM data", -1, &st,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), THREADS * PER_THREAD);
    CHECK_INT(sqlite3_column_int(st, 1), THREADS * PER_THREAD);
    sqlite3_finalize(st);
    sqlite3_close(raw);

    /* A fresh root sees it all, cold. */
    db = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(db)), THREADS * PER_THREAD);
    dict = t_take(nana_copy(db), NANA_OK);
    check_all(dict);
    json_decref(dict);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
