/*
 * Helpers shared by the test scenarios.  Each scenario is one file with its
 * own main(); a failed CHECK prints where and why and exits non-zero.
 * Scenarios run from test/runner.c, each in a child with a timeout and a
 * fresh directory ($NANA_TEST_DIR); run by hand they make their own.
 */
#ifndef NANA_TEST_HARNESS_H
#define NANA_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nanasqlite.h"

_Noreturn void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                    \
    } while (0)

/* expr must evaluate to the nana_status_t want. */
#define CHECK_ST(expr, want)                                                   \
    do {                                                                       \
        nana_status_t got_ = (expr);                                           \
        if (got_ != (want))                                                    \
            t_fail(__FILE__, __LINE__, "%s: got %s, want %s", #expr,          \
                   t_status_name(got_), t_status_name(want));                 \
    } while (0)

#define CHECK_INT(expr, want)                                                  \
    do {                                                                       \
        long long got_ = (long long)(expr), want_ = (long long)(want);         \
        if (got_ != want_)                                                     \
            t_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", #expr,       \
                   got_, want_);                                               \
    } while (0)

#define CHECK_STR(expr, want)                                                  \
    do {                                                                       \
        const char *got_ = (expr), *want_ = (want);                            \
        if (!got_ || strcmp(got_, want_) != 0)                                 \
            t_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", #expr,  \
                   got_ ? got_ : "(null)", want_);                             \
    } while (0)

/* got (a json_t *) must equal the JSON text want. */
#define CHECK_JSON(got, want) t_check_json(__FILE__, __LINE__, #got, (got), (want))

const char *t_status_name(nana_status_t s);
void t_check_json(const char *file, int line, const char *expr, const json_t *got,
                  const char *want_text);

/* The scenario's private directory, and a path inside it (a static ring of
 * buffers: valid for the next 16 calls). */
const char *t_dir(void);
const char *t_path(const char *name);

/* Copies fixture file name (e.g. "nanasqlite-py/mixed.db") into t_dir() and
 * returns the copy's path.  t_fixture_path() returns the original's path. */
const char *t_fixture(const char *name);
const char *t_fixture_path(const char *name);

/* Opens t_path(name) with opts (NULL: defaults); fails the test if not OK. */
nana_db_t *t_open(const char *name, const nana_options_t *opts);

/* Parses JSON text (any value); fails the test on malformed text.  New ref. */
json_t *t_json(const char *text);

/* Awaits f, frees it, returns its status. */
nana_status_t t_wait(nana_future_t *f);
/* Awaits f, checks its status is want, takes its value (new reference, may be
 * NULL) and frees f. */
json_t *t_take(nana_future_t *f, nana_status_t want);
/* Awaits f, checks NANA_OK, frees it, returns the integer / boolean. */
int64_t t_int(nana_future_t *f);
bool t_bool(nana_future_t *f);
/* Awaits f, checks NANA_OK and that its value equals the JSON text want. */
void t_expect(nana_future_t *f, const char *want_text);

/* Reads SQLite directly (a separate connection): the value text stored under
 * key in table, or NULL when absent.  Malloc'd. */
char *t_raw_value(const char *db_path, const char *table, const char *key);

#endif
