/*
 * model_decode -- nana_get_model (lib/model.c) reading a stored value into
 * a struct described by a model, both made from the input: the model first
 * (see make_model()), the stored text after it.
 *
 * The text goes into the table as another program would write it (raw,
 * through nana_execute), and is read back through the whole path -- the
 * SQL write, the cache it empties, the get, the decoder, the model's
 * then-step.  What must come out is worked out here from nana_set_model(3)
 * alone, with jansson reading the text:
 *   - an invalid model (no fields, a field without a name, nested more
 *     than 16 deep): NANA_EINVAL;
 *   - text that is not JSON, or not an object: NANA_ETYPE;
 *   - each field in turn: a missing or null member is an error when the
 *     field is required, else the field keeps what *out held (a string
 *     field whose member is null becomes NULL); a present member must be of
 *     the field's type (an int that fits, any number for a double, an
 *     object for a nested struct) or NANA_ETYPE;
 *   - on NANA_OK every field holds exactly what the oracle says (a string:
 *     a new malloc'd copy, byte for byte); on failure *out is untouched,
 *     byte for byte, and no string is leaked (LeakSanitizer).
 * A string member holding a NUL byte cannot be copied whole into a C
 * string: it must be refused as not a string it can hold, not cut short
 * (known bug model-string-nul, fuzz/known/README).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

#define FIELDS_MAX 6
#define ALL_FIELDS_MAX 48
#define SPEC_DEPTH_MAX 18 /* past the library's 16, to see the refusal */
#define SLOT 8            /* every scalar and pointer gets 8 bytes */

static const char *const names[] = {"a", "b", "id", "name", "n", "x", "nested", "", "é", "a b"};
#define N_NAMES (sizeof names / sizeof names[0])

struct spec {
    nana_model_t model;
    nana_field_t fields[FIELDS_MAX];
    struct spec *sub[FIELDS_MAX];
};

struct maker {
    struct fuzz_in in;
    int fields_made;
    bool valid;
};

static struct spec *make_model(struct maker *mk, int depth)
{
    struct spec *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->model.name = "m";
    s->model.fields = s->fields;
    uint8_t head = fuzz_byte(&mk->in);
    size_t n = head % (depth < 3 ? FIELDS_MAX + 1 : 3);
    if (n == 0)
        mk->valid = false; /* a model needs a field */
    if (depth > 16)
        mk->valid = false; /* nested more than 16 deep */
    size_t offset = 0;
    for (size_t i = 0; i < n && mk->fields_made < ALL_FIELDS_MAX; i++, mk->fields_made++) {
        uint8_t b = fuzz_byte(&mk->in);
        nana_field_t *f = &s->fields[s->model.n_fields++];
        f->type = (nana_field_type_t)(b % 6);
        f->required = b & 0x80;
        unsigned which = (b >> 3) & 0x0f;
        if (which < N_NAMES) {
            f->name = names[which];
        } else if (which == 15) {
            f->name = NULL;
            mk->valid = false;
        } else {
            f->name = names[which % N_NAMES];
        }
        f->offset = offset;
        if (f->type == NANA_FIELD_STRUCT && depth < SPEC_DEPTH_MAX) {
            s->sub[i] = make_model(mk, depth + 1);
            f->model = &s->sub[i]->model;
            offset += s->sub[i]->model.size;
        } else {
            if (f->type == NANA_FIELD_STRUCT)
                f->type = NANA_FIELD_INT64;
            offset += SLOT;
        }
    }
    if (s->model.n_fields == 0 && n)
        mk->valid = false;
    s->model.size = offset ? offset : SLOT;
    return s;
}

static void free_model(struct spec *s)
{
    for (size_t i = 0; i < FIELDS_MAX; i++)
        if (s->sub[i])
            free_model(s->sub[i]);
    free(s);
}

/* What *out held before: the strings the library must neither free nor
 * keep when it writes a new one. */
static char sentinel[] = "before";

static void fill(const nana_model_t *m, unsigned char *obj, uint8_t pattern)
{
    memset(obj, pattern, m->size);
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        if (f->type == NANA_FIELD_STRING) {
            char *p = sentinel;
            memcpy(obj + f->offset, &p, sizeof p);
        } else if (f->type == NANA_FIELD_STRUCT) {
            fill(f->model, obj + f->offset, pattern);
        }
    }
}

/*
 * Writes into want what decoding o into a struct holding want should give;
 * NANA_OK or NANA_ETYPE.  String fields get the member's json_t (in the
 * pointer's place) so that check() compares bytes.  cut_nul: read a string
 * with a NUL as the library does today (cut at the NUL), to tell the known
 * bug from any other difference.
 */
static nana_status_t expect(const nana_model_t *m, json_t *o, unsigned char *want, bool cut_nul)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        unsigned char *p = want + f->offset;
        json_t *v = json_object_get(o, f->name);
        if (!v || json_is_null(v)) {
            if (f->required)
                return NANA_ETYPE;
            if (v && f->type == NANA_FIELD_STRING) {
                json_t *none = NULL;
                memcpy(p, &none, sizeof none);
            }
            continue;
        }
        switch (f->type) {
        case NANA_FIELD_INT64: {
            if (!json_is_integer(v))
                return NANA_ETYPE;
            int64_t x = json_integer_value(v);
            memcpy(p, &x, sizeof x);
            break;
        }
        case NANA_FIELD_INT: {
            if (!json_is_integer(v) || json_integer_value(v) < INT_MIN ||
                json_integer_value(v) > INT_MAX)
                return NANA_ETYPE;
            int x = (int)json_integer_value(v);
            memcpy(p, &x, sizeof x);
            break;
        }
        case NANA_FIELD_DOUBLE: {
            if (!json_is_number(v))
                return NANA_ETYPE;
            double d = json_number_value(v);
            memcpy(p, &d, sizeof d);
            break;
        }
        case NANA_FIELD_BOOL:
            if (!json_is_boolean(v))
                return NANA_ETYPE;
            *p = json_is_true(v) ? 1 : 0;
            break;
        case NANA_FIELD_STRING:
            if (!json_is_string(v) ||
                (!cut_nul && strlen(json_string_value(v)) != json_string_length(v)))
                return NANA_ETYPE;
            memcpy(p, &v, sizeof v);
            break;
        case NANA_FIELD_STRUCT:
            if (!json_is_object(v))
                return NANA_ETYPE;
            nana_status_t st = expect(f->model, v, p, cut_nul);
            if (st != NANA_OK)
                return st;
            break;
        }
    }
    return NANA_OK;
}

