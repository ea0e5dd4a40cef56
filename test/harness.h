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

/* ------------------------------------------------- futures, with location
 * Like t_take / t_int / t_bool above, but a failure names the caller's file,
 * line and expression: the SQL scenarios make dozens of such calls each, and
 * a line inside the harness would not tell which one failed.  Use them
 * through the macros below. */
/* Awaits f: NANA_OK; takes its value (new reference, may be NULL), frees f. */
json_t *t_take_at(const char *file, int line, const char *expr, nana_future_t *f);
/* Awaits f: NANA_OK, and its value equals the JSON text want; frees f. */
void t_same_at(const char *file, int line, const char *expr, nana_future_t *f,
               const char *want);
/* Awaits f: its status is want and, when want is a failure, f has a
 * non-empty message and no value -- the strictest of the checks the
 * scenarios used to make each their own way, so that none is weaker than
 * before; frees f. */
void t_expect_at(const char *file, int line, const char *expr, nana_future_t *f,
                 nana_status_t want);
int64_t t_int_at(const char *file, int line, const char *expr, nana_future_t *f);
bool t_bool_at(const char *file, int line, const char *expr, nana_future_t *f);

#define TAKE(f) t_take_at(__FILE__, __LINE__, #f, (f))
#define SAME(f, want) t_same_at(__FILE__, __LINE__, #f, (f), (want))
#define EXPECT(f, want) t_expect_at(__FILE__, __LINE__, #f, (f), (want))
#define INT(f) t_int_at(__FILE__, __LINE__, #f, (f))
#define BOOL(f) t_bool_at(__FILE__, __LINE__, #f, (f))

/* nana_execute() with its parameters given as JSON text (NULL: none). */
nana_future_t *t_execute(nana_db_t *db, const char *sql, const char *params);
/* Creates table big (id INTEGER PRIMARY KEY, v TEXT) with rows rows of
 * random text: what a slow helper read (nana_count with LIKE) scans. */
void t_make_big_table(nana_db_t *db, int rows);

/* Sets key to the value of JSON text; fails the test unless NANA_OK. */
void t_set_json(nana_db_t *db, const char *key, const char *text);
/* nana_set() of the value of JSON text, not awaited: its future. */
nana_future_t *t_set_async(nana_db_t *db, const char *key, const char *text);

/* -------------------------------------------- SQLite, beside the library
 * These use a connection of their own, as another process would. */
struct sqlite3;

/* Runs sql (any number of statements); fails the test on an error. */
void t_raw_exec(const char *db_path, const char *sql);
/* Stores value text under key in table "data" (made when missing), as
 * written by something other than the library: the text need not be JSON. */
void t_raw_put(const char *db_path, const char *key, const char *text);
/* The first column of the first row of sql, read-only, as an int. */
int t_raw_int(const char *db_path, const char *sql);

/* The first column of the first row of sql, read-only, as text (malloc'd;
 * "error N: message" when the statement fails, NULL when no row). */
char *t_raw_text(const char *db_path, const char *sql);

/* Damaged files.  The page (1-based) of the closed database file db_path
 * whose bytes hold needle, or 0; and writing garbage (0xA5) over a whole
 * page, as a failing disk or a stray write would. */
long t_page_holding(const char *db_path, const char *needle);
void t_damage_page(const char *db_path, long pgno);

/* A connection holding the write lock (BEGIN IMMEDIATE plus a write), so that
 * the library's next write stays blocked in SQLite's busy handler -- a future
 * that is pending for as long as the test wants.  t_gate_release() commits
 * or rolls back and closes it. */
struct sqlite3 *t_gate_lock(const char *db_path);
void t_gate_release(struct sqlite3 *conn, bool commit);

/* ---------------------------------------------------------------- misc */

/* FNV-1a 64 of a whole file: proof that a file did not change at all. */
uint64_t t_fnv_file(const char *path);

/* s made printable for a report: bytes outside printable ASCII, and '\\', as
 * \xNN; cut after 120 characters, with the input's length appended.  A static
 * ring of buffers: valid for the next 3 calls. */
const char *t_shown(const char *s);

/* CLOCK_MONOTONIC in milliseconds, for timing a wait. */
int64_t t_now_ms(void);

/* ------------------------------------------------------------- threads
 * The pool scenarios count and name the process's threads through /proc. */
struct t_task {
    int tid;
    char comm[32]; /* the thread's name */
};

/* The threads of this process, from /proc/self/task; returns how many (at
 * most max are stored in out). */
int t_list_tasks(struct t_task *out, int max);
/* How many threads this process has now. */
int t_count_tasks(void);
/* Thread count once it has settled at want (or after about 2 s): a joined
 * thread can stay listed in /proc for a moment after pthread_join() returned,
 * while the kernel finishes reaping it, and there is nothing to wait on for
 * that. */
int t_settled_count(int want);
/* n when name is "<prefix>-<n>", else -1. */
int t_worker_index(const char *name, const char *prefix);
/* How many threads are named "<prefix>-<n>". */
int t_count_named(const char *prefix);
/* A sanitizer may start a helper thread with the first pthread_create():
 * starts and joins one thread, and waits until the kernel has reaped it, so
 * that a baseline count taken afterwards stays true. */
