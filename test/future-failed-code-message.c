/* nana_future_failed(): a future already failed with the given code and a
 * copy of the message; NULL or "" message gives nana_errstr(code); NANA_OK
 * or NANA_PENDING as the code gives a NANA_EINVAL failure. */
#include "harness.h"

static const nana_status_t codes[] = {
#define CODE_(name, text) name,
    NANA_STATUS_TABLE(CODE_)
#undef CODE_
};

int main(void)
{
    nana_future_t *f = nana_future_failed(NANA_ESQL, "boom: no such table t");
    CHECK(f != NULL);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_ESQL);
    CHECK_ST(nana_future_await(f), NANA_ESQL);
    CHECK_ST(nana_future_await_for(f, 0), NANA_ESQL);
    CHECK_STR(nana_future_errmsg(f), "boom: no such table t");
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);

    /* The message is copied. */
    char buf[] = "mutable message";
    f = nana_future_failed(NANA_EIO, buf);
    memset(buf, 'X', sizeof buf - 1);
    CHECK_STR(nana_future_errmsg(f), "mutable message");
    nana_future_free(f);
    char *heap = strdup("heap message");
    f = nana_future_failed(NANA_EBUSY, heap);
    free(heap);
    CHECK_STR(nana_future_errmsg(f), "heap message");
    nana_future_free(f);

    /* A long message is kept whole. */
    size_t long_len = 4000;
    char *long_msg = malloc(long_len + 1);
    for (size_t i = 0; i < long_len; i++)
        long_msg[i] = (char)('a' + i % 26);
    long_msg[long_len] = '\0';
    f = nana_future_failed(NANA_ETYPE, long_msg);
    CHECK_STR(nana_future_errmsg(f), long_msg);
    nana_future_free(f);
    free(long_msg);

    /* NULL or empty message: the code's static text, for every failure code. */
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        nana_status_t code = codes[i];
        if (code == NANA_OK || code == NANA_PENDING)
            continue;
        f = nana_future_failed(code, NULL);
        CHECK_ST(nana_future_await(f), code);
        CHECK_STR(nana_future_errmsg(f), nana_errstr(code));
        nana_future_free(f);
        f = nana_future_failed(code, "");
        CHECK_ST(nana_future_status(f), code);
        CHECK_STR(nana_future_errmsg(f), nana_errstr(code));
        nana_future_free(f);
    }

    /* Codes that are not failures. */
    f = nana_future_failed(NANA_OK, "not a failure");
    CHECK(f != NULL);
    CHECK_ST(nana_future_await(f), NANA_EINVAL);
    CHECK(nana_future_poll(f));
    CHECK(*nana_future_errmsg(f));
    nana_future_free(f);
    f = nana_future_failed(NANA_PENDING, NULL);
    CHECK(f != NULL);
    CHECK(nana_future_poll(f));
    CHECK_ST(nana_future_status(f), NANA_EINVAL);
    CHECK(*nana_future_errmsg(f));
    nana_future_free(f);
    return 0;
}
