/*
 * json_roundtrip -- any value jansson can hold, built from the input, goes
 * through nana__json_encode and comes back through nana__json_decode
 * exactly (fuzz_json_same), or the encoder refuses it, and then only for
 * a reason nana_set(3) documents: a member name holding a NUL byte, a
 * string or member name that is not valid UTF-8, nesting deeper than 2048
 * levels.  The reasons are found here independently of the library
 * (jansson's own UTF-8 check, a NUL in the name's length, counting
 * levels).  Whatever is encoded must be text without a NUL byte that
 * jansson, as another program, reads as the same value; and the library's
 * deep copy (nana__json_copy, which nana_set and the defaults go through)
 * must keep every value whole, NUL member names included.
 *
 * The input is a little program, one operation per byte (see build()).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

#define MAX_LEVELS 2048   /* jansson's JSON_PARSER_MAX_DEPTH; nana_set(3) */
#define MAX_NODES 4096    /* per input, besides chains */
#define MAX_BUILD_DEPTH 64

struct builder {
    struct fuzz_in in;
    int nodes;
    bool deep_chain;
};

static const double real_edges[] = {
    0.0, -0.0, 0x1p-1074, -0x1p-1074, DBL_MIN, -DBL_MIN, DBL_MAX, -DBL_MAX, 0.1,
    1.0 / 3, 9007199254740993.0, 1e21, 1e22, 1e-7, 5e-324, 2.2250738585072011e-308, 3.0,
    123456789012345678.0, 1.7976931348623155e308, 0.30000000000000004,
};
#define COUNT(a) (sizeof a / sizeof a[0])
static const json_int_t int_edges[] = {0, 1, -1, INT64_MIN, INT64_MAX, INT64_MIN + 1,
                                       INT64_MAX - 1, 9007199254740993, -9007199254740993};

/* Pieces of text that make strings and names worth reading: escapes,
 * multi-byte UTF-8, and invalid sequences. */
static const struct {
    const char *s;
    size_t len;
} pieces[] = {
#define P(lit) {lit, sizeof lit - 1}
    P("a"), P("\""), P("\\"), P("/"), P("\b\f\n\r\t"), P("\x01"), P("\x1f"), P("\x7f"),
    P("\0"), P("\\u0000"), P("é"), P("日本"), P("😀"), P("\xe2\x80\xa8"), P("\xef\xbb\xbf"),
    P("\xf4\x8f\xbf\xbf"), P("\xff"), P("\x80"), P("\xc0\xaf"), P("\xed\xa0\x80"),
    P("\xe6\x97"), P("\xf4\x90\x80\x80"), P("\xf0\x8f\xbf\xbf"), P("\xc3"),
#undef P
};
#define N_PIECES COUNT(pieces)

/* Bytes for a string or a name: raw from the input, or pieces. */
static size_t text(struct builder *b, char *buf, size_t cap)
{
    uint8_t how = fuzz_byte(&b->in);
    size_t n = how & 0x3f, len = 0;
    if (how & 0x80) {
        const uint8_t *raw = fuzz_bytes(&b->in, n, &len);
        memcpy(buf, raw, len);
        return len;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned k = fuzz_byte(&b->in) % N_PIECES;
        if (len + pieces[k].len > cap)
            break;
        memcpy(buf + len, pieces[k].s, pieces[k].len);
        len += pieces[k].len;
    }
    return len;
}

/* A chain of containers levels deep, with a scalar at the bottom or not:
 * the edge of the depth limit, cheaply. */
static json_t *chain(struct builder *b)
{
    /* Around the limit, around the fast reader's own (512 levels, then it
     * hands the text to jansson), far past it, or shallow; one deep chain
     * per input, which is what costs time. */
    unsigned pick = (unsigned)fuzz_byte(&b->in) << 8 | fuzz_byte(&b->in);
    int levels = (int)(pick % 64);
    if (!b->deep_chain && pick >> 14 == 3) {
        b->deep_chain = true;
        levels = pick & 0x2000   ? MAX_LEVELS - 8 + (int)(pick % 24)
                 : pick & 0x1000 ? 512 - 8 + (int)(pick % 24)
                                 : 3 * MAX_LEVELS;
    }
    uint8_t shape = fuzz_byte(&b->in);
    bool leaf = shape & 1;
    json_t *top = NULL, *inner = NULL;
    for (int i = 0; i < levels - leaf || !top; i++) {
        json_t *c = shape & 2 && i % 2 ? json_object() : json_array();
        if (!top)
            top = c;
        else if (json_is_array(inner))
            json_array_append_new(inner, c);
        else
            json_object_set_new(inner, "d", c);
        inner = c;
    }
    if (leaf) {
        json_t *s = json_integer(7);
        if (json_is_array(inner))
            json_array_append_new(inner, s);
        else
            json_object_set_new(inner, "d", s);
    }
    return top;
}

