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
# x pixel of a thread count on the sweep panel, log2 axis
function sx(t) { return LEFT + SPW * (log(t) / log(2)) / (log(SWMAXT) / log(2)) }
function sy(v) { if (v > SWMAXY) v = SWMAXY; return STOP + SPH * (1 - v / SWMAXY) }
function sweep_line(vals, colour, label,   i, pts) {
    pts = ""
    for (i = 1; i <= nsw; i++) pts = pts sprintf("%.1f,%.1f ", sx(sw_t[i]), sy(vals[i] / sw_base))
    printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts, colour
    for (i = 1; i <= nsw; i++)
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, %d threads: %.0f ops/s (%.2fx)</title></circle>\n", sx(sw_t[i]), sy(vals[i] / sw_base), colour, esc(label), sw_t[i], vals[i], vals[i] / sw_base
}
function sweep_panel(   i, v) {
    STOP = H - SWH + 40; SPH = SWH - 90; SPW = PW
    SWMAXT = 1; SWMAXY = 1
    for (i = 1; i <= nsw; i++) {
        if (sw_t[i] > SWMAXT) SWMAXT = sw_t[i]
        v = sw_lib[i]; if (sw_conns[i] > v) v = sw_conns[i]; if (sw_twin[i] > v) v = sw_twin[i]
        if (v / sw_base > SWMAXY) SWMAXY = v / sw_base
    }
    SWMAXY = int(SWMAXY) + 1
    if (SWMAXY < 5) SWMAXY = 5 # the goal line shows
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">Closed-loop writers (each awaits its own set): ops/s over the library with one thread</text>\n", W / 2, STOP - 14
    for (v = 0; v <= SWMAXY; v++) {
        printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n", LEFT, sy(v), LEFT + SPW, sy(v)
        printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%dx</text>\n", LEFT - 6, sy(v) + 4, v
    }
    for (i = 1; i <= nsw; i++)
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", sx(sw_t[i]), STOP + SPH + 16, sw_t[i]
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">threads</text>\n", LEFT + SPW / 2, STOP + SPH + 34
    printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6,4\"><title>goal: 4x at 8 threads</title></line>\n", LEFT, sy(4), LEFT + SPW, sy(4)
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n", LEFT, STOP, SPW, SPH
    sweep_line(sw_lib, "#9400d3", "libnanasqlite")
    sweep_line(sw_twin, "#999999", "twin, one connection in turn")
    sweep_line(sw_conns, "#e69f00", "twin, a connection per thread")
    printf "<text x=\"%d\" y=\"%d\" fill=\"#9400d3\">libnanasqlite</text>\n", LEFT + 10, STOP + 16
    printf "<text x=\"%d\" y=\"%d\" fill=\"#999999\">twin, one connection in turn</text>\n", LEFT + 10, STOP + 32
    printf "<text x=\"%d\" y=\"%d\" fill=\"#e69f00\">twin, a connection per thread</text>\n", LEFT + 10, STOP + 48
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
    # The closed-loop sweep also gets a panel of its own (below).
    if (w ~ /^closed_loop_[0-9]+$/) {
        t = substr(w, 13) + 0
        nsw++; sw_t[nsw] = t
        sw_lib[nsw] = field("lib_ops_median") + 0
        sw_twin[nsw] = field("twin_ops_median") + 0
        sw_conns[nsw] = field("twin_conns_ops_median") + 0
        if (t == 1) sw_base = sw_lib[nsw]
    }
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
    # With a closed-loop sweep, a second panel: ops/s at each thread count
    # over the one-thread closed loop of the library, for the library and both
    # twins.
    SWH = (nsw > 1 && sw_base > 0) ? 300 : 0
    H += SWH
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
    if (SWH > 0) sweep_panel()
    printf "</svg>\n"
    if (n == 0) exit 1
}' "$in" > "$tmp" || { echo "chart: no workload in $in; no chart drawn" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
echo "chart: $out"
