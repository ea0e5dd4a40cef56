/*
 * fuzz.h -- what the fuzz targets share.  Each target is one file,
 * fuzz/<name>.c, defining fuzz_check_<name>(): it reads one input, runs the
 * library on it and checks the result against an oracle of its own,
 * calling fuzz_fail() (which aborts) on any violation.  The same check
 * runs under libFuzzer (fuzz/libfuzzer.c, `make fuzz`) and from a plain
 * driver that replays the committed seeds on every `make test`
 * (test/fuzz-seed-corpora-pass-their-target-checks.c).
 *
 * The targets reach the library's internal functions (lib/internal.h), so
 * they link its objects, never the shared library, which hides them.
 */
#ifndef NANA_FUZZ_H
#define NANA_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

/* Every target, in the order `make fuzz` runs them. */
#define FUZZ_TARGET_LIST(X) X(sql_helpers) X(json_decode) X(json_roundtrip) X(model_decode) \
    X(query_expr)

#define FUZZ_DECLARE_CHECK(name) int fuzz_check_##name(const uint8_t *data, size_t size);
FUZZ_TARGET_LIST(FUZZ_DECLARE_CHECK)
#undef FUZZ_DECLARE_CHECK

/* ------------------------------------------------------------- verdicts */

/* A violation: prints what went wrong and the input's bytes, then aborts
 * (libFuzzer keeps the input as the reproducer). */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A known library bug, written up in fuzz/known/README with its reproducer
 * under fuzz/known/<target>/: the check met it and goes on, so that one
 * unfixed bug does not stop the fuzzer from looking for the next.  It is
 * counted and said once per process on stderr -- never silent -- and with
 * NANA_FUZZ_KNOWN=abort in the environment it is a failure like any other.
 */
void fuzz_known(const char *id);
/* How often fuzz_known(id) was called in this process. */
unsigned long fuzz_known_count(const char *id);
/* The total of every fuzz_known() call. */
unsigned long fuzz_known_total(void);

/* The input of the current check, for fuzz_fail()'s report. */
void fuzz_set_input(const uint8_t *data, size_t size);

/* --------------------------------------------------------------- input */

/* The input, consumed front to back; reads past the end give zeroes. */
struct fuzz_in {
    const uint8_t *p, *end;
};

static inline size_t fuzz_left(const struct fuzz_in *in)
{
    return (size_t)(in->end - in->p);
}
uint8_t fuzz_byte(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* n bytes (fewer at the end); *got says how many. */
const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got);
/* The bytes up to the next NUL (or the end) as a malloc'd C string; NULL
 * when the input is used up. */
char *fuzz_piece(struct fuzz_in *in);

/* ---------------------------------------------------------------- JSON */

/* Exactly the same value: type, member order, member names and strings
 * byte for byte with their lengths (NUL included), integers, reals bit for
 * bit (-0.0 is not 0.0).  Stricter than json_equal(), which cuts member
 * names at a NUL. */
bool fuzz_json_same(const json_t *a, const json_t *b);
/* The length of an object member's name (from json_object_iter). */
size_t fuzz_key_len(void *iter);
/* A short printable rendering of v for reports (static buffer). */
const char *fuzz_json_show(const json_t *v);
/* A short printable rendering of bytes (static ring of 4 buffers). */
const char *fuzz_show(const void *data, size_t len);

/* ----------------------------------------------------------------- SQL */

/*
 * The SQL oracle: an authorizer of the harness's own that records every
 * action SQLite asks about while a statement is prepared and judges it
 * against what the statement may do.  Independent of lib/authorize.c.
 */
struct fuzz_sql_rules {
    const char *table;             /* the one table it may read (and write) */
    bool may_write;                /* INSERT, UPDATE, DELETE of that table */
    bool ddl;                      /* its own schema change: CREATE, ALTER, ... */
    const char *const *functions;  /* allowed functions (NULL-ended, any case);
                                      NULL: any but load_extension */
};

struct fuzz_sql_seen {
    const struct fuzz_sql_rules *rules;
    char violation[256];           /* the first forbidden action, "" when none */
    unsigned functions_called;     /* SQLITE_FUNCTION calls */
    bool aggregate_called;         /* AVG, COUNT, GROUP_CONCAT, SUM or TOTAL */
    bool min_max_called;           /* MIN or MAX (aggregate with one argument) */
};

/* A connection set up as the library sets up its own (double-quoted
 * strings off, extended codes), with "t" (the helpers' table: key, value,
 * a, b, c, and a unique index on a) and "other" and "lone", which nothing
 * may reach.  Made once. */
sqlite3 *fuzz_sql_db(void);

/*
 * Prepares sql on db under the oracle with rules, adding to table a column
 * SQLite names as missing ("no such column: x") and trying again, so that
 * every name of an accepted expression resolves and every function in it
 * is looked at.  Returns SQLite's code; *stmt (finalize it) and *tail as
 * sqlite3_prepare_v2() gives them; the verdict in *seen.
 */
int fuzz_sql_prepare(sqlite3 *db, const char *sql, const struct fuzz_sql_rules *rules,
                     struct fuzz_sql_seen *seen, sqlite3_stmt **stmt, const char **tail);
/* Only white space, ';' and comments follow (checked by preparing it). */
bool fuzz_sql_tail_is_empty(sqlite3 *db, const char *tail);
/* Installs the oracle's authorizer (seen) or none (NULL). */
void fuzz_sql_observe(sqlite3 *db, struct fuzz_sql_seen *seen);
/* Adds column name to table when SQLite's message says it is missing and
 * name is an identifier; true when it did (then prepare again). */
bool fuzz_sql_add_missing_column(sqlite3 *db, const char *table, const char *errmsg);

#endif
