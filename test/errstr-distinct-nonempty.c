/* nana_errstr() gives the text of NANA_STATUS_TABLE for every code: never
 * NULL, never empty, distinct; out-of-range codes still get a static text. */
#include "harness.h"

static const struct {
    nana_status_t code;
    const char *name;
    const char *text;
} rows[] = {
#define ROW_(name, text) {name, #name, text},
    NANA_STATUS_TABLE(ROW_)
#undef ROW_
};

int main(void)
{
    size_t n = sizeof rows / sizeof rows[0];
    CHECK(n >= 13);
    CHECK_INT(NANA_OK, 0);
    for (size_t i = 0; i < n; i++) {
        /* The enum is generated from the same table: consecutive from 0. */
        CHECK_INT(rows[i].code, i);
        const char *s = nana_errstr(rows[i].code);
        if (!s || !*s)
            t_fail(__FILE__, __LINE__, "nana_errstr(%s) is %s", rows[i].name,
                   s ? "empty" : "NULL");
        if (strcmp(s, rows[i].text) != 0)
            t_fail(__FILE__, __LINE__, "nana_errstr(%s) = \"%s\", table says \"%s\"",
                   rows[i].name, s, rows[i].text);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, nana_errstr(rows[j].code)) == 0)
                t_fail(__FILE__, __LINE__, "nana_errstr(%s) == nana_errstr(%s): \"%s\"",
                       rows[i].name, rows[j].name, s);
    }
    /* Codes outside the table: still a static, non-NULL text. */
    const char *past = nana_errstr((nana_status_t)n);
    CHECK(past != NULL);
    CHECK(nana_errstr((nana_status_t)-1) != NULL);
    CHECK(nana_errstr((nana_status_t)100000) != NULL);
    return 0;
}
