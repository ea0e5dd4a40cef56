/*
 * check.h -- the checker: runs a sequence against the library and the
 * model side by side and stops at the first divergence; and the shrinker,
 * which looks for a shorter sequence failing the same way.
 */
#ifndef NANA_MODEL_CHECK_H
#define NANA_MODEL_CHECK_H

#include "model.h"
#include "nanasqlite.h"
#include "ops.h"

struct check_result {
    bool failed;
    int step, op;   /* where: op -1 for a step-level check (file, cache probe) */
    char sig[128];  /* what failed ("get: value"), to keep shrinking on one bug */
    char *report;   /* expected vs got, and the model's state; malloc'd */
    long ops_checked;
    long by_status[16];  /* answers checked, by status (coverage) */
    long rolled_back;    /* futures failed "transaction rolled back" */
    long locked_pipelines, sql_ops;
    long txn_pipelines, txn_ops; /* transaction pipelines, operations inside */
    bool bounded;        /* the sequence ran with a cache policy (enum seq_policy) */
    long drops_seen;     /* is_cached false on a bounded cache where the model held it */
    /* Readers mode: reads that ran on reader connections, and those routed
     * to them that a later job moved to the writer (nana_stats). */
    long reads_on_readers, reads_moved;
};

/* Runs s in a fresh directory dir (created, and removed afterwards). */
void check_run(const struct seq *s, const char *dir, struct check_result *res);
void check_result_free(struct check_result *r);

/* Shared with the thread mode. */
const char *m_status_name(nana_status_t st);
/* Submits op on db; key names from names.  Inputs are passed as private
 * copies, scribbled on and freed right after the call (they are borrowed). */
nana_future_t *m_submit(nana_db_t *db, const struct op *op, const char *const *names);
/* Checks a resolved future against e; false with why filled on a divergence. */
bool m_outcome_ok(nana_future_t *f, const struct expect *e, const char *const *names,
                  char *why, size_t why_size);

/* Shrinking: starting from s, which failed as first (same directory rules
 * as check_run, dir_base a directory to make run directories in), returns
 * in *best the shortest sequence found failing with the same signature
 * within max_runs re-runs / max_seconds. */
void shrink(const struct seq *s, const struct check_result *first, const char *dir_base,
            int max_runs, double max_seconds, struct seq *best, struct check_result *best_res);

double m_now(void); /* monotonic seconds */

/* Instrumented builds run less: sanitizers cost 3-20x. */
#if defined(__SANITIZE_THREAD__)
#define M_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define M_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define M_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define M_ASAN 1
#endif
#endif
/* Work scale in percent: 100 plain, less under a sanitizer or valgrind;
 * NANA_MODEL_SCALE overrides. */
int m_scale_pct(void);
/* The directory to work in: $NANA_TEST_DIR, else a new one under /tmp
 * (removed by m_base_dir_done when it made it). */
const char *m_base_dir(void);
void m_base_dir_done(void);

#endif
