/* codec.c -- JSON text <-> json_t; base64; the growing SQL text buffer. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * The rule both directions keep: a value either comes back from the stored
 * text exactly as it went in (jansson reading the same text agrees), or the
 * encoder refuses it and nothing is written.  What jansson can hold but not
 * read back, the encoder therefore refuses: a NUL byte in an object key,
 * invalid UTF-8 (the *_nocheck constructors let it in), nesting deeper than
 * jansson's reader goes, and NaN or infinity.
 *
 * jansson's reader counts every value, scalars included, as one level and
 * refuses text deeper than JSON_PARSER_MAX_DEPTH levels (2048 in every
 * release the library supports).
 */
#ifdef JSON_PARSER_MAX_DEPTH
#define MAX_LEVELS JSON_PARSER_MAX_DEPTH
#else
#define MAX_LEVELS 2048
#endif
/* Our fast reader recurses; it hands anything deeper to jansson. */
#define FAST_MAX_LEVELS (MAX_LEVELS < 512 ? MAX_LEVELS : 512)

/*
 * Reals are written, and read, in the C locale: the program may have chosen
 * one whose decimal point is ',' (de_DE) or not even ASCII (U+066B in ps_AF),
 * which printf and strtod follow.  jansson's reader copes with ',' but with
 * a multi-byte point fails an assertion on the first real it reads.  The
 * switch is per thread (uselocale), for the length of one call.
 */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void make_c_numeric(void)
{
    c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* false when no C locale could be made (out of memory). */
static bool enter_c_numeric(locale_t *callers)
{
    pthread_once(&c_numeric_once, make_c_numeric);
    if (!c_numeric)
        return false;
    *callers = uselocale(c_numeric);
    return true;
}

/*
 * Our own encoder: json_dumps() goes through a callback per fragment, which
 * made it most of a write's CPU time.  Output: compact separators, UTF-8 kept
 * as is (checked on the way, in the same pass as the escaping), object
 * members in jansson's (insertion) order, reals in the shortest form that
 * reads back to the same double -- the text Python's json module would
 * accept and re-read exactly.
 */
struct textbuf {
    char *p;
    size_t len, cap;
};

static bool tb_reserve(struct textbuf *b, size_t more)
{
    if (more <= b->cap - b->len)
        return true;
    if (more > SIZE_MAX - b->len)
        return false;
    size_t need = b->len + more, cap = b->cap ? b->cap : 128;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    char *grown = realloc(b->p, cap);
    if (!grown)
        return false;
    b->p = grown;
    b->cap = cap;
    return true;
}

static bool tb_put(struct textbuf *b, const char *s, size_t n)
{
    if (!tb_reserve(b, n))
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

/* Length of the UTF-8 sequence at s (its first byte >= 0x80) when it is one
 * that jansson and Python read -- no overlong form, no surrogate, nothing
 * above U+10FFFF -- else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07u;
    } else {
        return 0; /* a continuation byte, C0/C1 (always overlong), F5.. */
    }
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        return 0;
    return len;
}

/*
 * Does the 8-byte word x hold a byte that is not copied as it is: a control
 * character (< 0x20), '"', '\\', or a byte >= 0x80 (UTF-8, to be checked)?
 * Exact, not a heuristic: "some byte is zero" is (v - 0x01..) & ~v & 0x80..
 * whatever the other bytes hold, and "some byte is below 0x20" is the same
 * with 0x20; bytes >= 0x80 are caught by their high bit.
 */
static bool word_needs_care(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t below_space = (x - ones * 0x20) & ~x;
    uint64_t is_quote = (quote - ones) & ~quote;
    uint64_t is_backslash = (backslash - ones) & ~backslash;
    return ((below_space | is_quote | is_backslash | x) & highs) != 0;
}

/*
 * false on invalid UTF-8 (or no memory): the text would not be JSON.
 * Most strings need no escape at all, so they go eight bytes at a time; a
 * word with something to look at goes byte by byte, and so do the eight
 * bytes after it (text with many escapes or much UTF-8 would otherwise test
 * every word twice).  Room: the string copied as it is, and the quotes;
 * each escape makes room for itself (up to \u00XX for one byte).
 */
