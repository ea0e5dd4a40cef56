/*
 * A file encrypted under one key, opened with another key, with the other
 * cipher under the same key, or with a shorter AES key that is a prefix of
 * the right one: every read that must decrypt a value fails NANA_ETYPE
 * with "decryption failed for key K in table T" and the reason, never a
 * value and never the stored text -- get, get_fresh, pop (which deletes
 * nothing), batch_get, to_dict, items, scan_prefix, a cursor page, a
 * sub-table's get, and a get after load_all or a bulk_load open (which
 * load nothing, and leave the keys to fail one by one rather than read as
 * absent).  Reads that need no value still answer (contains, len, keys).
 * A root without a key is told the value is a BLOB and may be encrypted.
 * The stored bytes are unchanged throughout, and the right key reads
 * everything afterwards.
 */
#include "crypt.h"

static unsigned char right[32], wrong[32];

static void expect_refused(nana_db_t *db, nana_db_t *sub)
{
    EXPECT_UNDECRYPTABLE(nana_get(db, "alpha", NULL), "alpha", "data", WHY_FORGED);
    /* asked again: still refused, nothing was cached */
    EXPECT_UNDECRYPTABLE(nana_get(db, "alpha", NULL), "alpha", "data", WHY_FORGED);
    EXPECT_UNDECRYPTABLE(nana_get_fresh(db, "beta", NULL), "beta", "data", WHY_FORGED);
    json_t *d = json_integer(0);
    EXPECT_UNDECRYPTABLE(nana_pop(db, "beta", d), "beta", "data", WHY_FORGED);
    EXPECT_UNDECRYPTABLE(nana_get(db, "alpha", d), "alpha", "data", WHY_FORGED);
    json_decref(d);
    const char *keys[] = {"alpha"};
    EXPECT_UNDECRYPTABLE(nana_batch_get(db, keys, 1), "alpha", "data", WHY_FORGED);
    EXPECT_UNDECRYPTABLE(nana_to_dict(db), "alpha", "data", WHY_FORGED);
    EXPECT_UNDECRYPTABLE(nana_items(db), "alpha", "data", WHY_FORGED);
    EXPECT_UNDECRYPTABLE(nana_scan_prefix(db, "b", INT64_MAX), "beta", "data", WHY_FORGED);
    nana_cursor_t *cur = NULL;
    CHECK_ST(nana_cursor_open(db, NULL, NULL, 10, &cur), NANA_OK);
    EXPECT_UNDECRYPTABLE(nana_cursor_next(cur), "alpha", "data", "the cursor moved past it");
    nana_cursor_close(cur);
    EXPECT_UNDECRYPTABLE(nana_get(sub, "gamma", NULL), "gamma", "other", WHY_FORGED);
    CHECK(BOOL(nana_contains(db, "alpha")));
    CHECK_INT(INT(nana_len(db)), 2);
    SAME(nana_keys(db), "[\"alpha\",\"beta\"]");
}

int main(void)
{
    t_key(right, sizeof right, 1);
    t_key(wrong, sizeof wrong, 2);
    const char *path = t_path("keyed.db");

    nana_db_t *db = t_open_encrypted("keyed.db", NULL, NANA_CIPHER_AES_GCM, right, sizeof right);
    nana_db_t *sub = NULL;
    t_set_json(db, "alpha", "{\"SECRET\":\"alpha value\"}");
    t_set_json(db, "beta", "[\"SECRET beta\"]");
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    t_set_json(sub, "gamma", "\"SECRET gamma\"");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    size_t n_alpha, n_beta;
    int type;
    unsigned char *alpha = t_raw_bytes(path, "data", "alpha", &n_alpha, &type);
    unsigned char *beta = t_raw_bytes(path, "data", "beta", &n_beta, &type);

    /* Another key, the other cipher, a prefix of the key as AES-128. */
    struct {
        nana_cipher_t cipher;
        const unsigned char *key;
        size_t len;
        const char *what;
    } tries[] = {
        {NANA_CIPHER_AES_GCM, wrong, 32, "another key"},
        {NANA_CIPHER_CHACHA20, right, 32, "the other cipher"},
        {NANA_CIPHER_AES_GCM, right, 16, "a 16-byte prefix of the key"},
    };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        printf("%s\n", tries[i].what);
        db = t_open_encrypted("keyed.db", NULL, tries[i].cipher, tries[i].key, tries[i].len);
        CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
        expect_refused(db, sub);
        /* load_all decrypts nothing, and the keys still fail one by one */
        CHECK_INT(INT(nana_load_all(db)), 0);
        EXPECT_UNDECRYPTABLE(nana_get(db, "beta", NULL), "beta", "data", WHY_FORGED);
        CHECK_ST(nana_close(sub), NANA_OK);
        CHECK_ST(nana_close(db), NANA_OK);
    }

    /* bulk_load with the wrong key opens, loading nothing. */
    nana_options_t o;
    nana_options_init(&o);
    o.bulk_load = true;
    db = t_open_encrypted("keyed.db", &o, NANA_CIPHER_AES_GCM, wrong, sizeof wrong);
    EXPECT_UNDECRYPTABLE(nana_get(db, "alpha", NULL), "alpha", "data", WHY_FORGED);
    CHECK_ST(nana_close(db), NANA_OK);

    /* No key at all: the BLOB is not JSON, and the message says what it
     * may be. */
    db = t_open("keyed.db", NULL);
    nana_future_t *f = nana_get(db, "alpha", NULL);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "\"alpha\"") != NULL);
    CHECK(strstr(nana_future_errmsg(f), "nana_open_encrypted") != NULL);
    nana_future_free(f);
    CHECK_ST(nana_close(db), NANA_OK);

    /* Nothing was changed, and the right key reads it all. */
    size_t n;
    unsigned char *now = t_raw_bytes(path, "data", "alpha", &n, &type);
    CHECK(n == n_alpha && memcmp(now, alpha, n) == 0);
    free(now);
    now = t_raw_bytes(path, "data", "beta", &n, &type);
    CHECK(n == n_beta && memcmp(now, beta, n) == 0);
    free(now);
    db = t_open_encrypted("keyed.db", NULL, NANA_CIPHER_AES_GCM, right, sizeof right);
    SAME(nana_to_dict(db), "{\"alpha\":{\"SECRET\":\"alpha value\"},\"beta\":[\"SECRET beta\"]}");
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    SAME(nana_get(sub, "gamma", NULL), "\"SECRET gamma\"");
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    free(alpha);
    free(beta);
    return 0;
}
