/*
 * check.c -- awaiting what a thread submitted and checking each answer
 * against what the thread can know; reporting a wrong one.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak.h"

const char *const soak_table_names[SOAK_TABLES] = {"soak0", "soak1", "soak2", "soak3"};

uint64_t soak_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t soak_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(soak_rand(state) % n);
}

void soak_own_name(char *buf, size_t size, int thread, int j)
{
    /* The last key is not ASCII: key order is byte order, and it sorts last. */
    if (j == SOAK_OWN_KEYS - 1)
        snprintf(buf, size, "o%d-\xce\xb6", thread);
    else
        snprintf(buf, size, "o%d-%02d", thread, j);
}

bool soak_key_legal(const char *key, int *owner)
{
    char again[32];
    int n, used = 0;
    *owner = -1;
    if (strcmp(key, SOAK_CTR_KEY) == 0)
        return true;
    if (sscanf(key, "s-%d%n", &n, &used) == 1 && n >= 0 && n < SOAK_SHARED_KEYS) {
        snprintf(again, sizeof again, "s-%d", n);
        return strcmp(again, key) == 0;
    }
    if (sscanf(key, "o%d-%n", &n, &used) == 1 && used > 0 && n >= 0 && n < SOAK_THREADS) {
        for (int j = 0; j < SOAK_OWN_KEYS; j++) {
            soak_own_name(again, sizeof again, n, j);
            if (strcmp(again, key) == 0) {
                *owner = n;
                return true;
            }
        }
    }
    return false;
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *soak_sorted_pairs(const json_t *mirror, int64_t limit)
{
    const char *keys[SOAK_OWN_KEYS];
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)mirror, key, v) {
        if (n < SOAK_OWN_KEYS)
            keys[n++] = key;
    }
    qsort(keys, n, sizeof keys[0], by_bytes);
    json_t *out = json_array();
    for (size_t i = 0; i < n && (int64_t)i < limit; i++)
        json_array_append_new(out, json_pack("[s, O]", keys[i], json_object_get(mirror, keys[i])));
    return out;
}

struct soak_pending *soak_slot(struct soak_thread *t, const char *what, int table,
                               const char *key)
{
    struct soak_pending *p = &t->pipe[t->n_pipe++];
    memset(p, 0, sizeof *p);
    p->what = what;
    p->table = table;
    snprintf(p->key, sizeof p->key, "%s", key ? key : "");
    p->want = NANA_OK;
    return p;
}

/* ---------------------------------------------------------- reporting */

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
#define REPORTS_SHOWN 10

static char *text_of(const json_t *v)
{
    if (!v)
        return strdup("(no value)");
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 400)
        strcpy(s + 396, "...");
    return s ? s : strdup("(unprintable)");
}

void soak_report(const struct soak_thread *t, const struct soak_pending *p, const char *fmt, ...)
{
    long n = atomic_fetch_add(&soak.failures, 1);
    atomic_store(&soak.stop, true);
    if (n >= REPORTS_SHOWN)
        return;
    pthread_mutex_lock(&report_lock);
    printf("FAIL thread %d: %s", t->id, p ? p->what : "final check");
    if (p)
        printf(" of \"%s\" in %s", p->key, soak_table_names[p->table]);
    printf(": ");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (p) {
        char *got = text_of(nana_future_json(p->f)), *want = text_of(p->want_json);
        printf("\n    got %s (%s) %s\n    want %s", nana_errstr(nana_future_status(p->f)),
               nana_future_errmsg(p->f), got, nana_errstr(p->want));
        if (p->check == SC_JSON || p->check == SC_QUERY_ROWS || p->check == SC_EXEC_ROWS ||
            p->check == SC_LISTING)
            printf(" %s", want);
        if (p->check == SC_INT || p->check == SC_CHANGES)
            printf(" %lld", (long long)p->want_int);
        if (p->check == SC_BOOL)
            printf(" %s", p->want_bool ? "true" : "false");
        if (p->check == SC_RANGE)
            printf(" in [%lld, %lld]", (long long)p->lo, (long long)p->hi);
        free(got);
        free(want);
    }
    printf("\n");
    fflush(stdout);
    pthread_mutex_unlock(&report_lock);
}

/* ----------------------------------------------------------- checking */

/* [[key, value], ...] from SQL rows: objects {key, value} (query) or
 * arrays [key, value] (execute), the value JSON text.  NULL: malformed. */
static json_t *rows_as_pairs(const json_t *rows, bool objects)
{
    json_t *out = json_array(), *row;
    size_t i;
    json_array_foreach(rows, i, row) {
        json_t *k = objects ? json_object_get(row, "key") : json_array_get(row, 0);
        json_t *text = objects ? json_object_get(row, "value") : json_array_get(row, 1);
        json_t *v = json_is_string(text) ? json_loads(json_string_value(text),
                                                      JSON_DECODE_ANY, NULL)
                                         : NULL;
        if (!json_is_string(k) || !v || (objects && json_object_size(row) != 2) ||
            (!objects && json_array_size(row) != 2)) {
            json_decref(v);
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("[O, o]", k, v));
    }
    return out;
}

/* One listed row: key legal, not listed before, the thread's own exactly
 * as the mirror was, any other a value its writers make.  NULL or why. */
static const char *listed(const struct soak_thread *t, const json_t *want, json_t *seen,
                          const char *key, const json_t *v, int *own)
{
    int owner;
    if (!soak_key_legal(key, &owner))
        return "a key no thread writes";
    if (json_object_get(seen, key))
        return "a key listed twice";
    json_object_set_new(seen, key, json_true());
    if (owner == t->id) {
        json_t *mine = json_object_get(want, key);
        (*own)++;
        if (!mine)
            return "one of the thread's keys listed, which it had deleted";
        if (v && !json_equal(v, mine))
            return "one of the thread's keys with another value";
    } else if (owner < 0 && v) {
        if (strcmp(key, SOAK_CTR_KEY) == 0 ? !json_is_integer(v) : !soak_shared_valid(v))
            return "a shared key with a value no thread made";
    }
    return NULL;
}