static bool put_string(struct textbuf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    if (n > SIZE_MAX - 2 || !tb_reserve(b, n + 2))
        return false;
    /* Invariant: room is left for the rest, s[i..n), copied as is, and
     * the closing quote. */
    b->p[b->len++] = '"';
    size_t i = 0, careful_until = 0;
    while (i < n) {
        if (i >= careful_until && n - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!word_needs_care(x)) {
                memcpy(b->p + b->len, s + i, 8);
                b->len += 8;
                i += 8;
                continue;
            }
            careful_until = i + 8;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_sequence(s + i, n - i);
            if (!len)
                return false;
            memcpy(b->p + b->len, s + i, len);
            b->len += len;
            i += len;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            b->p[b->len++] = (char)c;
            i++;
            continue;
        }
        /* Up to six bytes for this one, and the rest as is after it. */
        if (!tb_reserve(b, 6 + (n - i - 1) + 1))
            return false;
        char *o = b->p + b->len;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        b->len = (size_t)(o - b->p);
        i++;
    }
    b->p[b->len++] = '"';
    return true;
}

static bool put_integer(struct textbuf *b, json_int_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    return tb_put(b, tmp + i, sizeof tmp - (size_t)i);
}

static bool put_real(struct textbuf *b, double v)
{
    /* jansson cannot make these (json_real() refuses them), and JSON has
     * no text for them. */
    if (!isfinite(v))
        return false;
    locale_t callers;
    if (!enter_c_numeric(&callers))
        return false;
    char tmp[40];
    int n = 0;
    /* 17 significant digits always read back to the same double; fewer, when
     * they do, are what Python writes.  -0.0 prints as "-0": the sign stays. */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    uselocale(callers);
    /* Keep it a real when read back: 3 -> 3.0 (as Python and jansson do). */
    if (!strpbrk(tmp, ".eE") && n + 2 < (int)sizeof tmp) {
        tmp[n++] = '.';
        tmp[n++] = '0';
    }
    return tb_put(b, tmp, (size_t)n);
}

/* An object member's key length: before jansson 2.14 keys are C strings. */
static size_t member_key_len(void *iter, const char *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    (void)key;
    return json_object_iter_key_len(iter);
#else
    (void)iter;
    return strlen(key);
#endif
}

/* level: 1 for the value itself, as jansson's reader counts. */
static bool put_value(struct textbuf *b, const json_t *v, int level)
{
    if (level > MAX_LEVELS)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        json_t *object = (json_t *)v;
        bool first = true;
        if (!tb_put(b, "{", 1))
            return false;
        for (void *it = json_object_iter(object); it; it = json_object_iter_next(object, it)) {
            const char *key = json_object_iter_key(it);
            size_t key_len = member_key_len(it, key);
            /* jansson 2.14 can hold a NUL in a key (json_object_setn) but
             * its reader refuses one, and its json_deep_copy() and
             * json_equal() cut the key at it: such a member cannot come
             * back as it went in. */
            if (memchr(key, '\0', key_len))
                return false;
            if ((!first && !tb_put(b, ",", 1)) || !put_string(b, key, key_len) ||
                !tb_put(b, ":", 1) || !put_value(b, json_object_iter_value(it), level + 1))
                return false;
            first = false;
        }
        return tb_put(b, "}", 1);
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        if (!tb_put(b, "[", 1))
            return false;
        json_array_foreach(v, i, item) {
            if ((i && !tb_put(b, ",", 1)) || !put_value(b, item, level + 1))
                return false;
        }
        return tb_put(b, "]", 1);
    }
    case JSON_STRING:
        return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return put_integer(b, json_integer_value(v));
    case JSON_REAL:
        return put_real(b, json_real_value(v));
    case JSON_TRUE:
        return tb_put(b, "true", 4);
    case JSON_FALSE:
        return tb_put(b, "false", 5);
    case JSON_NULL:
        return tb_put(b, "null", 4);
    }
    return false;
}

char *nana__json_encode(const json_t *value, size_t *len_out)
{
    struct textbuf b = {0};
    if (!value || !put_value(&b, value, 1) || !tb_put(&b, "", 1)) {
        free(b.p);
        return NULL;
    }
    if (len_out)
        *len_out = b.len - 1;
    /* The buffer doubles as it grows, so it holds at most twice the text
     * (or 128 bytes); more slack than that -- none today -- goes back, as
     * queued writes hold their text until they commit. */
    if (b.cap - b.len < 128 || b.cap - b.len <= b.len)
        return b.p;
    char *fitted = realloc(b.p, b.len);
    return fitted ? fitted : b.p;
}

/*
 * Our own decoder for the common case: json_loadb() reads through a
 * character-stream abstraction and cost two thirds of an uncached get.  It
 * is strict -- whatever it is not sure about (odd numbers, overflow, invalid
 * UTF-8, deep nesting), it hands to jansson, whose verdict stands -- so the
 * fast path only ever accepts text jansson accepts, as the same value.
 */
