/*
 * verify.c -- the parent's side: what the file held when the round began,
 * what the round submitted and acknowledged, and the check of the file
 * after the kill.
 *
 * Per thread, the file must hold the effect of exactly a prefix of the
 * thread's submissions: the root runs operations in submission order and
 * SQLite's commits survive as a prefix, so a later write of a thread can
 * only be in the file with every earlier one.  The prefix is found from
 * the file itself (the latest submission whose value a key holds, or whose
 * increment the counter counts), every key must then hold what replaying
 * that prefix gives, and every acknowledged submission must lie inside it.
 * The shared counter must count every shared increment inside the
 * prefixes, and no more than those that could be just after them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crash.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

void crash_state_init(struct crash_state *s)
{
    memset(s, 0, sizeof *s);
    for (int t = 0; t < CRASH_THREADS; t++)
        s->next_seq[t] = 1;
}

void crash_state_free(struct crash_state *s)
{
    for (int t = 0; t < CRASH_THREADS; t++)
        free(s->subs[t]);
}

void crash_state_start(const struct crash_state *s, uint64_t seed, struct crash_start *out)
{
    memset(out, 0, sizeof *out);
    for (int t = 0; t < CRASH_THREADS; t++) {
        out->own_count[t] = s->own_count[t];
        out->first_seq[t] = s->next_seq[t];
    }
    out->shared_count = s->shared_count;
    out->seed = seed;
}

bool crash_state_record(struct crash_state *s, const struct crash_rec *r, char **why)
{
    int t = r->thread;
    if (t >= CRASH_THREADS) {
        *why = fmt("record from thread %d", t);
        return false;
    }
    int64_t idx = r->seq - s->next_seq[t];
    if (r->kind == CRASH_REC_SUBMIT) {
        if (idx != (int64_t)s->n_subs[t] || r->op >= CRASH_OP_COUNT) {
            *why = fmt("thread %d submitted seq %lld (op %d), want seq %lld", t,
                       (long long)r->seq, r->op,
                       (long long)(s->next_seq[t] + (int64_t)s->n_subs[t]));
            return false;
        }
        if (s->n_subs[t] == s->cap_subs[t]) {
            s->cap_subs[t] = s->cap_subs[t] ? 2 * s->cap_subs[t] : 256;
            s->subs[t] = realloc(s->subs[t], s->cap_subs[t] * sizeof *s->subs[t]);
            if (!s->subs[t]) {
                *why = fmt("out of memory");
                return false;
            }
        }
        struct crash_sub *sub = &s->subs[t][s->n_subs[t]++];
        *sub = (struct crash_sub){.seq = r->seq, .op = r->op};
        memcpy(sub->keys, r->keys, sizeof sub->keys);
        return true;
    }
    if (r->kind == CRASH_REC_ACK) {
        if (idx < 0 || idx >= (int64_t)s->n_subs[t] || s->subs[t][idx].acked) {
            *why = fmt("thread %d acknowledged seq %lld, %s", t, (long long)r->seq,
                       idx >= 0 && idx < (int64_t)s->n_subs[t] ? "twice" : "never submitted");
            return false;
        }
        s->subs[t][idx].acked = true;
        return true;
    }
    *why = fmt("unexpected record kind %d", r->kind);
    return false;
}

void crash_state_counts(const struct crash_state *s, long *submitted, long *acked)
{
    *submitted = *acked = 0;
    for (int t = 0; t < CRASH_THREADS; t++) {
        *submitted += (long)s->n_subs[t];
        for (size_t i = 0; i < s->n_subs[t]; i++)
            *acked += s->subs[t][i].acked;
    }
}

/* ------------------------------------------------------ reading the file */

struct found {
    int64_t key_seq[CRASH_THREADS][CRASH_TABLES][CRASH_KEYS];
    int64_t own_count[CRASH_THREADS];
    int64_t shared_count;
    long rows;
};

/* Sorts one row of table tb into f; NULL, or why it is not a row any
 * writer could have made. */
