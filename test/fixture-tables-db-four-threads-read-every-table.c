/*
 * tables.db read from four threads at once: each thread has its own handle
 * (thread 0 the root on "main", the others nana_table handles on "users",
 * "config" and another "users") and checks every manifest key of its table
 * with get and contains, submitting a window of gets before awaiting them;
 * all agree with the manifest.
 */
#include "harness.h"

#include <pthread.h>

#define NTHREADS 4

struct worker {
    nana_db_t *db;
    json_t *want;
    int failed;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    enum { WINDOW = 16 };
    nana_future_t *fs[WINDOW];
    const char *ks[WINDOW];
    size_t nf = 0;
    const char *key;
    json_t *value;
    void *iter = json_object_iter(w->want);
    for (;;) {
        if (iter) {
            key = json_object_iter_key(iter);
            ks[nf] = key;
            fs[nf++] = nana_get(w->db, key, NULL);
            iter = json_object_iter_next(w->want, iter);
        }
        if (nf == WINDOW || (!iter && nf > 0)) {
            for (size_t i = 0; i < nf; i++) {
                value = json_object_get(w->want, ks[i]);
                if (nana_future_await(fs[i]) != NANA_OK ||
                    !json_equal(nana_future_json(fs[i]), value))
                    w->failed = __LINE__;
                nana_future_free(fs[i]);
                nana_future_t *c = nana_contains(w->db, ks[i]);
                bool present = false;
                if (nana_future_await(c) != NANA_OK || nana_future_bool(c, &present) != NANA_OK ||
                    !present)
                    w->failed = __LINE__;
                nana_future_free(c);
            }
            nf = 0;
        }
        if (!iter && nf == 0)
            break;
    }
    nana_future_t *l = nana_len(w->db);
    int64_t n = -1;
    if (nana_future_await(l) != NANA_OK || nana_future_int(l, &n) != NANA_OK ||
        n != (int64_t)json_object_size(w->want))
        w->failed = __LINE__;
    nana_future_free(l);
    return NULL;
}

int main(void)
{
    json_error_t err;
    json_t *manifest = json_load_file(t_fixture_path("nanasqlite-py/manifest.json"), 0, &err);
    if (!manifest)
        t_fail(__FILE__, __LINE__, "manifest: %s", err.text);
    json_t *tables = json_object_get(manifest, "tables.db");

    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "main";
    opts.max_workers = 3;
    nana_db_t *root = NULL;
    CHECK_ST(nana_open(t_fixture("nanasqlite-py/tables.db"), &opts, &root), NANA_OK);

    const char *names[NTHREADS] = {"main", "users", "config", "users"};
    struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i].failed = 0;
        w[i].want = json_object_get(tables, names[i]);
        CHECK(json_is_object(w[i].want));
        w[i].db = root;
        if (i > 0)
            CHECK_ST(nana_table(root, names[i], &w[i].db), NANA_OK);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(th[i], NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].failed)
            t_fail(__FILE__, w[i].failed, "thread %d (%s) failed", i, names[i]);

    for (int i = 1; i < NTHREADS; i++)
        CHECK_ST(nana_close(w[i].db), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(manifest);
    return 0;
}
