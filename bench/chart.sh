#!/bin/sh
# Draws bench results (JSON lines) as an SVG: for each workload, the
# library's ratio to its raw-SQLite twin measured in the same run, next to
# the ratio of each reference library (BENCH.md) to raw SQLite C.  Plain
# awk writes the SVG, so a fresh machine draws the chart with what it has.
# Usage: chart.sh results.jsonl out.svg
set -eu
[ $# -eq 2 ] || { echo "usage: chart.sh results.jsonl out.svg" >&2; exit 2; }
in=$1 out=$2
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# Flat JSON lines: fields are pulled out by name.
awk '
function field(name,   m) {
    if (match($0, "\"" name "\":[^,}]*")) {
        m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
        gsub(/"/, "", m); return m
    }
    return ""
}
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
function log10(x) { return log(x) / log(10) }
# y pixel of a ratio on the log axis, clamped to the plot
function y(v) {
    if (v < YMIN) v = YMIN
    if (v > YMAX) v = YMAX
    return TOP + PH * (log10(YMAX) - log10(v)) / (log10(YMAX) - log10(YMIN))
}
BEGIN {
    W = 960; H = 480; LEFT = 80; RIGHT = 20; TOP = 50; BOTTOM = 110
    PW = W - LEFT - RIGHT; PH = H - TOP - BOTTOM
    YMIN = 0.0001; YMAX = 20
    NS = 4
    series[1] = "libnanasqlite / twin (this run)"; color[1] = "#9400d3"
    series[2] = "NanaSQLite async (Python)";      color[2] = "#009e73"
    series[3] = "aiosqlite";                      color[3] = "#56b4e9"
    series[4] = "node-sqlite3";                   color[4] = "#e69f00"
}
{
    w = field("workload")
    if (w == "") next
    n++
    name[n] = w
    val[n, 1] = field("ratio_median")
    raw = field("ref_raw_c")
    for (s = 2; s <= NS; s++) val[n, s] = ""
    if (raw != "" && raw + 0 > 0) {
        split("ref_nanasqlite_py ref_aiosqlite ref_node_sqlite3", refs, " ")
        for (s = 2; s <= NS; s++) {
            r = field(refs[s - 1])
            if (r != "") val[n, s] = r / raw
        }
    }
}
END {
    printf "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H, W, H
    printf "<title>Throughput relative to raw SQLite C</title>\n"
    printf "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H
    printf "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"13\">Throughput relative to raw SQLite C (1.0 = as fast as the expert twin)</text>\n", W / 2
    # decades: grid line and label
    for (e = -4; e <= 1; e++) {
        v = 10 ^ e; yy = y(v)
        printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n", LEFT, yy, LEFT + PW, yy
        printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, yy + 4, v
    }
    printf "<text transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\">ops/s ratio (log scale)</text>\n", TOP + PH / 2
    if (n > 0) {
        gw = PW / n; bw = gw / (NS + 1)
        for (i = 1; i <= n; i++) {
            x0 = LEFT + (i - 1) * gw + bw / 2
            for (s = 1; s <= NS; s++) {
                v = val[i, s]
                if (v == "" || v + 0 <= 0) continue
                yt = y(v + 0); yb = y(YMIN)
                printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"black\" stroke-width=\"0.5\"><title>%s %s: %.4g</title></rect>\n", x0 + (s - 1) * bw, yt, bw, yb - yt, color[s], esc(name[i]), esc(series[s]), v
            }
            xl = LEFT + (i - 0.5) * gw
            printf "<text transform=\"translate(%.1f,%d) rotate(25)\" text-anchor=\"start\">%s</text>\n", xl - 10, TOP + PH + 16, esc(name[i])
        }
    }
    # 1.0: as fast as the twin
    printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n", LEFT, y(1), LEFT + PW, y(1)
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n", LEFT, TOP, PW, PH
    for (s = 1; s <= NS; s++) {
        ly = TOP + 8 + (s - 1) * 16
        printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\" stroke=\"black\" stroke-width=\"0.5\"/>\n", LEFT + 10, ly, color[s]
        printf "<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + 28, ly + 9, esc(series[s])
    }
    printf "</svg>\n"
    if (n == 0) exit 1
}' "$in" > "$tmp" || { echo "chart: no workload in $in; no chart drawn" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
echo "chart: $out"
