/*
 * nana_set_model / nana_get_model on a struct with int64, int, double, bool,
 * string and a nested struct:
 *  - the stored text is one compact JSON object whose members are the field
 *    names in field-table order (read through another connection);
 *  - get_model fills a zeroed struct with equal values -- int64 beyond 2^53
 *    and at both extremes, INT_MIN / INT_MAX, doubles, UTF-8 strings as new
 *    malloc'd copies (never the caller's pointers) -- and resolves to the
 *    stored object; nana_model_free frees the strings (nested too) and sets
 *    them to NULL; nana_model_free with NULL does nothing;
 *  - the struct is read before set_model returns (changing it afterwards
 *    changes nothing stored);
 *  - a NULL string field is stored as JSON null and decodes to NULL;
 *  - fields absent from the stored object and not required keep what *out
 *    held; a JSON integer decodes into a double field;
 *  - a model nested 8 deep works; a bad model (NULL, a nested field without a
 *    model, nesting deeper than 16 -- a self-referencing model, a 40-deep
 *    chain), a NULL struct, a NULL key or db is NANA_EINVAL and stores
 *    nothing.
 * Run under valgrind / ASan: every decoded string is freed.
 */
#include "harness.h"

#include <limits.h>
#include <stddef.h>

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
    char *nick;
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
    NANA_FIELD(struct user, nick, NANA_FIELD_STRING, false),
};
static const nana_model_t user_model = NANA_MODEL(struct user, user_fields);

/* A nested field with no model. */
static const nana_field_t broken_fields[] = {
    NANA_FIELD(struct user, id, NANA_FIELD_INT64, true),
    {"address", NANA_FIELD_STRUCT, offsetof(struct user, address), true, NULL},
};
static const nana_model_t broken_model = NANA_MODEL(struct user, broken_fields);

/* A model that contains itself. */
struct loop {
    int v;
};
static const nana_model_t loop_model;
static const nana_field_t loop_fields[] = {
    NANA_FIELD(struct loop, v, NANA_FIELD_INT, true),
    {"again", NANA_FIELD_STRUCT, 0, false, &loop_model},
};
static const nana_model_t loop_model = NANA_MODEL(struct loop, loop_fields);

/* A chain of depth levels, built at run time: level i is
 * { int v; <level i+1> next; }, the last one { int v; }. */
struct chain {
    nana_model_t *models;
    nana_field_t *fields;
};

static nana_model_t *make_chain(int depth, struct chain *c)
{
    c->models = calloc((size_t)depth + 1, sizeof *c->models);
    c->fields = calloc(2 * ((size_t)depth + 1), sizeof *c->fields);
    for (int i = depth; i >= 0; i--) {
        nana_field_t *f = &c->fields[2 * i];
        f[0] = (nana_field_t){"v", NANA_FIELD_INT, 0, true, NULL};
        size_t n = 1;
        size_t size = sizeof(int64_t);
        if (i < depth) {
            f[1] = (nana_field_t){"next", NANA_FIELD_STRUCT, sizeof(int64_t), true,
                                  &c->models[i + 1]};
            n = 2;
            size += c->models[i + 1].size;
        }
        c->models[i] = (nana_model_t){"chain", size, f, n};
    }
    return &c->models[0];
}

static void free_chain(struct chain *c)
{
    free(c->models);
    free(c->fields);
}