static char *take_row(struct found *f, int tb, const char *key, const json_t *v)
{
    int t, k, used = 0;
    char again[32];
    f->rows++;
    if (sscanf(key, "w%d-%d%n", &t, &k, &used) == 2 && t >= 0 && t < CRASH_THREADS && k >= 0 &&
        k < CRASH_KEYS) {
        crash_key(again, sizeof again, t, k);
        if (strcmp(again, key) == 0) {
            int64_t seq = crash_value_seq(v, t, tb, k);
            if (seq == 0)
                return fmt("%s.%s holds a value no writer makes for it", crash_table_names[tb],
                           key);
            f->key_seq[t][tb][k] = seq;
            return NULL;
        }
    }
    if (tb == 0 && sscanf(key, "n%d%n", &t, &used) == 1 && t >= 0 && t < CRASH_THREADS) {
        crash_counter_key(again, sizeof again, t);
        json_t *n = json_object_get(v, "n");
        if (strcmp(again, key) == 0 && json_object_size(v) == 1 && json_is_integer(n)) {
            f->own_count[t] = json_integer_value(n);
            return NULL;
        }
    }
    if (tb == CRASH_SHARED_TABLE && strcmp(key, CRASH_SHARED_KEY) == 0 && json_is_integer(v)) {
        f->shared_count = json_integer_value(v);
        return NULL;
    }
    return fmt("%s holds an unexpected row \"%s\"", crash_table_names[tb], key);
}

/* Reads every table through the library, as a user reopening the file
 * would (the first open after the kill recovers the WAL). */
static char *read_file(const char *path, struct found *f)
{
    memset(f, 0, sizeof *f);
    nana_db_t *root = NULL;
    if (nana_open(path, NULL, &root) != NANA_OK) {
        char *why = fmt("reopen: %s", nana_db_errmsg(root));
        nana_close(root);
        return why;
    }
    char *why = NULL;
    for (int tb = 0; tb < CRASH_TABLES && !why; tb++) {
        nana_db_t *h = root;
        if (tb > 0 && nana_table(root, crash_table_names[tb], &h) != NANA_OK) {
            why = fmt("nana_table(%s): %s", crash_table_names[tb], nana_db_errmsg(h));
            break;
        }
        nana_future_t *fu = nana_to_dict(h);
        if (nana_future_await(fu) != NANA_OK) {
            why = fmt("to_dict(%s): %s", crash_table_names[tb], nana_future_errmsg(fu));
        } else {
            const char *key;
            json_t *v;
            json_object_foreach(nana_future_json(fu), key, v) {
                if ((why = take_row(f, tb, key, v)))
                    break;
            }
        }
        nana_future_free(fu);
        if (h != root)
            nana_close(h);
    }
    if (nana_close(root) != NANA_OK && !why)
        why = fmt("close after reading failed");
    return why;
}

