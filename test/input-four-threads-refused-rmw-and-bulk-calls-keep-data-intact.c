/*
 * Four threads at once, each on a handle of its own, alternate valid
 * read-modify-writes on keys of their own with refused calls of every new
 * function: increments of a string, of an object without a member, past
 * INT64_MAX and by a non-finite real (NANA_ETYPE, NANA_ERANGE, NANA_EINVAL),
 * a patch with an array or into a number (NANA_ETYPE) or of a missing key
 * without create (NANA_ENOTFOUND), compare-and-set of a row that is not
 * JSON (NANA_ETYPE), NULL handles, keys, arrays and prefixes, keys, fields
 * and bounds that are not UTF-8, negative limits, table names that are not
 * identifiers, imports of non-arrays (NANA_EINVAL / NANA_ETYPE).  Every
 * refused call fails with its status and a message and no value; every
 * valid one succeeds; afterwards each thread's keys hold exactly what its
 * valid calls computed, and the rows the refused calls aimed at are the
 * same bytes as before.
 */
#include <math.h>
#include <pthread.h>

#include "harness.h"

#define NTHREADS 4
#define ROUNDS 40

static const char *path;
static nana_db_t *root;

struct worker {
    nana_db_t *db;
    int id;
    int failed;
};

static void expect(struct worker *w, nana_future_t *f, nana_status_t want, int line)
{
    nana_status_t st = nana_future_await(f);
    if ((st != want || (st != NANA_OK && (!*nana_future_errmsg(f) || nana_future_json(f)))) &&
        !w->failed) {
        fprintf(stderr, "line %d: %s (%s), want %s\n", line, t_status_name(st),
                nana_future_errmsg(f), t_status_name(want));
        w->failed = line;
    }
    nana_future_free(f);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char ctr[32], obj[32];
    snprintf(ctr, sizeof ctr, "ctr%d", w->id);
    snprintf(obj, sizeof obj, "obj%d", w->id);
    json_t *arr = json_pack("[i]", w->id), *one = json_integer(1), *ch = json_pack("{s:i}", "p", 1);
    json_t *notarr = json_object();
    const char *with_null[] = {"s", NULL}, *bad_utf8[] = {"s", "\xc3\x28"};
    for (int r = 0; r < ROUNDS && !w->failed; r++) {
        expect(w, nana_increment(w->db, ctr, NULL, 2), NANA_OK, __LINE__);
        expect(w, nana_increment(w->db, obj, "n", 1), NANA_OK, __LINE__);
        expect(w, nana_patch(w->db, obj, ch, false), NANA_OK, __LINE__);

        expect(w, nana_increment(w->db, "s", NULL, 1), NANA_ETYPE, __LINE__);
        expect(w, nana_increment(w->db, "fixed", NULL, 1), NANA_ETYPE, __LINE__);
        expect(w, nana_increment(w->db, "fixed", "s", 1), NANA_ETYPE, __LINE__);
        expect(w, nana_increment(w->db, "max", NULL, 1), NANA_ERANGE, __LINE__);
        expect(w, nana_increment(w->db, "min", NULL, -1), NANA_ERANGE, __LINE__);
        expect(w, nana_increment_real(w->db, "n", NULL, NAN), NANA_EINVAL, __LINE__);
        expect(w, nana_increment_real(w->db, "huge", NULL, 1e308), NANA_ERANGE, __LINE__);
        expect(w, nana_increment(NULL, "n", NULL, 1), NANA_EINVAL, __LINE__);
        expect(w, nana_increment(w->db, NULL, NULL, 1), NANA_EINVAL, __LINE__);
        expect(w, nana_increment(w->db, "n", "\xff", 1), NANA_EINVAL, __LINE__);
        expect(w, nana_patch(w->db, "fixed", arr, true), NANA_ETYPE, __LINE__);
        expect(w, nana_patch(w->db, "n", ch, true), NANA_ETYPE, __LINE__);
        expect(w, nana_patch(w->db, "nowhere", ch, false), NANA_ENOTFOUND, __LINE__);
        expect(w, nana_patch(w->db, "fixed", NULL, true), NANA_EINVAL, __LINE__);
        expect(w, nana_compare_and_set(w->db, "junk", one, one), NANA_ETYPE, __LINE__);
        expect(w, nana_compare_and_set(w->db, "\xed\xa0\x80", NULL, one), NANA_EINVAL, __LINE__);
        expect(w, nana_compare_and_set(NULL, "n", one, one), NANA_EINVAL, __LINE__);
        expect(w, nana_batch_get(w->db, with_null, 2), NANA_EINVAL, __LINE__);
        expect(w, nana_batch_get(w->db, bad_utf8, 2), NANA_EINVAL, __LINE__);
        expect(w, nana_batch_get(w->db, NULL, 1), NANA_EINVAL, __LINE__);
        expect(w, nana_scan_prefix(w->db, NULL, 1), NANA_EINVAL, __LINE__);
        expect(w, nana_scan_prefix(w->db, "a", -1), NANA_EINVAL, __LINE__);
        expect(w, nana_scan_range(w->db, "\xf8", NULL, 1), NANA_EINVAL, __LINE__);
        expect(w, nana_export_table_to_dict(w->db, "no such"), NANA_EINVAL, __LINE__);
        expect(w, nana_import_from_dict_list(w->db, "data", notarr), NANA_ETYPE, __LINE__);
        expect(w, nana_import_from_dict_list(w->db, "da-ta", arr), NANA_EINVAL, __LINE__);
        nana_cursor_t *c = (nana_cursor_t *)w;
        if (nana_cursor_open(w->db, NULL, "\x80", 1, &c) != NANA_EINVAL || c != NULL)
            w->failed = __LINE__;
    }
    json_decref(arr);
    json_decref(one);
    json_decref(ch);
    json_decref(notarr);
    return NULL;
}

