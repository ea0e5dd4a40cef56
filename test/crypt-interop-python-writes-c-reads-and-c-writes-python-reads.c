/*
 * Files are shared with NanaSQLite both ways.  test/nanasqlite-crypt.py
 * writes and reads NanaSQLite's encrypted-value format with Python's
 * sqlite3 and the cryptography package, following NanaSQLite's rules and
 * none of this library's code.  For AES-GCM with 32- and 16-byte keys and
 * for ChaCha20-Poly1305:
 *   - what Python wrote (the root's table and a second table) reads
 *     through an encrypted root and its sub-table, value for value;
 *   - what the library wrote (both tables, and values added to Python's
 *     file) decrypts in Python, value for value;
 *   - under another key, each side refuses the other's file: the Python
 *     reader fails, and the library fails NANA_ETYPE naming the key.
 * Python with cryptography missing is a failure that says what to install
 * (tools/check-deps.sh --tests installs python3-cryptography), as every
 * missing test tool is, never a skip.
 */
#include "crypt.h"

#include <sys/wait.h>

static const char *python;

/* The values both sides write: every JSON kind, non-ASCII text, a NUL
 * inside a string, the ends of the 64-bit integers, reals that need all
 * their digits. */
static const char values_text[] =
    "{\"user\": {\"name\": \"Nana ナナ 😀\", \"age\": 20, \"admin\": false,"
    " \"tags\": [\"a\", \"b\"]},"
    " \"list\": [1, 2.5, null, true, \"x\"],"
    " \"text\": \"line\\nbreak \\\"quoted\\\" \\\\ back\\\\slash\","
    " \"nul\": \"before\\u0000after\","
    " \"max\": 9223372036854775807, \"min\": -9223372036854775808,"
    " \"real\": 0.1, \"tiny\": 5e-324, \"big\": 1.7976931348623157e308,"
    " \"null\": null, \"empty\": \"\", \"obj\": {}, \"arr\": [],"
    " \"nested\": {\"a\": [{\"b\": {\"c\": [1, [2, [3]]]}}]}}";

static json_t *parse(const char *text, size_t len)
{
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        t_fail(__FILE__, __LINE__, "bad JSON (%s): %s", err.text, t_shown(text));
    return v;
}

static void hex(char *out, const unsigned char *key, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", key[i]);
}

static const char *find_python(void)
{
    /* Debian's first: python3-cryptography serves it, and a python3 on PATH
     * may be a slower shim (pyenv). */
    static const char *const candidates[] = {"/usr/bin/python3", "python3"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "%s -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1",
                 candidates[i]);
        if (system(cmd) == 0)
            return candidates[i];
    }
    return NULL;
}

/* Runs the script: verb on tables ("data side") of path.  write: values
 * from in_path.  read: *out gets what it printed (malloc'd).  Returns its
 * exit status. */
static int script(const char *verb, const char *path, const char *tables, const char *mode,
                  const unsigned char *key, size_t key_len, const char *in_path, char **out)
{
    char keyhex[65], cmd[4096];
    hex(keyhex, key, key_len);
    snprintf(cmd, sizeof cmd, "%s '%s' %s '%s' %s %s %s%s%s 2>&1", python,
             t_fixture_path("../nanasqlite-crypt.py"), verb, path, mode, keyhex, tables,
             in_path ? " < " : "", in_path ? in_path : "");
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        CHECK(n < cap - 1);
    }
    buf[n] = '\0';
    int status = pclose(p);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (out)
        *out = buf;
    else {
        if (code != 0)
            printf("script %s said: %s\n", verb, buf);
        free(buf);
    }
    return code;
}

static void expect_same(const char *what, json_t *got, json_t *want)
{
    if (json_equal(got, want))
        return;
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    t_fail(__FILE__, __LINE__, "%s: got %s", what, g ? t_shown(g) : "(null)");
}