static json_t *build(struct builder *b, int depth)
{
    char buf[256];
    size_t n, len;
    if (++b->nodes > MAX_NODES || depth > MAX_BUILD_DEPTH)
        return json_null();
    switch (fuzz_byte(&b->in) % 12) {
    case 0: return json_null();
    case 1: return json_true();
    case 2: return json_false();
    case 3: return json_integer((json_int_t)fuzz_u64(&b->in));
    case 4: return json_integer(int_edges[fuzz_byte(&b->in) % COUNT(int_edges)]);
    case 5: {
        uint64_t bits = fuzz_u64(&b->in);
        double d;
        memcpy(&d, &bits, sizeof d);
        /* jansson holds no NaN or infinity. */
        return json_real(isfinite(d) ? d : real_edges[bits % COUNT(real_edges)]);
    }
    case 6: return json_real(real_edges[fuzz_byte(&b->in) % COUNT(real_edges)]);
    case 7:
        len = text(b, buf, sizeof buf);
        return json_stringn_nocheck(buf, len);
    case 8: {
        json_t *a = json_array();
        for (n = fuzz_byte(&b->in) % 8; n > 0; n--)
            json_array_append_new(a, build(b, depth + 1));
        return a;
    }
    case 9: {
        json_t *o = json_object();
        for (n = fuzz_byte(&b->in) % 8; n > 0; n--) {
            len = text(b, buf, sizeof buf);
#if JANSSON_VERSION_HEX >= 0x020e00
            json_object_setn_new_nocheck(o, buf, len, build(b, depth + 1));
#else
            buf[len < sizeof buf ? len : sizeof buf - 1] = '\0';
            json_object_set_new_nocheck(o, buf, build(b, depth + 1));
#endif
        }
        return o;
    }
    case 10: return chain(b);
    default: {
        /* A long string: the input's next bytes, repeated. */
        const uint8_t *raw = fuzz_bytes(&b->in, fuzz_byte(&b->in) % 32, &len);
        size_t times = 1 + fuzz_byte(&b->in) * 8u;
        char *s = malloc(len * times + 1);
        for (size_t i = 0; i < times; i++)
            memcpy(s + i * len, raw, len);
        json_t *v = json_stringn_nocheck(s, len * times);
        free(s);
        return v;
    }
    }
}

enum refusal { KEPT, BAD_UTF8, NUL_NAME, TOO_DEEP };
static const char *const refusal_names[] = {"none", "invalid UTF-8", "a NUL in a member name",
                                            "nesting deeper than 2048 levels"};

static bool utf8_ok(const char *s, size_t len)
{
    json_t *check = json_stringn(s, len); /* jansson's own check */
    json_decref(check);
    return check != NULL;
}

/* Why v cannot come back from text; level 1 is the value itself, as
 * jansson's reader counts. */
static enum refusal why_refused(const json_t *v, int level)
{
    if (level > MAX_LEVELS)
        return TOO_DEEP;
    enum refusal worst = KEPT, r;
    if (json_is_string(v))
        return utf8_ok(json_string_value(v), json_string_length(v)) ? KEPT : BAD_UTF8;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((r = why_refused(json_array_get(v, i), level + 1)) > worst)
                worst = r;
    } else if (json_is_object(v)) {
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            const char *name = json_object_iter_key(it);
            size_t len = fuzz_key_len(it);
            if (memchr(name, '\0', len) && NUL_NAME > worst)
                worst = NUL_NAME;
            else if (!utf8_ok(name, len) && BAD_UTF8 > worst)
                worst = BAD_UTF8;
            if ((r = why_refused(json_object_iter_value(it), level + 1)) > worst)
                worst = r;
        }
    }
    return worst;
}

int fuzz_check_json_roundtrip(const uint8_t *data, size_t size)
{
    struct builder b = {{data, data + size}, 0, false};
    json_t *v = build(&b, 0);
    if (!v)
        return 0; /* out of memory while building */

    json_t *copy = nana__json_copy(v);
    if (!fuzz_json_same(copy, v))
        fuzz_fail("nana__json_copy changed %s", fuzz_json_show(v));
    json_decref(copy);

    enum refusal reason = why_refused(v, 1);
    size_t len = 0;
    char *text_out = nana__json_encode(v, &len);
    if (!text_out) {
        if (reason == KEPT)
            fuzz_fail("the encoder refuses %s, which has nothing it may refuse",
                      fuzz_json_show(v));
        json_decref(v);
        return 0;
    }
    if (reason != KEPT)
        fuzz_fail("the encoder wrote %s for a value holding %s: it cannot read back",
                  fuzz_show(text_out, len), refusal_names[reason]);
    if (strlen(text_out) != len)
        fuzz_fail("the encoder wrote a NUL byte: %s", fuzz_show(text_out, len));
    json_t *back = nana__json_decode(text_out, len);
    if (!fuzz_json_same(back, v)) {
        char shown[1100];
        snprintf(shown, sizeof shown, "%s", fuzz_json_show(v));
        fuzz_fail("%s was encoded as %s and read back as %s", shown, fuzz_show(text_out, len),
                  fuzz_json_show(back));
    }
    json_error_t err;
    json_t *other = json_loadb(text_out, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!fuzz_json_same(other, v))
        fuzz_fail("jansson reads the encoded %s differently (%s)", fuzz_show(text_out, len),
                  other ? "another value" : err.text);
    json_decref(other);
    json_decref(back);
    free(text_out);
    json_decref(v);
    return 0;
}
