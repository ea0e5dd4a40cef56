/*
 * nana_get_model failures: a missing required field (top level or nested: the
 * message names "address.city"), a required field stored as null, a value of
 * the wrong type for every field kind (the message names the field's path),
 * an int outside INT_MIN..INT_MAX (also nested), a stored value that is not
 * an object are NANA_ETYPE with no value; a missing key is NANA_ENOTFOUND.
 * In every case the struct is byte-for-byte untouched (memcmp with a copy
 * taken before) -- even when earlier fields had already decoded (strings
 * decoded into scratch space are freed: valgrind / ASan see no leak).  The
 * boundaries INT_MAX / INT_MIN still decode.  Several get_model calls on the
 * same failing key from 4 threads at once each fail the same way.
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>

struct address {
    char *city;
    int zip;
};

struct user {
    int64_t id;
    int count;
    double score;
    bool admin;
    char *name;
    struct address address;
};

static const nana_field_t address_fields[] = {
    NANA_FIELD(struct address, city, NANA_FIELD_STRING, true),
    NANA_FIELD(struct address, zip, NANA_FIELD_INT, false),
};
static const nana_model_t address_model = NANA_MODEL(struct address, address_fields);

static const nana_field_t user_fields[] = {
    NANA_FIELD(struct user, id, NANA_FIELD_INT64, true),
    NANA_FIELD(struct user, count, NANA_FIELD_INT, true),
    NANA_FIELD(struct user, score, NANA_FIELD_DOUBLE, false),
    NANA_FIELD(struct user, admin, NANA_FIELD_BOOL, false),
    NANA_FIELD(struct user, name, NANA_FIELD_STRING, true),
    NANA_FIELD_NESTED(struct user, address, &address_model, true),
};
static const nana_model_t user_model = NANA_MODEL(struct user, user_fields);

static nana_db_t *db;
static char keep_name[] = "keep-name", keep_city[] = "keep-city";

static void prefill(struct user *u)
{
    memset(u, 0xA5, sizeof *u); /* padding too: memcmp covers every byte */
    u->id = 77;
    u->count = 78;
    u->score = 7.9;
    u->admin = true;
    u->name = keep_name;
    u->address.city = keep_city;
    u->address.zip = 80;
}

/* Stores json under key, then get_model must fail with want, the message
 * containing path (NULL: no check), *out untouched. */
static void fails_(const char *file, int line, const char *json, nana_status_t want,
                   const char *path)
{
    static int n;
    char key[32];
    snprintf(key, sizeof key, "case%d", n++);
    if (json) {
        json_t *v = t_json(json);
        nana_status_t st = t_wait(nana_set(db, key, v));
        json_decref(v);
        if (st != NANA_OK)
            t_fail(file, line, "set: %s", t_status_name(st));
    }
    struct user out, before;
    prefill(&out);
    memcpy(&before, &out, sizeof out);
    nana_future_t *f = nana_get_model(db, key, &user_model, &out);
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != want)
        t_fail(file, line, "%s: got %s (%s), want %s", json ? json : "(missing key)",
               t_status_name(st), msg, t_status_name(want));
    if (msg[0] == '\0')
        t_fail(file, line, "%s: empty message", json);
    if (path && !strstr(msg, path))
        t_fail(file, line, "%s: message \"%s\" does not name \"%s\"", json, msg, path);
    if (nana_future_json(f) != NULL)
        t_fail(file, line, "%s: a failed get_model has a value", json);
    nana_future_free(f);
    if (memcmp(&out, &before, sizeof out) != 0)
        t_fail(file, line, "%s: the struct was modified", json);
}
#define FAILS(json, want, path) fails_(__FILE__, __LINE__, (json), (want), (path))

#define GOOD "\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"city\": \"c\", \"zip\": 3}"

struct thread_arg {
    const char *key;
    int failures;
};

static void *hammer(void *arg)
{
    struct thread_arg *ta = arg;
    for (int i = 0; i < 50; i++) {
        struct user out, before;
        prefill(&out);
        memcpy(&before, &out, sizeof out);
        nana_future_t *f = nana_get_model(db, ta->key, &user_model, &out);
        if (nana_future_await(f) != NANA_ETYPE ||
            !strstr(nana_future_errmsg(f), "address.city") ||
            memcmp(&out, &before, sizeof out) != 0)
            ta->failures++;
        nana_future_free(f);
    }
    return NULL;
}

