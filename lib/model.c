/*
 * model.c -- C structs <-> JSON objects, driven by a declarative field table.
 *
 * Encoding runs on the caller's thread at submission (the struct is read
 * before nana_set_model() returns).  Decoding runs as a then-step of the
 * get, into a scratch copy of the struct that replaces *out only when every
 * field validated -- so a failure leaves *out untouched.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MODEL_DEPTH_MAX 16
#define PATH_MAX_LEN 256

static bool model_valid(const nana_model_t *m, int depth)
{
    if (!m || !m->fields || m->n_fields == 0 || depth > MODEL_DEPTH_MAX)
        return false;
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        if (!f->name || f->type > NANA_FIELD_STRUCT)
            return false;
        if (f->type == NANA_FIELD_STRUCT && !model_valid(f->model, depth + 1))
            return false;
    }
    return true;
}

static void *member(void *obj, const nana_field_t *f)
{
    return (char *)obj + f->offset;
}

static json_t *encode(const nana_model_t *m, const void *obj)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        const void *p = (const char *)obj + f->offset;
        json_t *v = NULL;
        switch (f->type) {
        case NANA_FIELD_INT64: {
            int64_t x;
            memcpy(&x, p, sizeof x);
            v = json_integer(x);
            break;
        }
        case NANA_FIELD_INT: {
            int x;
            memcpy(&x, p, sizeof x);
            v = json_integer(x);
            break;
        }
        case NANA_FIELD_DOUBLE: {
            double x;
            memcpy(&x, p, sizeof x);
            v = json_real(x); /* NULL for NaN/inf: not JSON */
            break;
        }
        case NANA_FIELD_BOOL: {
            bool x;
            memcpy(&x, p, sizeof x);
            v = json_boolean(x);
            break;
        }
        case NANA_FIELD_STRING: {
            const char *s;
            memcpy(&s, p, sizeof s);
            v = s ? json_string(s) : json_null(); /* NULL also for bad UTF-8 */
            break;
        }
        case NANA_FIELD_STRUCT:
            v = encode(f->model, p);
            break;
        }
        if (!v || json_object_set_new(o, f->name, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

NANA_API nana_future_t *nana_set_model(nana_db_t *db, const char *key, const nana_model_t *model,
                                       const void *obj)
{
    if (!model_valid(model, 0))
        return nana__future_new_done(NANA_EINVAL, NULL, "invalid model description");
    if (!obj)
        return nana__future_new_done(NANA_EINVAL, NULL, "NULL struct");
    json_t *value = encode(model, obj);
    if (!value)
        return nana__future_new_done(NANA_EINVAL, NULL,
                                     "the struct cannot be encoded (a string that is not UTF-8, "
                                     "or a double that is NaN or infinite)");
    nana_future_t *f = nana_set(db, key, value);
    json_decref(value);
    return f;
}

/* Frees the strings decode() wrote into obj that were not in before. */
static void free_new_strings(const nana_model_t *m, void *obj, const void *before)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        if (f->type == NANA_FIELD_STRUCT) {
            free_new_strings(f->model, member(obj, f), (const char *)before + f->offset);
        } else if (f->type == NANA_FIELD_STRING) {
            char *now, *was;
            memcpy(&now, member(obj, f), sizeof now);
            memcpy(&was, (const char *)before + f->offset, sizeof was);
            if (now != was)
                free(now);
        }
    }
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* Writes the members of o into obj; *why names the failing field path. */
static nana_status_t decode(const nana_model_t *m, const json_t *o, void *obj, const char *prefix,
                            char **why)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const nana_field_t *f = &m->fields[i];
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", f->name);
        json_t *v = json_object_get(o, f->name);
        if (!v || json_is_null(v)) {
            if (f->required) {
                *why = nana__strdupf("model %s: field \"%s\" is required but %s", m->name, path,
                                     v ? "null" : "missing");
                return NANA_ETYPE;
            }
            if (v && f->type == NANA_FIELD_STRING) {
                char *none = NULL;
                memcpy(member(obj, f), &none, sizeof none);
            }
            continue;
        }
        const char *want = NULL;
        void *p = member(obj, f);
        switch (f->type) {
        case NANA_FIELD_INT64:
            if (!json_is_integer(v)) {
                want = "an integer";
                break;
            }
            int64_t x64 = json_integer_value(v);
            memcpy(p, &x64, sizeof x64);
            break;
        case NANA_FIELD_INT: {
            json_int_t x = json_integer_value(v);
            if (!json_is_integer(v) || x < INT_MIN || x > INT_MAX) {
                want = "an integer that fits an int";
                break;
            }
            int xi = (int)x;
            memcpy(p, &xi, sizeof xi);
            break;
        }
        case NANA_FIELD_DOUBLE: {
            if (!json_is_number(v)) {
                want = "a number";
                break;
            }
            double d = json_number_value(v);
            memcpy(p, &d, sizeof d);
            break;
        }
        case NANA_FIELD_BOOL: {
            if (!json_is_boolean(v)) {
                want = "a boolean";
                break;
            }
            bool b = json_is_true(v);
            memcpy(p, &b, sizeof b);
            break;
        }
        case NANA_FIELD_STRING: {
            /* A C string cannot hold a NUL: cut there, it would be
             * another value. */
            if (!json_is_string(v) || !nana__json_string_is_cstring(v)) {
                want = "a string without NUL bytes";
                break;
            }
            char *s = strdup(json_string_value(v));
            if (!s) {
                *why = NULL;
                return NANA_ENOMEM;
            }
            memcpy(p, &s, sizeof s);
            break;
        }
        case NANA_FIELD_STRUCT:
            if (!json_is_object(v)) {
                want = "an object";
                break;
            }
            nana_status_t st = decode(f->model, v, p, path, why);
            if (st != NANA_OK)
                return st;
            break;
        }
        if (want) {
            *why = nana__strdupf("model %s: field \"%s\" must be %s, not %s", m->name, path, want,
                                 type_name(v));
            return NANA_ETYPE;
        }
    }
    return NANA_OK;
}

