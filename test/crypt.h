/*
 * What the value-encryption scenarios (test/crypt-*.c) share: keys, opening
 * an encrypted root, the stored bytes of a value read and written beside
 * the library, and the check of a decryption failure.
 */
#ifndef NANA_TEST_CRYPT_H
#define NANA_TEST_CRYPT_H

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "harness.h"

/* A key of n bytes made from seed: different seeds, different keys. */
static inline void t_key(unsigned char *key, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        key[i] = (unsigned char)(seed * 131u + i * 29u + 7u);
}

/* Opens t_path(name) encrypted; fails the test unless NANA_OK. */
static inline nana_db_t *t_open_encrypted(const char *name, const nana_options_t *opts,
                                          nana_cipher_t cipher, const unsigned char *key,
                                          size_t key_len)
{
    nana_db_t *db = NULL;
    nana_status_t st = nana_open_encrypted(t_path(name), opts, 0, cipher, key, key_len, &db);
    if (st != NANA_OK)
        t_fail(__FILE__, __LINE__, "nana_open_encrypted(%s): %s: %s", name, t_status_name(st),
               nana_db_errmsg(db));
    return db;
}

/* The stored value of key in table, read with a connection of its own: its
 * bytes (malloc'd, *n of them; NULL when the row is missing) and its SQLite
 * type in *type. */
static inline unsigned char *t_raw_bytes(const char *path, const char *table, const char *key,
                                         size_t *n, int *type)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT value FROM \"%s\" WHERE key = ?", table);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    unsigned char *out = NULL;
    *n = 0;
    *type = SQLITE_NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *type = sqlite3_column_type(st, 0);
        const void *p = sqlite3_column_blob(st, 0);
        *n = (size_t)sqlite3_column_bytes(st, 0);
        CHECK((out = malloc(*n + 1)) != NULL);
        if (*n)
            memcpy(out, p, *n);
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
    return out;
}

/* Stores bytes (n of them) as key's value in table, as a BLOB, beside the
 * library. */
static inline void t_raw_put_blob(const char *path, const char *table, const char *key,
                                  const unsigned char *bytes, size_t n)
{
    sqlite3 *c = NULL;
    CHECK(sqlite3_open(path, &c) == SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO \"%s\" (key, value) VALUES (?, ?)", table);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    /* A zero-length BLOB, not NULL, when n is 0. */
    sqlite3_bind_blob(st, 2, n ? (const void *)bytes : "", (int)n, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(c);
}

/* NanaSQLite's sealed form of text under a 32-byte AES-GCM key, made here
 * with libcrypto (a second implementation, beside the library's): out
 * gets 12 + strlen(text) + 16 bytes; returns that length. */
static inline size_t t_seal_aes256gcm(const unsigned char *key, const char *text,
                                      unsigned char *out)
{
    int len = (int)strlen(text), n = 0, tail = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    CHECK(ctx && RAND_bytes(out, 12) == 1);
    CHECK(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) == 1);
    CHECK(EVP_EncryptUpdate(ctx, out + 12, &n, (const unsigned char *)text, len) == 1);
    CHECK(EVP_EncryptFinal_ex(ctx, out + 12 + n, &tail) == 1);
    CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + len) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return (size_t)len + 28;
}

/* Does the n bytes of hay hold needle? */
static inline bool t_bytes_hold(const unsigned char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* Awaits f: NANA_ETYPE, no value, and a message that says the decryption of
 * key in table failed and (when not NULL) why, with the words of why, and
 * does not hold "SECRET"; frees f. */
#define EXPECT_UNDECRYPTABLE(f, key, table, why)                                       \
    t_expect_undecryptable(__FILE__, __LINE__, #f, (f), (key), (table), (why))
static inline void t_expect_undecryptable(const char *file, int line, const char *expr,
                                          nana_future_t *f, const char *key,
                                          const char *table, const char *why)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    char named[256], in_table[256];
    snprintf(named, sizeof named, "decryption failed for key \"%s\"", key);
    snprintf(in_table, sizeof in_table, "in table \"%s\"", table);
    /* The values the scenarios store hold "SECRET": never in a message. */
    if (st != NANA_ETYPE || nana_future_json(f) != NULL || !strstr(msg, named) ||
        !strstr(msg, in_table) || (why && !strstr(msg, why)) || strstr(msg, "SECRET"))
        t_fail(file, line, "%s: got %s \"%s\", want NANA_ETYPE saying %s %s%s%s", expr,
               t_status_name(st), msg, named, in_table, why ? ": ... " : "", why ? why : "");
    nana_future_free(f);
}

/* The words of each reason (lib/table.c). */
#define WHY_FORGED "the authentication tag does not match"
#define WHY_SHORT "shorter than a nonce and a tag"
#define WHY_PLAINTEXT "stored unencrypted"

#endif