static const char *listing_ok(const struct soak_thread *t, const json_t *want, const json_t *got,
                              const char **bad_key)
{
    json_t *seen = json_object(), *v, *item;
    const char *key, *why = NULL;
    int own = 0;
    size_t i;
    if (json_is_object(got)) {
        json_object_foreach((json_t *)got, key, v) {
            if ((why = listed(t, want, seen, key, v, &own))) {
                *bad_key = key;
                break;
            }
        }
    } else if (json_is_array(got)) {
        json_array_foreach(got, i, item) {
            json_t *k = json_is_array(item) ? json_array_get(item, 0) : item;
            v = json_is_array(item) ? json_array_get(item, 1) : NULL;
            if (!json_is_string(k) || (json_is_array(item) && json_array_size(item) != 2)) {
                why = "a malformed entry";
                break;
            }
            if ((why = listed(t, want, seen, json_string_value(k), v, &own))) {
                *bad_key = json_string_value(k);
                break;
            }
        }
    } else {
        why = "not an object or array";
    }
    if (!why && own != (int)json_object_size(want))
        why = "some of the thread's keys missing";
    json_decref(seen);
    return why;
}

static bool shared_batch_ok(const json_t *got)
{
    const char *key;
    json_t *v;
    int owner;
    if (!json_is_object(got))
        return false;
    json_object_foreach((json_t *)got, key, v) {
        if (!soak_key_legal(key, &owner) || owner >= 0 || !soak_shared_valid(v))
            return false;
    }
    return true;
}

static void check_one(struct soak_thread *t, struct soak_pending *p)
{
    nana_status_t st = nana_future_await(p->f);
    json_t *got = nana_future_json(p->f);
    int64_t n = 0;
    bool b = false;
    const char *bad_key = "";
    switch (p->check) {
    case SC_STATUS:
        if (st != p->want)
            soak_report(t, p, "wrong status");
        break;
    case SC_JSON:
        if (st != p->want || (st == NANA_OK && !json_equal(got, p->want_json)))
            soak_report(t, p, "wrong answer");
        break;
    case SC_INT:
        if (st != NANA_OK || nana_future_int(p->f, &n) != NANA_OK || n != p->want_int)
            soak_report(t, p, "wrong integer");
        break;
    case SC_BOOL:
        if (st != NANA_OK || nana_future_bool(p->f, &b) != NANA_OK || b != p->want_bool)
            soak_report(t, p, "wrong boolean");
        break;
    case SC_CHANGES:
        if (st != NANA_OK || !json_is_integer(json_object_get(got, "changes")) ||
            json_integer_value(json_object_get(got, "changes")) != p->want_int)
            soak_report(t, p, "wrong number of changes");
        break;
    case SC_QUERY_ROWS:
    case SC_EXEC_ROWS: {
        json_t *pairs = st != NANA_OK ? NULL
                        : p->check == SC_QUERY_ROWS ? rows_as_pairs(got, true)
                                                    : rows_as_pairs(json_object_get(got, "rows"),
                                                                    false);
        if (!pairs || !json_equal(pairs, p->want_json))
            soak_report(t, p, "wrong rows");
        json_decref(pairs);
        break;
    }
    case SC_SHARED_READ:
        if (!(st == NANA_ENOTFOUND || (st == NANA_OK && soak_shared_valid(got))))
            soak_report(t, p, "not a value any thread made, nor absent");
        break;
    case SC_SHARED_VALUE:
        if (st != NANA_OK || !soak_shared_valid(got))
            soak_report(t, p, "not a value any thread made");
        break;
    case SC_SHARED_GONE:
        if (st != NANA_OK && st != NANA_ENOTFOUND)
            soak_report(t, p, "wrong status");
        break;
    case SC_SHARED_CAS:
        if (st != NANA_OK || nana_future_bool(p->f, &b) != NANA_OK)
            soak_report(t, p, "not a boolean");
        break;
    case SC_SHARED_BATCH:
        if (st != NANA_OK || !shared_batch_ok(got))
            soak_report(t, p, "not an object of shared keys and values any thread made");
        break;
    case SC_COUNTER:
        if (st != NANA_OK || nana_future_int(p->f, &n) != NANA_OK || n <= t->ctr_seen[p->table]) {
            soak_report(t, p, "the counter did not grow (last seen %lld)",
                        (long long)t->ctr_seen[p->table]);
            break;
        }
        t->ctr_seen[p->table] = n;
        atomic_fetch_add(&soak.ctr_ok[p->table], 1);
        break;
    case SC_RANGE:
        if (st != NANA_OK || nana_future_int(p->f, &n) != NANA_OK || n < p->lo || n > p->hi)
            soak_report(t, p, "integer out of range");
        break;
    case SC_LISTING: {
        const char *why = st == NANA_OK ? listing_ok(t, p->want_json, got, &bad_key)
                                        : "wrong status";
        if (why)
            soak_report(t, p, "%s (\"%s\")", why, bad_key);
        break;
    }
    }
    t->ops++;
    nana_future_free(p->f);
    json_decref(p->want_json);
    p->want_json = NULL;
}

void soak_drain(struct soak_thread *t)
{
    for (int i = 0; i < t->n_pipe; i++)
        check_one(t, &t->pipe[i]);
    t->n_pipe = 0;
}
