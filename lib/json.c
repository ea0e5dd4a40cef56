/*
 * json.c -- jansson values the library shares between threads: dropping a
 * reference so that the freeing thread is ordered after every reader,
 * copying a value whole, and telling whether a string or member name is a
 * plain C string.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
    /* Children only this container holds die with it through jansson.  A
     * child someone else also holds is taken out of its slot first (a
     * static null takes its place) under an extra reference, so that
     * jansson's decrement is not the last, and is then dropped here.  Slot
     * by slot: no buffer to allocate, so nothing to fall back from. */
    json_t *child;
    size_t i;
    if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            child = json_object_iter_value(it);
            if (is_static(child))
                continue;
            if (__atomic_load_n(&child->refcount, __ATOMIC_ACQUIRE) == 1) {
                if (json_is_object(child) || json_is_array(child))
                    release_children(child);
                continue;
            }
            /* In place through the iterator: no lookup by name (a name may
             * hold a NUL byte), and the iteration goes on. */
            json_t *shared = nana__json_ref(child);
            json_object_iter_set_new(v, it, json_null());
            nana__json_release(shared);
        }
    } else {
        json_array_foreach(v, i, child) {
            if (is_static(child))
                continue;
            if (__atomic_load_n(&child->refcount, __ATOMIC_ACQUIRE) == 1) {
                if (json_is_object(child) || json_is_array(child))
                    release_children(child);
                continue;
            }
            json_t *shared = nana__json_ref(child);
            json_array_set_new(v, i, json_null());
            nana__json_release(shared);
        }
    }
}

NANA_API void nana_json_release(json_t *value)
{
    nana__json_release(value);
}

/*
 * json_deep_copy(), except that member names keep their length: jansson
 * 2.14's copy cuts a name at a NUL byte, so {"a\0b": 1, "a\0c": 2} would
 * come back as {"a": 2} -- a changed value.  The library copies values it
 * is given (defaults, nana_future_resolved) with this instead.
 */
json_t *nana__json_copy(const json_t *value)
{
    json_t *copy, *member;
    size_t i;
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        const char *key;
        if (!(copy = json_object()))
            return NULL;
#if JANSSON_VERSION_HEX >= 0x020e00
        size_t key_len;
        json_object_keylen_foreach((json_t *)value, key, key_len, member) {
            if (json_object_setn_new_nocheck(copy, key, key_len, nana__json_copy(member)) != 0)
                goto fail;
        }
#else
        json_object_foreach((json_t *)value, key, member) {
            if (json_object_set_new_nocheck(copy, key, nana__json_copy(member)) != 0)
                goto fail;
        }
#endif
        return copy;
    }
    case JSON_ARRAY:
        if (!(copy = json_array()))
            return NULL;
        json_array_foreach(value, i, member) {
            if (json_array_append_new(copy, nana__json_copy(member)) != 0)
                goto fail;
        }
        return copy;
    default:
        /* Scalars: jansson's copy keeps a string's length. */
        return json_deep_copy(value);
    }
fail:
    json_decref(copy);
    return NULL;
}

/* ------------------------------------------------------ C strings in JSON */

bool nana__json_key_is_cstring(const char *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_iter_key_len(json_object_key_to_iter(key)) == strlen(key);
#else
    (void)key; /* older jansson refuses keys with a NUL */
    return true;
#endif
}

bool nana__json_string_is_cstring(const json_t *s)
{
    return json_is_string(s) && strlen(json_string_value(s)) == json_string_length(s);
}

bool nana__json_keys_are_cstrings(const json_t *object)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)object, name, v) {
        if (!nana__json_key_is_cstring(name))
            return false;
    }
    return true;
}
