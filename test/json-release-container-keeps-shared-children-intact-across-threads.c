/*
 * nana_json_release() of a container whose children are shared elsewhere
 * frees what only it held and leaves the shared children whole: a cached
 * value (the cache's reference) put into caller-made objects and arrays,
 * members whose names hold a NUL byte included, survives their release
 * unchanged and is still what nana_get answers.  Four threads build and
 * release such containers around the same cached value while four others
 * read it, so that ThreadSanitizer sees each last reference die after the
 * decrements that came before it.
 */
#include <pthread.h>

#include "harness.h"

#define THREADS 4
#define ROUNDS 2000

static nana_db_t *db;
static const char *stored = "{\"name\":\"Nana\",\"tags\":[\"a\",{\"deep\":[1,2,3]}],\"n\":7}";

static json_t *cached_value(void)
{
    /* The cache's value, by reference (a hit takes no copy). */
    nana_future_t *f = nana_get(db, "shared", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    json_t *v = nana_future_take_json(f);
    CHECK(v != NULL);
    nana_future_free(f);
    return v;
}

static void *builder(void *arg)
{
    (void)arg;
    json_t *want = json_loads(stored, 0, NULL);
    for (int i = 0; i < ROUNDS; i++) {
        /* References of our own to hand over: jansson's json_incref() reads
         * the count without an atomic load, so the threads never call it. */
        json_t *in_obj = cached_value(), *in_arr = cached_value(), *kept = cached_value();
        json_t *obj = json_object(), *arr = json_array();
        CHECK(obj && arr);
        /* A member name with a NUL byte: released by slot, not by name. */
        CHECK(json_object_setn_new(obj, "x\0y", 3, in_obj) == 0);
        CHECK(json_object_set_new(obj, "own", json_pack("{s:[i,i]}", "k", i, i)) == 0);
        CHECK(json_array_append_new(arr, json_string("mine")) == 0);
        CHECK(json_array_append_new(arr, in_arr) == 0); /* a level down */
        CHECK(json_object_set_new(obj, "list", arr) == 0);
        nana_json_release(obj);
        CHECK(json_equal(kept, want));
        nana_json_release(kept);
    }
    json_decref(want);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    json_t *want = json_loads(stored, 0, NULL);
    for (int i = 0; i < ROUNDS; i++) {
        json_t *v = cached_value();
        CHECK(json_equal(v, want));
        nana_json_release(v);
    }
    json_decref(want);
    return NULL;
}

int main(void)
{
    db = t_open("t.db", NULL);
    CHECK_ST(t_wait(t_set_async(db, "shared", stored)), NANA_OK);
    SAME(nana_get(db, "shared", NULL), stored); /* cached now */

    /* One thread first: the shared value is whole after its containers go. */
    json_t *v = cached_value();
    json_t *obj = json_object();
    CHECK(json_object_setn(obj, "a\0b", 3, v) == 0);
    CHECK(json_object_setn(obj, "a\0c", 3, json_object_get(v, "tags")) == 0);
    nana_json_release(obj);
    SAME(nana_get(db, "shared", NULL), stored);
    nana_json_release(v);

    pthread_t th[2 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&th[2 * i], NULL, builder, NULL) == 0);
        CHECK(pthread_create(&th[2 * i + 1], NULL, reader, NULL) == 0);
    }
    for (int i = 0; i < 2 * THREADS; i++)
        pthread_join(th[i], NULL);
    SAME(nana_get(db, "shared", NULL), stored);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
