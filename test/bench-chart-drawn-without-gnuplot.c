/*
 * bench/chart.sh draws the benchmark chart with what a fresh machine has:
 * with a `gnuplot` on the PATH that fails if it is ever run, it turns two
 * results lines into an SVG document -- one bar for the library's ratio to
 * its twin, and one per reference library where the line carries the
 * reference figures (ratio to ref_raw_c), none where it does not; each bar
 * titled with its workload, series and value; a higher ratio drawn as a
 * taller bar on the log axis, a ratio below the axis as a bar of height 0
 * at the axis, never outside the plot.  A file with no results is refused,
 * and no chart is left behind.  The committed results chart in the same
 * way: a bar for every workload of bench/results/latest.jsonl.
 */
#include "harness.h"

#include <sys/stat.h>
#include <unistd.h>

struct bar {
    double y, height;
};

/* The bar whose title starts with title: its y and height. */
static struct bar find_bar(const char *svg, const char *title)
{
    char key[512];
    snprintf(key, sizeof key, "<title>%s", title);
    const char *t = strstr(svg, key);
    if (!t)
        t_fail(__FILE__, __LINE__, "no bar titled \"%s\"", title);
    const char *rect = t;
    while (rect > svg && strncmp(rect, "<rect ", 6) != 0)
        rect--;
    struct bar b;
    const char *y = strstr(rect, " y=\""), *h = strstr(rect, " height=\"");
    CHECK(y && h && y < t && h < t);
    CHECK(sscanf(y, " y=\"%lf\"", &b.y) == 1 && sscanf(h, " height=\"%lf\"", &b.height) == 1);
    return b;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

int main(void)
{
    char bin[1024], cmd[8192], in[1100], svg_path[1100], marker[1100];
    snprintf(bin, sizeof bin, "%s/bin", t_dir());
    snprintf(marker, sizeof marker, "%s/gnuplot-ran", t_dir());
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && printf '#!/bin/sh\\ntouch %s\\nexit 1\\n' >'%s/gnuplot' && "
             "chmod 755 '%s/gnuplot'",
             bin, marker, bin, bin);
    free(t_must(cmd));

    snprintf(in, sizeof in, "%s/results.jsonl", t_dir());
    snprintf(svg_path, sizeof svg_path, "%s/chart.svg", t_dir());
    t_write_file(in,
               "{\"workload\":\"alpha\",\"ratio_median\":0.5,\"ref_raw_c\":100,"
               "\"ref_nanasqlite_py\":10,\"ref_aiosqlite\":0.001,\"ref_node_sqlite3\":1000}\n"
               "{\"workload\":\"beta\",\"ratio_median\":2}\n");
    snprintf(cmd, sizeof cmd, "PATH='%s':\"$PATH\" sh bench/chart.sh '%s' '%s'", bin, in,
             svg_path);
    char *out = t_must(cmd);
    CHECK(strstr(out, "chart: ") != NULL);
    free(out);
    CHECK(access(marker, F_OK) != 0);

    char *svg = t_slurp(svg_path);
    CHECK(strncmp(svg, "<?xml", 5) == 0 && strstr(svg, "<svg ") != NULL);
    size_t len = strlen(svg);
    CHECK(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
    CHECK_INT(count(svg, "<title>alpha "), 4);
    CHECK_INT(count(svg, "<title>beta "), 1);
    CHECK(strstr(svg, ">alpha</text>") && strstr(svg, ">beta</text>"));

    struct bar lib = find_bar(svg, "alpha libnanasqlite / twin (this run): 0.5<");
    struct bar py = find_bar(svg, "alpha NanaSQLite async (Python): 0.1<");
    struct bar aio = find_bar(svg, "alpha aiosqlite: 1e-05<");
    struct bar node = find_bar(svg, "alpha node-sqlite3: 10<");
    struct bar beta = find_bar(svg, "beta libnanasqlite / twin (this run): 2<");
    printf("bar heights: py %.1f < lib %.1f < beta %.1f < node %.1f; aio %.1f\n", py.height,
           lib.height, beta.height, node.height, aio.height);
    CHECK(py.height < lib.height && lib.height < beta.height && beta.height < node.height);
    CHECK(aio.height >= 0 && aio.height < 0.01);
    /* all bars stand on the same axis, inside the 480-pixel-high picture */
    CHECK(lib.y + lib.height > 0 && lib.y + lib.height < 480);
    CHECK((int)(lib.y + lib.height) == (int)(node.y + node.height));
    CHECK((int)(aio.y + aio.height) == (int)(lib.y + lib.height));
    free(svg);

    /* Nothing to draw: refused, no file. */
    char empty[1100], none[1100];
    snprintf(empty, sizeof empty, "%s/empty.jsonl", t_dir());
    snprintf(none, sizeof none, "%s/none.svg", t_dir());
    t_write_file(empty, "");
    snprintf(cmd, sizeof cmd, "sh bench/chart.sh '%s' '%s'", empty, none);
    int rc = t_run_cmd(cmd, &out);
    CHECK(rc != 0);
    free(out);
    CHECK(access(none, F_OK) != 0);

    /* The committed results. */
    snprintf(cmd, sizeof cmd, "PATH='%s':\"$PATH\" sh bench/chart.sh bench/results/latest.jsonl '%s'",
             bin, svg_path);
    free(t_must(cmd));
    svg = t_slurp(svg_path);
    char *results = t_slurp("bench/results/latest.jsonl");
    int workloads = 0;
    for (char *line = strtok(results, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128], title[200];
        const char *w = strstr(line, "\"workload\":\"");
        if (!w || sscanf(w, "\"workload\":\"%127[^\"]\"", name) != 1)
            continue;
        snprintf(title, sizeof title, "%s libnanasqlite / twin (this run): ", name);
        find_bar(svg, title);
        workloads++;
    }
    printf("bench/results/latest.jsonl: %d workloads charted\n", workloads);
    CHECK(workloads > 0);
    CHECK(access(marker, F_OK) != 0);
    free(results);
    free(svg);
    return 0;
}
