/*
 * Every dict write path asks the table's hooks, and a refusal fails that
 * call alone with the hook's status and message, leaving file and cache as
 * they were: set, update, batch_update, setdefault (only when it stores),
 * pop and delete (only for a stored key), batch_delete, clear, increment,
 * increment_real, patch, compare_and_set (when it writes or deletes) and
 * set_model -- each asserted on its own, outside and inside a transaction
 * (where only the refused operation fails: the transaction goes on and
 * commits).  Paths that must not ask a hook are asserted not to.
 * NanaSQLite shipped five bugs where one path skipped its hooks.
 */
#include "harness.h"

#include <stdatomic.h>

enum hook { ASKS_WRITE, ASKS_DELETE, ASKS_NONE };

static atomic_int n_writes, n_deletes, n_commits;
static char last_key[64];

/* Refuses every write but of "txn_ok", and every delete. */
static nana_status_t refuse_write(void *arg, const char *key, json_t *value, json_t **repl,
                                  char *msg, size_t size)
{
    (void)arg;
    (void)repl;
    CHECK(value != NULL);
    if (strcmp(key, "txn_ok") == 0)
        return NANA_OK;
    atomic_fetch_add(&n_writes, 1);
    snprintf(last_key, sizeof last_key, "%s", key);
    snprintf(msg, size, "writing %s is not allowed", key);
    return NANA_ERANGE;
}

static nana_status_t refuse_delete(void *arg, const char *key, char *msg, size_t size)
{
    (void)arg;
    atomic_fetch_add(&n_deletes, 1);
    snprintf(last_key, sizeof last_key, "%s", key);
    snprintf(msg, size, "deleting %s is not allowed", key);
    return NANA_ECANCELED;
}

static void count_commit(void *arg, const char *const *keys, const bool *deleted, size_t n)
{
    (void)arg;
    (void)deleted;
    /* Only txn_ok is ever written. */
    for (size_t i = 0; i < n; i++)
        CHECK_STR(keys[i], "txn_ok");
    atomic_fetch_add(&n_commits, 1);
}

struct point { int64_t x; };
static const nana_field_t point_fields[] = {NANA_FIELD(struct point, x, NANA_FIELD_INT64, true)};
static const nana_model_t point_model = NANA_MODEL(struct point, point_fields);

static nana_future_t *p_set(nana_db_t *db)
{
    json_t *v = t_json("{\"n\":99}");
    nana_future_t *f = nana_set(db, "w", v);
    json_decref(v);
    return f;
}
static nana_future_t *p_update(nana_db_t *db)
{
    json_t *o = t_json("{\"new1\":6,\"w\":5}");
    nana_future_t *f = nana_update(db, o);
    json_decref(o);
    return f;
}
static nana_future_t *p_batch_update(nana_db_t *db)
{
    json_t *o = t_json("{\"new1\":6,\"w\":5}");
    nana_future_t *f = nana_batch_update(db, o);
    json_decref(o);
    return f;
}
static nana_future_t *p_setdefault_new(nana_db_t *db)
{
    json_t *v = json_integer(3);
    nana_future_t *f = nana_setdefault(db, "new2", v);
    json_decref(v);
    return f;
}
static nana_future_t *p_setdefault_present(nana_db_t *db)
{
    json_t *v = json_integer(3);
    nana_future_t *f = nana_setdefault(db, "w", v);
    json_decref(v);
    return f;
}
static nana_future_t *p_pop(nana_db_t *db) { return nana_pop(db, "d", NULL); }
static nana_future_t *p_pop_absent(nana_db_t *db)
{
    json_t *v = json_integer(0);
    nana_future_t *f = nana_pop(db, "absent", v);
    json_decref(v);
    return f;
}
static nana_future_t *p_delete(nana_db_t *db) { return nana_delete(db, "d"); }
static nana_future_t *p_delete_absent(nana_db_t *db) { return nana_delete(db, "absent"); }
static nana_future_t *p_batch_delete(nana_db_t *db)
{
    static const char *const keys[] = {"absent", "m1", "d"};
    return nana_batch_delete(db, keys, 3);
}
static nana_future_t *p_clear(nana_db_t *db) { return nana_clear(db); }
static nana_future_t *p_increment(nana_db_t *db) { return nana_increment(db, "m1", NULL, 1); }
static nana_future_t *p_increment_field(nana_db_t *db) { return nana_increment(db, "w", "n", 1); }
static nana_future_t *p_increment_real(nana_db_t *db)
{
    return nana_increment_real(db, "m2", NULL, 0.5);
}
static nana_future_t *p_patch(nana_db_t *db)
{
    json_t *c = t_json("{\"x\":1}");
    nana_future_t *f = nana_patch(db, "w", c, false);
    json_decref(c);
    return f;
}
static nana_future_t *p_patch_create(nana_db_t *db)
{
    json_t *c = t_json("{\"x\":1}");
    nana_future_t *f = nana_patch(db, "new3", c, true);
    json_decref(c);
    return f;
}
static nana_future_t *p_cas_write(nana_db_t *db)
{
    json_t *e = json_integer(1), *v = json_integer(7);
    nana_future_t *f = nana_compare_and_set(db, "m1", e, v);
    json_decref(e);
    json_decref(v);
    return f;
}
static nana_future_t *p_cas_create(nana_db_t *db)
{
    json_t *v = json_integer(7);
    nana_future_t *f = nana_compare_and_set(db, "new4", NULL, v);
    json_decref(v);
    return f;
}
static nana_future_t *p_cas_delete(nana_db_t *db)
{
    json_t *e = json_integer(1);
    nana_future_t *f = nana_compare_and_set(db, "m1", e, NULL);
    json_decref(e);
    return f;
}
static nana_future_t *p_cas_mismatch(nana_db_t *db)
{
    json_t *e = json_integer(999), *v = json_integer(7);
    nana_future_t *f = nana_compare_and_set(db, "m1", e, v);
    json_decref(e);
    json_decref(v);
    return f;
}
static nana_future_t *p_set_model(nana_db_t *db)
{
    struct point p = {42};
    return nana_set_model(db, "w", &point_model, &p);
}

