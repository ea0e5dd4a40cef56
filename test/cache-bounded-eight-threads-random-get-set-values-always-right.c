/*
 * Eight threads run random gets, sets, deletes, contains and batch_gets on
 * bounded tables, in pipelines submitted before they are awaited: table
 * "data" (the root's, cache_max_entries 8) and table "short" (a sub-table
 * with cache_ttl_ms 2 and cache_max_bytes 1500, inherited bound 8), each
 * also through a handle of the thread's own (nana_table(root, "DATA") and
 * "SHORT": the same caches).  Every thread has keys of its own, about five
 * times the bound between them, so entries are evicted and expire all the
 * time, under the threads' pins and fills:
 *  - a read of an own key answers exactly the value this thread set last
 *    (or absence), also when submitted behind an unawaited write of it;
 *  - shared keys, written by everyone, always hold a whole value some thread
 *    wrote (a checksum member);
 * and at the end every row of the file is what its owner set last.
 * Under ThreadSanitizer, the suite's tsan run, this is the race check of
 * eviction, expiry and the sweep jobs.
 */
#include <pthread.h>

#include <sqlite3.h>

#include "harness.h"

#define THREADS 8
#define OWN 10
#define SHARED 4
#define PIPE 6

static nana_db_t *root, *short_root;
#define ROUNDS 500

struct worker {
    int id;
    uint64_t rng;
    nana_db_t *h[2][2]; /* [table][0: shared handle, 1: own handle] */
    json_t *want[2][OWN]; /* the value last set, NULL: absent */
    int seq;
};

static uint32_t next(struct worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return (uint32_t)(w->rng >> 11);
}

static json_t *value_of(int tid, int seq)
{
    return json_pack("{s:i,s:i,s:i,s:s}", "t", tid, "n", seq, "check", tid * 7919 + seq,
                     "pad", "..........................................");
}

static bool whole(const json_t *v)
{
    json_t *t = json_object_get(v, "t"), *n = json_object_get(v, "n"),
           *c = json_object_get(v, "check");
    return json_is_object(v) && json_object_size(v) == 4 && json_is_integer(t) &&
           json_is_integer(n) && json_is_integer(c) &&
           json_integer_value(c) == json_integer_value(t) * 7919 + json_integer_value(n);
}

enum kind { GET, SET, DEL, CONTAINS, BATCH_GET, GET_SHARED, SET_SHARED };

struct pending {
    enum kind kind;
    int table, key;
    json_t *want;   /* own reads: expected value (new reference), NULL: absent */
    nana_future_t *f;
};

static void own_key(char *buf, size_t size, int tid, int key)
{
    snprintf(buf, size, "t%d-k%d", tid, key);
}

