/* When a link fails, the following then functions are skipped and the
 * failure -- code and message, unchanged -- reaches the end of the chain;
 * a then function may itself return a failing future.  then() with a NULL
 * future or function gives a future failed with NANA_EINVAL. */
#include <stdatomic.h>

#include "harness.h"

static atomic_int skipped_calls, ok_calls;
static nana_db_t *db;

static nana_future_t *must_not_run(nana_future_t *done, void *arg)
{
    (void)done;
    (void)arg;
    atomic_fetch_add(&skipped_calls, 1);
    return NULL;
}

static nana_future_t *fail_custom(nana_future_t *done, void *arg)
{
    (void)done;
    atomic_fetch_add(&ok_calls, 1);
    return nana_future_failed(NANA_ESQL, (const char *)arg);
}

static nana_future_t *delete_missing(nana_future_t *done, void *arg)
{
    (void)done;
    (void)arg;
    atomic_fetch_add(&ok_calls, 1);
    return nana_delete(db, "missing");
}

static void check_failure(nana_future_t *f, nana_status_t code, const char *msg)
{
    CHECK_ST(nana_future_await(f), code);
    CHECK_ST(nana_future_status(f), code);
    CHECK(nana_future_json(f) == NULL);
    CHECK_STR(nana_future_errmsg(f), msg);
    nana_future_free(f);
}

int main(void)
{
    db = t_open("db", NULL);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);

    /* A failed future's exact code and message pass through two links. */
    nana_future_t *f = nana_future_failed(NANA_ETYPE, "custom message 42");
    f = nana_future_then(f, must_not_run, NULL);
    f = nana_future_then(f, must_not_run, NULL);
    check_failure(f, NANA_ETYPE, "custom message 42");

    /* A job's failure: the same code and message as the job gives alone. */
    nana_future_t *alone = nana_get(db, "missing", NULL);
    CHECK_ST(nana_future_await(alone), NANA_ENOTFOUND);
    const char *job_msg = nana_future_errmsg(alone);
    CHECK(job_msg && *job_msg);
    f = nana_future_then(nana_get(db, "missing", NULL), must_not_run, NULL);
    f = nana_future_then(f, must_not_run, NULL);
    f = nana_future_then(f, must_not_run, NULL);
    check_failure(f, NANA_ENOTFOUND, job_msg);
    nana_future_free(alone);
    CHECK_INT(atomic_load(&skipped_calls), 0);

    /* A link that succeeds and returns a failing future; the next link is
     * skipped. */
    f = nana_future_then(nana_get(db, "k", NULL), fail_custom, (void *)"from the middle");
    f = nana_future_then(f, must_not_run, NULL);
    check_failure(f, NANA_ESQL, "from the middle");
    CHECK_INT(atomic_load(&ok_calls), 1);

    alone = nana_delete(db, "missing");
    CHECK_ST(nana_future_await(alone), NANA_ENOTFOUND);
    f = nana_future_then(nana_len(db), delete_missing, NULL);
    f = nana_future_then(f, must_not_run, NULL);
    check_failure(f, NANA_ENOTFOUND, nana_future_errmsg(alone));
    nana_future_free(alone);
    CHECK_INT(atomic_load(&ok_calls), 2);

    /* failed(code, NULL) through a chain: the code's errstr. */
    f = nana_future_then(nana_future_failed(NANA_EIO, NULL), must_not_run, NULL);
    check_failure(f, NANA_EIO, nana_errstr(NANA_EIO));

    /* NULL arguments. */
    f = nana_future_then(NULL, must_not_run, NULL);
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(*nana_future_errmsg(f));
    nana_future_free(f);
    f = nana_future_then(nana_get(db, "k", NULL), NULL, NULL); /* takes and frees the get */
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    nana_future_free(f);

    CHECK_INT(atomic_load(&skipped_calls), 0);
    /* The handle is unaffected by all this. */
    t_expect(nana_get(db, "k", NULL), "1");
    json_decref(v);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
