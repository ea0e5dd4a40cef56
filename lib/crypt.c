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
 * A root's key lives only in two libcrypto contexts keyed once at open,
 * one sealing and one opening: the library keeps no copy of its own, and
 * freeing the contexts at close wipes their key schedules.  Each value only
 * sets a nonce on one of them, a fifth of what keying a new context costs
 * (0.14 us against 0.77 us).  A context holds one operation's state, so
 * each has a lock: today every value is sealed and opened by the thread
 * holding the root's executor role, one at a time, and the locks are never
 * contended; they keep that from being what makes this safe.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

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
    EVP_CIPHER *evp = EVP_CIPHER_fetch(NULL, name, NULL);
    if (!evp) {
        *why = "this OpenSSL does not provide the cipher (a FIPS-only configuration?)";
        return NANA_EINVAL;
    }
    c->seal_ctx = EVP_CIPHER_CTX_new();
    c->open_ctx = EVP_CIPHER_CTX_new();
    /* Keyed without a nonce: each value sets its own. */
    bool ok = c->seal_ctx && c->open_ctx &&
              EVP_CipherInit_ex2(c->seal_ctx, evp, key, NULL, 1, NULL) == 1 &&
              EVP_CipherInit_ex2(c->open_ctx, evp, key, NULL, 0, NULL) == 1;
    EVP_CIPHER_free(evp); /* the contexts hold their own references */
    if (!ok) {
        EVP_CIPHER_CTX_free(c->seal_ctx);
        EVP_CIPHER_CTX_free(c->open_ctx);
        c->seal_ctx = c->open_ctx = NULL;
        *why = "out of memory setting up the cipher";
        return NANA_ENOMEM;
    }
    pthread_mutex_init(&c->seal_lock, NULL);
    pthread_mutex_init(&c->open_lock, NULL);
    return NANA_OK;
}

void nana__crypt_wipe(struct nana_crypt *c)
{
    if (!c->seal_ctx)
        return;
    /* EVP_CIPHER_CTX_free() cleanses the key schedule before freeing it. */
    EVP_CIPHER_CTX_free(c->seal_ctx);
    EVP_CIPHER_CTX_free(c->open_ctx);
    c->seal_ctx = c->open_ctx = NULL;
    pthread_mutex_destroy(&c->seal_lock);
    pthread_mutex_destroy(&c->open_lock);
}

/*
 * A random nonce per value, as NanaSQLite draws one (os.urandom(12)): from
 * the kernel's generator, the source of os.urandom.  Not RAND_bytes():
 * libcrypto's generator is seeded from the same source, costs three times
 * as much per value (1.7 us against 0.6 us with OpenSSL 3.0 on Linux 6),
 * and getrandom() keeps no state in the process that a fork() could
 * duplicate.  nana_open_encrypted(3) says what random nonces allow per key.
 */
static bool fresh_nonce(unsigned char *nonce)
{
    ssize_t got;
    while ((got = getrandom(nonce, NANA_CRYPT_NONCE, 0)) < 0 && errno == EINTR)
        ;
    return got == NANA_CRYPT_NONCE;
}

unsigned char *nana__crypt_seal(struct nana_crypt *c, const void *plain, size_t len,
                                size_t *sealed_len)
{
    /* EVP counts in int. */
    if (len > (size_t)INT_MAX - NANA_CRYPT_OVERHEAD)
        return NULL;
    unsigned char *out = malloc(len + NANA_CRYPT_OVERHEAD);
    if (!out)
        return NULL;
    unsigned char *nonce = out, *body = out + NANA_CRYPT_NONCE, *tag = body + len;
    EVP_CIPHER_CTX *ctx = c->seal_ctx;
    int n = 0, tail = 0;
    bool ok = fresh_nonce(nonce);
    pthread_mutex_lock(&c->seal_lock);
    /* 12 bytes is the default nonce length of both ciphers. */
    ok = ok && EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 1, NULL) == 1 &&
         EVP_CipherUpdate(ctx, body, &n, plain, (int)len) == 1 && (size_t)n == len &&
         EVP_CipherFinal_ex(ctx, body + n, &tail) == 1 && tail == 0 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, NANA_CRYPT_TAG, tag) == 1;
    pthread_mutex_unlock(&c->seal_lock);
    if (!ok) {
        free(out);
        return NULL;
    }
    *sealed_len = len + NANA_CRYPT_OVERHEAD;
    return out;
}

enum nana_value_fault nana__crypt_open(struct nana_crypt *c, const unsigned char *sealed,
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
    EVP_CIPHER_CTX *ctx = c->open_ctx;
    int n = 0, tail = 0;
    /* The tag is checked by Final: until it returned 1, out holds
     * unauthenticated bytes, and is never handed on.  A failed value
     * leaves nothing behind: the next one sets its nonce, which starts
     * the context over. */
    pthread_mutex_lock(&c->open_lock);
    bool ok = EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, NANA_CRYPT_TAG, (void *)tag) == 1 &&
              EVP_CipherUpdate(ctx, (unsigned char *)out, &n, body, (int)body_len) == 1 &&
              EVP_CipherFinal_ex(ctx, (unsigned char *)out + n, &tail) == 1;
    pthread_mutex_unlock(&c->open_lock);
    if (!ok || (size_t)n + (size_t)tail != body_len) {
        free(out);
        return NANA__VALUE_FORGED;
    }
    *plain = out;
    *plain_len = body_len;
    return NANA__VALUE_OK;
}
