/*
 * nana_query_grouped and nana_query_grouped_with_pagination: GROUP BY a
 * column, an expression, an alias, several expressions, a quoted keyword
 * name; HAVING over aggregates and aliases with comparisons, BETWEEN, IN,
 * LIKE, IS NOT NULL, NOT, AND / OR and parentheses; parameters of where and
 * having bound together, positional (where's first, also with explicit
 * ?NNN) and named; order_by an alias; columns NULL.  The paginated form's
 * "total" counts the groups (after having), its pages are pages of groups.
 * Both NULL: the same rows as nana_query.  having without group_by, an
 * aggregate in group_by, a parameter in group_by: NANA_EINVAL with a
 * message naming the clause.  A parameter count that does not match both
 * clauses: NANA_EINVAL.  A sub-table handle reaches the same table.
 */
#include "harness.h"

static nana_db_t *db;

static void grouped_(const char *file, int line, bool page, const char *cols, const char *where,
                     const char *params, const char *group_by, const char *having,
                     const char *order_by, int64_t limit, int64_t offset, const char *want)
{
    json_t *c = cols ? t_json(cols) : NULL, *p = params ? t_json(params) : NULL;
    nana_future_t *f =
        page ? nana_query_grouped_with_pagination(db, "orders", c, where, p, group_by, having,
                                                  order_by, limit, offset)
             : nana_query_grouped(db, "orders", c, where, p, group_by, having, order_by, limit,
                                  offset);
    t_same_at(file, line, group_by ? group_by : "(no group_by)", f, want);
    json_decref(c);
    json_decref(p);
}
#define GROUPED(cols, where, params, gb, hv, ob, want)                                    \
    grouped_(__FILE__, __LINE__, false, cols, where, params, gb, hv, ob, INT64_MAX, 0, want)
#define PAGE(cols, where, params, gb, hv, ob, limit, offset, want)                        \
    grouped_(__FILE__, __LINE__, true, cols, where, params, gb, hv, ob, limit, offset, want)

static void refused_(const char *file, int line, const char *cols, const char *params,
                     const char *group_by, const char *having, const char *in_msg)
{
    json_t *c = cols ? t_json(cols) : NULL, *p = params ? t_json(params) : NULL;
    nana_future_t *f = nana_query_grouped(db, "orders", c, NULL, p, group_by, having, NULL,
                                          INT64_MAX, 0);
    if (nana_future_await(f) != NANA_EINVAL || !strstr(nana_future_errmsg(f), in_msg))
        t_fail(file, line, "group_by [%s] having [%s]: got %s (%s), want NANA_EINVAL with \"%s\"",
               group_by ? group_by : "", having ? having : "",
               t_status_name(nana_future_status(f)), nana_future_errmsg(f), in_msg);
    nana_future_free(f);
    json_decref(c);
    json_decref(p);
}
#define REFUSED(cols, params, gb, hv, in_msg)                                             \
    refused_(__FILE__, __LINE__, cols, params, gb, hv, in_msg)

