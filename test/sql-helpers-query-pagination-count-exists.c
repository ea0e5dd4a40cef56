/*
 * nana_query: rows as objects column -> value; NULL columns means every
 * column; a column list selects and orders members; where + positional
 * (?, ?NNN) or named params filters; order_by with ASC / DESC (any case) on
 * one or several columns sorts; limit, offset, offset alone (limit
 * INT64_MAX), limit 0.  nana_query_with_pagination: {"rows", "total" (rows
 * matching where, not the page), "limit", "offset"}; limit < 1 or offset < 0
 * NANA_EINVAL.  nana_query with limit or offset < 0 NANA_EINVAL.  nana_count and nana_exists with and
 * without where, positional and named params.  A parameter count mismatch is
 * NANA_EINVAL.  Helpers on a sub-table handle see the same file.
 */
#include "harness.h"

static nana_db_t *db;

/* query with columns/params as JSON text (NULL: none); checks the result. */
static void query_(const char *file, int line, const char *cols, const char *where,
                   const char *params, const char *order, int64_t limit, int64_t offset,
                   const char *want)
{
    json_t *c = cols ? t_json(cols) : NULL, *p = params ? t_json(params) : NULL;
    json_t *v = t_take_at(file, line, "nana_query",
                          nana_query(db, "items", c, where, p, order, limit, offset));
    t_check_json(file, line, "nana_query", v, want);
    nana_json_release(v);
    json_decref(c);
    json_decref(p);
}
#define QUERY(cols, where, params, order, limit, offset, want)                 \
    query_(__FILE__, __LINE__, cols, where, params, order, limit, offset, want)

/* The "id" of each row of a query, as a JSON array text check. */
static void ids_(const char *file, int line, const char *where, const char *params,
                 const char *order, int64_t limit, int64_t offset, const char *want)
{
    json_t *c = t_json("[\"id\"]"), *p = params ? t_json(params) : NULL;
    json_t *v = t_take_at(file, line, "nana_query",
                          nana_query(db, "items", c, where, p, order, limit, offset));
    json_t *ids = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(v, i, row) {
        if (json_object_size(row) != 1)
            t_fail(file, line, "row %zu has %zu members, want 1", i, json_object_size(row));
        json_array_append(ids, json_object_get(row, "id"));
    }
    t_check_json(file, line, order ? order : "ids", ids, want);
    json_decref(ids);
    nana_json_release(v);
    json_decref(c);
    json_decref(p);
}
#define IDS(where, params, order, limit, offset, want)                         \
    ids_(__FILE__, __LINE__, where, params, order, limit, offset, want)

static void page_(const char *file, int line, const char *cols, const char *where,
                  const char *params, const char *order, int64_t limit, int64_t offset,
                  const char *want)
{
    json_t *c = cols ? t_json(cols) : NULL, *p = params ? t_json(params) : NULL;
    json_t *v = t_take_at(file, line, "pagination",
                          nana_query_with_pagination(db, "items", c, where, p, order, limit, offset));
    t_check_json(file, line, "pagination", v, want);
    nana_json_release(v);
    json_decref(c);
    json_decref(p);
}
#define PAGE(cols, where, params, order, limit, offset, want)                  \
    page_(__FILE__, __LINE__, cols, where, params, order, limit, offset, want)

static int64_t count_(const char *file, int line, nana_db_t *h, const char *table,
                      const char *where, const char *params)
{
    json_t *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_count(h, table, where, p);
    json_decref(p);
    int64_t n = -1;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK || nana_future_int(f, &n) != NANA_OK)
        t_fail(file, line, "count: %s (%s)", t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
    return n;
}
#define COUNT(h, t, where, params) count_(__FILE__, __LINE__, (h), (t), (where), (params))

static bool exists_(const char *file, int line, nana_db_t *h, const char *table,
                    const char *where, const char *params)
{
    json_t *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_exists(h, table, where, p);
    json_decref(p);
    bool b = false;
    nana_status_t st = nana_future_await(f);
    if (st != NANA_OK || nana_future_bool(f, &b) != NANA_OK)
        t_fail(file, line, "exists: %s (%s)", t_status_name(st), nana_future_errmsg(f));
    nana_future_free(f);
    return b;
}
#define EXISTS(h, t, where, params) exists_(__FILE__, __LINE__, (h), (t), (where), (params))

