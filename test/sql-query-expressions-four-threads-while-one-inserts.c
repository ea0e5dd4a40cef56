/*
 * Four threads run expression and grouped queries on one root while a
 * fifth inserts rows through nana_sql_insert.  Each result is one
 * statement's snapshot, so it must agree with itself: SUM(v * 2) is twice
 * SUM(v), TOTAL(v) equals it, COUNT(*) never goes back for one thread (its
 * queries run in the order it submitted them); a page of groups holds
 * "total" groups when the limit is above it, each with COUNT(*) >= the
 * having parameter, and the groups' counts add up to no more than a later
 * COUNT(*); a hostile column is refused every time, from every thread,
 * half of the futures are awaited through a then-chain.  At the end the
 * count is every row inserted.
 */
#include "harness.h"

#include <pthread.h>

#define READERS 4
#define ROUNDS 150
#define INSERTS 400

static nana_db_t *db;

static nana_future_t *grouped_then(nana_future_t *done, void *arg)
{
    (void)arg;
    (void)done;
    return NULL; /* pass the result on */
}

static void *reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    json_t *agg = t_json("[\"COUNT(*) AS n\", \"SUM(v) AS s\", \"SUM(v * 2) AS s2\", "
                         "\"TOTAL(v) AS t\", \"MAX(v) - MIN(v) AS spread\"]");
    json_t *groups = t_json("[\"k\", \"COUNT(*) AS n\", \"SUM(v) AS s\"]");
    json_t *hostile = t_json("[\"v; DROP TABLE t\"]");
    int64_t last_n = 0;
    for (int round = 0; round < ROUNDS; round++) {
        json_t *v = TAKE(nana_query(db, "t", agg, NULL, NULL, NULL, INT64_MAX, 0));
        json_t *row = json_array_get(v, 0);
        int64_t n = json_integer_value(json_object_get(row, "n"));
        json_t *s = json_object_get(row, "s"), *s2 = json_object_get(row, "s2");
        CHECK(n >= last_n);
        last_n = n;
        if (n > 0) {
            CHECK_INT(json_integer_value(s2), 2 * json_integer_value(s));
            CHECK(json_real_value(json_object_get(row, "t")) == (double)json_integer_value(s));
        }
        nana_json_release(v);

        json_t *named = json_pack("{s:i, s:i}", "low", 0, "min", 1 + id % 2);
        nana_future_t *f = nana_query_grouped_with_pagination(db, "t", groups, "v >= :low", named,
                                                              "k",
                                               "COUNT(*) >= :min", "k", 1000, 0);
        json_decref(named);
        if (round % 2)
            f = nana_future_then(f, grouped_then, NULL);
        json_t *page = TAKE(f);
        json_t *rows = json_object_get(page, "rows");
        CHECK_INT(json_array_size(rows), json_integer_value(json_object_get(page, "total")));
        int64_t sum = 0;
        size_t i;
        json_array_foreach(rows, i, row) {
            int64_t gn = json_integer_value(json_object_get(row, "n"));
            CHECK(gn >= 1 + id % 2);
            sum += gn;
        }
        nana_json_release(page);
        json_t *later = TAKE(nana_query(db, "t", agg, NULL, NULL, NULL, INT64_MAX, 0));
        CHECK(sum <= json_integer_value(json_object_get(json_array_get(later, 0), "n")));
        nana_json_release(later);

        EXPECT(nana_query(db, "t", hostile, NULL, NULL, NULL, INT64_MAX, 0), NANA_EINVAL);
        EXPECT(nana_query_grouped(db, "t", NULL, NULL, NULL, "k; DROP TABLE t", NULL, NULL, 1, 0),
               NANA_EINVAL);
    }
    json_decref(agg);
    json_decref(groups);
    json_decref(hostile);
    return NULL;
}

static void *inserter(void *arg)
{
    (void)arg;
    for (int i = 0; i < INSERTS; i++) {
        json_t *row = json_pack("{s:i, s:i}", "k", i % 10, "v", i);
        CHECK(INT(nana_sql_insert(db, "t", row)) > 0);
        json_decref(row);
    }
    return NULL;
}

int main(void)
{
    db = t_open("threads.db", NULL);
    json_t *cols = t_json("{\"k\": \"INTEGER\", \"v\": \"INTEGER\"}");
    EXPECT(nana_create_table(db, "t", cols, NULL, false), NANA_OK);
    json_decref(cols);

    pthread_t readers[READERS], writer;
    CHECK(pthread_create(&writer, NULL, inserter, NULL) == 0);
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_create(&readers[i], NULL, reader, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_join(readers[i], NULL) == 0);
    CHECK(pthread_join(writer, NULL) == 0);

    json_t *c = t_json("[\"COUNT(*) AS n\", \"SUM(v) AS s\"]");
    SAME(nana_query(db, "t", c, NULL, NULL, NULL, INT64_MAX, 0),
         "[{\"n\": 400, \"s\": 79800}]");
    json_decref(c);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