void t_warm_up_threads(void);

/* ---------------------------------------------------------------- fork
 * A scenario that forks runs the child's part with t_run_in_child(): the
 * child reports on a pipe, "OK" or its first failed check, and the parent
 * fails the test with that report.  A CHECK in the child would only exit the
 * child, and its message could be lost with the child's buffers. */

/* ThreadSanitizer cannot follow a child of a multi-threaded process that
 * starts threads (it reports the new threads as duplicates of the parent's,
 * whose stacks glibc hands out again): scenarios that do that are skipped
 * under TSan. */
#if defined(__SANITIZE_THREAD__)
#define NANA_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NANA_TEST_TSAN 1
#endif
#endif

/* GCC 12's AddressSanitizer does not lock its allocator around fork(): a
 * child of a multi-threaded process whose own new threads allocate can block
 * forever on an allocator lock that was held in the parent at fork() time
 * (seen: the child's workers stuck in SizeClassAllocator64::GetFromAllocator,
 * ~1 run in 30; later LLVM releases lock the allocator in their fork
 * interceptor).  Scenarios whose child starts threads skip under ASan too;
 * the plain and valgrind suites run them. */
#if defined(__SANITIZE_ADDRESS__)
#define NANA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NANA_TEST_ASAN 1
#endif
#endif

/* In the child: reports the formatted message as its failure and _exit(1)s. */
_Noreturn void t_child_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHILD_CHECK(cond)                                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            t_child_fail("%s:%d: CHECK(%s)", __FILE__, __LINE__, #cond);       \
    } while (0)

#define CHILD_ST(expr, want)                                                   \
    do {                                                                       \
        nana_status_t got_ = (expr);                                           \
        if (got_ != (want))                                                    \
            t_child_fail("%s:%d: %s: got %s, want %s", __FILE__, __LINE__,     \
                         #expr, t_status_name(got_), t_status_name(want));     \
    } while (0)

/* How the child ends once body() has reported "OK". */
enum t_child_end {
    /* _exit(0); the parent also requires that exit status. */
    T_CHILD_EXIT,
    /* SIGKILL to itself, and its status is not looked at: when the child was
     * forked while other threads of the parent were busy, memory they were
     * using at the fork instant is unreachable in the child, and an
     * exit-time leak check (valgrind's) would count it against the library. */
    T_CHILD_SIGKILL,
};

/* Forks; the child runs body() and reports; the parent waits (at most 120 s)
 * for the report and the child's end, and fails the test unless the child
 * said "OK" (and, with T_CHILD_EXIT, exited 0). */
void t_run_in_child(void (*body)(void), enum t_child_end end);

/* Keeps a root and one of its sub-tables busy from a thread of its own
 * (rounds of 8 sets over 64 keys, each value the round number, checked
 * NANA_OK), so that a scenario can fork while the workers are mid-batch. */
struct t_hammer;
struct t_hammer *t_hammer_start(nana_db_t *root, nana_db_t *sub);
/* Returns once the hammer has completed at least writes more sets. */
void t_hammer_wait(struct t_hammer *h, int writes);
/* Stops the thread, joins it and frees h. */
void t_hammer_stop(struct t_hammer *h);

/* make for the plain build, whatever variant and install variables the
 * suite itself runs under (make asan / make tsan / make install ...). */
#define T_MAKE_PLAIN                                                             \
    "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u VARIANT -u OPT -u EXTRA_CFLAGS " \
    "-u RUN_WRAP -u TEST_TIMEOUT -u DESTDIR -u PREFIX -u LIBDIR -u INCLUDEDIR "  \
    "-u MANDIR -u PKGCONFIGDIR make --no-print-directory"

/* Runs a shell command (stderr folded into stdout); *out gets the output,
 * malloc'd.  Returns the exit status (128 + signal when killed). */
int t_run_cmd(const char *cmd, char **out);

/* Runs cmd (as t_run_cmd), which must exit 0; returns its output,
 * malloc'd.  A failure names the command and shows what it printed. */
char *t_must(const char *cmd);
/* The whole of a text file, malloc'd (relative paths: from the repository
 * root, where the runner starts scenarios). */
char *t_slurp(const char *path);
/* Writes text to path, replacing it. */
void t_write_file(const char *path, const char *text);

/* For scenarios that try many refused inputs and report them all before
 * failing: t_want_einval() awaits and frees f, counts the call, and counts
 * (and prints, naming helper and input) a status other than NANA_EINVAL. */
struct t_tally {
    int calls, failures;
};
void t_want_einval(struct t_tally *t, nana_future_t *f, const char *helper, const char *input);

/* A small set of distinct names (linear: tests hold a few hundred). */
struct t_names {
    char **v;
    size_t n, cap;
};
/* Adds the first len bytes of name, unless already there. */
void t_names_add(struct t_names *s, const char *name, size_t len);
bool t_names_has(const struct t_names *s, const char *name);
void t_names_free(struct t_names *s);

/* The names in dir, sorted, separated by one space ("." and "..", and the
 * runner's .log, left out): what a scenario expects a directory to hold,
 * compared as one string.  Malloc'd. */
char *t_dir_listing(const char *dir);

#endif
