/* codec.c -- JSON text <-> json_t, and dropping shared references. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *nana__json_encode(const json_t *value, size_t *len_out)
{
    /* Compact separators, UTF-8 kept as is (no JSON_ENSURE_ASCII), member
     * order kept: the text NanaSQLite reads back as the same value. */
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (text && len_out)
        *len_out = strlen(text);
    return text;
}

json_t *nana__json_decode(const char *text, size_t len)
{
    /* JSON_ALLOW_NUL: Python writes "\u0000" inside strings and that is
     * valid JSON.  jansson refuses integers beyond 64 bits, as we must. */
    json_error_t err;
    return json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
}

static bool is_static(const json_t *v)
{
    return __atomic_load_n(&v->refcount, __ATOMIC_RELAXED) == (size_t)-1;
}

/*
 * jansson's json_decref() decrements with release ordering only, so the
 * thread that drops the last reference to a value other threads have read is
 * not ordered after their reads: a data race (ThreadSanitizer reports it).
 * Here the last reference dies after an acquire-release decrement, and a
 * dying container's children that are still shared elsewhere are dropped the
 * same way instead of by jansson's release-only decrement.
 */
static void release_children(json_t *v);

void nana__json_release(json_t *value)
{
    if (!value || is_static(value))
        return;
    if (__atomic_sub_fetch(&value->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    /* We hold the only reference now. */
    if (json_is_object(value) || json_is_array(value))
        release_children(value);
    __atomic_store_n(&value->refcount, 1, __ATOMIC_RELAXED);
    json_decref(value);
}

static void release_children(json_t *v)
{
    /* Children only this container holds die with it through jansson; a
     * child someone else also holds gets an extra reference first, so that
     * jansson's decrement is not the last, and is dropped here afterwards. */
    size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
    json_t *stack_buf[16];
    json_t **shared = n <= 16 ? stack_buf : malloc(n * sizeof *shared);
    size_t n_shared = 0;
    const char *k;
    json_t *child;
    size_t i;

    if (!shared) {
        /* No memory to do it carefully: fall back to jansson's way. */
        return;
    }
    if (json_is_object(v)) {
        json_object_foreach(v, k, child) {
            if (is_static(child))
                continue;
            if (__atomic_load_n(&child->refcount, __ATOMIC_ACQUIRE) == 1) {
                if (json_is_object(child) || json_is_array(child))
                    release_children(child);
            } else {
                shared[n_shared++] = nana__json_ref(child);
            }
        }
    } else {
        json_array_foreach(v, i, child) {
            if (is_static(child))
                continue;
            if (__atomic_load_n(&child->refcount, __ATOMIC_ACQUIRE) == 1) {
                if (json_is_object(child) || json_is_array(child))
                    release_children(child);
            } else {
                shared[n_shared++] = nana__json_ref(child);
            }
        }
    }
    /* Empty the container now, while the extra references keep shared
     * children alive; then drop those references the careful way. */
    if (json_is_object(v))
        json_object_clear(v);
    else
        json_array_clear(v);
    for (i = 0; i < n_shared; i++)
        nana__json_release(shared[i]);
    if (shared != stack_buf)
        free(shared);
}

NANA_API void nana_json_release(json_t *value)
{
    nana__json_release(value);
}
