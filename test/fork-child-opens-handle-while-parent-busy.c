/* fork() while the parent's root is busy (another thread keeps writing, its
 * workers mid-batch): the child can still open roots of its own -- on a new
 * file and on the parent's file -- and use them, with its own workers, while
 * the parent carries on.  (Skipped under ThreadSanitizer, which cannot follow
 * a child of a multi-threaded process that starts threads.) */
#include "harness.h"

static nana_db_t *root, *sub;
static int child_round;

static void child_body(void)
{
    char name[32];
    snprintf(name, sizeof name, "child%d.db", child_round);
    nana_options_t opts;
    nana_options_init(&opts);
    opts.max_workers = 2;
    nana_db_t *own = NULL, *theirs = NULL;
    CHILD_ST(nana_open(t_path(name), &opts, &own), NANA_OK);
    CHILD_ST(nana_open(t_path("db"), &opts, &theirs), NANA_OK);
    json_t *v = json_integer(child_round);
    nana_future_t *fs[4];
    fs[0] = nana_set(own, "c", v);
    fs[1] = nana_get(own, "c", NULL);
    fs[2] = nana_set(theirs, "from_child", v);
    fs[3] = nana_len(theirs);
    for (int i = 0; i < 4; i++)
        CHILD_ST(nana_future_await_for(fs[i], 60000), NANA_OK);
    CHILD_CHECK(json_integer_value(nana_future_json(fs[1])) == child_round);
    int64_t n = 0;
    CHILD_ST(nana_future_int(fs[3], &n), NANA_OK);
    CHILD_CHECK(n >= 1);
    for (int i = 0; i < 4; i++)
        nana_future_free(fs[i]);
    /* The inherited handle is still refused. */
    nana_future_t *f = nana_get(root, "h1", NULL);
    CHILD_ST(nana_future_await_for(f, 20000), NANA_ECLOSED);
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
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    struct t_hammer *hammer = t_hammer_start(root, sub);

    for (int i = 0; i < 5; i++) {
        /* Fork in the middle of the traffic. */
        t_hammer_wait(hammer, 40);
        child_round = i;
        t_run_in_child(child_body, T_CHILD_SIGKILL);
    }

    t_hammer_stop(hammer);
    /* The parent's handles are fine, and the child's write is in the file
     * (read fresh: the parent never cached it). */
    t_expect(nana_get_fresh(root, "from_child", NULL), "4");
    CHECK_INT(t_int(nana_len(root)), 33);
    CHECK_INT(t_int(nana_len(sub)), 32);
    json_t *all = t_take(nana_to_dict(root), NANA_OK);
    const char *k;
    json_t *val;
    json_object_foreach(all, k, val)
        CHECK(json_is_integer(val));
    nana_json_release(all);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
