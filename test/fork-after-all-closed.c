/* Once every root is closed the library holds no threads, and a process
 * forked after that may use it freely: the child opens the same file,
 * reads the parent's data, starts its own pool, writes, closes; the parent
 * then reopens and sees it -- twice over. */
#include "harness.h"

static const char *child_key, *seen_key;

static void child_body(void)
{
    int start = t_count_tasks();
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 4;
    opts.thread_name_prefix = "kid";
    nana_db_t *db = NULL;
    CHILD_ST(nana_open(t_path("db"), &opts, &db), NANA_OK);
    CHILD_CHECK(t_count_named("kid") == 4);
    CHILD_CHECK(t_count_tasks() == start + 4);

    nana_future_t *f = nana_get(db, seen_key, NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    CHILD_CHECK(json_is_string(nana_future_json(f)));
    nana_future_free(f);

    json_t *v = json_string("child");
    nana_future_t *fs[50];
    char key[32];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "%s-%d", child_key, i);
        fs[i] = nana_set(db, i == 49 ? child_key : key, v);
    }
    for (int i = 0; i < 50; i++) {
        CHILD_ST(nana_future_await_for(fs[i], 60000), NANA_OK);
        nana_future_free(fs[i]);
    }
    nana_db_t *sub = NULL;
    CHILD_ST(nana_table(db, "t", &sub), NANA_OK);
    f = nana_get(sub, "s", NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    nana_future_free(f);
    CHILD_ST(nana_close(sub), NANA_OK);
    CHILD_ST(nana_close(db), NANA_OK);
    CHILD_CHECK(t_settled_count(start) == start);
    json_decref(v);
}

int main(void)
{
    t_warm_up_threads();
    int before = t_count_tasks();

    nana_db_t *db = t_open("db", NULL);
    nana_db_t *sub = NULL;
    CHECK_ST(nana_table(db, "t", &sub), NANA_OK);
    json_t *v = json_string("parent");
    CHECK_ST(t_wait(nana_set(db, "p", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    child_key = "c1";
    seen_key = "p";
    t_run_in_child(child_body, T_CHILD_EXIT);

    db = t_open("db", NULL);
    t_expect(nana_get(db, "c1", NULL), "\"child\"");
    CHECK_INT(t_int(nana_len(db)), 1 + 50);
    CHECK_ST(t_wait(nana_set(db, "p2", v)), NANA_OK);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    child_key = "c2";
    seen_key = "p2";
    t_run_in_child(child_body, T_CHILD_EXIT);

    db = t_open("db", NULL);
    t_expect(nana_get(db, "c2", NULL), "\"child\"");
    t_expect(nana_get(db, "c1", NULL), "\"child\"");
    CHECK_INT(t_int(nana_len(db)), 2 + 100);
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(v);
    return 0;
}