int main(void)
{
    const char *path = t_path("model.db");
    nana_db_t *db = t_open("model.db", NULL);

    char name[] = "Ada Lovelace \xe2\x9c\x93";
    char city[] = "Paris";
    struct user u = {
        .id = 9007199254740993LL, /* 2^53 + 1: not a double */
        .count = -42,
        .score = 2.5,
        .admin = true,
        .name = name,
        .address = {.city = city, .zip = 75001},
        .nick = NULL,
    };
    nana_future_t *f = nana_set_model(db, "ada", &user_model, &u);
    /* read before the call returned */
    u.id = 1;
    name[0] = 'X';
    u.address.zip = 0;
    EXPECT(f, NANA_OK);
    u.id = 9007199254740993LL;
    name[0] = 'A';
    u.address.zip = 75001;

    char *raw = t_raw_value(path, "data", "ada");
    CHECK_STR(raw, "{\"id\":9007199254740993,\"count\":-42,\"score\":2.5,\"admin\":true,"
                   "\"name\":\"Ada Lovelace \xe2\x9c\x93\",\"address\":{\"city\":\"Paris\","
                   "\"zip\":75001},\"nick\":null}");
    free(raw);

    struct user out;
    memset(&out, 0, sizeof out);
    f = nana_get_model(db, "ada", &user_model, &out);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_JSON(nana_future_json(f),
               "{\"id\":9007199254740993,\"count\":-42,\"score\":2.5,\"admin\":true,"
               "\"name\":\"Ada Lovelace \xe2\x9c\x93\",\"address\":{\"city\":\"Paris\","
               "\"zip\":75001},\"nick\":null}");
    nana_future_free(f);
    CHECK(out.id == 9007199254740993LL);
    CHECK_INT(out.count, -42);
    CHECK(out.score == 2.5);
    CHECK(out.admin == true);
    CHECK_STR(out.name, name);
    CHECK(out.name != name);
    CHECK_STR(out.address.city, "Paris");
    CHECK(out.address.city != city);
    CHECK_INT(out.address.zip, 75001);
    CHECK(out.nick == NULL);
    nana_model_free(&user_model, &out);
    CHECK(out.name == NULL && out.address.city == NULL && out.nick == NULL);
    CHECK(out.id == 9007199254740993LL); /* only strings are touched */
    nana_model_free(NULL, &out);
    nana_model_free(&user_model, NULL);

    /* extremes, a set nick, empty strings */
    char nick[] = "";
    struct user ext = {
        .id = INT64_MIN, .count = INT_MAX, .score = -1e300, .admin = false,
        .name = nick, .address = {.city = city, .zip = INT_MIN}, .nick = city,
    };
    EXPECT(nana_set_model(db, "ext", &user_model, &ext), NANA_OK);
    memset(&out, 0, sizeof out);
    EXPECT(nana_get_model(db, "ext", &user_model, &out), NANA_OK);
    CHECK(out.id == INT64_MIN);
    CHECK(out.count == INT_MAX);
    CHECK(out.score == -1e300);
    CHECK(out.admin == false);
    CHECK_STR(out.name, "");
    CHECK_INT(out.address.zip, INT_MIN);
    CHECK_STR(out.nick, "Paris");
    nana_model_free(&user_model, &out);
    ext.id = INT64_MAX;
    ext.score = 0.1;
    EXPECT(nana_set_model(db, "ext", &user_model, &ext), NANA_OK);
    memset(&out, 0, sizeof out);
    EXPECT(nana_get_model(db, "ext", &user_model, &out), NANA_OK);
    CHECK(out.id == INT64_MAX);
    CHECK(out.score == 0.1);
    nana_model_free(&user_model, &out);

    /* absent optional fields keep what *out held; integer into a double */
    json_t *stored = t_json("{\"id\": 5, \"count\": 6, \"name\": \"n\", "
                            "\"address\": {\"city\": \"c\"}, \"score\": 3}");
    CHECK_ST(t_wait(nana_set(db, "partial", stored)), NANA_OK);
    json_decref(stored);
    memset(&out, 0, sizeof out);
    out.admin = true;
    out.address.zip = 123;
    out.nick = city; /* caller-owned; not in the stored object: kept */
    EXPECT(nana_get_model(db, "partial", &user_model, &out), NANA_OK);
    CHECK(out.id == 5 && out.count == 6 && out.score == 3.0);
    CHECK(out.admin == true);
    CHECK_INT(out.address.zip, 123);
    CHECK(out.nick == city);
    CHECK_STR(out.name, "n");
    CHECK_STR(out.address.city, "c");
    out.nick = NULL;
    nana_model_free(&user_model, &out);

    /* a model 8 deep works, and round-trips */
    struct chain c8;
    nana_model_t *m8 = make_chain(8, &c8);
    int64_t buf[16] = {0}, back[16] = {0};
    for (int i = 0; i <= 8; i++)
        memcpy((char *)buf + (size_t)i * sizeof(int64_t), &(int){100 + i}, sizeof(int));
    EXPECT(nana_set_model(db, "deep", m8, buf), NANA_OK);
    EXPECT(nana_get_model(db, "deep", m8, back), NANA_OK);
    for (int i = 0; i <= 8; i++) {
        int x;
        memcpy(&x, (char *)back + (size_t)i * sizeof(int64_t), sizeof x);
        CHECK_INT(x, 100 + i);
    }
    free_chain(&c8);

    /* bad models and arguments: NANA_EINVAL, nothing stored */
    struct chain c40;
    nana_model_t *m40 = make_chain(40, &c40);
    int64_t big[64] = {0};
    struct loop lp = {1};
    EXPECT(nana_set_model(db, "bad", NULL, &u), NANA_EINVAL);
    EXPECT(nana_get_model(db, "ada", NULL, &out), NANA_EINVAL);
    EXPECT(nana_set_model(db, "bad", &broken_model, &u), NANA_EINVAL);
    EXPECT(nana_get_model(db, "ada", &broken_model, &out), NANA_EINVAL);
    EXPECT(nana_set_model(db, "bad", &loop_model, &lp), NANA_EINVAL);
    EXPECT(nana_get_model(db, "ada", &loop_model, &lp), NANA_EINVAL);
    EXPECT(nana_set_model(db, "bad", m40, big), NANA_EINVAL);
    EXPECT(nana_get_model(db, "deep", m40, big), NANA_EINVAL);
    EXPECT(nana_set_model(db, "bad", &user_model, NULL), NANA_EINVAL);
    EXPECT(nana_get_model(db, "ada", &user_model, NULL), NANA_EINVAL);
    EXPECT(nana_set_model(db, NULL, &user_model, &u), NANA_EINVAL);
    EXPECT(nana_get_model(db, NULL, &user_model, &out), NANA_EINVAL);
    EXPECT(nana_set_model(NULL, "bad", &user_model, &u), NANA_EINVAL);
    EXPECT(nana_get_model(NULL, "ada", &user_model, &out), NANA_EINVAL);
    free_chain(&c40);
    CHECK(!t_bool(nana_contains(db, "bad")));
    CHECK_INT(t_int(nana_len(db)), 4);

    /* and it persists */
    CHECK_ST(nana_close(db), NANA_OK);
    db = t_open("model.db", NULL);
    memset(&out, 0, sizeof out);
    EXPECT(nana_get_model(db, "ada", &user_model, &out), NANA_OK);
    CHECK_STR(out.name, "Ada Lovelace \xe2\x9c\x93");
    CHECK_STR(out.address.city, "Paris");
    nana_model_free(&user_model, &out);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
