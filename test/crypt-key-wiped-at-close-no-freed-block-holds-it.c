/*
 * The key is wiped before its memory is given back: this program replaces
 * free() (the library, SQLite, jansson and libcrypto all free through it)
 * with one that looks into every block freed -- from before the first open
 * to after the last close -- for either half of the key (16 bytes: AES's
 * first round keys are the key itself), then hands the block to glibc.
 * The root holds the key only in the key schedules of two libcrypto
 * contexts, freed at close; one never freed would be a leak, which the
 * other crypt-* scenarios under make asan and make valgrind report.
 * Roots with each cipher, a sub-table closed after its root, a refused open
 * (bad key length) and a failed open (a directory as the file) are opened,
 * written, read and closed; no freed block ever holds the key.  That the
 * watch sees a key is checked first, on a block freed on purpose.  The
 * caller's key buffer is overwritten right after each open: the library
 * works from its own copy.
 *
 * glibc only (__libc_free, malloc_usable_size); skipped under the
 * sanitizers and valgrind, which replace free() themselves.
 */
#include <malloc.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "crypt.h"

/* The sanitizers replace free() themselves, from before main(): under
 * them this program keeps theirs and only says it skipped. */
#if !defined(NANA_TEST_ASAN) && !defined(NANA_TEST_TSAN)
#define WATCH_FREE 1
extern void __libc_free(void *p);
#endif

static unsigned char key[32];
static atomic_bool watching;
static atomic_int blocks_with_key;

#ifdef WATCH_FREE
static bool holds(const unsigned char *p, size_t n, const unsigned char *half)
{
    for (size_t i = 0; n >= 16 && i <= n - 16; i++)
        if (p[i] == half[0] && memcmp(p + i, half, 16) == 0)
            return true;
    return false;
}

void free(void *p)
{
    if (p && atomic_load_explicit(&watching, memory_order_relaxed)) {
        size_t n = malloc_usable_size(p);
        if (holds(p, n, key) || holds(p, n, key + 16))
            atomic_fetch_add(&blocks_with_key, 1);
    }
    __libc_free(p);
}
#endif

/* Opens path encrypted with a copy of the key that is overwritten as soon
 * as the call returns. */
static nana_db_t *open_with(const char *name, nana_cipher_t cipher, size_t len)
{
    unsigned char *given = malloc(32);
    CHECK(given != NULL);
    memcpy(given, key, 32);
    nana_db_t *db = NULL;
    nana_status_t st = nana_open_encrypted(t_path(name), NULL, 0, cipher, given, len, &db);
    explicit_bzero(given, 32); /* as a careful caller does: not a dead store */
    free(given);
    CHECK_ST(st, NANA_OK);
    return db;
}

static void use(nana_db_t *db, nana_db_t *sub)
{
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        t_set_json(i % 2 ? sub : db, k, "{\"SECRET\":[1,2,3]}");
    }
    SAME(nana_get_fresh(db, "k0", NULL), "{\"SECRET\":[1,2,3]}");
    SAME(nana_get_fresh(sub, "k1", NULL), "{\"SECRET\":[1,2,3]}");
    CHECK_INT(INT(nana_load_all(db)), 25);
}

int main(void)
{
#ifndef WATCH_FREE
    fprintf(stderr, "skipped under the sanitizers (they replace free())\n");
    return 0;
#endif
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        fprintf(stderr, "skipped under valgrind (it replaces free())\n");
        return 0;
    }
    CHECK(RAND_bytes(key, sizeof key) == 1);
    atomic_store(&watching, true);

    /* The watch sees a key in a freed block.  Through a volatile pointer:
     * the compiler may drop a malloc() and free() pair it can see whole. */
    void *(*volatile alloc)(size_t) = malloc;
    void (*volatile release)(void *) = free;
    unsigned char *probe = alloc(100);
    CHECK(probe != NULL);
    memset(probe, 0, 100);
    memcpy(probe + 41, key + 16, 16);
    release(probe);
    CHECK_INT(atomic_load(&blocks_with_key), 1);
    atomic_store(&blocks_with_key, 0);

    const struct {
        nana_cipher_t cipher;
        size_t len;
    } configs[] = {{NANA_CIPHER_AES_GCM, 32}, {NANA_CIPHER_AES_GCM, 16}, {NANA_CIPHER_CHACHA20, 32}};
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        char name[32];
        snprintf(name, sizeof name, "wipe-%zu.db", c);
        nana_db_t *db = open_with(name, configs[c].cipher, configs[c].len), *sub = NULL;
        CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
        use(db, sub);
        /* The root first: its sub-table handle keeps the root's memory
         * until it is closed too, but the key is wiped now. */
        CHECK_ST(nana_close(db), NANA_OK);
        CHECK_ST(nana_close(sub), NANA_OK);
        /* Again with the key, to read it back. */
        db = open_with(name, configs[c].cipher, configs[c].len);
        SAME(nana_get(db, "k0", NULL), "{\"SECRET\":[1,2,3]}");
        CHECK_ST(nana_close(db), NANA_OK);
        if (atomic_load(&blocks_with_key) != 0)
            t_fail(__FILE__, __LINE__, "config %zu: %d freed blocks held the key", c,
                   atomic_load(&blocks_with_key));
    }

    /* Opens that fail: a key of a bad length, a directory as the file. */
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_encrypted(t_path("bad.db"), NULL, 0, NANA_CIPHER_CHACHA20, key, 16, &db),
             NANA_EINVAL);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(mkdir(t_path("a-directory"), 0700) == 0);
    CHECK(nana_open_encrypted(t_path("a-directory"), NULL, 0, NANA_CIPHER_AES_GCM, key, 32,
                              &db) != NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);

    atomic_store(&watching, false);
    CHECK_INT(atomic_load(&blocks_with_key), 0);
    printf("no freed block held the key\n");
    return 0;
}
