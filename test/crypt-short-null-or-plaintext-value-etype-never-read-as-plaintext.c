/*
 * In an encrypted root a stored value that is not a whole sealed value is
 * refused, never read as plaintext: a BLOB shorter than nonce and tag
 * (0, 1, 11, 12 and 27 bytes) fails NANA_ETYPE "shorter than a nonce and a
 * tag"; 28 bytes that are no seal fail the tag check; JSON text stored as
 * TEXT (by NanaSQLite without a key, by SQL through the root itself, or
 * by another program), a number, and NULL each fail naming the key and why.
 * A value sealed under the key whose text is not JSON (made here with
 * libcrypto) fails as such.  Each row stays as it was, contains still
 * finds it, the keys around it read, and set repairs it.
 */
#include "crypt.h"

static unsigned char key[32];

int main(void)
{
    t_key(key, sizeof key, 3);
    const char *path = t_path("short.db");
    nana_db_t *db = t_open_encrypted("short.db", NULL, NANA_CIPHER_AES_GCM, key, sizeof key);
    t_set_json(db, "good", "\"SECRET good\"");

    unsigned char bytes[64];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 37 + 1);
    const size_t short_lens[] = {0, 1, 11, 12, 27};
    for (size_t i = 0; i < sizeof short_lens / sizeof short_lens[0]; i++) {
        char k[32];
        snprintf(k, sizeof k, "short_%zu", short_lens[i]);
        t_raw_put_blob(path, "data", k, bytes, short_lens[i]);
        EXPECT_UNDECRYPTABLE(nana_get(db, k, NULL), k, "data", WHY_SHORT);
        CHECK(BOOL(nana_contains(db, k)));
        size_t n;
        int type;
        free(t_raw_bytes(path, "data", k, &n, &type));
        CHECK_INT(n, short_lens[i]);
        CHECK_INT(type, SQLITE_BLOB);
    }
    t_raw_put_blob(path, "data", "just_28", bytes, 28);
    EXPECT_UNDECRYPTABLE(nana_get(db, "just_28", NULL), "just_28", "data", WHY_FORGED);

    /* Plaintext rows: written by something else, and by SQL through the
     * encrypted root itself (the SQL surface stores what it is given). */
    t_raw_put(path, "plain_text", "{\"SECRET\":\"written without a key\"}");
    EXPECT_UNDECRYPTABLE(nana_get(db, "plain_text", NULL), "plain_text", "data", WHY_PLAINTEXT);
    t_raw_exec(path, "INSERT INTO data VALUES ('a_number', 42), ('a_null', NULL)");
    EXPECT_UNDECRYPTABLE(nana_get(db, "a_number", NULL), "a_number", "data", WHY_PLAINTEXT);
    EXPECT_UNDECRYPTABLE(nana_get(db, "a_null", NULL), "a_null", "data", "the value is NULL");
    CHECK(BOOL(nana_contains(db, "a_null")));
    CHECK_ST(t_wait(nana_execute(db, "INSERT INTO data VALUES ('via_sql', '\"SECRET sql\"')",
                                 NULL)),
             NANA_OK);
    EXPECT_UNDECRYPTABLE(nana_get(db, "via_sql", NULL), "via_sql", "data", WHY_PLAINTEXT);
    char *raw = t_raw_value(path, "data", "plain_text");
    CHECK_STR(raw, "{\"SECRET\":\"written without a key\"}");
    free(raw);

    /* Sealed under the key, but not JSON inside. */
    unsigned char sealed[128];
    size_t n = t_seal_aes256gcm(key, "SECRET, not JSON", sealed);
    t_raw_put_blob(path, "data", "sealed_not_json", sealed, n);
    nana_future_t *f = nana_get(db, "sealed_not_json", NULL);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"sealed_not_json\"") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "decrypts to text that is not valid JSON") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "SECRET") == NULL);
    nana_future_free(f);
    /* ... and one that is JSON, sealed by that second implementation, reads. */
    n = t_seal_aes256gcm(key, "{\"from\": \"libcrypto\", \"n\": [1, 2]}", sealed);
    t_raw_put_blob(path, "data", "sealed_elsewhere", sealed, n);
    SAME(nana_get(db, "sealed_elsewhere", NULL), "{\"from\":\"libcrypto\",\"n\":[1,2]}");

    SAME(nana_get(db, "good", NULL), "\"SECRET good\"");
    SAME(nana_get_fresh(db, "good", NULL), "\"SECRET good\"");

    /* set repairs a refused row: sealed now. */
    t_set_json(db, "plain_text", "\"sealed now\"");
    SAME(nana_get_fresh(db, "plain_text", NULL), "\"sealed now\"");
    int type;
    free(t_raw_bytes(path, "data", "plain_text", &n, &type));
    CHECK_INT(type, SQLITE_BLOB);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