static const struct path {
    const char *name;
    nana_future_t *(*run)(nana_db_t *db);
    enum hook asks;
    const char *key;     /* the key the hook is asked about */
    nana_status_t want;  /* the refusal's status, or the status without a hook */
    bool multi;          /* the message names the key and says none changed */
} paths[] = {
    {"set", p_set, ASKS_WRITE, "w", NANA_ERANGE, false},
    {"update", p_update, ASKS_WRITE, "new1", NANA_ERANGE, true},
    {"batch_update", p_batch_update, ASKS_WRITE, "new1", NANA_ERANGE, true},
    {"setdefault (stores)", p_setdefault_new, ASKS_WRITE, "new2", NANA_ERANGE, false},
    {"setdefault (present)", p_setdefault_present, ASKS_NONE, NULL, NANA_OK, false},
    {"pop", p_pop, ASKS_DELETE, "d", NANA_ECANCELED, false},
    {"pop (absent)", p_pop_absent, ASKS_NONE, NULL, NANA_OK, false},
    {"delete", p_delete, ASKS_DELETE, "d", NANA_ECANCELED, false},
    {"delete (absent)", p_delete_absent, ASKS_NONE, NULL, NANA_ENOTFOUND, false},
    {"batch_delete", p_batch_delete, ASKS_DELETE, "m1", NANA_ECANCELED, true},
    {"clear", p_clear, ASKS_DELETE, "w", NANA_ECANCELED, true},
    {"increment", p_increment, ASKS_WRITE, "m1", NANA_ERANGE, false},
    {"increment (member)", p_increment_field, ASKS_WRITE, "w", NANA_ERANGE, false},
    {"increment_real", p_increment_real, ASKS_WRITE, "m2", NANA_ERANGE, false},
    {"patch", p_patch, ASKS_WRITE, "w", NANA_ERANGE, false},
    {"patch (create)", p_patch_create, ASKS_WRITE, "new3", NANA_ERANGE, false},
    {"compare_and_set (writes)", p_cas_write, ASKS_WRITE, "m1", NANA_ERANGE, false},
    {"compare_and_set (creates)", p_cas_create, ASKS_WRITE, "new4", NANA_ERANGE, false},
    {"compare_and_set (deletes)", p_cas_delete, ASKS_DELETE, "m1", NANA_ECANCELED, false},
    {"compare_and_set (no match)", p_cas_mismatch, ASKS_NONE, NULL, NANA_OK, false},
    {"set_model", p_set_model, ASKS_WRITE, "w", NANA_ERANGE, false},
};

static const char *const seed_keys[] = {"w", "d", "m1", "m2"};
static const char *const seed_text[] = {"{\"n\":1}", "\"keep me\"", "1", "2"};
static const char *const new_keys[] = {"new1", "new2", "new3", "new4"};

/* The file and the cache hold the seed, and nothing of the refused call. */
static void check_intact(const char *path, nana_db_t *db, const char *what)
{
    for (size_t i = 0; i < 4; i++) {
        char *raw = t_raw_value(path, "data", seed_keys[i]);
        if (!raw || strcmp(raw, seed_text[i]) != 0)
            t_fail(__FILE__, __LINE__, "%s: file holds %s for %s", what, raw ? raw : "nothing",
                   seed_keys[i]);
        free(raw);
        nana_future_t *f = nana_get(db, seed_keys[i], NULL);
        json_t *v = t_take(f, NANA_OK);
        json_t *want = t_json(seed_text[i]);
        if (!json_equal(v, want))
            t_fail(__FILE__, __LINE__, "%s: the cache answers otherwise for %s", what,
                   seed_keys[i]);
        json_decref(v);
        json_decref(want);
    }
    for (size_t i = 0; i < 4; i++) {
        char *raw = t_raw_value(path, "data", new_keys[i]);
        if (raw)
            t_fail(__FILE__, __LINE__, "%s: %s was stored", what, new_keys[i]);
        CHECK_ST(t_wait(nana_get(db, new_keys[i], NULL)), NANA_ENOTFOUND);
    }
}

