/* Many writes in flight at once (four threads' sets, deletes and batch
 * updates, nothing awaited until all are submitted), which the library may
 * commit in shared transactions: every future resolves OK, and after close
 * the file holds exactly the resulting rows -- seen raw and by a new root. */
#include <pthread.h>
#include <sqlite3.h>

#include "harness.h"

#define THREADS 4
#define SETS 500
#define BATCH 50
#define PER_THREAD (SETS - SETS / 5 + BATCH)

static nana_db_t *db;

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    size_t cap = SETS + SETS / 5 + 1, n = 0;
    nana_future_t **fs = calloc(cap, sizeof *fs);
    CHECK(fs != NULL);
    char key[32];
    json_t *batch = json_object();
    for (int j = 0; j < BATCH; j++) {
        snprintf(key, sizeof key, "b%d-%d", t, j);
        json_object_set_new(batch, key, json_pack("[i,i]", t, j));
    }
    for (int i = 0; i < SETS; i++) {
        snprintf(key, sizeof key, "g%d-%d", t, i);
        json_t *v = json_pack("{s:i,s:i}", "t", t, "i", i);
        fs[n++] = nana_set(db, key, v);
        json_decref(v);
        if (i % 5 == 0)
            fs[n++] = nana_delete(db, key);
        if (i == SETS / 2)
            fs[n++] = nana_batch_update(db, batch);
    }
    json_decref(batch);
    CHECK_ST(nana_future_await_all(fs, n), NANA_OK);
    for (size_t i = 0; i < n; i++) {
        CHECK_ST(nana_future_status(fs[i]), NANA_OK);
        nana_future_free(fs[i]);
    }
    free(fs);
    return NULL;
}

static void check_dict(json_t *dict)
{
    CHECK_INT(json_object_size(dict), THREADS * PER_THREAD);
    char key[32];
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < SETS; i++) {
            snprintf(key, sizeof key, "g%d-%d", t, i);
            json_t *v = json_object_get(dict, key);
            if (i % 5 == 0) {
                if (v)
                    t_fail(__FILE__, __LINE__, "%s was deleted but is there", key);
            } else if (!v || json_integer_value(json_object_get(v, "i")) != i ||
                       json_integer_value(json_object_get(v, "t")) != t) {
                t_fail(__FILE__, __LINE__, "%s missing or wrong", key);
            }
        }
        for (int j = 0; j < BATCH; j++) {
            snprintf(key, sizeof key, "b%d-%d", t, j);
            json_t *v = json_object_get(dict, key);
            if (!v || json_integer_value(json_array_get(v, 1)) != j)
                t_fail(__FILE__, __LINE__, "%s missing or wrong", key);
        }
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
    CHECK_ST(nana_close(db), NANA_OK);

    sqlite3 *raw = NULL;
    CHECK(sqlite3_open_v2(t_path("db"), &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(raw, "SELECT count(*) FROM data", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), THREADS * PER_THREAD);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    char *text = t_raw_value(t_path("db"), "data", "g3-499");
    CHECK(text != NULL);
    json_t *v = t_json(text);
    CHECK_JSON(v, "{\"t\":3,\"i\":499}");
    json_decref(v);
    free(text);
    CHECK(t_raw_value(t_path("db"), "data", "g3-495") == NULL);

    db = t_open("db", NULL);
    json_t *dict = t_take(nana_to_dict(db), NANA_OK);
    check_dict(dict);
    nana_json_release(dict);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
