/*
 * futuretext.c -- a future's result as JSON text, written by the library's
 * own encoder (the text nana_set() stores), so that a server can answer
 * with a value without calling json_dumps() on a value it shares with the
 * cache and other threads.  A client of the public future getters and of
 * codec.c only.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The text of f's value (malloc'd), or a status saying why there is none. */
static nana_status_t encode_result(const nana_future_t *f, char **text, size_t *len)
{
    if (!f)
        return NANA_EINVAL;
    nana_status_t st = nana_future_status(f);
    if (st != NANA_OK)
        return st; /* NANA_PENDING, or the job's failure */
    const json_t *value = nana_future_json(f);
    if (!value)
        return NANA_ETYPE; /* no value: a write, or taken */
    /* NULL: a value JSON text cannot hold (a string with invalid UTF-8 made
     * by the caller, a real that is not finite), as nana_set() refuses it --
     * or no memory. */
    *text = nana__json_encode(value, len);
    return *text ? NANA_OK : NANA_EINVAL;
}

NANA_API nana_status_t nana_future_json_text(const nana_future_t *f, char **text, size_t *len)
{
    if (!text)
        return NANA_EINVAL;
    *text = NULL;
    size_t n = 0;
    nana_status_t st = encode_result(f, text, &n);
    if (len)
        *len = st == NANA_OK ? n : 0;
    return st;
}

NANA_API nana_status_t nana_future_json_write(const nana_future_t *f, char *buf, size_t size,
                                              size_t *len)
{
    if (len)
        *len = 0;
    if (!buf && size > 0)
        return NANA_EINVAL;
    if (size > 0)
        buf[0] = '\0';
    char *text = NULL;
    size_t n = 0;
    nana_status_t st = encode_result(f, &text, &n);
    if (st != NANA_OK)
        return st;
    if (len)
        *len = n;
    if (n >= size) {
        /* Too small: nothing half written; *len says how much is needed. */
        free(text);
        return NANA_EINVAL;
    }
    memcpy(buf, text, n + 1);
    free(text);
    return NANA_OK;
}