struct reader {
    const char *p, *end;
    int depth;
};

static void skip_ws(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static json_t *read_value(struct reader *r);

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Reads a string body after the opening quote into a malloc'd buffer. */
static char *read_string(struct reader *r, size_t *len_out, bool *ascii)
{
    const char *start = r->p;
    bool escapes = false;
    *ascii = true;
    /* Common case: no escapes, copy in one go.  Plain bytes are skipped a
     * word at a time (the encoder's test: nothing below 0x20, no quote, no
     * backslash, nothing from 0x80); after a word that has one, its eight
     * bytes go one by one. */
    const char *careful_until = start;
    while (r->p < r->end && *r->p != '"') {
        if (r->p >= careful_until && r->end - r->p >= 8) {
            uint64_t x;
            memcpy(&x, r->p, 8);
            if (!word_needs_care(x)) {
                r->p += 8;
                continue;
            }
            careful_until = r->p + 8;
        }
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            escapes = true;
            if (++r->p >= r->end)
                return NULL;
        } else if (c >= 0x80) {
            *ascii = false;
        }
        r->p++;
    }
    if (r->p >= r->end)
        return NULL;
    size_t raw = (size_t)(r->p - start);
    r->p++; /* closing quote */
    char *out = malloc(raw + 1);
    if (!out)
        return NULL;
    if (!escapes) {
        memcpy(out, start, raw);
        out[raw] = '\0';
        *len_out = raw;
        return out;
    }
    size_t o = 0;
    for (const char *q = start; q < start + raw; q++) {
        if (*q != '\\') {
            out[o++] = *q;
            continue;
        }
        q++;
        switch (*q) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            if (start + raw - q < 5)
                goto bad;
            int cp = hex4(q + 1);
            q += 4;
            if (cp < 0)
                goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
                if (start + raw - q < 7 || q[1] != '\\' || q[2] != 'u')
                    goto bad;
                int lo = hex4(q + 3);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            /* Writing at most 4 bytes for the 6+ read keeps us in bounds. */
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | cp >> 6);
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | cp >> 12);
                out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | cp >> 18);
                out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
                out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            *ascii = *ascii && cp < 0x80;
            break;
        }
        default:
            goto bad;
        }
    }
    out[o] = '\0';
    *len_out = o;
    return out;
bad:
    free(out);
    return NULL;
}

static json_t *read_number(struct reader *r)
{
    const char *start = r->p, *p = r->p;
    bool is_real = false;
    if (p < r->end && *p == '-')
        p++;
    if (p >= r->end || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0') {
        p++;
        if (p < r->end && *p >= '0' && *p <= '9')
            return NULL; /* leading zero */
    } else {
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && *p == '.') {
        is_real = true;
        p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        is_real = true;
        p++;
        if (p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return NULL;
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    bool neg = *start == '-';
    size_t digits = (size_t)(p - start) - neg;
    if (is_real || digits > 19)
        return NULL; /* reals and long integers: jansson's own conversion */
    uint64_t u = 0; /* 19 digits always fit 64 unsigned bits */
    for (const char *q = start + neg; q < p; q++)
        u = u * 10 + (uint64_t)(*q - '0');
    if (u > (uint64_t)INT64_MAX + neg)
        return NULL; /* beyond 64 bits: jansson refuses it, and so must we */
    r->p = p;
    return json_integer(neg ? (json_int_t)(0 - u) : (json_int_t)u);
}

/* Sets a member whose key holds no NUL (read_string() NUL-terminates it);
 * jansson checks the key's UTF-8 for us.  Steals member, even on failure. */
static int set_member(json_t *object, const char *key, size_t key_len, json_t *member)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_setn_new(object, key, key_len, member);
#else
    (void)key_len; /* json_object_setn_new() came with 2.14 */
    return json_object_set_new(object, key, member);
#endif
}

static json_t *read_value(struct reader *r)
{
    skip_ws(r);
    if (r->p >= r->end || ++r->depth > FAST_MAX_LEVELS)
        return NULL;
    json_t *v = NULL;
    char c = *r->p;
    if (c == '{') {
        r->p++;
        v = json_object();
        skip_ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
        } else {
            for (;;) {
                skip_ws(r);
                if (!v || r->p >= r->end || *r->p != '"')
                    goto fail;
                r->p++;
                size_t klen;
                bool ascii;
                char *key = read_string(r, &klen, &ascii);
                if (!key)
                    goto fail;
                skip_ws(r);
                json_t *member = NULL;
                if (r->p < r->end && *r->p == ':') {
                    r->p++;
                    member = read_value(r);
                }
                /* jansson's reader refuses a NUL inside a key (and the
                 * encoder never writes one), so we do too. */
                int rc = member && !memchr(key, '\0', klen)
                             ? set_member(v, key, klen, member)
                             : (json_decref(member), -1);
                free(key);
                if (rc != 0)
                    goto fail;
                skip_ws(r);
                if (r->p < r->end && *r->p == ',') {
                    r->p++;
                    continue;
                }
                if (r->p < r->end && *r->p == '}') {
                    r->p++;
                    break;
                }
                goto fail;
            }
        }
    } else if (c == '[') {
        r->p++;
        v = json_array();
        skip_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
        } else {
            for (;;) {
                json_t *item = v ? read_value(r) : NULL;
                if (!item || json_array_append_new(v, item) != 0)
                    goto fail;
                skip_ws(r);
                if (r->p < r->end && *r->p == ',') {
                    r->p++;
                    continue;
                }
                if (r->p < r->end && *r->p == ']') {
                    r->p++;
                    break;
                }
                goto fail;
            }
        }
    } else if (c == '"') {
        r->p++;
        size_t n;
        bool ascii;
        char *str = read_string(r, &n, &ascii);
        if (!str)
            return NULL;
        v = ascii ? json_stringn_nocheck(str, n) : json_stringn(str, n);
        free(str);
    } else if (c == 't' && r->end - r->p >= 4 && memcmp(r->p, "true", 4) == 0) {
        r->p += 4;
        v = json_true();
    } else if (c == 'f' && r->end - r->p >= 5 && memcmp(r->p, "false", 5) == 0) {
        r->p += 5;
        v = json_false();
    } else if (c == 'n' && r->end - r->p >= 4 && memcmp(r->p, "null", 4) == 0) {
        r->p += 4;
        v = json_null();
    } else {
        v = read_number(r);
    }
    r->depth--;
    return v;