/* Runs path p on handle on (db or a view); checks status, message, which
 * hook was asked, and the data as on sees it (a read outside would wait for
 * the transaction to end: the refused write's key stays queued until
 * then). */
static void try_path(const char *path, nana_db_t *on, const struct path *p, const char *where)
{
    char what[128];
    snprintf(what, sizeof what, "%s %s", p->name, where);
    int w0 = atomic_load(&n_writes), d0 = atomic_load(&n_deletes);
    last_key[0] = '\0';
    nana_future_t *f = p->run(on);
    nana_status_t st = nana_future_await(f);
    if (st != p->want)
        t_fail(__FILE__, __LINE__, "%s: got %s (%s), want %s", what, t_status_name(st),
               nana_future_errmsg(f), t_status_name(p->want));
    int dw = atomic_load(&n_writes) - w0, dd = atomic_load(&n_deletes) - d0;
    if (p->asks == ASKS_NONE) {
        if (dw || dd)
            t_fail(__FILE__, __LINE__, "%s: asked a hook", what);
    } else {
        char want_msg[96];
        snprintf(want_msg, sizeof want_msg, "%s %s is not allowed",
                 p->asks == ASKS_WRITE ? "writing" : "deleting", p->key);
        if ((p->asks == ASKS_WRITE ? dw : dd) != 1 || (p->asks == ASKS_WRITE ? dd : dw) != 0)
            t_fail(__FILE__, __LINE__, "%s: hooks asked %d writes, %d deletes", what, dw, dd);
        if (strcmp(last_key, p->key) != 0)
            t_fail(__FILE__, __LINE__, "%s: the hook was asked about %s", what, last_key);
        const char *msg = nana_future_errmsg(f);
        if (p->multi ? strncmp(msg, want_msg, strlen(want_msg)) != 0 ||
                           !strstr(msg, "no key was changed")
                     : strcmp(msg, want_msg) != 0)
            t_fail(__FILE__, __LINE__, "%s: message \"%s\"", what, msg);
        CHECK(nana_future_json(f) == NULL);
    }
    nana_future_free(f);
    check_intact(path, on, what);
}

int main(void)
{
    const char *path = t_path("hooks.db");
    nana_db_t *db = t_open("hooks.db", NULL);
    for (size_t i = 0; i < 4; i++)
        t_set_json(db, seed_keys[i], seed_text[i]);
    /* Cache every key, present or not, so that a stale cache would show. */
    check_intact(path, db, "seed");

    nana_hooks_t hooks = {.before_write = refuse_write,
                          .before_delete = refuse_delete,
                          .after_commit = count_commit};
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        try_path(path, db, &paths[i], "outside a transaction");
    CHECK_INT(atomic_load(&n_commits), 0);

    /* Inside: the refused operation fails alone, the next one succeeds,
     * and the transaction commits. */
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        nana_txn_t *txn;
        CHECK_ST(t_wait(nana_txn_begin(db, NULL, &txn)), NANA_OK);
        nana_db_t *view = nana_txn_db(txn, db);
        CHECK(view != NULL);
        int commits = atomic_load(&n_commits);
        try_path(path, view, &paths[i], "inside a transaction");
        json_t *n = json_integer((json_int_t)i);
        CHECK_ST(t_wait(nana_set(view, "txn_ok", n)), NANA_OK);
        json_decref(n);
        CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
        nana_txn_free(txn);
        CHECK_INT(atomic_load(&n_commits), commits + 1);
        char *raw = t_raw_value(path, "data", "txn_ok");
        char want[32];
        snprintf(want, sizeof want, "%zu", i);
        CHECK(raw && strcmp(raw, want) == 0);
        free(raw);
        CHECK_INT(t_int(nana_get(db, "txn_ok", NULL)), (int64_t)i);
        check_intact(path, db, paths[i].name);
    }

    /* Removed, the same calls go through. */
    CHECK_ST(nana_set_hooks(db, NULL), NANA_OK);
    CHECK_ST(t_wait(p_set(db)), NANA_OK);
    CHECK_ST(t_wait(p_delete(db)), NANA_OK);
    CHECK_ST(t_wait(p_clear(db)), NANA_OK);
    CHECK_INT(t_int(nana_len(db)), 0);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
