/*
 * A row set that cannot grow fails cleanly: with the address space limited
 * (RLIMIT_AS) to what the process uses plus 48 MiB, a statement returning
 * about 150 MiB of rows resolves NANA_ENOMEM with a message and no row
 * set, the memory it had taken is given back (at least half the 48 MiB are
 * free again, and the same fetch fails the same way a second time), a small
 * fetch still succeeds under the limit, and once the limit is lifted the big
 * fetch on the same root succeeds.  Skipped under the sanitizers and valgrind, which
 * reserve address space of their own.
 */
#include "harness.h"

#include <sys/resource.h>

/* Bytes of address space the process has mapped now (VmSize). */
static size_t mapped_now(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    CHECK(fp != NULL);
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
            break;
    fclose(fp);
    CHECK(kb > 0);
    return kb * 1024;
}

#define BIG "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) " \
            "SELECT i, zeroblob(100) FROM n"

int main(void)
{
#if defined(NANA_TEST_ASAN) || defined(NANA_TEST_TSAN)
    fprintf(stderr, "skipped under the sanitizers\n");
    return 0;
#endif
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        fprintf(stderr, "skipped under valgrind\n");
        return 0;
    }
    nana_db_t *db = t_open("nomem.db", NULL);
    SAME(nana_fetch_all(db, "SELECT 1", NULL), "[[1]]"); /* the pool warm */

    struct rlimit old;
    CHECK(getrlimit(RLIMIT_AS, &old) == 0);
    struct rlimit tight = old;
    tight.rlim_cur = mapped_now() + ((size_t)48 << 20);
    CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
    for (int round = 0; round < 2; round++) {
        nana_future_t *f = nana_fetch_rows(db, BIG, NULL);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_ENOMEM)
            t_fail(__FILE__, __LINE__, "round %d: got %s (%s), want NANA_ENOMEM", round,
                   t_status_name(st), nana_future_errmsg(f));
        CHECK(nana_future_rows(f) == NULL);
        CHECK(nana_future_errmsg(f)[0] != '\0');
        printf("round %d: %s\n", round, nana_future_errmsg(f));
        nana_future_free(f);
        size_t mapped = mapped_now();
        if (mapped > tight.rlim_cur - ((size_t)24 << 20))
            t_fail(__FILE__, __LINE__, "round %d: %zu MiB mapped after the failure, of %zu",
                   round, mapped >> 20, (size_t)(tight.rlim_cur >> 20));
    }
    /* A small set still fits under the limit. */
    nana_future_t *f = nana_fetch_rows(db, "SELECT 'small'", NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    CHECK_STR(nana_rows_text(nana_future_rows(f), 0, 0, NULL), "small");
    nana_future_free(f);
    CHECK(setrlimit(RLIMIT_AS, &old) == 0);

    f = nana_fetch_rows(db, BIG, NULL);
    CHECK_ST(nana_future_await(f), NANA_OK);
    const nana_rows_t *rows = nana_future_rows(f);
    CHECK_INT(nana_rows_count(rows), 1000000);
    size_t len = 0;
    CHECK(nana_rows_blob(rows, 999999, 1, &len) != NULL && len == 100);
    CHECK(nana_rows_int(rows, 999999, 0) == 1000000);
    nana_future_free(f);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
