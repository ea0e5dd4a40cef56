/*
 * A before_write hook's replacement is what gets stored (the file), cached
 * (a get answers it without SQLite) and returned where the call returns the
 * value: set, update, batch_update, setdefault, increment (value and
 * member), increment_real, patch and compare_and_set, outside and inside a
 * transaction.  The library keeps a copy: the hook changing its value
 * afterwards changes nothing stored.  A replacement that is not JSON text,
 * or a status that is no failure, is NANA_EINVAL with nothing written; in a
 * group-commit batch a refusal fails its own write only.
 */
#include "harness.h"

/* The last replacement handed over, changed at the next call. */
static json_t *kept_last;

static json_t *times_ten(json_t *v)
{
    if (json_is_integer(v))
        return json_integer(json_integer_value(v) * 10);
    if (json_is_real(v))
        return json_real(json_real_value(v) * 10.0);
    if (json_is_object(v) && json_is_integer(json_object_get(v, "n"))) {
        json_t *copy = json_deep_copy(v);
        json_object_set_new(copy, "n", json_integer(json_integer_value(json_object_get(v, "n")) * 10));
        return copy;
    }
    return NULL;
}

/* wrap*: {"orig": value, "by": "hook"}; num*: numbers (and member "n")
 * times ten; bad: a string that is not UTF-8; weird / pending: statuses
 * that are no failure; refuse*: NANA_ERANGE. */
static nana_status_t rewrite(void *arg, const char *key, json_t *value, json_t **repl, char *msg,
                             size_t size)
{
    (void)arg;
    if (kept_last) {
        json_object_set_new(kept_last, "mutated", json_true());
        json_decref(kept_last);
        kept_last = NULL;
    }
    if (strncmp(key, "wrap", 4) == 0) {
        *repl = json_pack("{s:O,s:s}", "orig", value, "by", "hook");
        kept_last = json_incref(*repl);
    } else if (strncmp(key, "num", 3) == 0) {
        *repl = times_ten(value);
    } else if (strcmp(key, "bad") == 0) {
        *repl = json_stringn_nocheck("\xff", 1);
    } else if (strcmp(key, "weird") == 0) {
        snprintf(msg, size, "odd");
        return (nana_status_t)999;
    } else if (strcmp(key, "pending") == 0) {
        return NANA_PENDING;
    } else if (strncmp(key, "refuse", 6) == 0) {
        return NANA_ERANGE;
    }
    return NANA_OK;
}

/* Outside (reader NULL): key's value in the file and from db's cache
 * (cached: answered without a job) both equal want.  Inside a transaction:
 * what its view reader reads (the file has it only after COMMIT). */
static void check_stored(const char *path, nana_db_t *db, nana_db_t *reader, const char *key,
                         const char *want, bool cached)
{
    json_t *got, *w = t_json(want);
    if (!reader) {
        char *raw = t_raw_value(path, "data", key);
        if (!raw)
            t_fail(__FILE__, __LINE__, "%s is not in the file", key);
        got = t_json(raw);
        if (!json_equal(got, w))
            t_fail(__FILE__, __LINE__, "file holds %s for %s, want %s", raw, key, want);
        free(raw);
        json_decref(got);
        if (cached)
            CHECK(t_bool(nana_is_cached(db, key)));
    }
    nana_future_t *f = nana_get(reader ? reader : db, key, NULL);
    if (cached && !reader)
        CHECK(nana_future_poll(f)); /* a cache hit resolves at once */
    got = t_take(f, NANA_OK);
    if (!json_equal(got, w))
        t_fail(__FILE__, __LINE__, "get answers otherwise for %s", key);
    json_decref(got);
    json_decref(w);
}

static void expect_result(nana_future_t *f, const char *want)
{
    json_t *v = t_take(f, NANA_OK), *w = t_json(want);
    if (!json_equal(v, w)) {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        t_fail(__FILE__, __LINE__, "result %s, want %s", text ? text : "(none)", want);
    }
    json_decref(v);
    json_decref(w);
}