int main(void)
{
    db = t_open("modelerr.db", NULL);

    /* sanity: the good object decodes */
    {
        json_t *v = t_json("{" GOOD "}");
        CHECK_ST(t_wait(nana_set(db, "good", v)), NANA_OK);
        json_decref(v);
        struct user out;
        memset(&out, 0, sizeof out);
        CHECK_ST(t_wait(nana_get_model(db, "good", &user_model, &out)), NANA_OK);
        CHECK(out.id == 1 && out.count == 2 && out.address.zip == 3);
        nana_model_free(&user_model, &out);
    }

    /* missing required fields (name decodes before address fails) */
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"zip\": 3}}", NANA_ETYPE,
          "address.city");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {}}", NANA_ETYPE,
          "address.city");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\"}", NANA_ETYPE, "address");
    FAILS("{\"id\": 1, \"count\": 2, \"address\": {\"city\": \"c\"}}", NANA_ETYPE, "name");
    FAILS("{\"count\": 2, \"name\": \"n\", \"address\": {\"city\": \"c\"}}", NANA_ETYPE, "id");
    FAILS("{}", NANA_ETYPE, NULL);
    /* required, stored as null */
    FAILS("{\"id\": 1, \"count\": 2, \"name\": null, \"address\": {\"city\": \"c\"}}", NANA_ETYPE,
          "name");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"city\": null}}", NANA_ETYPE,
          "address.city");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": null}", NANA_ETYPE, "address");

    /* wrong types */
    FAILS("{" GOOD ", \"id\": \"1\"}", NANA_ETYPE, "id");
    FAILS("{" GOOD ", \"id\": 1.5}", NANA_ETYPE, "id");
    FAILS("{" GOOD ", \"id\": true}", NANA_ETYPE, "id");
    FAILS("{" GOOD ", \"count\": 1.5}", NANA_ETYPE, "count");
    FAILS("{" GOOD ", \"count\": \"2\"}", NANA_ETYPE, "count");
    FAILS("{" GOOD ", \"score\": \"x\"}", NANA_ETYPE, "score");
    FAILS("{" GOOD ", \"score\": [1]}", NANA_ETYPE, "score");
    FAILS("{" GOOD ", \"admin\": 1}", NANA_ETYPE, "admin");
    FAILS("{" GOOD ", \"admin\": \"true\"}", NANA_ETYPE, "admin");
    FAILS("{" GOOD ", \"name\": 5}", NANA_ETYPE, "name");
    FAILS("{" GOOD ", \"name\": {\"s\": 1}}", NANA_ETYPE, "name");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": [\"c\"]}", NANA_ETYPE,
          "address");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": \"Paris\"}", NANA_ETYPE,
          "address");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"city\": 5}}", NANA_ETYPE,
          "address.city");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"city\": \"c\", "
          "\"zip\": \"75001\"}}",
          NANA_ETYPE, "address.zip");

    /* int out of range */
    FAILS("{" GOOD ", \"count\": 2147483648}", NANA_ETYPE, "count");
    FAILS("{" GOOD ", \"count\": -2147483649}", NANA_ETYPE, "count");
    FAILS("{" GOOD ", \"count\": 9223372036854775807}", NANA_ETYPE, "count");
    FAILS("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"city\": \"c\", "
          "\"zip\": 9999999999}}",
          NANA_ETYPE, "address.zip");

    /* not an object */
    FAILS("5", NANA_ETYPE, NULL);
    FAILS("[1, 2]", NANA_ETYPE, NULL);
    FAILS("\"text\"", NANA_ETYPE, NULL);
    FAILS("null", NANA_ETYPE, NULL);

    /* missing key */
    FAILS(NULL, NANA_ENOTFOUND, NULL);

    /* the boundaries decode */
    {
        json_t *v = t_json("{\"id\": -9223372036854775808, \"count\": 2147483647, \"name\": \"n\", "
                           "\"address\": {\"city\": \"c\", \"zip\": -2147483648}}");
        CHECK_ST(t_wait(nana_set(db, "edges", v)), NANA_OK);
        json_decref(v);
        struct user out;
        memset(&out, 0, sizeof out);
        CHECK_ST(t_wait(nana_get_model(db, "edges", &user_model, &out)), NANA_OK);
        CHECK(out.id == INT64_MIN && out.count == INT_MAX && out.address.zip == INT_MIN);
        nana_model_free(&user_model, &out);
    }

    /* from 4 threads at once */
    json_t *v = t_json("{\"id\": 1, \"count\": 2, \"name\": \"n\", \"address\": {\"zip\": 3}}");
    CHECK_ST(t_wait(nana_set(db, "shared_bad", v)), NANA_OK);
    json_decref(v);
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){"shared_bad", 0};
        CHECK(pthread_create(&th[i], NULL, hammer, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECK_INT(args[i].failures, 0);
    }

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
