#!/bin/sh
# Runs libFuzzer targets, one after the other, each for SECONDS over a
# scratch copy of its seed corpus (new inputs stay out of the repository):
#
#   sh fuzz/run.sh SECONDS BINDIR TARGET...
#
# Prints per target the executions and libFuzzer's final cov: and ft:.
# Exits 1 when any target found a crash (or a leak, a timeout, an
# out-of-memory), printing the reproducer's path, which is kept with the
# log; replay it with BINDIR/TARGET REPRODUCER.  Scratch space of targets
# that passed is removed.
set -u

if [ $# -lt 3 ]; then
    echo "usage: $0 SECONDS BINDIR TARGET..." >&2
    exit 2
fi
seconds=$1
bindir=$2
shift 2
cd "$(dirname "$0")/.." || exit 2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/nana-fuzz.XXXXXX") || exit 2
failed=""
for target in "$@"; do
    work=$scratch/$target
    mkdir -p "$work/corpus"
    cp fuzz/corpus/"$target"/* "$work/corpus/" 2>/dev/null
    seeds=$(ls "$work/corpus" | wc -l)
    # The JSON decoder needs room for nesting past 2048 levels.
    case $target in
    json_decode) max_len=8192 ;;
    *) max_len=4096 ;;
    esac
    case $target in
    sql_helpers | query_expr) dict=-dict=fuzz/sql.dict ;;
    json_decode | model_decode) dict=-dict=fuzz/json.dict ;;
    *) dict="" ;;
    esac
    # shellcheck disable=SC2086
    "$bindir/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$work/" $dict \
        "$work/corpus" >"$work/log" 2>&1
    rc=$?
    reproducer=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
        "$work"/slow-unit-* 2>/dev/null | head -n 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -n 1 |
        sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
    corpus=$(ls "$work/corpus" | wc -l)
    if [ "$rc" -ne 0 ] || [ -n "$reproducer" ]; then
        echo "fuzz: $target: FAILED after ${runs:-?} runs (exit $rc)"
        grep -E '^fuzz: |ERROR: |SUMMARY: |runtime error' "$work/log" | head -n 12 |
            sed 's/^/    | /'
        echo "fuzz: $target: reproducer ${reproducer:-(none written)}; log $work/log"
        failed="$failed $target"
        continue
    fi
    echo "fuzz: $target: ${runs:-?} runs in ${seconds}s, ${cov:-cov ?};" \
        "seeds $seeds, corpus now $corpus"
    grep '^fuzz: known bug' "$work/log" | sort -u | sed 's/^/    | /'
    rm -rf "$work"
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed (kept in $scratch)"
    exit 1
fi
rmdir "$scratch" 2>/dev/null
exit 0
