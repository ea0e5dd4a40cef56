/*
 * shrink.c -- cuts a failing sequence down: drops the steps after the
 * failure, then chunks of steps (halving the chunk size down to one), then
 * single operations of pipelines, keeping each cut that still fails with the
 * same signature (the operation and the kind of divergence), each try in a
 * fresh directory, until nothing more can go or the budget is spent.
 *
 * The library is concurrent: a failure that depends on how operations were
 * grouped into one transaction may not come back on every run.  A try that
 * passes only means "not shown to fail", so the result is short, not
 * necessarily minimal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct shrinker {
    const char *dir_base;
    char sig[128];
    int runs, max_runs;
    double deadline;
    struct seq best;
    struct check_result best_res;
};

static bool budget_left(const struct shrinker *sh)
{
    return sh->runs < sh->max_runs && m_now() < sh->deadline;
}

/* Runs cand; when it fails the same way, it becomes the best (cand is
 * consumed either way). */
static bool try_candidate(struct shrinker *sh, struct seq *cand)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/shrink-%d", sh->dir_base, sh->runs++);
    struct check_result res;
    check_run(cand, dir, &res);
    bool same = res.failed && strcmp(res.sig, sh->sig) == 0;
    if (same) {
        seq_free(&sh->best);
        check_result_free(&sh->best_res);
        sh->best = *cand;
        sh->best_res = res;
        /* Nothing after the failing step matters any more. */
        if (res.step >= 0 && res.step + 1 < sh->best.n_steps) {
            struct seq cut;
            seq_copy(&cut, &sh->best, NULL, res.step);
            seq_free(&sh->best);
            sh->best = cut;
        }
    } else {
        seq_free(cand);
        check_result_free(&res);
    }
    return same;
}

/* best without ops[op] of steps[step]. */
static void without_op(struct seq *out, const struct seq *s, int step, int op)
{
    seq_copy(out, s, NULL, -1);
    struct step *st = &out->steps[step];
    json_decref(st->ops[op].value);
    free(st->ops[op].text);
    memmove(&st->ops[op], &st->ops[op + 1], (size_t)(st->n_ops - op - 1) * sizeof *st->ops);
    st->n_ops--;
}

static bool pass_steps(struct shrinker *sh)
{
    bool progress = false;
    for (int chunk = sh->best.n_steps / 2; chunk >= 1 && budget_left(sh); chunk /= 2) {
        for (int start = sh->best.n_steps - chunk; start >= 0 && budget_left(sh); start -= chunk) {
            if (start + chunk > sh->best.n_steps)
                continue;
            bool *drop = calloc((size_t)sh->best.n_steps, sizeof *drop);
            for (int i = start; i < start + chunk; i++)
                drop[i] = true;
            struct seq cand;
            seq_copy(&cand, &sh->best, drop, -1);
            free(drop);
            if (cand.n_steps == 0) {
                seq_free(&cand);
                continue;
            }
            progress |= try_candidate(sh, &cand);
        }
    }
    return progress;
}

static bool pass_ops(struct shrinker *sh)
{
    bool progress = false;
    for (int s = sh->best.n_steps - 1; s >= 0 && budget_left(sh); s--) {
        for (int o = sh->best.steps[s].n_ops - 1; o >= 0 && budget_left(sh); o--) {
            if (s >= sh->best.n_steps || sh->best.steps[s].kind != ST_PIPELINE ||
                o >= sh->best.steps[s].n_ops || sh->best.steps[s].n_ops == 1)
                continue;
            struct seq cand;
            without_op(&cand, &sh->best, s, o);
            progress |= try_candidate(sh, &cand);
        }
    }
    /* A pipeline of one operation can go as a whole step. */
    for (int s = sh->best.n_steps - 1; s >= 0 && budget_left(sh); s--) {
        if (sh->best.n_steps <= 1)
            break;
        bool *drop = calloc((size_t)sh->best.n_steps, sizeof *drop);
        drop[s] = true;
        struct seq cand;
        seq_copy(&cand, &sh->best, drop, -1);
        free(drop);
        progress |= try_candidate(sh, &cand);
    }
    return progress;
}

/* The lock on a pipeline may be what matters, or not. */
static bool pass_unlock(struct shrinker *sh)
{
    bool progress = false;
    for (int s = 0; s < sh->best.n_steps && budget_left(sh); s++) {
        if (sh->best.steps[s].kind != ST_PIPELINE || !sh->best.steps[s].locked)
            continue;
        struct seq cand;
        seq_copy(&cand, &sh->best, NULL, -1);
        cand.steps[s].locked = false;
        progress |= try_candidate(sh, &cand);
    }
    return progress;
}

void shrink(const struct seq *s, const struct check_result *first, const char *dir_base,
            int max_runs, double max_seconds, struct seq *best, struct check_result *best_res)
{
    struct shrinker sh;
    memset(&sh, 0, sizeof sh);
    sh.dir_base = dir_base;
    sh.max_runs = max_runs;
    sh.deadline = m_now() + max_seconds;
    snprintf(sh.sig, sizeof sh.sig, "%s", first->sig);
    seq_copy(&sh.best, s, NULL, first->step);
    sh.best_res = *first;
    sh.best_res.report = first->report ? strdup(first->report) : NULL;

    /* Does it come back at all? */
    bool again = false;
    for (int i = 0; i < 3 && !again && budget_left(&sh); i++) {
        struct seq cand;
        seq_copy(&cand, &sh.best, NULL, -1);
        again = try_candidate(&sh, &cand);
    }
    if (again) {
        for (int round = 0; round < 6 && budget_left(&sh); round++) {
            bool p = pass_steps(&sh);
            p |= pass_ops(&sh);
            p |= pass_unlock(&sh);
            if (!p)
                break;
        }
    } else {
        fprintf(stderr, "shrink: the failure did not come back in 3 re-runs; "
                        "keeping the original sequence\n");
    }
    fprintf(stderr, "shrink: %d re-runs, %d steps / %d operations left\n", sh.runs,
            sh.best.n_steps, seq_count_ops(&sh.best));
    *best = sh.best;
    *best_res = sh.best_res;
}
