/*
 * The reader lane's index: with the only reader connection busy on a slow
 * helper query, reads queue in the lane; key writes then move the waiting
 * reads of their keys to the writer (found in their hash bucket, or by a
 * walk of the lane while a whole-table read waits there too), some
 * waiting reads are cancelled from the middle of the lane, and a clear of
 * another table moves none.  Whatever the timing: every read submitted
 * before the write of its key answers the old value, every read after it
 * the new one, a cancelled read resolves once (NANA_ECANCELED, or its
 * answer when it had run), the whole-table read counts the rows as they
 * were, and each read routed to the lane ran on the reader or was moved.
 */
#include "harness.h"

#define KEYS 300

static void phase(nana_db_t *db, nana_db_t *other, bool wide, int round)
{
    nana_future_t *slow = nana_count(db, "big", "v LIKE '%ab%'", NULL);
    /* Until it runs on the only reader (or is done). */
    nana_stats_t s;
    do
        CHECK_ST(nana_stats(db, &s), NANA_OK);
    while (s.readers_busy == 0 && !nana_future_poll(slow));

    nana_future_t *before[KEYS], *after[KEYS / 3 + 1], *w[KEYS / 3 + 1];
    bool cancelled[KEYS] = {0};
    char key[32], want[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "c%d", i);
        before[i] = nana_get(db, key, NULL);
    }
    nana_future_t *counted = wide ? nana_count(db, "data", NULL, NULL) : NULL;
    for (int i = 5; i < KEYS; i += 11)
        cancelled[i] = nana_future_cancel(before[i]) == NANA_OK;
    nana_future_t *cleared = nana_clear(other);
    for (int i = 0, n = 0; i < KEYS; i += 3, n++) {
        snprintf(key, sizeof key, "c%d", i);
        snprintf(want, sizeof want, "\"r%d\"", round);
        w[n] = t_set_async(db, key, want);
        after[n] = nana_get(db, key, NULL);
    }
    for (int i = 0; i < KEYS; i++) {
        nana_status_t st = nana_future_await(before[i]);
        if (cancelled[i]) {
            CHECK_ST(st, NANA_ECANCELED);
        } else {
            CHECK_ST(st, NANA_OK);
            if (round == 0 || i % 3) {
                snprintf(want, sizeof want, "{\"n\":%d}", i);
            } else {
                snprintf(want, sizeof want, "\"r%d\"", round - 1);
            }
            CHECK_JSON(nana_future_json(before[i]), want);
        }
        nana_future_free(before[i]);
    }
    for (int i = 0, n = 0; i < KEYS; i += 3, n++) {
        EXPECT(w[n], NANA_OK);
        snprintf(want, sizeof want, "\"r%d\"", round);
        SAME(after[n], want);
    }
    if (counted) {
        json_t *c = TAKE(counted);
        CHECK(json_integer_value(c) == KEYS);
        json_decref(c);
    }
    EXPECT(cleared, NANA_OK);
    CHECK(nana_future_await(slow) == NANA_OK);
    nana_future_free(slow);
}

int main(void)
{
    nana_db_t *db = t_open("db", NULL);
    t_make_big_table(db, 200000);
    char key[32], val[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "c%d", i);
        snprintf(val, sizeof val, "{\"n\":%d}", i);
        t_set_json(db, key, val);
    }
    CHECK_ST(nana_close(db), NANA_OK);

    for (int round = 0; round < 4; round++) {
        db = t_open("db", NULL); /* nothing cached */
        nana_db_t *other = NULL;
        CHECK_ST(nana_table(db, "other", &other), NANA_OK);
        CHECK_ST(nana_set_read_connections(db, 1), NANA_OK);
        nana_stats_t s0, s1;
        CHECK_ST(nana_stats(db, &s0), NANA_OK);
        phase(db, other, round % 2 == 0, round);
        CHECK_ST(nana_stats(db, &s1), NANA_OK);
        /* The reads of c0..: each ran on the reader, was moved, or was
         * cancelled off the lane; plus the helper reads. */
        CHECK(s1.reads_on_readers + s1.reads_moved + s1.cancelled >=
              s0.reads_on_readers + s0.reads_moved + KEYS);
        CHECK_ST(nana_close(other), NANA_OK);
        CHECK_ST(nana_close(db), NANA_OK);
    }
    return 0;
}
