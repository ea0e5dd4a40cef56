/*
 * Four threads at once, each on its own handle of the same table and its own
 * keys, alternate valid writes with refused calls: NULL keys and values,
 * update/batch_update with non-objects (NANA_ETYPE), batch_delete with a NULL
 * element, get of a key holding invalid JSON (NANA_ETYPE), nana_table with
 * invalid names (NANA_EINVAL).  Every refused call fails with the right code,
 * every valid one succeeds, and the final data is exactly what the valid
 * calls wrote; the invalid row is untouched.
 */
#include "harness.h"

#include <pthread.h>
#include <sqlite3.h>

#define NTHREADS 4
#define ROUNDS 30

static nana_db_t *root;

struct worker {
    nana_db_t *db;
    int id;
    int failed;
};

static void expect(struct worker *w, nana_future_t *f, nana_status_t want, int line)
{
    if (nana_future_await(f) != want && !w->failed)
        w->failed = line;
    nana_future_free(f);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char key[32];
    json_t *arr = json_pack("[i]", w->id);
    json_t *str = json_string("not an object");
    for (int r = 0; r < ROUNDS && !w->failed; r++) {
        snprintf(key, sizeof key, "t%d_%d", w->id, r);
        json_t *v = json_pack("{s:i,s:i}", "t", w->id, "r", r);
        json_t *obj = json_pack("{s:O}", key, v);
        const char *with_null[] = {key, NULL};

        expect(w, nana_set(w->db, key, NULL), NANA_EINVAL, __LINE__);
        expect(w, nana_update(w->db, obj), NANA_OK, __LINE__);
        expect(w, nana_update(w->db, arr), NANA_ETYPE, __LINE__);
        expect(w, nana_batch_update(w->db, str), NANA_ETYPE, __LINE__);
        expect(w, nana_batch_delete(w->db, with_null, 2), NANA_EINVAL, __LINE__);
        expect(w, nana_delete(w->db, NULL), NANA_EINVAL, __LINE__);
        expect(w, nana_pop(w->db, NULL, NULL), NANA_EINVAL, __LINE__);
        expect(w, nana_get(w->db, "bad_json_key", NULL), NANA_ETYPE, __LINE__);
        nana_db_t *sub = root;
        if (nana_table(w->db, r % 2 ? "1bad" : "sqlite_bad", &sub) != NANA_EINVAL || sub != NULL)
            w->failed = __LINE__;

        nana_future_t *g = nana_get(w->db, key, NULL);
        if (nana_future_await(g) != NANA_OK || !json_equal(nana_future_json(g), v))
            w->failed = __LINE__;
        nana_future_free(g);
        /* every third round, delete the previous key */
        if (r % 3 == 2) {
            snprintf(key, sizeof key, "t%d_%d", w->id, r - 1);
            expect(w, nana_delete(w->db, key), NANA_OK, __LINE__);
        }
        json_decref(v);
        json_decref(obj);
    }
    json_decref(arr);
    json_decref(str);
    return NULL;
}

int main(void)
{
    const char *path = t_path("refused.db");
    {
        sqlite3 *c = NULL;
        CHECK(sqlite3_open(path, &c) == SQLITE_OK);
        CHECK(sqlite3_exec(c,
                           "CREATE TABLE \"data\" (key TEXT PRIMARY KEY, value TEXT);"
                           "INSERT INTO data VALUES ('bad_json_key', '{oops');",
                           NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(c);
    }
    root = t_open("refused.db", NULL);
    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i;
        w[i].failed = 0;
        w[i].db = root;
        if (i > 0)
            CHECK_ST(nana_table(root, "data", &w[i].db), NANA_OK);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(th[i], NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].failed)
            t_fail(__FILE__, w[i].failed, "thread %d: unexpected status", i);

    /* expected survivors: r where not (r % 3 == 1 and r + 1 < ROUNDS) */
    char key[32];
    int survivors = 0;
    for (int t = 0; t < NTHREADS; t++)
        for (int r = 0; r < ROUNDS; r++) {
            snprintf(key, sizeof key, "t%d_%d", t, r);
            bool deleted = (r % 3 == 1) && (r + 1 < ROUNDS);
            if (deleted) {
                CHECK_ST(t_wait(nana_get_fresh(root, key, NULL)), NANA_ENOTFOUND);
            } else {
                json_t *v = t_take(nana_get_fresh(root, key, NULL), NANA_OK);
                CHECK_INT(json_integer_value(json_object_get(v, "t")), t);
                CHECK_INT(json_integer_value(json_object_get(v, "r")), r);
                nana_json_release(v);
                survivors++;
            }
        }
    CHECK_INT(t_int(nana_len(root)), survivors + 1);

    for (int i = 1; i < NTHREADS; i++)
        CHECK_ST(nana_close(w[i].db), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    char *raw = t_raw_value(path, "data", "bad_json_key");
    CHECK_STR(raw, "{oops");
    free(raw);
    return 0;
}
