/*
 * nana_open_v2 with a flag bit this release does not know -- alone, with
 * a known flag, the top bit, every bit -- is NANA_EINVAL, as a refused
 * option is: a handle whose message says the flags are unknown, whose
 * operations are NANA_ECLOSED, which nana_close takes; and nothing is
 * created, also where the path exists (the file is not touched).  A NULL
 * path or out is NANA_EINVAL with *out NULL, as for nana_open.  A refused
 * option with valid flags names the option.  From four threads at once.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/stat.h>

static const unsigned unknown[] = {0x8u, 0x10u, 0x20u, 0x80000000u, ~0u,
                                   NANA_OPEN_READONLY | 0x8u, NANA_OPEN_NOCREATE | 0x100u,
                                   NANA_OPEN_CHECK | 0x8u};

static void refused(const char *path, unsigned flags)
{
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, flags, &db), NANA_EINVAL);
    CHECK(db != NULL);
    if (!strstr(nana_db_errmsg(db), "unknown nana_open_v2 flags"))
        t_fail(__FILE__, __LINE__, "flags 0x%x: message \"%s\"", flags, nana_db_errmsg(db));
    EXPECT(nana_get(db, "k", NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(db), NANA_OK);
}

static void *many(void *arg)
{
    const char *path = arg;
    for (int round = 0; round < 25; round++)
        for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
            refused(path, unknown[i]);
    return NULL;
}

int main(void)
{
    struct stat sb;
    const char *missing = t_path("never.db");
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        refused(missing, unknown[i]);
    CHECK(stat(missing, &sb) != 0);

    /* A file that exists is not touched either. */
    const char *path = t_path("app.db");
    nana_options_t opts;
    nana_options_init(&opts);
    opts.optimize = false;
    nana_db_t *db = t_open("app.db", &opts);
    t_set_json(db, "k", "1");
    CHECK_ST(nana_close(db), NANA_OK);
    uint64_t sum = t_fnv_file(path);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        refused(path, unknown[i]);
    CHECK(t_fnv_file(path) == sum);

    /* As nana_open: NULL path or out. */
    db = (nana_db_t *)&sb;
    CHECK_ST(nana_open_v2(NULL, NULL, NANA_OPEN_NOCREATE, &db), NANA_EINVAL);
    CHECK(db == NULL);
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_READONLY, NULL), NANA_EINVAL);
    CHECK_ST(nana_open_v2(NULL, NULL, 0x8u, NULL), NANA_EINVAL);

    /* A refused option with known flags names the option. */
    opts.max_workers = 0;
    db = NULL;
    CHECK_ST(nana_open_v2(path, &opts, NANA_OPEN_READONLY, &db), NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(db), "max_workers") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);
    nana_options_init(&opts);
    opts.table = "bad name";
    db = NULL;
    CHECK_ST(nana_open_v2(path, &opts, NANA_OPEN_NOCREATE, &db), NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(db), "table name") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);

    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, many, i % 2 ? (void *)path : (void *)missing) ==
              0);
    for (int i = 0; i < 4; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(stat(missing, &sb) != 0);
    CHECK(t_fnv_file(path) == sum);
    return 0;
}
