/*
 * nana_future_json_text() and nana_future_json_write() give a result as the
 * text the library stores -- compact, UTF-8 kept, member order kept: the
 * very bytes of the row in SQLite -- for a cached value, an uncached one
 * read from the file, a value read from text written with Python's spaced
 * separators, and integer, boolean and array results.  The buffer version
 * fits exactly in len + 1 bytes and, with one byte less, writes "" and says
 * how many it needs (NANA_EINVAL); a NULL buffer of size 0 asks for the
 * length only.  Pending futures are NANA_PENDING, failed ones their status,
 * futures without a value (a write, a taken value) NANA_ETYPE, NULL
 * arguments NANA_EINVAL; *text is NULL and *len 0 on every failure.  Four
 * threads encoding the same cached value at once all get the same text.
 */
#include <pthread.h>

#include "harness.h"

static const char *const stored =
    "{\"name\":\"ナナ\",\"tags\":[\"a\",\"b\"],\"n\":1.5,\"deep\":{\"z\":null,\"a\":true}}";

static char *text_of(nana_future_t *f)
{
    char *text = NULL;
    size_t len = 0;
    CHECK_ST(nana_future_json_text(f, &text, &len), NANA_OK);
    CHECK(text != NULL);
    CHECK_INT(len, strlen(text));
    return text;
}

static nana_future_t *shared;

static void *encoder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        char buf[256];
        size_t len;
        if (nana_future_json_write(shared, buf, sizeof buf, &len) != NANA_OK ||
            strcmp(buf, stored) != 0)
            return (void *)1;
    }
    return NULL;
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    t_set_json(db, "user", stored);
    char *raw = t_raw_value(t_path("db"), "data", "user");
    CHECK_STR(raw, stored);

    /* Cached. */
    nana_future_t *f = nana_get(db, "user", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    char *text = text_of(f);
    CHECK_STR(text, raw);
    free(text);

    /* The buffer version: exact fit, one byte short, length only. */
    size_t need = strlen(raw), len = 12345;
    char *buf = malloc(need + 1);
    CHECK_ST(nana_future_json_write(f, buf, need + 1, &len), NANA_OK);
    CHECK_STR(buf, raw);
    CHECK_INT(len, need);
    len = 0;
    CHECK_ST(nana_future_json_write(f, buf, need, &len), NANA_EINVAL);
    CHECK_STR(buf, "");
    CHECK_INT(len, need);
    len = 0;
    CHECK_ST(nana_future_json_write(f, NULL, 0, &len), NANA_EINVAL);
    CHECK_INT(len, need);
    CHECK_ST(nana_future_json_write(f, NULL, 10, &len), NANA_EINVAL);
    CHECK_ST(nana_future_json_write(f, buf, need + 1, NULL), NANA_OK);
    CHECK_STR(buf, raw);
    free(buf);

    /* Four threads encode the shared cached value at once. */
    shared = f;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, encoder, NULL) == 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL);
    }
    nana_future_free(f);

    /* Uncached: read from the file by another handle. */
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("db", NULL);
    f = nana_get(db, "user", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = text_of(f);
    CHECK_STR(text, raw);
    free(text);
    nana_future_free(f);
    free(raw);

    /* Written by Python with spaced separators: answered compact. */
    CHECK_ST(nana_close(db), NANA_OK);
    t_raw_put(t_path("db"), "py", "{\"a\": [1, 2], \"b\": \"\\u00e9\"}");
    db = t_open("db", NULL);
    f = nana_get(db, "py", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = text_of(f);
    CHECK_STR(text, "{\"a\":[1,2],\"b\":\"é\"}");
    free(text);
    nana_future_free(f);

    /* Other results. */
    f = nana_len(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = text_of(f);
    CHECK_STR(text, "2");
    free(text);
    nana_future_free(f);
    f = nana_contains(db, "py");
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = text_of(f);
    CHECK_STR(text, "true");
    free(text);
    nana_future_free(f);
    f = nana_keys(db);
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = text_of(f);
    CHECK_STR(text, "[\"user\",\"py\"]");
    free(text);
    nana_future_free(f);

    /* Failures: nothing written, *text NULL, *len 0. */
    char small[8] = "x";
    text = (char *)1;
    len = 99;
    f = nana_get(db, "nobody", NULL);
    CHECK_ST(nana_future_await(f), NANA_ENOTFOUND);
    CHECK_ST(nana_future_json_text(f, &text, &len), NANA_ENOTFOUND);
    CHECK(text == NULL);
    CHECK_INT(len, 0);
    CHECK_ST(nana_future_json_write(f, small, sizeof small, &len), NANA_ENOTFOUND);
    CHECK_STR(small, "");
    nana_future_free(f);

    json_t *v = json_integer(3);
    f = nana_set(db, "k", v);
    json_decref(v);
    CHECK_ST(nana_future_await(f), NANA_OK);
    text = (char *)1;
    CHECK_ST(nana_future_json_text(f, &text, &len), NANA_ETYPE); /* a write: no value */
    CHECK(text == NULL);
    nana_future_free(f);

    f = nana_get(db, "k", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    json_t *taken = nana_future_take_json(f);
    CHECK_ST(nana_future_json_text(f, &text, &len), NANA_ETYPE); /* taken */
    json_decref(taken);
    nana_future_free(f);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.busy_timeout_ms = 60000;
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("db", &opts);
    struct sqlite3 *gate = t_gate_lock(t_path("db"));
    v = json_integer(4);
    nana_future_t *w = nana_set(db, "k", v);
    json_decref(v);
    f = nana_get(db, "k", NULL); /* queued behind the held-up write */
    CHECK_ST(nana_future_json_text(f, &text, &len), NANA_PENDING);
    CHECK(text == NULL);
    CHECK_ST(nana_future_json_write(f, small, sizeof small, &len), NANA_PENDING);
    t_gate_release(gate, false);
    CHECK_ST(t_wait(w), NANA_OK);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_ST(nana_future_json_write(f, small, sizeof small, &len), NANA_OK);
    CHECK_STR(small, "4");
    nana_future_free(f);

    CHECK_ST(nana_future_json_text(NULL, &text, &len), NANA_EINVAL);
    f = nana_future_resolved(NULL);
    CHECK_ST(nana_future_json_text(f, NULL, &len), NANA_EINVAL);
    CHECK_ST(nana_future_json_text(f, &text, NULL), NANA_ETYPE);
    nana_future_free(f);
    f = nana_future_resolved(json_null());
    CHECK_ST(nana_future_json_text(f, &text, NULL), NANA_OK); /* len may be NULL */
    CHECK_STR(text, "null");
    free(text);
    nana_future_free(f);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