struct decode_step {
    const nana_model_t *model;
    void *out;
};

static nana_future_t *decode_step(nana_future_t *done, void *arg)
{
    struct decode_step *step = arg;
    const nana_model_t *m = step->model;
    void *out = step->out;
    free(step);

    json_t *o = nana_future_json(done);
    if (!json_is_object(o))
        return nana_future_failed(NANA_ETYPE, "the stored value is not a JSON object");
    void *scratch = malloc(m->size);
    if (!scratch)
        return nana_future_failed(NANA_ENOMEM, NULL);
    memcpy(scratch, out, m->size);
    char *why = NULL;
    nana_status_t st = decode(m, o, scratch, "", &why);
    if (st != NANA_OK) {
        free_new_strings(m, scratch, out);
        free(scratch);
        return nana__future_new_failed_owned(st, why);
    }
    memcpy(out, scratch, m->size);
    free(scratch);
    return NULL; /* pass the stored object on */
}

NANA_API nana_future_t *nana_get_model(nana_db_t *db, const char *key, const nana_model_t *model,
                                       void *out)
{
    if (!model_valid(model, 0))
        return nana__future_new_done(NANA_EINVAL, NULL, "invalid model description");
    if (!out)
        return nana__future_new_done(NANA_EINVAL, NULL, "NULL struct");
    struct decode_step *step = malloc(sizeof *step);
    if (!step)
        return nana__future_new_done(NANA_ENOMEM, NULL, NULL);
    step->model = model;
    step->out = out;
    return nana__future_then_owning(nana_get(db, key, NULL), decode_step, step);
}

NANA_API void nana_model_free(const nana_model_t *model, void *obj)
{
    if (!model || !obj || !model->fields)
        return;
    for (size_t i = 0; i < model->n_fields; i++) {
        const nana_field_t *f = &model->fields[i];
        if (f->type == NANA_FIELD_STRUCT && f->model) {
            nana_model_free(f->model, member(obj, f));
        } else if (f->type == NANA_FIELD_STRING) {
            char *s;
            memcpy(&s, member(obj, f), sizeof s);
            free(s);
            s = NULL;
            memcpy(member(obj, f), &s, sizeof s);
        }
    }
}
