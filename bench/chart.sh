#!/bin/sh
# Draws bench results (JSON lines) as an SVG: for each workload, the
# library's ratio to its raw-SQLite twin measured in the same run, next to
# the ratio of each reference library (BENCH.md) to raw SQLite C.
# Usage: chart.sh results.jsonl out.svg     (needs gnuplot; skips without it)
set -eu
in=$1 out=$2
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "chart: gnuplot not found (apt-get install gnuplot-nox); no chart drawn" >&2
    exit 0
fi
data=$(mktemp)
trap 'rm -f "$data"' EXIT
# Flat JSON lines: pull fields out by name with awk.
awk '
function field(name,   m) {
    if (match($0, "\"" name "\":[^,}]*")) {
        m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
        gsub(/"/, "", m); return m
    }
    return ""
}
{
    raw = field("ref_raw_c")
    py = field("ref_nanasqlite_py"); aio = field("ref_aiosqlite"); node = field("ref_node_sqlite3")
    if (raw == "" || raw == 0) { raw = 1; py = aio = node = "NaN" }
    else { py = py / raw; aio = aio / raw; node = node / raw }
    printf "%s %s %s %s %s\n", field("workload"), field("ratio_median"), py, aio, node
}' "$in" > "$data"
gnuplot <<GP
set terminal svg size 960,480 dynamic font "sans,11"
set output "$out"
set termoption noenhanced
set title "Throughput relative to raw SQLite C (1.0 = as fast as the expert twin)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.0005:20]
set ylabel "ops/s ratio (log scale)"
set xtics rotate by -25
set key top left
set grid ytics
plot "$data" using 2:xtic(1) title "libnanasqlite / twin (this run)", \
     "" using 3 title "NanaSQLite async (Python)", \
     "" using 4 title "aiosqlite", \
     "" using 5 title "node-sqlite3", \
     1 with lines lc rgb "black" dt 2 notitle
GP
echo "chart: $out"
