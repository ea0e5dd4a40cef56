/*
 * bench/chart.sh draws the closed-loop sweep in a panel of its own: for
 * each thread count, the library's and both twins' ops/s over the
 * library's one-thread closed loop, as points titled with their value; a
 * results file without a sweep gets no panel.
 */
#include "harness.h"

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static char *chart(const char *name, const char *lines)
{
    char in[1100], svg[1100], cmd[4096];
    snprintf(in, sizeof in, "%s/%s.jsonl", t_dir(), name);
    snprintf(svg, sizeof svg, "%s/%s.svg", t_dir(), name);
    t_write_file(in, lines);
    snprintf(cmd, sizeof cmd, "sh bench/chart.sh '%s' '%s'", in, svg);
    free(t_must(cmd));
    return t_slurp(svg);
}

int main(void)
{
    char *svg = chart("sweep",
                      "{\"workload\":\"closed_loop_1\",\"ratio_median\":1.5,"
                      "\"lib_ops_median\":1000.0,\"twin_ops_median\":500.0,"
                      "\"twin_conns_ops_median\":600.0}\n"
                      "{\"workload\":\"closed_loop_8\",\"ratio_median\":1.2,"
                      "\"lib_ops_median\":3000.0,\"twin_ops_median\":400.0,"
                      "\"twin_conns_ops_median\":2500.0}\n");
    CHECK(strstr(svg, "Closed-loop writers") != NULL);
    CHECK_INT(count(svg, "<circle"), 6);
    CHECK(strstr(svg, "<title>libnanasqlite, 1 threads: 1000 ops/s (1.00x)</title>"));
    CHECK(strstr(svg, "<title>libnanasqlite, 8 threads: 3000 ops/s (3.00x)</title>"));
    CHECK(strstr(svg, "<title>twin, a connection per thread, 8 threads: 2500 ops/s (2.50x)"));
    CHECK(strstr(svg, "<title>twin, one connection in turn, 1 threads: 500 ops/s (0.50x)"));
    /* Both sweep rows are still bars of the ratio panel. */
    CHECK(strstr(svg, "<title>closed_loop_8 libnanasqlite / twin (this run): 1.2<"));
    free(svg);

    svg = chart("plain", "{\"workload\":\"set_seq\",\"ratio_median\":0.9}\n");
    CHECK(strstr(svg, "Closed-loop writers") == NULL);
    CHECK_INT(count(svg, "<circle"), 0);
    free(svg);
    return 0;
}