static void interop(nana_cipher_t cipher, const char *mode, size_t key_len, unsigned seed)
{
    unsigned char key[32], wrong[32];
    t_key(key, key_len, seed);
    t_key(wrong, key_len, seed + 100);
    json_t *want = parse(values_text, strlen(values_text));
    char name[32], py_file[64], c_file[64];
    snprintf(name, sizeof name, "%s-%zu", mode, key_len * 8);
    snprintf(py_file, sizeof py_file, "py-%s.db", name);
    snprintf(c_file, sizeof c_file, "c-%s.db", name);
    const char *values_path = t_path("values.json");
    FILE *fp = fopen(values_path, "w");
    CHECK(fp && fputs(values_text, fp) >= 0 && fclose(fp) == 0);

    /* Python writes; the library reads. */
    char py_path[1024];
    snprintf(py_path, sizeof py_path, "%s", t_path(py_file));
    CHECK_INT(script("write", py_path, "data side", mode, key, key_len, values_path, NULL), 0);
    nana_db_t *db = t_open_encrypted(py_file, NULL, cipher, key, key_len), *side = NULL;
    CHECK_ST(nana_table(db, "side", &side), NANA_OK);
    json_t *got = TAKE(nana_to_dict(db));
    expect_same("the library reading Python's table", got, want);
    nana_json_release(got);
    got = TAKE(nana_to_dict(side));
    expect_same("the library reading Python's second table", got, want);
    nana_json_release(got);
    /* ... and adds to it */
    t_set_json(db, "added_by_c", "{\"from\":\"C ✓\"}");
    CHECK_ST(nana_close(side), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    char *printed = NULL;
    CHECK_INT(script("read", py_path, "data", mode, key, key_len, NULL, &printed), 0);
    json_t *printed_json = parse(printed, strlen(printed));
    free(printed);
    json_t *mixed = json_incref(json_object_get(printed_json, "data"));
    json_decref(printed_json);
    CHECK(json_object_size(mixed) == json_object_size(want) + 1);
    json_t *added = t_json("{\"from\":\"C ✓\"}");
    expect_same("Python reading a value the library added", json_object_get(mixed, "added_by_c"),
                added);
    json_decref(added);
    json_object_del(mixed, "added_by_c");
    expect_same("Python reading its own values after the library wrote", mixed, want);
    json_decref(mixed);

    /* The library writes; Python reads. */
    db = t_open_encrypted(c_file, NULL, cipher, key, key_len);
    CHECK_ST(nana_table(db, "side", &side), NANA_OK);
    CHECK_ST(t_wait(nana_update(db, want)), NANA_OK);
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v) CHECK_ST(t_wait(nana_set(side, k, v)), NANA_OK);
    CHECK_ST(nana_close(side), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    const char *c_path = t_path(c_file);
    CHECK_INT(script("read", c_path, "data side", mode, key, key_len, NULL, &printed), 0);
    got = parse(printed, strlen(printed));
    free(printed);
    expect_same("Python reading the library's table", json_object_get(got, "data"), want);
    expect_same("Python reading the library's sub-table", json_object_get(got, "side"), want);
    json_decref(got);

    /* Another key: each side refuses the other's values. */
    CHECK(script("read", c_path, "data", mode, wrong, key_len, NULL, NULL) != 0);
    db = t_open_encrypted(py_file, NULL, cipher, wrong, key_len);
    EXPECT_UNDECRYPTABLE(nana_get(db, "user", NULL), "user", "data", WHY_FORGED);
    CHECK_ST(nana_close(db), NANA_OK);
    printf("%s: Python -> C and C -> Python agree on %zu values\n", name,
           json_object_size(want));
    json_decref(want);
}

int main(void)
{
    if (!(python = find_python()))
        t_fail(__FILE__, __LINE__,
               "no python3 with the cryptography package: install python3-cryptography "
               "(Debian, as root: apt-get install python3-cryptography, or make deps)");
    printf("python: %s\n", python);
    interop(NANA_CIPHER_AES_GCM, "aes-gcm", 32, 1);
    interop(NANA_CIPHER_AES_GCM, "aes-gcm", 16, 2);
    interop(NANA_CIPHER_CHACHA20, "chacha20", 32, 3);
    return 0;
}
