/*
 * nana_open behaves as in 0.1.0 now that nana_open_v2 exists: a missing
 * file is created and switched to WAL, with an empty message; a missing
 * directory is NANA_EIO (not NANA_OPEN_NOCREATE's NANA_ENOTFOUND) with a
 * message naming the path; a NULL path or out is NANA_EINVAL with *out
 * NULL; a refused option gives a handle naming it.  nana_open_v2 with
 * flags 0 answers each of these cases the same (status and message).
 * nana_options_t keeps 0.1.0's layout, field by field (a struct written as
 * that release's header had it), so that programs built against it run;
 * nana_options_init still fills the same defaults.  The shared library
 * exports nana_open in node NANA_0 and nana_open_v2 in NANA_0.2.
 */
#include "harness.h"

#include <stdalign.h>
#include <sys/stat.h>

/* nana_options_t as include/nanasqlite.h of 0.1.0 declared it. */
struct options_0_1 {
    const char *table;
    bool bulk_load;
    bool optimize;
    int cache_size_mb;
    int max_workers;
    const char *thread_name_prefix;
    int busy_timeout_ms;
};

#define SAME_FIELD(f)                                                                    \
    _Static_assert(offsetof(nana_options_t, f) == offsetof(struct options_0_1, f) &&    \
                       sizeof(((nana_options_t *)0)->f) ==                              \
                           sizeof(((struct options_0_1 *)0)->f),                        \
                   "nana_options_t." #f " moved")
SAME_FIELD(table);
SAME_FIELD(bulk_load);
SAME_FIELD(optimize);
SAME_FIELD(cache_size_mb);
SAME_FIELD(max_workers);
SAME_FIELD(thread_name_prefix);
SAME_FIELD(busy_timeout_ms);
_Static_assert(sizeof(nana_options_t) == sizeof(struct options_0_1), "nana_options_t grew");
_Static_assert(alignof(nana_options_t) == alignof(struct options_0_1), "alignment changed");

typedef nana_status_t (*open_fn)(const char *, const nana_options_t *, nana_db_t **);

static nana_status_t open_v2_zero(const char *path, const nana_options_t *opts, nana_db_t **out)
{
    return nana_open_v2(path, opts, 0, out);
}

/* The journal mode, read through a read-only root. */
static char *journal_mode(const char *path)
{
    char *out;
    nana_db_t *db = NULL;
    CHECK_ST(nana_open_v2(path, NULL, NANA_OPEN_READONLY, &db), NANA_OK);
    json_t *v = TAKE(nana_pragma(db, "journal_mode", NULL));
    out = strdup(json_string_value(json_array_get(json_array_get(v, 0), 0)));
    nana_json_release(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return out;
}

static void same_behaviour(open_fn open, const char *tag)
{
    struct stat sb;
    char path[4096], deep[4096], *mode;

    /* A missing file: created, WAL, no message. */
    snprintf(path, sizeof path, "%s/%s-new.db", t_dir(), tag);
    CHECK(stat(path, &sb) != 0);
    nana_db_t *db = NULL;
    CHECK_ST(open(path, NULL, &db), NANA_OK);
    CHECK_STR(nana_db_errmsg(db), "");
    t_set_json(db, "k", "[1]");
    SAME(nana_pragma(db, "journal_mode", NULL), "[[\"wal\"]]");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK(stat(path, &sb) == 0);
    CHECK_STR((mode = journal_mode(path)), "wal");
    free(mode);

    /* A missing directory: NANA_EIO, the path in the message. */
    snprintf(deep, sizeof deep, "%s/%s-missing/app.db", t_dir(), tag);
    db = NULL;
    CHECK_ST(open(deep, NULL, &db), NANA_EIO);
    CHECK(db != NULL);
    CHECK(strstr(nana_db_errmsg(db), deep) != NULL);
    CHECK(strstr(nana_db_errmsg(db), "unable to open database file") != NULL);
    CHECK_ST(nana_close(db), NANA_OK);

    /* NULL arguments. */
    db = (nana_db_t *)&sb;
    CHECK_ST(open(NULL, NULL, &db), NANA_EINVAL);
    CHECK(db == NULL);
    CHECK_ST(open(path, NULL, NULL), NANA_EINVAL);

    /* A refused option: a handle that names it. */
    nana_options_t o;
    nana_options_init(&o);
    o.busy_timeout_ms = -1;
    db = NULL;
    CHECK_ST(open(path, &o, &db), NANA_EINVAL);
    char want[4200];
    snprintf(want, sizeof want,
             "cannot open database \"%s\": busy_timeout_ms must not be negative", path);
    CHECK_STR(nana_db_errmsg(db), want);
    CHECK_ST(nana_close(db), NANA_OK);

    /* Options as before: the table, no optimize. */
    nana_options_init(&o);
    o.table = "settings";
    o.optimize = false;
    snprintf(path, sizeof path, "%s/%s-plain.db", t_dir(), tag);
    db = NULL;
    CHECK_ST(open(path, &o, &db), NANA_OK);
    t_set_json(db, "theme", "\"dark\"");
    SAME(nana_pragma(db, "journal_mode", NULL), "[[\"delete\"]]");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_raw_int(path, "SELECT COUNT(*) FROM settings"), 1);
}

int main(void)
{
    nana_options_t o;
    memset(&o, 0x5a, sizeof o);
    nana_options_init(&o);
    CHECK_STR(o.table, "data");
    CHECK(!o.bulk_load && o.optimize);
    CHECK_INT(o.cache_size_mb, 64);
    CHECK_INT(o.max_workers, 5);
    CHECK_STR(o.thread_name_prefix, "nana");
    CHECK_INT(o.busy_timeout_ms, 5000);

    same_behaviour(nana_open, "v1");
    same_behaviour(open_v2_zero, "v2");

    /* The symbols, in their version nodes. */
    free(t_must(T_MAKE_PLAIN " all"));
    char *out = t_must("nm -D --defined-only lib/libnanasqlite.so");
    CHECK(strstr(out, " nana_open@@NANA_0\n") != NULL);
    CHECK(strstr(out, " nana_open_v2@@NANA_0.2\n") != NULL);
    CHECK(strstr(out, " nana_options_init@@NANA_0\n") != NULL);
    free(out);
    return 0;
}
