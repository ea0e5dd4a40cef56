/*
 * nana_restore() of a backup: every handle reads back exactly what the
 * backup held, whatever its cache knew before.
 *   - State A (root and four sub-tables) is backed up; then every table is
 *     changed (values replaced, keys deleted, keys added), a sub-table
 *     "late" is made, and the caches are warmed: values cached present, a
 *     deleted key cached as absent, the sub-tables fully loaded
 *     (nana_load_all).
 *   - Reads and a write submitted right after nana_restore(), before it is
 *     awaited, see the restored file (the caches are not consulted while the
 *     restore is queued): the deleted key is back, the added key gone.
 *   - After the restore no key is cached; four threads, one per sub-table,
 *     read every key of state A back, find the keys added later absent,
 *     and nana_to_dict() of each table is state A exactly.
 *   - "late", which state A lacks, exists again, empty, so its handle
 *     stays usable; the backup file is unchanged byte for byte.
 */
#include "harness.h"

#include <pthread.h>

#define SUBS 4
#define KEYS 20

static nana_db_t *subs[SUBS];

static json_t *value_of(char state, int sub, int key)
{
    char text[48];
    snprintf(text, sizeof text, "%c-%d-%d", state, sub, key);
    return json_string(text);
}

static void *read_back(void *arg)
{
    int s = (int)(intptr_t)arg;
    json_t *want = json_object();
    for (int k = 0; k < KEYS; k++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", k);
        json_t *v = TAKE(nana_get(subs[s], key, NULL));
        json_t *expected = value_of('A', s, k);
        if (!json_equal(v, expected))
            t_fail(__FILE__, __LINE__, "sub-table %d, %s: not the restored value", s, key);
        json_object_set_new(want, key, expected);
        nana_json_release(v);
    }
    EXPECT(nana_get(subs[s], "added", NULL), NANA_ENOTFOUND);
    CHECK(!BOOL(nana_contains(subs[s], "added")));
    CHECK_INT(INT(nana_len(subs[s])), KEYS);
    json_t *all = TAKE(nana_to_dict(subs[s]));
    CHECK(json_equal(all, want));
    nana_json_release(all);
    json_decref(want);
    return NULL;
}

int main(void)
{
    nana_db_t *root = t_open("live.db", NULL);
    for (int s = 0; s < SUBS; s++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", s);
        CHECK_ST(nana_table(root, name, &subs[s]), NANA_OK);
    }

    /* State A. */
    t_set_json(root, "a", "1");
    t_set_json(root, "b", "2");
    for (int s = 0; s < SUBS; s++) {
        json_t *obj = json_object();
        for (int k = 0; k < KEYS; k++) {
            char key[32];
            snprintf(key, sizeof key, "k%d", k);
            json_object_set_new(obj, key, value_of('A', s, k));
        }
        CHECK_ST(t_wait(nana_update(subs[s], obj)), NANA_OK);
        json_decref(obj);
    }
    const char *snap = t_path("snap.db");
    CHECK(INT(nana_backup(root, snap, NULL)) > 0);
    uint64_t snap_hash = t_fnv_file(snap);

    /* State B, and caches that know it. */
    t_set_json(root, "a", "100");
    CHECK_ST(t_wait(nana_delete(root, "b")), NANA_OK);
    t_set_json(root, "new", "true");
    for (int s = 0; s < SUBS; s++) {
        json_t *obj = json_object();
        for (int k = 0; k < KEYS; k++) {
            char key[32];
            snprintf(key, sizeof key, "k%d", k);
            json_object_set_new(obj, key, value_of('B', s, k));
        }
        json_object_set_new(obj, "added", json_true());
        CHECK_ST(t_wait(nana_update(subs[s], obj)), NANA_OK);
        json_decref(obj);
        CHECK_ST(t_wait(nana_delete(subs[s], "k5")), NANA_OK);
        CHECK_INT(INT(nana_load_all(subs[s])), KEYS);
        char want[32];
        snprintf(want, sizeof want, "\"B-%d-1\"", s);
        SAME(nana_get(subs[s], "k1", NULL), want);
        EXPECT(nana_get(subs[s], "k5", NULL), NANA_ENOTFOUND);
    }
    nana_db_t *late = NULL;
    CHECK_ST(nana_table(root, "late", &late), NANA_OK);
    t_set_json(late, "z", "1");
    SAME(nana_get(root, "a", NULL), "100");
    EXPECT(nana_get(root, "b", NULL), NANA_ENOTFOUND);
    SAME(nana_get(root, "new", NULL), "true");
    CHECK(BOOL(nana_is_cached(root, "a")));
    CHECK(BOOL(nana_is_cached(root, "b"))); /* as absent */
    CHECK(BOOL(nana_is_cached(subs[0], "k5")));

    /* Restore, and read behind it without waiting for it. */
    nana_future_t *restore = nana_restore(root, snap);
    nana_future_t *get_a = nana_get(root, "a", NULL);
    nana_future_t *get_b = nana_get(root, "b", NULL);
    nana_future_t *get_new = nana_get(root, "new", NULL);
    nana_future_t *has_k5 = nana_contains(subs[1], "k5");
    json_t *seven = json_integer(7);
    nana_future_t *set_after = nana_set(root, "after", seven);
    json_decref(seven);
    EXPECT(restore, NANA_OK);
    SAME(get_a, "1");
    SAME(get_b, "2");
    EXPECT(get_new, NANA_ENOTFOUND);
    CHECK(BOOL(has_k5));
    EXPECT(set_after, NANA_OK);

    /* Nothing cached that the restore did not read since. */
    for (int s = 0; s < SUBS; s++) {
        CHECK(!BOOL(nana_is_cached(subs[s], "k1")));
        CHECK(!BOOL(nana_is_cached(subs[s], "added")));
    }
    pthread_t threads[SUBS];
    for (int s = 0; s < SUBS; s++)
        CHECK(pthread_create(&threads[s], NULL, read_back, (void *)(intptr_t)s) == 0);
    for (int s = 0; s < SUBS; s++)
        CHECK(pthread_join(threads[s], NULL) == 0);

    SAME(nana_to_dict(root), "{\"a\": 1, \"b\": 2, \"after\": 7}");
    /* "late" was made after the backup: back, and empty. */
    EXPECT(nana_get(late, "z", NULL), NANA_ENOTFOUND);
    CHECK_INT(INT(nana_len(late)), 0);
    t_set_json(late, "z", "2");
    SAME(nana_get(late, "z", NULL), "2");

    char *raw = t_raw_value(t_path("live.db"), "data", "b");
    CHECK_STR(raw, "2");
    free(raw);
    CHECK(t_fnv_file(snap) == snap_hash);

    CHECK_ST(nana_close(late), NANA_OK);
    for (int s = 0; s < SUBS; s++)
        CHECK_ST(nana_close(subs[s]), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
