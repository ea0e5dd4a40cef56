/*
 * Every man page lints clean: `mandoc -Tlint -Wwarning` prints nothing for each
 * page of man/man3 (warnings, errors and unsupported macros all count).
 * mandoc missing is a failure with a clear message, never a skip: the
 * Makefile's deps step (tools/check-deps.sh) installs it on Debian.
 * Every message of every page is listed before the test fails.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

/* Runs cmd through sh with stderr joined to stdout; *out gets what it
 * printed (malloc'd); returns its exit status (128 + signal when killed). */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_page(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && strcmp(e->d_name + n - 2, ".3") == 0;
}

int main(void)
{
    char *out;
    if (t_run_cmd("command -v mandoc", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "mandoc is not installed, so the man pages cannot be linted: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install mandoc");
    free(out);

    struct dirent **pages;
    int n = scandir("man/man3", &pages, is_page, by_name);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "man/man3: cannot list (run from the repository root)");
    CHECK(n > 0);

    int failures = 0;
    for (int i = 0; i < n; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "mandoc -Tlint -Wwarning 'man/man3/%s'", pages[i]->d_name);
        int rc = t_run_cmd(cmd, &out);
        if (rc != 0 || out[0] != '\0') {
            fprintf(stderr, "%s: mandoc exit %d:\n%s", pages[i]->d_name, rc, out);
            failures++;
        } else {
            printf("%s: clean\n", pages[i]->d_name);
        }
        free(out);
        free(pages[i]);
    }
    free(pages);
    printf("%d pages linted, %d with messages\n", n, failures);
    CHECK_INT(failures, 0);
    return 0;
}
