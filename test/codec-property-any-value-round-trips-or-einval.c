/*
 * Any value jansson can hold either comes back exactly -- through the cache,
 * through the stored text (get_fresh, and get after reopening), and through
 * jansson reading that text as another program would -- or nana_set refuses
 * it with NANA_EINVAL and the key keeps what it held, in the file and in the
 * cache.  Never a changed value.  "Exactly" is stricter than json_equal():
 * member order, reals bit for bit (-0.0 included), strings and keys byte for
 * byte with their lengths.
 *
 * A seeded generator builds thousands of values: nested objects and arrays;
 * strings and keys with NUL, every escape, multi-byte UTF-8 and invalid
 * UTF-8 (json_stringn_nocheck / json_object_set*_nocheck); reals at the edges
 * (-0.0, subnormals, DBL_MAX, values needing 17 digits) and random bit
 * patterns; INT64_MIN / INT64_MAX; long strings; chains nested around
 * jansson's 2048-level limit.  Which values must be refused is decided
 * independently of the library: jansson's own UTF-8 check (json_stringn),
 * a NUL in a key (jansson's reader refuses those), more than 2048 levels.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <sqlite3.h>

/* Rounds of KEYS values: about 2 s plain, as long again under ASan and
 * valgrind, and TSan (slower still here) with fewer. */
#if defined(__SANITIZE_THREAD__)
#define ROUNDS 40
#elif defined(__SANITIZE_ADDRESS__)
#define ROUNDS 150
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ROUNDS 40
#elif __has_feature(address_sanitizer)
#define ROUNDS 150
#endif
#endif
#ifndef ROUNDS
#define ROUNDS 1000
#endif
#define VALGRIND_ROUNDS 100
#define KEYS 32          /* values per round, one per key */
#define REOPEN_EVERY 50  /* rounds */
#define MAX_LEVELS 2048  /* jansson's JSON_PARSER_MAX_DEPTH */

#if JANSSON_VERSION_HEX >= 0x020e00
#define KEYS_HOLD_NUL 1
#endif

/* ------------------------------------------------------------ generator */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd64(void)
{
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1du;
}
static unsigned rnd(unsigned n)
{
    return (unsigned)(rnd64() >> 33) % n;
}

struct piece {
    const char *s;
    size_t len;
};
#define P(lit) {lit, sizeof lit - 1}
static const struct piece valid_pieces[] = {
    P("a"), P("z"), P("key"), P(" "), P("\""), P("\\"), P("/"), P("\b"), P("\f"), P("\n"),
    P("\r"), P("\t"), P("\x01"), P("\x1f"), P("\x7f"), P("\0"), P("\\u0000"), P("\\ud800"),
    P("é"), P("日本"), P("😀"), P("\xe2\x80\xa8"), P("\xef\xbf\xbf"), P("\xf4\x8f\xbf\xbf"),
    P("\xef\xbb\xbf"), P("\xc2\x80"), P("\xdf\xbf"), P("\xe0\xa0\x80"), P("\xf0\x90\x80\x80"),
    P("</script>"), P("0"), P("{}[]:,"),
};
static const struct piece invalid_pieces[] = {
    P("\xff"), P("\x80"), P("\xbf"), P("\xc0\xaf"), P("\xc1\xbf"), P("\xed\xa0\x80"),
    P("\xed\xbf\xbf"), P("\xe6\x97"), P("\xf4\x90\x80\x80"), P("\xf5\x80\x80\x80"),
    P("\xf0\x8f\xbf\xbf"), P("\xe0\x9f\xbf"), P("\xc3"), P("\xf0\x9f\x98"),
};
#define COUNT(a) (sizeof a / sizeof a[0])

/* Random bytes of pieces into buf; returns the length. */
static size_t random_text(char *buf, size_t cap, unsigned max_pieces, bool allow_nul)
{
    size_t len = 0;
    for (unsigned i = rnd(max_pieces + 1); i > 0; i--) {
        const struct piece *p = rnd(60) == 0 ? &invalid_pieces[rnd(COUNT(invalid_pieces))]
                                             : &valid_pieces[rnd(COUNT(valid_pieces))];
        if (!allow_nul && memchr(p->s, '\0', p->len))
            continue;
        if (len + p->len > cap)
            break;
        memcpy(buf + len, p->s, p->len);
        len += p->len;
    }
    return len;
}