/* Does got (decoded) match want (from expect())?  *why says where it does
 * not. */
static bool matches(const nana_model_t *m, const unsigned char *got, const unsigned char *want,
                    bool cut_nul, const char **why)
{
    bool ok = true;
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        const unsigned char *g = got + f->offset, *w = want + f->offset;
        if (f->type == NANA_FIELD_STRUCT) {
            ok &= matches(f->model, g, w, cut_nul, why);
            continue;
        }
        if (f->type != NANA_FIELD_STRING) {
            if (memcmp(g, w, SLOT) != 0) {
                *why = "a scalar field does not hold the member's value";
                ok = false;
            }
            continue;
        }
        const char *s;
        const void *expected;
        memcpy(&s, g, sizeof s);
        memcpy(&expected, w, sizeof expected);
        if (expected == sentinel || expected == NULL) {
            if (s != expected) {
                *why = "a string field changed that should have kept its value or become NULL";
                ok = false;
            }
            continue;
        }
        const json_t *member = expected;
        size_t len = cut_nul ? strlen(json_string_value(member)) : json_string_length(member);
        if (!s || s == sentinel || strlen(s) != len ||
            memcmp(s, json_string_value(member), len) != 0) {
            *why = "a string field does not hold a copy of the member";
            ok = false;
        }
    }
    return ok;
}

/* Frees the strings the library wrote into obj (not the sentinel). */
static void free_strings(const nana_model_t *m, unsigned char *obj)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        if (f->type == NANA_FIELD_STRUCT) {
            free_strings(f->model, obj + f->offset);
        } else if (f->type == NANA_FIELD_STRING) {
            char *s;
            memcpy(&s, obj + f->offset, sizeof s);
            if (s != sentinel)
                free(s);
        }
    }
}

static nana_db_t *db;

/* At exit, so that memory checkers see everything freed. */
static void close_db(void)
{
    nana_close(db);
    db = NULL;
}

static void open_db(void)
{
    atexit(close_db);
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 1;
    opts.optimize = false;
    if (nana_open(":memory:", &opts, &db) != NANA_OK)
        fuzz_fail("harness set-up: cannot open an in-memory root: %s", nana_db_errmsg(db));
}

/* Stores text under "m" as another program would, bytes as they are; the
 * write is queued ahead of the read (and awaited after it), so that the
 * thread awaiting the read may run both. */
static nana_future_t *store_raw(const uint8_t *text, size_t len)
{
    json_t *blob = nana__base64_json(text, len);
    json_t *params = json_pack("[o]", blob);
    nana_future_t *f = nana_execute(db, "INSERT OR REPLACE INTO data (key, value) VALUES ('m', "
                                        "CAST(? AS TEXT))",
                                    params);
    json_decref(params);
    return f;
}

int fuzz_check_model_decode(const uint8_t *data, size_t size)
{
    if (!db)
        open_db();
    struct maker mk = {{data, data + size}, 0, true};
    struct spec *spec = make_model(&mk, 0);
    const nana_model_t *m = &spec->model;
    const uint8_t *text = mk.in.p;
    size_t text_len = fuzz_left(&mk.in);
    nana_future_t *stored_f = store_raw(text, text_len);

    uint8_t pattern = size ? data[0] ^ 0xa5 : 0xa5;
    unsigned char *out = malloc(m->size), *before = malloc(m->size), *want = malloc(m->size);
    if (!out || !before || !want)
        abort();
    fill(m, out, pattern);
    memcpy(before, out, m->size);
    memcpy(want, out, m->size);

    json_error_t err;
    json_t *stored = json_loadb((const char *)text, text_len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                                &err);
    nana_status_t expected;
    if (!mk.valid)
        expected = NANA_EINVAL;
    else if (!json_is_object(stored))
        expected = NANA_ETYPE;
    else
        expected = expect(m, stored, want, false);

    nana_future_t *f = nana_get_model(db, "m", m, out);
    nana_status_t st = nana_future_await(f);
    if (nana_future_await(stored_f) != NANA_OK)
        fuzz_fail("harness: cannot store the text: %s", nana_future_errmsg(stored_f));
    nana_future_free(stored_f);
    const char *why = "the status differs";
    bool as_expected = false;
    if (st == NANA_OK) {
        if (expected == NANA_OK)
            as_expected = matches(m, out, want, false, &why);
        free_strings(m, out);
    } else if (st == expected) {
        as_expected = memcmp(out, before, m->size) == 0;
        why = "a failed decoding changed *out";
    }
    if (!as_expected)
        fuzz_fail("model decoding of %s: %s; got %s (%s), want %s", fuzz_show(text, text_len),
                  why, nana_errstr(st), nana_future_errmsg(f), nana_errstr(expected));
    nana_future_free(f);
    json_decref(stored);
    free(out);
    free(before);
    free(want);
    free_model(spec);
    return 0;
}