/* Every path on handle on; reader NULL: outside, reads check the cache. */
static void every_path(const char *path, nana_db_t *db, nana_db_t *on, nana_db_t *reader,
                       const char *sfx)
{
    char k[8][32];
    const char *names[] = {"wrap_set", "wrap_up", "num_up", "wrap_bu", "wrap_sd", "num_inc",
                           "num_obj", "num_real"};
    for (int i = 0; i < 8; i++)
        snprintf(k[i], sizeof k[i], "%s%s", names[i], sfx);

    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(on, k[0], v)), NANA_OK);
    json_decref(v);

    json_t *o = json_object();
    json_object_set_new(o, k[1], json_string("x"));
    json_object_set_new(o, k[2], json_integer(3));
    CHECK_ST(t_wait(nana_update(on, o)), NANA_OK);
    json_decref(o);
    o = json_object();
    json_object_set_new(o, k[3], json_true());
    CHECK_ST(t_wait(nana_batch_update(on, o)), NANA_OK);
    json_decref(o);

    v = json_integer(5);
    expect_result(nana_setdefault(on, k[4], v), "{\"orig\":5,\"by\":\"hook\"}");
    json_decref(v);
    /* Present now: setdefault returns what is stored, asking no hook. */
    v = json_integer(6);
    expect_result(nana_setdefault(on, k[4], v), "{\"orig\":5,\"by\":\"hook\"}");
    json_decref(v);

    expect_result(nana_increment(on, k[5], NULL, 2), "20");   /* 0 + 2, times ten */
    expect_result(nana_increment(on, k[5], NULL, 1), "210");  /* 20 + 1, times ten */
    expect_result(nana_increment(on, k[6], "n", 1), "10");    /* {"n":1} -> {"n":10} */
    expect_result(nana_increment_real(on, k[7], NULL, 0.5), "5.0");

    char pk[32], ck[32];
    snprintf(pk, sizeof pk, "wrap_patch%s", sfx);
    snprintf(ck, sizeof ck, "wrap_cas%s", sfx);
    json_t *c = t_json("{\"a\":1}");
    expect_result(nana_patch(on, pk, c, true), "{\"orig\":{\"a\":1},\"by\":\"hook\"}");
    json_decref(c);
    v = json_integer(9);
    CHECK(t_bool(nana_compare_and_set(on, ck, NULL, v)));
    json_decref(v);

    {
        check_stored(path, db, reader, k[0], "{\"orig\":1,\"by\":\"hook\"}", true);
        check_stored(path, db, reader, k[1], "{\"orig\":\"x\",\"by\":\"hook\"}", false);
        check_stored(path, db, reader, k[2], "30", false);
        check_stored(path, db, reader, k[3], "{\"orig\":true,\"by\":\"hook\"}", false);
        check_stored(path, db, reader, k[4], "{\"orig\":5,\"by\":\"hook\"}", true);
        check_stored(path, db, reader, k[5], "210", true);
        check_stored(path, db, reader, k[6], "{\"n\":10}", true);
        check_stored(path, db, reader, k[7], "5.0", true);
        check_stored(path, db, reader, pk, "{\"orig\":{\"a\":1},\"by\":\"hook\"}", true);
        check_stored(path, db, reader, ck, "{\"orig\":9,\"by\":\"hook\"}", true);
    }
}

int main(void)
{
    const char *path = t_path("repl.db");
    nana_db_t *db = t_open("repl.db", NULL);
    nana_hooks_t hooks = {.before_write = rewrite};
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);

    every_path(path, db, db, NULL, "");

    /* Inside a transaction: the view reads what it wrote; after COMMIT the
     * file and the cache hold the replacements. */
    nana_txn_t *txn;
    CHECK_ST(t_wait(nana_txn_begin(db, NULL, &txn)), NANA_OK);
    nana_db_t *view = nana_txn_db(txn, db);
    every_path(path, db, view, view, "_t");
    CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
    nana_txn_free(txn);
    check_stored(path, db, NULL, "wrap_set_t", "{\"orig\":1,\"by\":\"hook\"}", true);
    check_stored(path, db, NULL, "num_up_t", "30", false);
    check_stored(path, db, NULL, "num_inc_t", "210", true);
    check_stored(path, db, NULL, "wrap_patch_t", "{\"orig\":{\"a\":1},\"by\":\"hook\"}", true);

    /* Nothing stored is what the hook changed after handing it over. */
    json_t *all = t_take(nana_to_dict(db), NANA_OK);
    const char *key;
    json_t *value;
    json_object_foreach(all, key, value)
        CHECK(!json_is_object(value) || !json_object_get(value, "mutated"));
    json_decref(all);

    /* Refusals: not JSON text, statuses that are no failure. */
    json_t *v = json_integer(1);
    nana_future_t *f = nana_set(db, "bad", v);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(strstr(nana_future_errmsg(f), "before_write") != NULL);
    nana_future_free(f);
    f = nana_set(db, "weird", v);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(strstr(nana_future_errmsg(f), "999") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "odd") != NULL);
    nana_future_free(f);
    f = nana_set(db, "pending", v);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    nana_future_free(f);
    for (const char *const *k = (const char *const[]){"bad", "weird", "pending", NULL}; *k; k++) {
        CHECK(t_raw_value(path, "data", *k) == NULL);
        CHECK_ST(t_wait(nana_get(db, *k, NULL)), NANA_ENOTFOUND);
    }

    /* A group-commit batch: submitted together, the refusal fails alone. */
    nana_future_t *fs[9];
    for (int i = 0; i < 9; i++) {
        char k[32];
        snprintf(k, sizeof k, i % 3 == 1 ? "refuse%d" : "wrap_batch%d", i);
        fs[i] = nana_set(db, k, v);
    }
    for (int i = 0; i < 9; i++) {
        char k[32];
        snprintf(k, sizeof k, i % 3 == 1 ? "refuse%d" : "wrap_batch%d", i);
        CHECK_ST(nana_future_await(fs[i]), i % 3 == 1 ? NANA_ERANGE : NANA_OK);
        nana_future_free(fs[i]);
        if (i % 3 == 1) {
            CHECK(t_raw_value(path, "data", k) == NULL);
            CHECK_ST(t_wait(nana_get(db, k, NULL)), NANA_ENOTFOUND);
        } else {
            check_stored(path, db, NULL, k, "{\"orig\":1,\"by\":\"hook\"}", true);
        }
    }
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(kept_last);
    return 0;
}