static json_t *random_string(void)
{
    if (rnd(300) == 0) {
        /* A long one: 10 kB to 200 kB. */
        size_t cap = 10000 + rnd(190000);
        char *buf = malloc(cap);
        CHECK(buf != NULL);
        size_t len = 0;
        while (len + 8 < cap)
            len += random_text(buf + len, cap - len, 8, true);
        json_t *s = json_stringn_nocheck(buf, len);
        free(buf);
        return s;
    }
    char buf[128];
    size_t len = random_text(buf, sizeof buf, 8, true);
    return json_stringn_nocheck(buf, len);
}

static double random_real(void)
{
    static const double edges[] = {
        0.0, -0.0, 0x1p-1074, -0x1p-1074, 0x0.fffffffffffffp-1022, DBL_MIN, -DBL_MIN,
        DBL_MAX, -DBL_MAX, 1e308, -1e308, 1e-308, 0.1, 0.2, 0.30000000000000004, 1.0 / 3,
        2.0 / 3, 9007199254740992.0, 9007199254740994.0, 1e15, 1e16, 1e17, 1e21, 1e22,
        123456789012345678.0, 4.35, 100.0, 1e-7, 5e-7, 0x1.0000000000001p0, 0x1.fffffffffffffp0,
        2.5e-7, 1.7976931348623155e308, 4.9406564584124654e-324, 2.2250738585072014e-308,
        2.2250738585072011e-308, 3.0, -1.0, 0.5, 1e-5, 1e-4, 123456.789e3,
    };
    switch (rnd(4)) {
    case 0: return edges[rnd(COUNT(edges))];
    case 1: {
        /* Any finite bit pattern; a zero exponent now and then: subnormals. */
        for (;;) {
            uint64_t bits = rnd64();
            if (rnd(4) == 0)
                bits &= 0x800fffffffffffffu;
            double d;
            memcpy(&d, &bits, sizeof d);
            if (isfinite(d))
                return d;
        }
    }
    case 2: return (double)(int64_t)rnd64() / (double)(rnd64() | 1);
    default: return (double)rnd(100000) / (double)(1 + rnd(1000)) * (rnd(2) ? 1 : -1);
    }
}

static json_int_t random_integer(void)
{
    static const json_int_t edges[] = {0, 1, -1, INT64_MIN, INT64_MAX, INT64_MIN + 1,
                                       INT64_MAX - 1, 9007199254740993, -9007199254740993,
                                       1000000000000000000, -999999999999999999};
    switch (rnd(3)) {
    case 0: return edges[rnd(COUNT(edges))];
    case 1: return (json_int_t)rnd64();
    default: return (json_int_t)rnd(2000) - 1000;
    }
}

static json_t *random_value(int level);

static void add_member(json_t *object, int level)
{
    char key[64];
    size_t len = rnd(5) == 0 ? (size_t)snprintf(key, sizeof key, "m%u", rnd(20))
#ifdef KEYS_HOLD_NUL
                             : random_text(key, sizeof key, 4, rnd(4) == 0);
    CHECK(json_object_setn_new_nocheck(object, key, len, random_value(level + 1)) == 0);
#else
                             : random_text(key, sizeof key - 1, 4, false);
    key[len] = '\0';
    CHECK(json_object_set_new_nocheck(object, key, random_value(level + 1)) == 0);
#endif
}

/* A chain of containers levels deep, a scalar (one more level) or nothing at
 * the bottom. */
