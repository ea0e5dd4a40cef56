/* status.c -- status texts, the version, message formatting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const status_text[] = {
#define NANA_STATUS_TEXT_(name, text) [name] = text,
    NANA_STATUS_TABLE(NANA_STATUS_TEXT_)
#undef NANA_STATUS_TEXT_
};

NANA_API const char *nana_errstr(nana_status_t code)
{
    if ((unsigned)code < sizeof status_text / sizeof status_text[0] && status_text[code])
        return status_text[code];
    return "unknown status code";
}

NANA_API int nana_libversion_number(void)
{
    return NANA_VERSION_NUMBER;
}

char *nana__strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

const char *nana__key_for_msg(const char *key, char *buf, size_t size)
{
    /* Keys come from callers and may be long; a message carries a prefix. */
    size_t len = strlen(key), keep = size - 6;
    if (len <= keep) {
        snprintf(buf, size, "\"%s\"", key);
    } else {
        /* Cut on a UTF-8 boundary so the message stays valid text. */
        while (keep > 0 && ((unsigned char)key[keep] & 0xC0) == 0x80)
            keep--;
        snprintf(buf, size, "\"%.*s...\"", (int)keep, key);
    }
    return buf;
}

nana_status_t nana__status_from_sqlite(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return NANA_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return NANA_EBUSY;
    case SQLITE_NOMEM:
        return NANA_ENOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
        return NANA_EIO;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return NANA_EINVAL;
    default:
        return NANA_ESQL;
    }
}