fail:
    json_decref(v);
    return NULL;
}

json_t *nana__json_decode(const char *text, size_t len)
{
    struct reader r = {text, text + len, 0};
    json_t *v = read_value(&r);
    if (v) {
        skip_ws(&r);
        if (r.p == r.end)
            return v;
        json_decref(v);
    }
    /* Not sure: jansson decides.  JSON_ALLOW_NUL: Python writes "\u0000"
     * inside strings and that is valid JSON.  jansson refuses integers
     * beyond 64 bits, as we must. */
    json_error_t err;
    locale_t callers;
    if (!enter_c_numeric(&callers))
        return NULL;
    v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    uselocale(callers);
    return v;
}

/* --------------------------------------------------------------- base64 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json_t *nana__base64_json(const unsigned char *data, size_t n)
{
    size_t out_len = (n + 2) / 3 * 4;
    char *text = malloc(out_len + 1);
    if (!text)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        text[o++] = b64[v >> 18 & 63];
        text[o++] = b64[v >> 12 & 63];
        text[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        text[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    text[o] = '\0';
    json_t *obj = json_object();
    if (obj && json_object_set_new(obj, "$blob", json_stringn(text, o)) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    free(text);
    return obj;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decodes base64 text; NULL when it is not valid base64. */
unsigned char *nana__base64_decode(const char *text, size_t len, size_t *n_out)
{
    if (len % 4 != 0)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            bool pad = text[i + k] == '=' && i + 4 == len && k >= 2;
            v[k] = pad ? 0 : b64_value(text[i + k]);
            if (v[k] < 0 || (k == 2 && text[i + 2] == '=' && text[i + 3] != '=')) {
                free(out);
                return NULL;
            }
        }
        unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
                        (unsigned)v[3];
        out[n++] = (unsigned char)(bits >> 16);
        if (text[i + 2] != '=')
            out[n++] = (unsigned char)(bits >> 8);
        if (text[i + 3] != '=')
            out[n++] = (unsigned char)bits;
    }
    *n_out = n;
    return out;
}

/* ------------------------------------------------------------- sqlbuf */

void nana__sqlbuf_add(struct nana_sqlbuf *b, const char *text)
{
    size_t n = strlen(text);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

void nana__sqlbuf_ident(struct nana_sqlbuf *b, const char *ident)
{
    nana__sqlbuf_add(b, "\"");
    nana__sqlbuf_add(b, ident);
    nana__sqlbuf_add(b, "\"");
}

char *nana__sqlbuf_take(struct nana_sqlbuf *b)
{
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}
