/*
 * nana_open_encrypted refuses what cannot be NanaSQLite's encryption:
 * a NULL key; an AES-GCM key that is not 16, 24 or 32 bytes; a
 * ChaCha20-Poly1305 key that is not 32 bytes; a cipher this release does
 * not know.  Each is NANA_EINVAL with a handle whose message says what was
 * wrong, and no file is created.  NULL path or out are NANA_EINVAL, and
 * the options and flags are checked as nana_open_v2 checks them.  The open
 * flags apply: an encrypted file opened NANA_OPEN_READONLY reads, and
 * refuses writes with NANA_EIO.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "crypt.h"

static unsigned char key[40];

static void refused(nana_cipher_t cipher, const void *k, size_t len, const char *words)
{
    const char *path = t_path("never.db");
    nana_db_t *db = (nana_db_t *)&db; /* must be overwritten */
    CHECK_ST(nana_open_encrypted(path, NULL, 0, cipher, k, len, &db), NANA_EINVAL);
    CHECK(db != NULL);
    if (!strstr(nana_db_errmsg(db), words) || !strstr(nana_db_errmsg(db), "never.db"))
        t_fail(__FILE__, __LINE__, "cipher %d, %zu bytes: message \"%s\", want \"%s\"",
               (int)cipher, len, nana_db_errmsg(db), words);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(access(path, F_OK) != 0);
}

int main(void)
{
    t_key(key, sizeof key, 5);
    refused(NANA_CIPHER_AES_GCM, NULL, 32, "NULL key");
    const size_t aes_bad[] = {0, 1, 15, 17, 23, 31, 33, 40};
    for (size_t i = 0; i < sizeof aes_bad / sizeof aes_bad[0]; i++)
        refused(NANA_CIPHER_AES_GCM, key, aes_bad[i], "16, 24 or 32 bytes");
    const size_t chacha_bad[] = {0, 16, 24, 31, 33};
    for (size_t i = 0; i < sizeof chacha_bad / sizeof chacha_bad[0]; i++)
        refused(NANA_CIPHER_CHACHA20, key, chacha_bad[i], "is 32 bytes");
    refused((nana_cipher_t)2, key, 32, "unknown cipher");
    refused((nana_cipher_t)-1, key, 32, "unknown cipher");

    nana_db_t *db = NULL;
    CHECK_ST(nana_open_encrypted(NULL, NULL, 0, NANA_CIPHER_AES_GCM, key, 32, &db), NANA_EINVAL);
    CHECK(db == NULL);
    CHECK_ST(nana_open_encrypted(t_path("x.db"), NULL, 0, NANA_CIPHER_AES_GCM, key, 32, NULL),
             NANA_EINVAL);
    /* options and flags: as nana_open_v2 */
    nana_options_t o;
    nana_options_init(&o);
    o.max_workers = 0;
    CHECK_ST(nana_open_encrypted(t_path("x.db"), &o, 0, NANA_CIPHER_AES_GCM, key, 32, &db),
             NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(db), "max_workers") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_open_encrypted(t_path("x.db"), NULL, 0x80, NANA_CIPHER_AES_GCM, key, 32, &db),
             NANA_EINVAL);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_open_encrypted(t_path("x.db"), NULL, NANA_OPEN_NOCREATE, NANA_CIPHER_AES_GCM,
                                 key, 32, &db),
             NANA_ENOTFOUND);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(access(t_path("x.db"), F_OK) != 0);

    /* read-only, encrypted */
    db = t_open_encrypted("ro.db", NULL, NANA_CIPHER_AES_GCM, key, 24);
    t_set_json(db, "k", "\"sealed\"");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_open_encrypted(t_path("ro.db"), NULL, NANA_OPEN_READONLY, NANA_CIPHER_AES_GCM,
                                 key, 24, &db),
             NANA_OK);
    SAME(nana_get(db, "k", NULL), "\"sealed\"");
    json_t *v = json_string("no");
    EXPECT(nana_set(db, "k2", v), NANA_EIO);
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
