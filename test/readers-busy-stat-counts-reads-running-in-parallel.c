/*
 * nana_stats' readers_busy counts the reader connections running reads
 * now: with two of them, two threads running slow helper queries
 * (nana_count over 200k rows, routed to readers while the writer is idle)
 * are seen reading at once -- the watching thread stops them as soon as it
 * saw it -- and it is 0 once they are done.  Without readers it stays 0.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"

static nana_db_t *db;
static atomic_bool stop;
static atomic_int rounds;

static void *counter(void *arg)
{
    (void)arg;
    json_t *params = t_json("[\"%7%\"]");
    while (!atomic_load(&stop)) {
        json_t *n = TAKE(nana_count(db, "big", "v LIKE ?", params));
        CHECK(json_integer_value(n) > 0);
        json_decref(n);
        atomic_fetch_add(&rounds, 1);
    }
    json_decref(params);
    return NULL;
}

static uint64_t busy_now(void)
{
    nana_stats_t s;
    CHECK_ST(nana_stats(db, &s), NANA_OK);
    return s.readers_busy;
}

int main(void)
{
    db = t_open("db", NULL);
    t_make_big_table(db, 200000);

    /* No readers: every read runs on the writer. */
    json_t *params = t_json("[\"%7%\"]");
    json_decref(TAKE(nana_count(db, "big", "v LIKE ?", params)));
    CHECK_INT(busy_now(), 0);

    CHECK_ST(nana_set_read_connections(db, 2), NANA_OK);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&th[i], NULL, counter, NULL) == 0);
    uint64_t most = 0;
    while (most < 2) {
        uint64_t b = busy_now();
        CHECK(b <= 2);
        if (b > most)
            most = b;
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(busy_now(), 0);
    printf("two readers seen busy at once after %d queries\n", atomic_load(&rounds));

    /* Fewer again, then none: reads keep their answers. */
    CHECK_ST(nana_set_read_connections(db, 1), NANA_OK);
    json_t *a = TAKE(nana_count(db, "big", "v LIKE ?", params));
    CHECK_ST(nana_set_read_connections(db, 0), NANA_OK);
    json_t *b = TAKE(nana_count(db, "big", "v LIKE ?", params));
    CHECK(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(params);
    CHECK_INT(busy_now(), 0);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