static json_t *random_chain(int levels)
{
    json_t *top = NULL, *inner = NULL;
    bool leaf = rnd(2);
    for (int i = 0; i < levels - leaf; i++) {
        json_t *c = rnd(3) ? json_array() : json_object();
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

static json_t *random_value(int level)
{
    if (level == 1 && rnd(60) == 0) {
        static const int deep[] = {MAX_LEVELS - 2, MAX_LEVELS - 1, MAX_LEVELS, MAX_LEVELS,
                                   MAX_LEVELS + 1, MAX_LEVELS + 1, MAX_LEVELS + 2, 3 * MAX_LEVELS};
        return random_chain(deep[rnd(COUNT(deep))]);
    }
    switch (rnd(level > 5 ? 7 : 10)) {
    case 0: return json_integer(random_integer());
    case 1:
    case 2: {
        json_t *r = json_real(random_real());
        CHECK(r != NULL);
        return r;
    }
    case 3:
    case 4: return random_string();
    case 5: return json_boolean(rnd(2));
    case 6: return json_null();
    case 7:
    case 8: {
        json_t *a = json_array();
        for (int i = rnd(6); i > 0; i--)
            json_array_append_new(a, random_value(level + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int i = rnd(7); i > 0; i--)
            add_member(o, level);
        return o;
    }
    }
}

/* ------------------------------------------------------------ the oracle */

enum refusal { KEPT, BAD_UTF8, NUL_KEY, TOO_DEEP };

static bool utf8_ok(const char *s, size_t len)
{
    json_t *check = json_stringn(s, len); /* jansson's own UTF-8 check */
    json_decref(check);
    return check != NULL;
}

static size_t key_len_of(void *iter)
{
#ifdef KEYS_HOLD_NUL
    return json_object_iter_key_len(iter);
#else
    return strlen(json_object_iter_key(iter));
#endif
}

/* Why v cannot round-trip, or KEPT. */
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
            const char *key = json_object_iter_key(it);
            size_t len = key_len_of(it);
            if (memchr(key, '\0', len) && NUL_KEY > worst)
                worst = NUL_KEY;
            else if (!utf8_ok(key, len) && BAD_UTF8 > worst)
                worst = BAD_UTF8;
            if ((r = why_refused(json_object_iter_value(it), level + 1)) > worst)
                worst = r;
        }
    }
    return worst;
}

/* Exactly the same value: stricter than json_equal(). */
static bool same(const json_t *a, const json_t *b)
{
    if (!a || !b || json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia),
                         ib = json_object_iter_next((json_t *)b, ib)) {
            size_t la = key_len_of(ia), lb = key_len_of(ib);
            if (la != lb || memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0 ||
                !same(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return true;
    }
}

/* ------------------------------------------------------------ the check */

static sqlite3 *raw;
static sqlite3_stmt *read_raw;

/* The text stored under key (malloc'd), or NULL. */
static char *stored_text(const char *key)
{
    sqlite3_bind_text(read_raw, 1, key, -1, SQLITE_STATIC);
    char *out = NULL;
    int rc = sqlite3_step(read_raw);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(read_raw, 0);
        out = malloc(n + 1);
        CHECK(out != NULL);
        memcpy(out, sqlite3_column_text(read_raw, 0), n);
        out[n] = '\0';
        CHECK(strlen(out) == n); /* NUL is always escaped */
    } else {
        CHECK(rc == SQLITE_DONE);
    }
    sqlite3_reset(read_raw);
    return out;
}

struct slot {
    char key[16];
    json_t *value; /* what the key holds now */
    char *text;    /* and its stored text */
};

static void fail_value(const char *what, const json_t *input)
{
    char *text = json_dumps(input, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
    t_fail(__FILE__, __LINE__, "%s; input %s", what,
           text ? t_shown(text) : "(json_dumps refuses it)");
}

/* The library's answer equals what the slot holds. */
static void check_answer(nana_future_t *f, const struct slot *s, const char *via)
{
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK || !same(nana_future_json(f), s->value)) {
        char what[1400];
        snprintf(what, sizeof what, "%s %s: %s / a changed value", via, s->key,
                 t_status_name(st));
        fail_value(what, s->value);
    }
    nana_future_free(f);
}

