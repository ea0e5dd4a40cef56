/* A handle inherited across fork() fails in the child with a clear status:
 * every operation through the inherited root or sub-table resolves
 * NANA_ECLOSED with a message that mentions fork, nana_table() through it is
 * NANA_ECLOSED, nana_close() on it is NANA_ECLOSED; futures not tied to a
 * handle still work there.  The parent's handles are unaffected. */
#include <strings.h>

#include "harness.h"

static nana_db_t *root, *sub;

static bool mentions_fork(const char *msg)
{
    for (const char *p = msg; *p; p++)
        if (strncasecmp(p, "fork", 4) == 0)
            return true;
    return false;
}

static void child_expect_closed(nana_future_t *f, int line)
{
    nana_status_t st = nana_future_await_for(f, 20000);
    if (st != NANA_ECLOSED)
        t_child_fail("line %d: inherited handle: %s (%s), want NANA_ECLOSED", line,
                     t_status_name(st), nana_future_errmsg(f));
    if (!mentions_fork(nana_future_errmsg(f)))
        t_child_fail("line %d: message \"%s\" does not mention fork", line,
                     nana_future_errmsg(f));
    nana_future_free(f);
}

static void child_body(void)
{
    json_t *v = json_integer(2);
    child_expect_closed(nana_get(root, "k", NULL), __LINE__); /* a cached key */
    child_expect_closed(nana_get(root, "other", NULL), __LINE__);
    child_expect_closed(nana_set(root, "k", v), __LINE__);
    child_expect_closed(nana_len(root), __LINE__);
    child_expect_closed(nana_get(sub, "s", NULL), __LINE__);
    child_expect_closed(nana_set(sub, "s", v), __LINE__);

    nana_db_t *out = (nana_db_t *)&out;
    CHILD_ST(nana_table(root, "newtable", &out), NANA_ECLOSED);
    CHILD_CHECK(out == NULL);

    /* Futures that need no handle. */
    nana_future_t *r = nana_future_resolved(v);
    CHILD_ST(nana_future_await_for(r, 20000), NANA_OK);
    CHILD_CHECK(json_integer_value(nana_future_json(r)) == 2);
    nana_future_free(r);
    nana_future_t *f = nana_future_failed(NANA_EIO, "x");
    CHILD_ST(nana_future_await_for(f, 0), NANA_EIO);
    nana_future_free(f);

    /* Closing the inherited root is refused (and leaks it, on purpose). */
    CHILD_ST(nana_close(root), NANA_ECLOSED);
    json_decref(v);
}

int main(void)
{
    root = t_open("db", NULL);
    CHECK_ST(nana_table(root, "sub", &sub), NANA_OK);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(root, "k", v)), NANA_OK);
    CHECK_ST(t_wait(nana_set(sub, "s", v)), NANA_OK);
    t_expect(nana_get(root, "k", NULL), "1");

    t_run_in_child(child_body, T_CHILD_EXIT);

    /* The child changed nothing, and the parent's handles work on. */
    t_expect(nana_get_fresh(root, "k", NULL), "1");
    t_expect(nana_get_fresh(sub, "s", NULL), "1");
    CHECK_ST(t_wait(nana_get(root, "other", NULL)), NANA_ENOTFOUND);
    CHECK_ST(t_wait(nana_set(root, "after", v)), NANA_OK);
    CHECK_INT(t_int(nana_len(root)), 2);
    CHECK_ST(nana_close(sub), NANA_OK);
    CHECK_ST(nana_close(root), NANA_OK);
    json_decref(v);
    return 0;
}
