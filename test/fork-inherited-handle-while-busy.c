/* fork() while the parent's root is busy (another thread keeps writing, its
 * workers mid-batch): in the child, every use of the inherited handles still
 * fails promptly with NANA_ECLOSED -- whatever locks the parent's threads
 * held at that instant -- and the parent carries on undisturbed. */
#include "harness.h"

static nana_db_t *root, *sub;
static void expect_closed(nana_future_t *f)
{
    CHILD_ST(nana_future_await_for(f, 20000), NANA_ECLOSED);
    nana_future_free(f);
}

static void child_body(void)
{
    json_t *v = json_integer(-1);
    expect_closed(nana_get(root, "h1", NULL));
    expect_closed(nana_set(root, "h1", v));
    expect_closed(nana_len(sub));
    expect_closed(nana_get(sub, "h2", NULL));
    nana_db_t *out = NULL;
    CHILD_ST(nana_table(root, "x", &out), NANA_ECLOSED);
    CHILD_CHECK(out == NULL);
    CHILD_ST(nana_close(root), NANA_ECLOSED);
    json_decref(v);
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    struct t_hammer *hammer = t_hammer_start(root, sub);

    for (int i = 0; i < 5; i++) {
        /* Fork in the middle of the traffic. */
        t_hammer_wait(hammer, 40);
        t_run_in_child(child_body, T_CHILD_SIGKILL);
    }

    t_hammer_stop(hammer);
    /* The parent's handles are fine; the child wrote nothing. */
    CHECK_INT(t_int(nana_len(root)), 32);
    CHECK_INT(t_int(nana_len(sub)), 32);
    json_t *all = t_take(nana_to_dict(root), NANA_OK);
    const char *k;
    json_t *val;
    json_object_foreach(all, k, val)
        CHECK(json_integer_value(val) >= 0);
    nana_json_release(all);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
