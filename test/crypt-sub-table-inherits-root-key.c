/*
 * Sub-tables of an encrypted root use the root's key: values written
 * through nana_table() handles -- on a table it creates, and on one that
 * was already in the file -- are stored sealed and read back through a new
 * root with the key; the wrong key is refused for them as for the root's
 * table, and a root without a key is told they are BLOBs.  A table whose
 * rows were written without a key (NanaSQLite 1.6.0's table() writes its
 * sub-tables so) is refused by the encrypted root, and reads through a
 * plaintext root on the same file.  After the root is closed, its sub-table
 * handles answer NANA_ECLOSED.
 */
#include "crypt.h"

static unsigned char key[32], wrong[32];

int main(void)
{
    t_key(key, sizeof key, 11);
    t_key(wrong, sizeof wrong, 12);
    const char *path = t_path("subs.db");
    /* A table already in the file, and one with plaintext rows. */
    t_raw_exec(path, "CREATE TABLE existing (key TEXT PRIMARY KEY, value TEXT);"
                     "CREATE TABLE legacy (key TEXT PRIMARY KEY, value TEXT);"
                     "INSERT INTO legacy VALUES ('old', '{\"SECRET\": \"from before\"}');");

    nana_db_t *db = t_open_encrypted("subs.db", NULL, NANA_CIPHER_CHACHA20, key, sizeof key);
    nana_db_t *users = NULL, *existing = NULL, *legacy = NULL;
    CHECK_ST(nana_table(db, "users", &users), NANA_OK);
    CHECK_ST(nana_table(db, "existing", &existing), NANA_OK);
    CHECK_ST(nana_table(db, "legacy", &legacy), NANA_OK);
    t_set_json(db, "root_key", "\"SECRET root\"");
    t_set_json(users, "u1", "{\"name\":\"SECRET Nana\"}");
    json_t *batch = t_json("{\"e1\":1,\"e2\":[2]}");
    CHECK_ST(t_wait(nana_batch_update(existing, batch)), NANA_OK);
    json_decref(batch);
    EXPECT_UNDECRYPTABLE(nana_get(legacy, "old", NULL), "old", "legacy", WHY_PLAINTEXT);
    SAME(nana_get_fresh(users, "u1", NULL), "{\"name\":\"SECRET Nana\"}");
    CHECK_ST(nana_close(db), NANA_OK);
    /* the root is gone: its sub-tables answer ECLOSED, nothing decrypted */
    EXPECT(nana_get(users, "u1", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(users), NANA_OK);
    CHECK_ST(nana_close(existing), NANA_OK);
    CHECK_ST(nana_close(legacy), NANA_OK);

    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM users WHERE typeof(value) = 'blob'"), 1);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM existing WHERE typeof(value) = 'blob'"), 2);
    size_t n;
    int type;
    unsigned char *raw = t_raw_bytes(path, "users", "u1", &n, &type);
    CHECK(!t_bytes_hold(raw, n, "SECRET"));
    free(raw);

    /* the key reads them again */
    db = t_open_encrypted("subs.db", NULL, NANA_CIPHER_CHACHA20, key, sizeof key);
    CHECK_ST(nana_table(db, "users", &users), NANA_OK);
    CHECK_ST(nana_table(db, "existing", &existing), NANA_OK);
    SAME(nana_get(users, "u1", NULL), "{\"name\":\"SECRET Nana\"}");
    SAME(nana_to_dict(existing), "{\"e1\":1,\"e2\":[2]}");
    CHECK_ST(nana_close(users), NANA_OK);
    CHECK_ST(nana_close(existing), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    /* the wrong key: refused in the sub-tables too */
    db = t_open_encrypted("subs.db", NULL, NANA_CIPHER_CHACHA20, wrong, sizeof wrong);
    CHECK_ST(nana_table(db, "users", &users), NANA_OK);
    EXPECT_UNDECRYPTABLE(nana_get(users, "u1", NULL), "u1", "users", WHY_FORGED);
    CHECK_ST(nana_close(users), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    /* no key: BLOBs, not JSON; the plaintext table reads */
    db = t_open("subs.db", NULL);
    CHECK_ST(nana_table(db, "users", &users), NANA_OK);
    CHECK_ST(nana_table(db, "legacy", &legacy), NANA_OK);
    nana_future_t *f = nana_get(users, "u1", NULL);
    CHECK_ST(nana_future_await(f), NANA_ETYPE);
    CHECK(strstr(nana_future_errmsg(f), "it is a BLOB") != NULL);
    nana_future_free(f);
    SAME(nana_get(legacy, "old", NULL), "{\"SECRET\":\"from before\"}");
    CHECK_ST(nana_close(users), NANA_OK);
    CHECK_ST(nana_close(legacy), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
