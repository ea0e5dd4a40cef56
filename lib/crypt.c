/*
 * crypt.c -- the AEAD of encrypted roots: NanaSQLite's stored form of an
 * encrypted value, sealed and opened with OpenSSL's libcrypto (EVP).
 *
 * NanaSQLite (src/nanasqlite/core.py, _serialize / _deserialize) stores an
 * encrypted value as the bytes nonce || ciphertext || tag: a fresh 12-byte
 * random nonce, the AEAD ciphertext of the value's UTF-8 JSON text, the
 * 16-byte tag; no associated data, no header, no key derivation (the key
 * is used as given).  Python's sqlite3 binds those bytes as a BLOB.  This
 * file only knows bytes; table.c puts them in the value column.
 *
 * Nothing here is shared between threads but the key and the cipher, which
 * are read-only after nana__crypt_init: each call makes its own context,
 * so a reader lane added later could open values while the writer seals.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

nana_status_t nana__crypt_init(struct nana_crypt *c, nana_cipher_t cipher, const void *key,
                               size_t key_len, const char **why)
{
    const char *name = NULL;
    memset(c, 0, sizeof *c);
    switch (cipher) {
    case NANA_CIPHER_AES_GCM:
        /* Python's AESGCM takes 128-, 192- and 256-bit keys. */
        name = key_len == 16 ? "AES-128-GCM"
             : key_len == 24 ? "AES-192-GCM"
             : key_len == 32 ? "AES-256-GCM" : NULL;
        if (!name) {
            *why = "a NANA_CIPHER_AES_GCM key is 16, 24 or 32 bytes";
            return NANA_EINVAL;
        }
        break;
    case NANA_CIPHER_CHACHA20:
        name = "ChaCha20-Poly1305";
        if (key_len != 32) {
            *why = "a NANA_CIPHER_CHACHA20 key is 32 bytes";
            return NANA_EINVAL;
        }
        break;
    default:
        *why = "unknown cipher (this release knows NANA_CIPHER_AES_GCM and "
               "NANA_CIPHER_CHACHA20)";
        return NANA_EINVAL;
    }
    /* Fetched once: an implicit fetch on every value would look the
     * algorithm up in the provider tables each time. */
    c->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (!c->cipher) {
        *why = "this OpenSSL does not provide the cipher (a FIPS-only configuration?)";
        return NANA_EINVAL;
    }
    memcpy(c->key, key, key_len);
    c->key_len = key_len;
    return NANA_OK;
}

void nana__crypt_wipe(struct nana_crypt *c)
{
    /* OPENSSL_cleanse, not memset: a store to memory about to be freed
     * is dead to the compiler, which may drop it. */
    OPENSSL_cleanse(c->key, sizeof c->key);
    c->key_len = 0;
    EVP_CIPHER_free(c->cipher);
    c->cipher = NULL;
}

/* A context keyed for nonce, encrypting (enc 1) or decrypting (0); NULL on
 * failure.  EVP_CIPHER_CTX_free() wipes the key schedule it holds. */
static EVP_CIPHER_CTX *keyed(const struct nana_crypt *c, const unsigned char *nonce, int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    /* 12 bytes is the default nonce length of both ciphers. */
    if (ctx && EVP_CipherInit_ex2(ctx, c->cipher, c->key, nonce, enc, NULL) == 1)
        return ctx;
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}

unsigned char *nana__crypt_seal(const struct nana_crypt *c, const void *plain, size_t len,
                                size_t *sealed_len)
{
    /* EVP counts in int. */
    if (len > (size_t)INT_MAX - NANA_CRYPT_OVERHEAD)
        return NULL;
    unsigned char *out = malloc(len + NANA_CRYPT_OVERHEAD);
    if (!out)
        return NULL;
    unsigned char *nonce = out, *body = out + NANA_CRYPT_NONCE, *tag = body + len;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0, tail = 0;
    /* A random nonce per value, as NanaSQLite does (os.urandom(12)); see
     * the limit this puts on one key in nana_open_encrypted(3). */
    bool ok = RAND_bytes(nonce, NANA_CRYPT_NONCE) == 1 && (ctx = keyed(c, nonce, 1)) &&
              EVP_CipherUpdate(ctx, body, &n, plain, (int)len) == 1 && (size_t)n == len &&
              EVP_CipherFinal_ex(ctx, body + n, &tail) == 1 && tail == 0 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, NANA_CRYPT_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        free(out);
        return NULL;
    }
    *sealed_len = len + NANA_CRYPT_OVERHEAD;
    return out;
}

enum nana_value_fault nana__crypt_open(const struct nana_crypt *c, const unsigned char *sealed,
                                       size_t len, char **plain, size_t *plain_len)
{
    *plain = NULL;
    /* Checked before anything reads the nonce or the tag (NanaSQLite's
     * audit, BUG-03: a short value reached the cipher). */
    if (len < NANA_CRYPT_OVERHEAD)
        return NANA__VALUE_SHORT;
    if (len > (size_t)INT_MAX)
        return NANA__VALUE_NOMEM;
    size_t body_len = len - NANA_CRYPT_OVERHEAD;
    const unsigned char *nonce = sealed, *body = sealed + NANA_CRYPT_NONCE, *tag = body + body_len;
    /* + 1: never malloc(0), whose NULL would read as out of memory. */
    char *out = malloc(body_len + 1);
    if (!out)
        return NANA__VALUE_NOMEM;
    EVP_CIPHER_CTX *ctx = keyed(c, nonce, 0);
    if (!ctx) {
        free(out);
        return NANA__VALUE_NOMEM;
    }
    int n = 0, tail = 0;
    /* The tag is checked by Final: until it returned 1, out holds
     * unauthenticated bytes, and is never handed on. */
    bool ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, NANA_CRYPT_TAG, (void *)tag) == 1 &&
              EVP_CipherUpdate(ctx, (unsigned char *)out, &n, body, (int)body_len) == 1 &&
              EVP_CipherFinal_ex(ctx, (unsigned char *)out + n, &tail) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok || (size_t)n + (size_t)tail != body_len) {
        free(out);
        return NANA__VALUE_FORGED;
    }
    *plain = out;
    *plain_len = body_len;
    return NANA__VALUE_OK;
}
