/*
 * nana_backup() and nana_restore() on a handle whose root is closed -- a
 * sub-table handle after nana_close() of its root, and the handle of an
 * open that failed -- resolve NANA_ECLOSED with a message, at once, and
 * create nothing: no copy, no temporary file, and the restore source is
 * unchanged.
 */
#include "harness.h"

#include <sys/stat.h>

int main(void)
{
    nana_db_t *root = t_open("live.db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(root, "side", &sub), NANA_OK);
    t_set_json(sub, "k", "\"v\"");
    const char *out = t_path("out");
    CHECK(mkdir(out, 0700) == 0);
    const char *good = t_path("good.db");
    CHECK(INT(nana_backup(sub, good, NULL)) > 0);
    uint64_t good_hash = t_fnv_file(good);
    CHECK_ST(nana_close(root), NANA_OK);

    nana_future_t *f = nana_backup(sub, t_path("out/copy.db"), NULL);
    CHECK(nana_future_poll(f));
    EXPECT(f, NANA_ECLOSED);
    f = nana_restore(sub, good);
    CHECK(nana_future_poll(f));
    EXPECT(f, NANA_ECLOSED);
    nana_backup_options_t o;
    nana_backup_options_init(&o);
    o.pages_per_step = 1;
    EXPECT(nana_backup(sub, t_path("out/copy.db"), &o), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);

    /* An open that failed: the handle says why, and is closed. */
    nana_db_t *failed = NULL;
    CHECK(nana_open(t_path("missing/dir/x.db"), NULL, &failed) != NANA_OK);
    CHECK(failed != NULL);
    EXPECT(nana_backup(failed, t_path("out/copy.db"), NULL), NANA_ECLOSED);
    EXPECT(nana_restore(failed, good), NANA_ECLOSED);
    CHECK_ST(nana_close(failed), NANA_OK);

    char *listing = t_dir_listing(out);
    CHECK_STR(listing, "");
    free(listing);
    CHECK(t_fnv_file(good) == good_hash);
    CHECK_INT(t_raw_int(t_path("live.db"), "SELECT COUNT(*) FROM side"), 1);
    return 0;
}