static char *integrity(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *why = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        why = fmt("integrity_check: %s", sqlite3_errmsg(db));
    } else if (sqlite3_step(st) != SQLITE_ROW ||
               strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        why = fmt("integrity_check: %s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return why;
}

/* ------------------------------------------------------------ the check */

static bool writes(const struct crash_sub *sub, int tb, int k)
{
    return (sub->keys[tb] & 1u << k) != 0;
}

static char *describe(const struct crash_sub *sub, int t, size_t idx)
{
    char keys[400] = "";
    size_t len = 0;
    for (int tb = 0; tb < CRASH_TABLES; tb++)
        for (int k = 0; k < CRASH_KEYS && len < sizeof keys - 40; k++)
            if (sub->keys[tb] & 1u << k)
                len += (size_t)snprintf(keys + len, sizeof keys - len, "%s%s.w%d-%d",
                                        len ? "," : " of ", crash_table_names[tb], t, k);
    return fmt("#%zu seq %lld (%s%s%s)", idx, (long long)sub->seq, crash_op_names[sub->op], keys,
               sub->acked ? ", acknowledged" : "");
}

/* One thread: its prefix P (out), and the range of shared increments it
 * can account for.  NULL, or what is wrong. */
static char *check_thread(const struct crash_state *s, const struct found *f, int t,
                          int64_t *shared_lo, int64_t *shared_hi)
{
    const struct crash_sub *subs = s->subs[t];
    size_t n = s->n_subs[t], prefix = 0;
    int64_t first = s->next_seq[t];

    /* The latest submission the file shows. */
    for (int tb = 0; tb < CRASH_TABLES; tb++)
        for (int k = 0; k < CRASH_KEYS; k++) {
            int64_t got = f->key_seq[t][tb][k];
            if (got == s->key_seq[t][tb][k])
                continue;
            int64_t idx = got - first;
            if (got == 0 || idx < 0 || idx >= (int64_t)n || !writes(&subs[idx], tb, k))
                return fmt("thread %d: %s.w%d-%d holds seq %lld, which no submission of this "
                           "round wrote there (before the round: seq %lld; first seq %lld, "
                           "%zu submitted)",
                           t, crash_table_names[tb], t, k, (long long)got,
                           (long long)s->key_seq[t][tb][k], (long long)first, n);
            if ((size_t)idx + 1 > prefix)
                prefix = (size_t)idx + 1;
        }
    int64_t incr = f->own_count[t] - s->own_count[t];
    if (incr < 0)
        return fmt("thread %d: its counter went back from %lld to %lld", t,
                   (long long)s->own_count[t], (long long)f->own_count[t]);
    if (incr > 0) {
        int64_t seen = 0;
        size_t i = 0;
        for (; i < n && seen < incr; i++)
            seen += subs[i].op == CRASH_INCR_OWN;
        if (seen < incr)
            return fmt("thread %d: its counter is %lld, %lld increments more than before the "
                       "round, but only %lld were submitted",
                       t, (long long)f->own_count[t], (long long)incr, (long long)seen);
        if (i > prefix)
            prefix = i;
    }

    /* Replaying the prefix must give the file. */
    int64_t want_count = s->own_count[t];
    for (size_t i = 0; i < prefix; i++)
        want_count += subs[i].op == CRASH_INCR_OWN;
    if (want_count != f->own_count[t])
        return fmt("thread %d: counter %lld, want %lld: the file shows submission #%zu but "
                   "not every increment before it",
                   t, (long long)f->own_count[t], (long long)want_count, prefix - 1);
    for (int tb = 0; tb < CRASH_TABLES; tb++)
        for (int k = 0; k < CRASH_KEYS; k++) {
            int64_t want = s->key_seq[t][tb][k];
            size_t last = n;
            for (size_t i = 0; i < prefix; i++)
                if (writes(&subs[i], tb, k)) {
                    want = subs[i].seq;
                    last = i;
                }
            if (want == f->key_seq[t][tb][k])
                continue;
            /* A key that differs from its state before the round holds a
             * write inside the prefix (the first loop saw to it), so
             * subs[last] is one. */
            char *lost = describe(&subs[last], t, last);
            char *later = describe(&subs[prefix - 1], t, prefix - 1);
            char *why = fmt("thread %d: %s.w%d-%d holds seq %lld, want %lld: submission %s is "
                            "missing while the later %s is in the file",
                            t, crash_table_names[tb], t, k, (long long)f->key_seq[t][tb][k],
                            (long long)want, lost, later);
            free(lost);
            free(later);
            return why;
        }

    /* Every acknowledged submission is inside the prefix; a shared
     * increment may also lie in the run of shared increments right after
     * it (they show nowhere but in the sum). */
    size_t open_end = prefix;
    while (open_end < n && !crash_op_own_visible(subs[open_end].op))
        open_end++;
    size_t shared_must = prefix;
    for (size_t i = 0; i < n; i++) {
        if (!subs[i].acked)
            continue;
        bool own = crash_op_own_visible(subs[i].op);
        if ((own && i >= prefix) || i >= open_end) {
            char *lost = describe(&subs[i], t, i);
            char *why = fmt("thread %d: acknowledged write lost: %s; the file holds this "
                            "thread's first %zu submissions of %zu",
                            t, lost, prefix, n);
            free(lost);
            return why;
        }
        if (!own && i + 1 > shared_must)
            shared_must = i + 1;
    }
    *shared_lo = *shared_hi = 0;
    for (size_t i = 0; i < open_end; i++) {
        if (subs[i].op != CRASH_INCR_SHARED)
            continue;
        *shared_hi += 1;
        if (i < shared_must)
            *shared_lo += 1;
    }
    return NULL;
}

bool crash_state_verify(struct crash_state *s, const char *path, char **why)
{
    static struct found f;
    if ((*why = read_file(path, &f)) || (*why = integrity(path)))
        return false;
    int64_t lo = 0, hi = 0;
    for (int t = 0; t < CRASH_THREADS; t++) {
        int64_t tlo = 0, thi = 0;
        if ((*why = check_thread(s, &f, t, &tlo, &thi)))
            return false;
        lo += tlo;
        hi += thi;
    }
    int64_t got = f.shared_count - s->shared_count;
    if (got < lo || got > hi) {
        *why = fmt("shared counter %lld: it was %lld before the round, and the threads' "
                   "prefixes account for %lld to %lld increments since",
                   (long long)f.shared_count, (long long)s->shared_count, (long long)lo,
                   (long long)hi);
        return false;
    }

    /* The file is the new verified state. */
    long submitted, acked;
    crash_state_counts(s, &submitted, &acked);
    s->acks_verified += acked;
    s->rows_verified += f.rows;
    memcpy(s->key_seq, f.key_seq, sizeof s->key_seq);
    memcpy(s->own_count, f.own_count, sizeof s->own_count);
    s->shared_count = f.shared_count;
    for (int t = 0; t < CRASH_THREADS; t++) {
        s->next_seq[t] += (int64_t)s->n_subs[t];
        s->n_subs[t] = 0;
    }
    return true;
}
