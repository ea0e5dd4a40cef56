/*
 * nana_query and nana_query_with_pagination refuse a negative limit or offset
 * with NANA_EINVAL and a message naming the argument, before anything runs
 * (as NanaSQLite's "limit must be non-negative"): a negative limit is no
 * longer "no limit".  INT64_MAX is: it returns every row, with or without an
 * offset; limit 0 returns none.
 */
#include "harness.h"

static nana_db_t *db;

/* The query's future must fail NANA_EINVAL with a message holding word. */
static void refused_(const char *file, int line, nana_future_t *f, const char *word)
{
    nana_status_t st = nana_future_await(f);
    const char *msg = nana_future_errmsg(f);
    if (st != NANA_EINVAL)
        t_fail(file, line, "got %s (%s), want NANA_EINVAL", t_status_name(st), msg);
    if (!strstr(msg, word))
        t_fail(file, line, "message \"%s\" does not name \"%s\"", msg, word);
    if (nana_future_json(f))
        t_fail(file, line, "a refused query has a value");
    nana_future_free(f);
}
#define REFUSED(f, word) refused_(__FILE__, __LINE__, (f), (word))

static void ids_(const char *file, int line, int64_t limit, int64_t offset, const char *want)
{
    json_t *cols = t_json("[\"id\"]");
    json_t *rows = t_take_at(file, line, "nana_query",
                             nana_query(db, "items", cols, NULL, NULL, "id", limit, offset));
    json_t *ids = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        json_array_append(ids, json_object_get(row, "id"));
    t_check_json(file, line, "ids", ids, want);
    json_decref(ids);
    nana_json_release(rows);
    json_decref(cols);
}
#define IDS(limit, offset, want) ids_(__FILE__, __LINE__, (limit), (offset), (want))

int main(void)
{
    db = t_open("limits.db", NULL);
    EXPECT(nana_execute(db, "CREATE TABLE items (id INTEGER PRIMARY KEY)", NULL), NANA_OK);
    json_t *sets = t_json("[[1],[2],[3],[4],[5]]");
    EXPECT(nana_execute_many(db, "INSERT INTO items VALUES (?)", sets), NANA_OK);
    json_decref(sets);

    /* Negative limits and offsets: refused, whatever the other argument. */
    REFUSED(nana_query(db, "items", NULL, NULL, NULL, "id", -1, 0), "limit");
    REFUSED(nana_query(db, "items", NULL, NULL, NULL, "id", -1, 2), "limit");
    REFUSED(nana_query(db, "items", NULL, NULL, NULL, NULL, INT64_MIN, 0), "limit");
    REFUSED(nana_query(db, "items", NULL, NULL, NULL, "id", 3, -1), "offset");
    REFUSED(nana_query(db, "items", NULL, NULL, NULL, "id", INT64_MAX, INT64_MIN), "offset");
    REFUSED(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", -1, 0), "limit");
    REFUSED(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", 2, -1), "offset");
    REFUSED(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", 0, 0), "limit");

    /* INT64_MAX: no limit; an offset alone skips rows; limit 0: none. */
    IDS(INT64_MAX, 0, "[1,2,3,4,5]");
    IDS(INT64_MAX, 3, "[4,5]");
    IDS(2, 1, "[2,3]");
    IDS(0, 0, "[]");
    IDS(INT64_MAX, INT64_MAX, "[]");
    SAME(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", INT64_MAX, 4),
         "{\"rows\":[{\"id\":5}],\"total\":5,\"limit\":9223372036854775807,\"offset\":4}");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