int main(void)
{
    db = t_open("query.db", NULL);
    json_t *cols = t_json("{\"id\": \"INTEGER\", \"cat\": \"TEXT\", \"price\": \"REAL\", "
                          "\"name\": \"TEXT\"}");
    EXPECT(nana_create_table(db, "items", cols, "id", false), NANA_OK);
    json_decref(cols);
    json_t *sets = t_json("[[1,\"a\",3.0,\"w\"],[2,\"b\",1.0,\"x\"],[3,\"a\",2.0,\"y\"],"
                          "[4,\"b\",2.0,\"z\"],[5,\"c\",5.0,\"v\"],[6,\"a\",3.0,\"u\"],"
                          "[7,\"c\",1.0,\"t\"],[8,\"b\",4.0,\"s\"]]");
    nana_future_t *f = nana_execute_many(db, "INSERT INTO items VALUES (?, ?, ?, ?)", sets);
    json_decref(sets);
    EXPECT(f, NANA_OK);

    /* every column, as objects */
    json_t *all = t_take_at(__FILE__, __LINE__, "all",
                            nana_query(db, "items", NULL, NULL, NULL, "id", INT64_MAX, 0));
    CHECK_INT(json_array_size(all), 8);
    CHECK_JSON(json_array_get(all, 0), "{\"id\":1,\"cat\":\"a\",\"price\":3.0,\"name\":\"w\"}");
    CHECK_JSON(json_array_get(all, 7), "{\"id\":8,\"cat\":\"b\",\"price\":4.0,\"name\":\"s\"}");
    /* members in column order */
    const char *k;
    json_t *v;
    const char *order[] = {"id", "cat", "price", "name"};
    int i = 0;
    json_object_foreach(json_array_get(all, 3), k, v) {
        CHECK(i < 4);
        CHECK_STR(k, order[i]);
        i++;
    }
    nana_json_release(all);

    /* a column list, where, order */
    QUERY("[\"name\", \"id\"]", "cat = ?", "[\"a\"]", "id DESC", INT64_MAX, 0,
          "[{\"name\":\"u\",\"id\":6},{\"name\":\"y\",\"id\":3},{\"name\":\"w\",\"id\":1}]");
    QUERY("[\"cat\"]", "id = :id", "{\"id\": 5}", NULL, INT64_MAX, 0, "[{\"cat\":\"c\"}]");
    QUERY(NULL, "name = 'nothing'", NULL, NULL, INT64_MAX, 0, "[]");

    /* ordering */
    IDS(NULL, NULL, "cat ASC, price DESC, id", INT64_MAX, 0, "[1,6,3,8,4,2,5,7]");
    IDS(NULL, NULL, "cat DESC, id DESC", INT64_MAX, 0, "[7,5,8,4,2,6,3,1]");
    IDS(NULL, NULL, "price desc, id asc", INT64_MAX, 0, "[5,8,1,6,3,4,2,7]");
    IDS(NULL, NULL, "name", INT64_MAX, 0, "[8,7,6,5,1,2,3,4]");
    IDS(NULL, NULL, "price,id", INT64_MAX, 0, "[2,7,3,4,1,6,8,5]");

    /* limit and offset */
    IDS(NULL, NULL, "id", 3, 0, "[1,2,3]");
    IDS(NULL, NULL, "id", 3, 2, "[3,4,5]");
    IDS(NULL, NULL, "id", 10, 6, "[7,8]");
    IDS(NULL, NULL, "id", INT64_MAX, 5, "[6,7,8]");
    IDS(NULL, NULL, "id", 0, 0, "[]");
    IDS(NULL, NULL, "id DESC", 2, 20, "[]");

    /* where with params */
    IDS("price >= :lo AND price <= :hi", "{\"lo\": 2, \"hi\": 3}", "id", INT64_MAX, 0, "[1,3,4,6]");
    IDS("price >= @lo AND cat <> $c", "{\"lo\": 2, \"c\": \"a\"}", "id", INT64_MAX, 0, "[4,5,8]");
    IDS("lower(cat) IN ('a', 'c') AND id > ?", "[4]", "id", INT64_MAX, 0, "[5,6,7]");
    IDS("cat = ?2 AND price > ?1", "[1.5, \"b\"]", "id", INT64_MAX, 0, "[4,8]");
    IDS("(cat = 'a' OR cat = 'c') AND NOT (price < 3)", NULL, "id DESC", 2, 0, "[6,5]");
    IDS("name LIKE ? ESCAPE '\\'", "[\"%\"]", "id", 2, 1, "[2,3]");
    json_t *p1 = t_json("[\"a\", \"b\"]");
    EXPECT(nana_query(db, "items", NULL, "cat = ?", p1, NULL, INT64_MAX, 0), NANA_EINVAL);
    json_decref(p1);
    EXPECT(nana_query(db, "items", NULL, "cat = ?", NULL, NULL, INT64_MAX, 0), NANA_EINVAL);
    EXPECT(nana_query(db, "items", NULL, NULL, NULL, "id", 5, -1), NANA_EINVAL);

    /* pagination */
    PAGE(NULL, "cat = ?", "[\"b\"]", "id", 2, 0,
         "{\"rows\":[{\"id\":2,\"cat\":\"b\",\"price\":1.0,\"name\":\"x\"},"
         "{\"id\":4,\"cat\":\"b\",\"price\":2.0,\"name\":\"z\"}],"
         "\"total\":3,\"limit\":2,\"offset\":0}");
    PAGE("[\"id\"]", "cat = ?", "[\"b\"]", "id", 2, 2,
         "{\"rows\":[{\"id\":8}],\"total\":3,\"limit\":2,\"offset\":2}");
    PAGE("[\"id\"]", "cat = :c", "{\"c\": \"b\"}", "id", 2, 10,
         "{\"rows\":[],\"total\":3,\"limit\":2,\"offset\":10}");
    PAGE("[\"id\"]", NULL, NULL, "id DESC", 3, 1,
         "{\"rows\":[{\"id\":7},{\"id\":6},{\"id\":5}],\"total\":8,\"limit\":3,\"offset\":1}");
    EXPECT(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", 0, 0), NANA_EINVAL);
    EXPECT(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", -1, 0), NANA_EINVAL);
    EXPECT(nana_query_with_pagination(db, "items", NULL, NULL, NULL, "id", 2, -1), NANA_EINVAL);
    EXPECT(nana_query_with_pagination(db, "items", NULL, NULL, NULL, NULL, INT64_MIN, 0),
           NANA_EINVAL);

    /* count and exists */
    CHECK_INT(COUNT(db, "items", NULL, NULL), 8);
    CHECK_INT(COUNT(db, "items", "cat = ?", "[\"a\"]"), 3);
    CHECK_INT(COUNT(db, "items", "cat = :c", "{\"c\": \"zz\"}"), 0);
    CHECK_INT(COUNT(db, "items", "price BETWEEN ? AND ?", "[2, 4]"), 5);
    CHECK(EXISTS(db, "items", "cat = 'c'", NULL));
    CHECK(!EXISTS(db, "items", "price > ?", "[100]"));
    CHECK(EXISTS(db, "items", NULL, NULL));
    CHECK(EXISTS(db, "items", "name = @n", "{\"n\": \"s\"}"));
    p1 = t_json("[1]");
    EXPECT(nana_count(db, "items", "id = ? AND cat = ?", p1), NANA_EINVAL);
    EXPECT(nana_exists(db, "items", NULL, p1), NANA_EINVAL);
    json_decref(p1);

    /* through a sub-table handle, and on an empty table */
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "empty_kv", &sub), NANA_OK);
    CHECK_INT(COUNT(sub, "items", NULL, NULL), 8);
    CHECK_INT(COUNT(sub, "empty_kv", NULL, NULL), 0);
    CHECK(!EXISTS(sub, "empty_kv", NULL, NULL));
    json_t *empty = t_take_at(__FILE__, __LINE__, "empty",
                              nana_query(sub, "empty_kv", NULL, NULL, NULL, NULL, INT64_MAX, 0));
    CHECK_JSON(empty, "[]");
    nana_json_release(empty);
    CHECK_ST(nana_close(sub), NANA_OK);

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