int main(void)
{
    db = t_open("grouped.db", NULL);
    EXPECT(t_execute(db,
                     "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount INTEGER, "
                     "day TEXT, \"group\" TEXT)",
                     NULL),
           NANA_OK);
    json_t *rows = t_json("[[\"ann\", 10, \"2024-01-05\", \"x\"],"
                          " [\"ann\", 40, \"2024-01-20\", \"x\"],"
                          " [\"ann\", 70, \"2024-02-02\", \"y\"],"
                          " [\"bob\", 5, \"2024-01-07\", \"y\"],"
                          " [\"bob\", 15, \"2024-02-09\", \"y\"],"
                          " [\"cy\", 200, \"2024-02-11\", \"x\"],"
                          " [\"dee\", 1, \"2024-03-01\", null]]");
    EXPECT(nana_execute_many(db,
                             "INSERT INTO orders (customer, amount, day, \"group\") "
                             "VALUES (?, ?, ?, ?)",
                             rows),
           NANA_OK);
    json_decref(rows);

    /* One column, aggregates, order by an alias. */
    GROUPED("[\"customer\", \"COUNT(*) AS n\", \"SUM(amount) AS total\"]", NULL, NULL, "customer",
            NULL, "total DESC",
            "[{\"customer\": \"cy\", \"n\": 1, \"total\": 200},"
            " {\"customer\": \"ann\", \"n\": 3, \"total\": 120},"
            " {\"customer\": \"bob\", \"n\": 2, \"total\": 20},"
            " {\"customer\": \"dee\", \"n\": 1, \"total\": 1}]");
    /* having over an aggregate and over an alias. */
    GROUPED("[\"customer\", \"SUM(amount) AS total\"]", NULL, NULL, "customer",
            "COUNT(*) > 1", "customer",
            "[{\"customer\": \"ann\", \"total\": 120}, {\"customer\": \"bob\", \"total\": 20}]");
    GROUPED("[\"customer\", \"SUM(amount) AS total\"]", NULL, NULL, "customer",
            "total BETWEEN 10 AND 150", "customer",
            "[{\"customer\": \"ann\", \"total\": 120}, {\"customer\": \"bob\", \"total\": 20}]");
    /* Positional parameters: where's first, then having's. */
    GROUPED("[\"customer\", \"SUM(amount) AS total\"]", "amount > ?", "[9, 50]", "customer",
            "SUM(amount) >= ?", "customer",
            "[{\"customer\": \"ann\", \"total\": 120}, {\"customer\": \"cy\", \"total\": 200}]");
    GROUPED("[\"customer\", \"COUNT(*) AS n\"]", "amount < ?2", "[1, 100]", "customer",
            "COUNT(*) > ?1", "customer",
            "[{\"customer\": \"ann\", \"n\": 3}, {\"customer\": \"bob\", \"n\": 2}]");
    /* Named ones, and the other forms of a condition. */
    GROUPED("[\"customer\", \"MAX(amount) AS top\"]", "day >= :from", "{\"from\": \"2024-01-06\", "
            "\"low\": 10, \"names\": \"%n%\"}",
            "customer", "(top >= :low OR customer LIKE :names) AND NOT customer IN ('cy')",
            "customer",
            "[{\"customer\": \"ann\", \"top\": 70}, {\"customer\": \"bob\", \"top\": 15}]");
    GROUPED("[\"\\\"group\\\" AS g\", \"COUNT(*) AS n\"]", NULL, NULL, "\"group\"",
            "\"group\" IS NOT NULL AND n NOT BETWEEN 5 AND 9", "g",
            "[{\"g\": \"x\", \"n\": 3}, {\"g\": \"y\", \"n\": 3}]");
    /* By an expression, by its alias, by several. */
    GROUPED("[\"SUBSTR(day, 1, 7) AS month\", \"SUM(amount) AS total\"]", NULL, NULL,
            "SUBSTR(day, 1, 7)", NULL, "month",
            "[{\"month\": \"2024-01\", \"total\": 55}, {\"month\": \"2024-02\", \"total\": 285},"
            " {\"month\": \"2024-03\", \"total\": 1}]");
    GROUPED("[\"SUBSTR(day, 1, 7) AS month\", \"COUNT(*) AS n\"]", NULL, NULL, "month",
            "n >= 2", "month",
            "[{\"month\": \"2024-01\", \"n\": 3}, {\"month\": \"2024-02\", \"n\": 3}]");
    GROUPED("[\"customer\", \"SUBSTR(day, 6, 2) AS m\", \"COUNT(*) AS n\"]", "customer = 'ann'",
            NULL, "customer,\n\tm", NULL, "m",
            "[{\"customer\": \"ann\", \"m\": \"01\", \"n\": 2},"
            " {\"customer\": \"ann\", \"m\": \"02\", \"n\": 1}]");
    /* columns NULL: SQLite's bare columns of the group. */
    json_t *any = TAKE(nana_query_grouped(db, "orders", NULL, "customer = 'cy'", NULL, "customer",
                                          NULL, NULL, INT64_MAX, 0));
    CHECK_INT(json_array_size(any), 1);
    CHECK_JSON(json_object_get(json_array_get(any, 0), "amount"), "200");
    nana_json_release(any);

    /* Pages of groups: total counts the groups that pass having. */
    PAGE("[\"customer\", \"SUM(amount) AS total\"]", NULL, NULL, "customer", NULL, "customer", 2,
         0,
         "{\"rows\": [{\"customer\": \"ann\", \"total\": 120}, {\"customer\": \"bob\", "
         "\"total\": 20}], \"total\": 4, \"limit\": 2, \"offset\": 0}");
    PAGE("[\"customer\", \"SUM(amount) AS total\"]", NULL, NULL, "customer", NULL, "customer", 2,
         2,
         "{\"rows\": [{\"customer\": \"cy\", \"total\": 200}, {\"customer\": \"dee\", "
         "\"total\": 1}], \"total\": 4, \"limit\": 2, \"offset\": 2}");
    PAGE("[\"customer\", \"SUM(amount) AS total\"]", "amount > ?", "[1, 15]", "customer",
         "total > ?", "total DESC", 1, 1,
         "{\"rows\": [{\"customer\": \"ann\", \"total\": 120}], \"total\": 3, \"limit\": 1,"
         " \"offset\": 1}");
    PAGE("[\"customer\"]", "amount > :min", "{\"min\": 1000, \"n\": 0}", "customer",
         "COUNT(*) > :n",
         NULL, 5, 0, "{\"rows\": [], \"total\": 0, \"limit\": 5, \"offset\": 0}");

    /* Neither clause: nana_query's rows. */
    json_t *c = t_json("[\"id\", \"amount * 2 AS twice\"]");
    json_t *p = t_json("[100]");
    json_t *plain = TAKE(nana_query(db, "orders", c, "amount < ?", p, "id", INT64_MAX, 0));
    json_t *same = TAKE(nana_query_grouped(db, "orders", c, "amount < ?", p, NULL, NULL, "id",
                                           INT64_MAX, 0));
    CHECK(json_equal(plain, same));
    CHECK_INT(json_array_size(plain), 6);
    nana_json_release(plain);
    nana_json_release(same);
    SAME(nana_query_grouped_with_pagination(db, "orders", c, "amount < ?", p, NULL, NULL, "id",
                                            1, 0),
         "{\"rows\": [{\"id\": 1, \"twice\": 20}], \"total\": 6, \"limit\": 1, \"offset\": 0}");
    json_decref(c);
    json_decref(p);

    /* Refusals name the clause. */
    REFUSED("[\"customer\"]", NULL, NULL, "COUNT(*) > 1", "having needs group_by");
    REFUSED("[\"customer\"]", NULL, "SUM(amount)", NULL, "group_by: SUM(): aggregates");
    REFUSED("[\"customer\"]", "[1]", "customer, ?", NULL, "group_by: parameters");
    REFUSED("[\"customer\"]", NULL, "customer AS c", NULL, "group_by:");
    REFUSED("[\"customer\"]", NULL, "customer", "COUNT(*) > 1 > 0", "having:");
    REFUSED("[\"customer\"]", NULL, "customer", "SUM(COUNT(*)) > 1", "aggregate inside");
    REFUSED("[\"customer\", \"SUM(amount) total\"]", NULL, "customer", NULL, "columns[1]");
    json_t *one = t_json("[1]"), *three = t_json("[1, 2, 3]");
    EXPECT(nana_query_grouped(db, "orders", NULL, "amount > ?", one, "customer", "COUNT(*) > ?",
                              NULL, INT64_MAX, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped_with_pagination(db, "orders", NULL, "amount > ?", three, "customer",
                                              "COUNT(*) > ?", NULL, 10, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped_with_pagination(db, "orders", NULL, NULL, NULL, "customer", NULL,
                                              NULL, 0, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped(db, "orders", NULL, NULL, NULL, "customer", NULL, NULL, -1, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped(NULL, "orders", NULL, NULL, NULL, "customer", NULL, NULL, 1, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped(db, NULL, NULL, NULL, NULL, "customer", NULL, NULL, 1, 0),
           NANA_EINVAL);
    EXPECT(nana_query_grouped(db, "orders", NULL, NULL, NULL, "nope", NULL, NULL, 1, 0),
           NANA_ESQL);
    json_decref(one);
    json_decref(three);

    /* A sub-table handle reaches the same file. */
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "other", &sub), NANA_OK);
    c = t_json("[\"COUNT(*) AS groups\"]");
    json_t *v = TAKE(nana_query_grouped(sub, "orders", c, NULL, NULL, "customer", NULL, NULL,
                                        INT64_MAX, 0));
    CHECK_INT(json_array_size(v), 4);
    nana_json_release(v);
    json_decref(c);
    CHECK_ST(nana_close(sub), NANA_OK);

    SAME(nana_fetch_one(db, "SELECT COUNT(*), SUM(amount) FROM orders", NULL), "[7, 341]");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
