/*
 * Values of every JSON kind round-trip through an encrypted root, with
 * AES-GCM under 16-, 24- and 32-byte keys and with ChaCha20-Poly1305: from
 * the cache, from SQLite (get_fresh), after a reopen with the same key, and
 * after a reopen with bulk_load.  What is stored is NanaSQLite's form: a
 * BLOB exactly 28 bytes (nonce and tag) longer than the JSON text a
 * plaintext root stores for the same value, holding none of that text, and
 * different each time the same value is written (a fresh nonce).
 */
#include "crypt.h"

static const char *const values[] = {
    "{\"name\":\"Nana ナナ 😀\",\"age\":20,\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":[1,{\"y\":null}]}}",
    "[1,2.5,-3,true,false,null,\"MARKER_IN_ARRAY\"]",
    "\"MARKER_STRING with \\u0000 a NUL inside\"",
    "9223372036854775807",
    "-9223372036854775808",
    "0.1",
    "null",
    "true",
    "\"\"",
    "{}",
    "[]",
};
#define N_VALUES (sizeof values / sizeof values[0])

static const struct {
    nana_cipher_t cipher;
    size_t key_len;
    const char *name;
} configs[] = {
    {NANA_CIPHER_AES_GCM, 32, "aes-256-gcm"},
    {NANA_CIPHER_AES_GCM, 24, "aes-192-gcm"},
    {NANA_CIPHER_AES_GCM, 16, "aes-128-gcm"},
    {NANA_CIPHER_CHACHA20, 32, "chacha20-poly1305"},
};

static void key_name(char *buf, size_t size, size_t i)
{
    snprintf(buf, size, "value_%zu", i);
}

/* t_json() and set_text() with NUL allowed in strings. */
static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        t_fail(__FILE__, __LINE__, "bad JSON \"%s\": %s", text, err.text);
    return v;
}

static void set_text(nana_db_t *db, const char *key, const char *text)
{
    json_t *v = parse(text);
    CHECK_ST(t_wait(nana_set(db, key, v)), NANA_OK);
    json_decref(v);
}

static void expect_all(nana_db_t *db, bool fresh)
{
    for (size_t i = 0; i < N_VALUES; i++) {
        char k[32];
        key_name(k, sizeof k, i);
        json_t *want = parse(values[i]);
        json_t *got = TAKE(fresh ? nana_get_fresh(db, k, NULL) : nana_get(db, k, NULL));
        if (!json_equal(got, want))
            t_fail(__FILE__, __LINE__, "%s (%s): the value read back differs", k,
                   fresh ? "get_fresh" : "get");
        json_decref(got);
        json_decref(want);
    }
}

int main(void)
{
    /* The text a plaintext root stores for each value: the sealed form must
     * be exactly 28 bytes longer. */
    nana_db_t *plain = t_open("plain.db", NULL);
    for (size_t i = 0; i < N_VALUES; i++) {
        char k[32];
        key_name(k, sizeof k, i);
        set_text(plain, k, values[i]);
    }
    CHECK_ST(nana_close(plain), NANA_OK);

    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        unsigned char key[32];
        t_key(key, configs[c].key_len, (unsigned)c + 1);
        char name[64];
        snprintf(name, sizeof name, "%s.db", configs[c].name);
        const char *path = t_path(name);

        nana_db_t *db = t_open_encrypted(name, NULL, configs[c].cipher, key, configs[c].key_len);
        for (size_t i = 0; i < N_VALUES; i++) {
            char k[32];
            key_name(k, sizeof k, i);
            set_text(db, k, values[i]);
        }
        expect_all(db, false);
        expect_all(db, true);

        for (size_t i = 0; i < N_VALUES; i++) {
            char k[32];
            key_name(k, sizeof k, i);
            size_t n, plain_n;
            int type, plain_type;
            unsigned char *sealed = t_raw_bytes(path, "data", k, &n, &type);
            unsigned char *text = t_raw_bytes(t_path("plain.db"), "data", k, &plain_n, &plain_type);
            CHECK(sealed && text);
            CHECK_INT(type, SQLITE_BLOB);
            CHECK_INT(plain_type, SQLITE_TEXT);
            if (n != plain_n + 28)
                t_fail(__FILE__, __LINE__, "%s %s: %zu bytes stored, want %zu + 28",
                       configs[c].name, k, n, plain_n);
            CHECK(!t_bytes_hold(sealed, n, "MARKER"));
            CHECK(!t_bytes_hold(sealed, n, "Nana"));

            /* The same value written again is stored anew: another nonce,
             * so other bytes throughout. */
            set_text(db, k, values[i]);
            size_t n2;
            unsigned char *again = t_raw_bytes(path, "data", k, &n2, &type);
            CHECK_INT(n2, n);
            CHECK(memcmp(again, sealed, 12) != 0);
            CHECK(memcmp(again + 12, sealed + 12, n - 12) != 0);
            free(again);
            free(sealed);
            free(text);
        }
        CHECK_ST(nana_close(db), NANA_OK);

        /* The same key reads the file again, row by row and loaded in bulk. */
        db = t_open_encrypted(name, NULL, configs[c].cipher, key, configs[c].key_len);
        expect_all(db, false);
        CHECK_ST(nana_close(db), NANA_OK);
        nana_options_t o;
        nana_options_init(&o);
        o.bulk_load = true;
        db = t_open_encrypted(name, &o, configs[c].cipher, key, configs[c].key_len);
        for (size_t i = 0; i < N_VALUES; i++) {
            char k[32];
            key_name(k, sizeof k, i);
            CHECK(BOOL(nana_is_cached(db, k)));
        }
        expect_all(db, false);
        CHECK_ST(nana_close(db), NANA_OK);
        printf("%s: %zu values round-trip, stored sealed\n", configs[c].name, N_VALUES);
    }
    return 0;
}