int main(void)
{
    /* jansson has no NaN or infinity to give us. */
    CHECK(json_real(NAN) == NULL && json_real(INFINITY) == NULL && json_real(-INFINITY) == NULL);
    json_t *probe = json_real(1.0);
    CHECK(json_real_set(probe, NAN) == -1 && json_real_set(probe, INFINITY) == -1);
    json_decref(probe);

    const char *path = t_path("property.db");
    nana_db_t *db = t_open("property.db", NULL);
    CHECK(sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    CHECK(sqlite3_prepare_v2(raw, "SELECT value FROM data WHERE key = ?", -1, &read_raw, NULL) ==
          SQLITE_OK);

    struct slot slots[KEYS];
    for (int i = 0; i < KEYS; i++) {
        snprintf(slots[i].key, sizeof slots[i].key, "p%d", i);
        slots[i].value = json_pack("{s:i}", "initial", i);
        CHECK_ST(t_wait(nana_set(db, slots[i].key, slots[i].value)), NANA_OK);
        slots[i].text = stored_text(slots[i].key);
        CHECK(slots[i].text != NULL);
    }

    /* valgrind preloads its helpers into the program it runs. */
    const char *preload = getenv("LD_PRELOAD");
    int rounds = preload && strstr(preload, "vgpreload") ? VALGRIND_ROUNDS : ROUNDS;
    int counts[4] = {0}, deep_kept = 0;
    for (int round = 1; round <= rounds; round++) {
        json_t *input[KEYS];
        enum refusal why[KEYS];
        nana_future_t *sets[KEYS];
        for (int i = 0; i < KEYS; i++) {
            input[i] = random_value(1);
            CHECK(input[i] != NULL);
            why[i] = why_refused(input[i], 1);
            counts[why[i]]++;
            sets[i] = nana_set(db, slots[i].key, input[i]);
        }
        for (int i = 0; i < KEYS; i++) {
            struct slot *s = &slots[i];
            nana_status_t st = nana_future_await(sets[i]);
            nana_future_free(sets[i]);
            char what[1400];
            if (why[i] != KEPT) {
                if (st != NANA_EINVAL) {
                    snprintf(what, sizeof what, "set %s: %s, want NANA_EINVAL (reason %d)",
                             s->key, t_status_name(st), (int)why[i]);
                    fail_value(what, input[i]);
                }
                json_decref(input[i]);
                /* The key holds what it held: the text not even rewritten. */
                char *text = stored_text(s->key);
                CHECK(text != NULL && strcmp(text, s->text) == 0);
                free(text);
            } else {
                if (st != NANA_OK) {
                    snprintf(what, sizeof what, "set %s: %s, want NANA_OK", s->key,
                             t_status_name(st));
                    fail_value(what, input[i]);
                }
                json_decref(s->value);
                s->value = input[i];
                free(s->text);
                s->text = stored_text(s->key);
                CHECK(s->text != NULL);
                /* Nested 2047 levels or more: at level 3 it would be too deep. */
                deep_kept += why_refused(s->value, 3) == TOO_DEEP;
                /* Another reader of the file sees the same value. */
                json_error_t err;
                json_t *theirs = json_loads(s->text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
                if (!same(theirs, s->value)) {
                    snprintf(what, sizeof what, "jansson reads the stored text of %s as %s",
                             s->key, theirs ? "a changed value" : err.text);
                    fail_value(what, s->value);
                }
                json_decref(theirs);
            }
            check_answer(nana_get(db, s->key, NULL), s, "get");
            check_answer(nana_get_fresh(db, s->key, NULL), s, "get_fresh");
        }
        if (round % REOPEN_EVERY == 0 || round == rounds) {
            CHECK_ST(nana_close(db), NANA_OK);
            db = t_open("property.db", NULL);
            for (int i = 0; i < KEYS; i++)
                check_answer(nana_get(db, slots[i].key, NULL), &slots[i], "get after reopen");
        }
    }
    printf("%d values: %d kept, %d bad UTF-8, %d NUL in a key, %d too deep; %d kept nested "
           "2047 levels or more\n",
           rounds * KEYS, counts[KEPT], counts[BAD_UTF8], counts[NUL_KEY], counts[TOO_DEEP],
           deep_kept);
    /* The generator reached every class (the seed is fixed). */
    CHECK(counts[KEPT] > rounds * KEYS / 2 && counts[BAD_UTF8] > 0 && counts[TOO_DEEP] > 0);
#ifdef KEYS_HOLD_NUL
    CHECK(counts[NUL_KEY] > 0);
#endif
    CHECK(deep_kept > 0);

    for (int i = 0; i < KEYS; i++) {
        json_decref(slots[i].value);
        free(slots[i].text);
    }
    sqlite3_finalize(read_raw);
    sqlite3_close(raw);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
