/*
 * model-dict-ops-match-reference-and-file: random sequences of every dict
 * operation, SQL writes on the dict tables, writes by another connection
 * (non-JSON text included), reopenings (bulk_load), a second root, sub-table
 * handles spelled in another case, a held write lock (NANA_EBUSY) and
 * trigger RAISEs (ABORT, ROLLBACK), write hooks on half the seeds -- every future checked against the
 * reference model, the cache probed and the file compared after every
 * pipeline.  On a divergence: the seed, where, expected vs got, the
 * sequence so far, and a shrunk sequence that fails the same way.
 *
 *   model-dict-ops-match-reference-and-file               fixed seeds (make test)
 *   ... --seconds N                                       random seeds for N s
 *   ... --seed S [--steps N] [--no-shrink] [--print]      one seed
 *
 * Readers mode on a third of the seeds (ops.h; --readers or
 * NANA_MODEL_READERS=1: on every seed).
 * Environment: NANA_MODEL_SECONDS (as --seconds), NANA_MODEL_SCALE (work in
 * percent), NANA_TEST_DIR (where to work; the runner sets it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define FIXED_SEEDS 36
#define MAX_SIGS 16

struct opts {
    double seconds;
    bool one_seed, no_shrink, print_seq;
    uint64_t seed;
    int steps;
};

static long total_ops, by_status[16], rolled_back, locked_pipelines, sql_ops, txn_pipelines, txn_ops;
static long bounded_seeds, drops_seen, reads_on_readers, reads_moved;
static int seeds_run, hooked_seeds, reader_seeds;

/* Runs one seed; on a failure reports and shrinks it.  Returns true when
 * it passed. */
static bool run_seed(uint64_t seed, const struct gen_params *gp, const struct opts *o,
                     double shrink_seconds, char sigs[][128], int *n_sigs)
{
    struct seq s;
    gen_sequence(&s, seed, gp);
    if (o->print_seq)
        seq_print(stdout, &s, -1, -1);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/seed-%llu", m_base_dir(), (unsigned long long)seed);
    struct check_result res;
    check_run(&s, dir, &res);
    total_ops += res.ops_checked;
    for (int i = 0; i < 16; i++)
        by_status[i] += res.by_status[i];
    rolled_back += res.rolled_back;
    locked_pipelines += res.locked_pipelines;
    sql_ops += res.sql_ops;
    txn_pipelines += res.txn_pipelines;
    bounded_seeds += res.bounded;
    drops_seen += res.drops_seen;
    reads_on_readers += res.reads_on_readers;
    reads_moved += res.reads_moved;
    txn_ops += res.txn_ops;
    seeds_run++;
    hooked_seeds += s.hooks;
    reader_seeds += s.readers;
    if (!res.failed) {
        check_result_free(&res);
        seq_free(&s);
        return true;
    }
    bool seen = false;
    for (int i = 0; i < *n_sigs; i++)
        seen |= strcmp(sigs[i], res.sig) == 0;
    printf("\n=== FAIL seed %llu (replay: --seed %llu --steps %d): %s\n",
           (unsigned long long)seed, (unsigned long long)seed, gp->n_steps, res.sig);
    printf("%s", res.report ? res.report : "");
    if (seen) {
        printf("(same failure as an earlier seed: not shrunk again)\n");
    } else {
        if (*n_sigs < MAX_SIGS)
            snprintf(sigs[(*n_sigs)++], 128, "%s", res.sig);
        printf("--- the sequence up to the failure:\n");
        seq_print(stdout, &s, res.step, res.op);
        fflush(stdout);
        if (!o->no_shrink) {
            struct seq best;
            struct check_result best_res;
            shrink(&s, &res, m_base_dir(), 400, shrink_seconds, &best, &best_res);
            printf("--- shortest failing sequence found (%d steps, %d operations):\n",
                   best.n_steps, seq_count_ops(&best));
            seq_print(stdout, &best, best_res.step, best_res.op);
            printf("--- its failure:\n%s", best_res.report ? best_res.report : "");
            seq_free(&best);
            check_result_free(&best_res);
        }
    }
    fflush(stdout);
    check_result_free(&res);
    seq_free(&s);
    return false;
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--seconds N] [--seed S] [--steps N] [--no-shrink] [--print] "
            "[--readers]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    const char *env = getenv("NANA_MODEL_SECONDS");
    const char *readers_env = getenv("NANA_MODEL_READERS");
    if (readers_env && strcmp(readers_env, "1") == 0)
        m_readers_forced = true;
    if (env && *env)
        o.seconds = atof(env);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            o.seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            o.one_seed = true, o.seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
            o.steps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-shrink") == 0)
            o.no_shrink = true;
        else if (strcmp(argv[i], "--print") == 0)
            o.print_seq = true;
        else if (strcmp(argv[i], "--readers") == 0)
            m_readers_forced = true;
        else
            usage(argv[0]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int scale = m_scale_pct();
    struct gen_params gp = {.n_steps = o.steps > 0 ? o.steps : 120, .max_pipeline = 12};
    char sigs[MAX_SIGS][128];
    int n_sigs = 0, failed = 0;
    double t0 = m_now();

    if (o.one_seed) {
        failed += !run_seed(o.seed, &gp, &o, 120, sigs, &n_sigs);
    } else if (o.seconds > 0) {
        uint64_t st = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        while (m_now() - t0 < o.seconds) {
            uint64_t seed = splitmix64(&st) % 1000000000ULL;
            failed += !run_seed(seed, &gp, &o, 60, sigs, &n_sigs);
        }
    } else {
        /* make test: fixed seeds, fewer (and shorter) under instrumentation. */
        int n = FIXED_SEEDS * scale / 100;
        if (n < 3)
            n = 3;
        if (scale < 100 && o.steps <= 0)
            gp.n_steps = 80;
        for (int i = 0; i < n && !failed; i++)
            failed += !run_seed((uint64_t)i + 1, &gp, &o, 40, sigs, &n_sigs);
    }
    double secs = m_now() - t0;
    printf("%s: %d seeds run, %ld operations checked, %d failing seeds (%d distinct "
           "failures), %.1fs\n",
           failed ? "FAIL" : "ok", seeds_run, total_ops, failed, n_sigs, secs);
    printf("  answers by status (besides cache probes):");
    for (int i = 0; i < 16; i++)
        if (by_status[i])
            printf(" %s %ld", m_status_name((nana_status_t)i), by_status[i]);
    printf("; rolled back %ld; SQL-surface ops %ld; pipelines under a held write lock %ld; "
           "transactions %ld (%ld operations inside); seeds with write hooks %d, with readers "
           "%d\n",
           rolled_back, sql_ops, locked_pipelines, txn_pipelines, txn_ops, hooked_seeds,
           reader_seeds);
    printf("  seeds with a bounded cache (lru or ttl) %ld: keys seen dropped by it %ld\n",
           bounded_seeds, drops_seen);
    printf("  reads run on reader connections %ld; routed to them and moved to the writer %ld\n",
           reads_on_readers, reads_moved);
    for (int i = 0; i < n_sigs; i++)
        printf("  distinct failure: %s\n", sigs[i]);
    m_base_dir_done();
    return failed ? 1 : 0;
}