int main(void)
{
    json_object_seed(0);
    path = t_path("refused.db");
    root = t_open("refused.db", NULL);
    t_set_json(root, "s", "\"text\"");
    t_set_json(root, "fixed", "{\"s\":\"x\",\"k\":[1,2]}");
    t_set_json(root, "max", "9223372036854775807");
    t_set_json(root, "min", "-9223372036854775808");
    t_set_json(root, "huge", "1.5e308");
    t_set_json(root, "n", "3");
    t_raw_put(path, "junk", "{not json");
    static const char *const watched[] = {"s", "fixed", "max", "min", "huge", "n", "junk"};
    char *before[7];
    for (int i = 0; i < 7; i++)
        before[i] = t_raw_value(path, "data", watched[i]);

    pthread_t th[NTHREADS];
    struct worker ws[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        ws[t] = (struct worker){NULL, t, 0};
        CHECK_ST(nana_table(root, "data", &ws[t].db), NANA_OK);
        CHECK(pthread_create(&th[t], NULL, run, &ws[t]) == 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        if (ws[t].failed)
            t_fail(__FILE__, ws[t].failed, "thread %d", t);
    }
    for (int t = 0; t < NTHREADS; t++) {
        char key[32];
        snprintf(key, sizeof key, "ctr%d", t);
        CHECK_INT(t_int(nana_get_fresh(root, key, NULL)), 2 * ROUNDS);
        snprintf(key, sizeof key, "obj%d", t);
        char *raw = t_raw_value(path, "data", key);
        CHECK_STR(raw, "{\"n\":40,\"p\":1}");
        free(raw);
        CHECK_ST(nana_close(ws[t].db), NANA_OK);
    }
    CHECK_ST(nana_close(root), NANA_OK);
    for (int i = 0; i < 7; i++) {
        char *after = t_raw_value(path, "data", watched[i]);
        if (!before[i] || !after || strcmp(before[i], after) != 0)
            t_fail(__FILE__, __LINE__, "row %s changed: %s -> %s", watched[i],
                   before[i] ? before[i] : "(none)", after ? after : "(none)");
        free(after);
        free(before[i]);
    }
    CHECK(t_raw_value(path, "data", "nowhere") == NULL);
    CHECK_INT(t_raw_int(path, "SELECT count(*) FROM data"), 7 + 2 * NTHREADS);
    return 0;
}
