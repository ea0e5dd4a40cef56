/* A child forked while the parent has a root open (with its workers
 * running) can open handles of its own and use them: a new file, and the
 * parent's file through a new root.  The child has exactly its own workers,
 * none of the parent's, and the parent sees what the child committed. */
#include "harness.h"

static void child_body(void)
{
    CHILD_CHECK(t_count_named("parentp") == 0);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 2;
    opts.thread_name_prefix = "childp";
    nana_db_t *own = NULL;
    CHILD_ST(nana_open(t_path("child.db"), &opts, &own), NANA_OK);
    CHILD_CHECK(t_count_named("childp") == 2);
    json_t *v = json_string("from child");
    nana_future_t *f = nana_set(own, "c", v);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    nana_future_free(f);
    f = nana_get(own, "c", NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    CHILD_CHECK(json_equal(nana_future_json(f), v));
    nana_future_free(f);

    /* The parent's file, through a root of the child's own. */
    nana_db_t *theirs = NULL;
    CHILD_ST(nana_open(t_path("parent.db"), &opts, &theirs), NANA_OK);
    f = nana_get(theirs, "p", NULL);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    CHILD_CHECK(json_is_string(nana_future_json(f)) &&
                strcmp(json_string_value(nana_future_json(f)), "from parent") == 0);
    nana_future_free(f);
    f = nana_set(theirs, "from_child", v);
    CHILD_ST(nana_future_await_for(f, 60000), NANA_OK);
    nana_future_free(f);

    CHILD_ST(nana_close(theirs), NANA_OK);
    CHILD_ST(nana_close(own), NANA_OK);
    json_decref(v);
}

int main(void)
{
#ifdef NANA_TEST_TSAN
    fprintf(stderr, "skipped under ThreadSanitizer\n");
    return 0;
#endif
#ifdef NANA_TEST_ASAN
    fprintf(stderr, "skipped under AddressSanitizer (see harness.h)\n");
    return 0;
#endif
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 3;
    opts.thread_name_prefix = "parentp";
    nana_db_t *db = t_open("parent.db", &opts);
    json_t *v = json_string("from parent");
    CHECK_ST(t_wait(nana_set(db, "p", v)), NANA_OK);
    CHECK_INT(t_count_named("parentp"), 3);

    t_run_in_child(child_body, T_CHILD_EXIT);

    /* The parent never read "from_child", so it is not cached: the get
     * reads what the child committed. */
    t_expect(nana_get(db, "from_child", NULL), "\"from child\"");
    CHECK_INT(t_int(nana_len(db)), 2);
    CHECK_INT(t_count_named("parentp"), 3);
    CHECK_ST(nana_close(db), NANA_OK);

    db = t_open("child.db", NULL);
    t_expect(nana_get(db, "c", NULL), "\"from child\"");
    CHECK_ST(nana_close(db), NANA_OK);
    json_decref(v);
    return 0;
}
