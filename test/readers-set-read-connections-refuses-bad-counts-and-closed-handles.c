/*
 * nana_set_read_connections: a count below 0 or above 16 is NANA_EINVAL
 * with a message, and changes nothing; NULL is NANA_EINVAL; a closed root
 * (through a sub-table handle left open) NANA_ECLOSED.  Any handle of the
 * root sets it for the root.  Reads and writes keep working across every
 * change, from several threads.
 */
#include <pthread.h>

#include "harness.h"

static nana_db_t *db;

static void *flipper(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < 200; i++) {
        CHECK_ST(nana_set_read_connections(db, (i + id) % 5), NANA_OK);
        char key[32];
        snprintf(key, sizeof key, "f%d-%d", id, i % 9);
        json_t *v = json_integer(i);
        nana_future_t *w = nana_set(db, key, v);
        nana_future_t *g = nana_get(db, key, NULL);
        EXPECT(w, NANA_OK);
        json_t *got = TAKE(g);
        CHECK(json_equal(got, v));
        nana_json_release(got);
        json_decref(v);
    }
    return NULL;
}

int main(void)
{
    db = t_open("db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "sub", &sub), NANA_OK);
    CHECK_ST(nana_set_read_connections(NULL, 1), NANA_EINVAL);
    CHECK_ST(nana_set_read_connections(db, -1), NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(db), "0 to 16") != NULL);
    CHECK_ST(nana_set_read_connections(db, 17), NANA_EINVAL);
    CHECK(strstr(nana_db_errmsg(db), "17") != NULL);
    CHECK_ST(nana_set_read_connections(sub, 16), NANA_OK);
    t_set_json(sub, "x", "[1]");
    SAME(nana_get(sub, "x", NULL), "[1]");

    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, flipper, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);

    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_ST(nana_set_read_connections(sub, 1), NANA_ECLOSED);
    CHECK_ST(nana_close(sub), NANA_OK);
    return 0;
}
