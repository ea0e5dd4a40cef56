/* A thread name prefix too long for the 15 bytes of a thread name is
 * truncated, not the worker number: every worker is still "<p>-<n>" with <p>
 * a leading part of the prefix, n distinct from 0 to max_workers - 1, and the
 * names use the 15 bytes available. */
#include "harness.h"

/* Checks the worker threads of a root opened with prefix and workers; returns
 * the longest name's length.  Workers are the threads whose name starts with
 * the first 3 bytes of prefix. */
static size_t check_truncated(const char *prefix, int workers)
{
    struct t_task tasks[256];
    int n = t_list_tasks(tasks, 256);
    int seen[64] = {0}, found = 0;
    size_t longest = 0;
    for (int i = 0; i < n && i < 256; i++) {
        const char *name = tasks[i].comm;
        if (strncmp(name, prefix, 3) != 0)
            continue;
        found++;
        size_t len = strlen(name);
        if (len > 15)
            t_fail(__FILE__, __LINE__, "thread name %s is longer than 15 bytes", name);
        if (len > longest)
            longest = len;
        const char *dash = strrchr(name, '-');
        if (!dash || dash == name)
            t_fail(__FILE__, __LINE__, "thread name %s has no -<n>", name);
        size_t plen = (size_t)(dash - name);
        if (strncmp(name, prefix, plen) != 0)
            t_fail(__FILE__, __LINE__, "thread name %s: %.*s is not a prefix of %s", name,
                   (int)plen, name, prefix);
        char *end = NULL;
        long num = strtol(dash + 1, &end, 10);
        if (!dash[1] || *end || num < 0 || num >= workers)
            t_fail(__FILE__, __LINE__, "thread name %s: bad worker number", name);
        seen[num]++;
    }
    if (found != workers)
        t_fail(__FILE__, __LINE__, "%d worker threads for prefix %s, want %d", found, prefix,
               workers);
    for (int i = 0; i < workers; i++)
        if (seen[i] != 1)
            t_fail(__FILE__, __LINE__, "worker number %d appears %d times", i, seen[i]);
    return longest;
}

static bool has_thread(const char *name)
{
    struct t_task tasks[256];
    int n = t_list_tasks(tasks, 256);
    for (int i = 0; i < n && i < 256; i++)
        if (strcmp(tasks[i].comm, name) == 0)
            return true;
    return false;
}

int main(void)
{
    t_warm_up_threads();
    int before = t_count_tasks();
    nana_options_t opts;
    nana_options_init(&opts);

    /* 26 bytes of prefix, 12 workers: numbers of one and two digits. */
    opts.thread_name_prefix = "abcdefghijklmnopqrstuvwxyz";
    opts.max_workers = 12;
    nana_db_t *db = t_open("db", &opts);
    CHECK_INT(t_count_tasks(), before + 12);
    CHECK_INT(check_truncated(opts.thread_name_prefix, 12), 15);
    json_t *v = json_integer(1);
    CHECK_ST(t_wait(nana_set(db, "k", v)), NANA_OK);
    t_expect(nana_get(db, "k", NULL), "1");
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    /* 14 bytes, one worker: one byte of prefix goes. */
    opts.thread_name_prefix = "fourteen_bytes";
    opts.max_workers = 1;
    db = t_open("db", &opts);
    CHECK(has_thread("fourteen_byte-0"));
    CHECK_INT(t_count_tasks(), before + 1);
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    /* 13 bytes fit exactly with "-0" and "-1". */
    opts.thread_name_prefix = "thirteen_byte";
    opts.max_workers = 2;
    db = t_open("db", &opts);
    CHECK(has_thread("thirteen_byte-0"));
    CHECK(has_thread("thirteen_byte-1"));
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    json_decref(v);
    return 0;
}