static void check_one(struct worker *w, struct pending *p)
{
    nana_status_t st = nana_future_await(p->f);
    json_t *got = nana_future_json(p->f);
    bool b = false;
    switch (p->kind) {
    case GET:
        if (p->want) {
            if (st != NANA_OK || !json_equal(got, p->want))
                t_fail(__FILE__, __LINE__, "thread %d table %d key %d: get %s, want the last set",
                       w->id, p->table, p->key, t_status_name(st));
        } else if (st != NANA_ENOTFOUND) {
            t_fail(__FILE__, __LINE__, "thread %d table %d key %d: get %s, want NANA_ENOTFOUND",
                   w->id, p->table, p->key, t_status_name(st));
        }
        break;
    case CONTAINS:
        CHECK_ST(nana_future_bool(p->f, &b), NANA_OK);
        if (b != (p->want != NULL))
            t_fail(__FILE__, __LINE__, "thread %d table %d key %d: contains %d", w->id, p->table,
                   p->key, b);
        break;
    case BATCH_GET: {
        CHECK_ST(st, NANA_OK);
        char key[32];
        own_key(key, sizeof key, w->id, p->key);
        json_t *m = json_object_get(got, key);
        if (p->want ? !m || !json_equal(m, p->want) : m != NULL)
            t_fail(__FILE__, __LINE__, "thread %d table %d key %d: batch_get differs", w->id,
                   p->table, p->key);
        break;
    }
    case GET_SHARED:
        if (st != NANA_ENOTFOUND && (st != NANA_OK || !whole(got)))
            t_fail(__FILE__, __LINE__, "thread %d: shared get %s, not a whole value", w->id,
                   t_status_name(st));
        break;
    case DEL:
        if (st != (p->want ? NANA_OK : NANA_ENOTFOUND))
            t_fail(__FILE__, __LINE__, "thread %d: delete %s", w->id, t_status_name(st));
        break;
    default:
        CHECK_ST(st, NANA_OK);
        break;
    }
    json_decref(p->want);
    nana_future_free(p->f);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char key[32];
    for (int r = 0; r < ROUNDS; r++) {
        struct pending ps[PIPE];
        int n = 1 + (int)(next(w) % PIPE);
        for (int i = 0; i < n; i++) {
            struct pending *p = &ps[i];
            p->kind = (enum kind)(next(w) % 7);
            p->table = (int)(next(w) % 2);
            p->key = (int)(next(w) % OWN);
            p->want = NULL;
            nana_db_t *db = w->h[p->table][next(w) % 2];
            json_t **want = &w->want[p->table][p->key];
            own_key(key, sizeof key, w->id, p->key);
            switch (p->kind) {
            case GET:
            case CONTAINS:
                p->want = *want ? json_incref(*want) : NULL;
                p->f = p->kind == GET ? nana_get(db, key, NULL) : nana_contains(db, key);
                break;
            case BATCH_GET: {
                const char *keys[2] = {key, "s0"};
                p->want = *want ? json_incref(*want) : NULL;
                p->f = nana_batch_get(db, keys, 2);
                break;
            }
            case SET: {
                json_t *v = value_of(w->id, w->seq++);
                p->f = nana_set(db, key, v);
                json_decref(*want);
                *want = v;
                break;
            }
            case DEL:
                p->want = *want; /* exists? */
                *want = NULL;
                p->f = nana_delete(db, key);
                break;
            case GET_SHARED:
                snprintf(key, sizeof key, "s%u", next(w) % SHARED);
                p->f = nana_get(db, key, NULL);
                break;
            case SET_SHARED: {
                snprintf(key, sizeof key, "s%u", next(w) % SHARED);
                json_t *v = value_of(w->id, w->seq++);
                p->f = nana_set(db, key, v);
                json_decref(v);
                break;
            }
            }
        }
        for (int i = 0; i < n; i++)
            check_one(w, &ps[i]);
    }
    return NULL;
}

int main(void)
{
    const char *path = t_path("bounded.db");
    nana_table_options_t to;
    nana_table_options_init(&to);
    to.cache_max_entries = 8;
    nana_options_t o;
    nana_options_init(&o);
    o.max_workers = 3;
    CHECK_ST(nana_open_v3(path, &o, 0, &to, &root), NANA_OK);
    nana_table_options_init(&to);
    to.cache_ttl_ms = 2;
    to.cache_max_bytes = 1500;
    CHECK_ST(nana_table_v2(root, "short", &to, &short_root), NANA_OK);

    struct worker ws[THREADS];
    pthread_t th[THREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < THREADS; i++) {
        ws[i].id = i;
        ws[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        ws[i].h[0][0] = root;
        ws[i].h[1][0] = short_root;
        CHECK_ST(nana_table(root, "DATA", &ws[i].h[0][1]), NANA_OK);
        CHECK_ST(nana_table(root, "SHORT", &ws[i].h[1][1]), NANA_OK);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, run, &ws[i]) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    /* The file: every own key as its owner left it. */
    static const char *const tables[2] = {"data", "short"};
    for (int i = 0; i < THREADS; i++) {
        for (int t = 0; t < 2; t++) {
            for (int k = 0; k < OWN; k++) {
                char key[32];
                own_key(key, sizeof key, i, k);
                char *text = t_raw_value(path, tables[t], key);
                json_t *want = ws[i].want[t][k];
                if (!want) {
                    CHECK(text == NULL);
                } else {
                    json_t *got = text ? t_json(text) : NULL;
                    CHECK(got && json_equal(got, want));
                    json_decref(got);
                }
                free(text);
                json_decref(want);
            }
        }
        CHECK_ST(nana_close(ws[i].h[0][1]), NANA_OK);
        CHECK_ST(nana_close(ws[i].h[1][1]), NANA_OK);
    }
    for (int s = 0; s < SHARED; s++) {
        char key[16];
        snprintf(key, sizeof key, "s%d", s);
        for (int t = 0; t < 2; t++) {
            char *text = t_raw_value(path, tables[t], key);
            if (text) {
                json_t *v = t_json(text);
                CHECK(whole(v));
                json_decref(v);
            }
            free(text);
        }
    }
    CHECK_ST(nana_close(short_root), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
