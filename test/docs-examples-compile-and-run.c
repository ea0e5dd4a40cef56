/*
 * Every EXAMPLES block of every man page compiles with -Wall -Wextra -Werror
 * against include/ and the built lib/libnanasqlite.so, and every block that
 * is a complete program (has a main()) runs and exits 0 within 60 seconds:
 * man/check.sh extracts the blocks from mandoc's rendering (escapes as a
 * reader sees them), compiles and runs them.  Every page has at least one
 * complete program, so that a newcomer can start from any page.  The library
 * is built first (make all), so the test also runs in the sanitizer suites.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

static int is_page(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && strcmp(e->d_name + n - 2, ".3") == 0;
}

/* True when an EXAMPLES section of the page has a literal block with main(). */
static bool has_program(const char *file)
{
    char path[512], line[4096];
    snprintf(path, sizeof path, "man/man3/%s", file);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    bool in_examples = false, in_block = false, found = false;
    while (fgets(line, sizeof line, fp) && !found) {
        if (strncmp(line, ".Sh ", 4) == 0)
            in_examples = strcmp(line, ".Sh EXAMPLES\n") == 0;
        else if (in_examples && strncmp(line, ".Bd -literal", 12) == 0)
            in_block = true;
        else if (in_block && strncmp(line, ".Ed", 3) == 0)
            in_block = false;
        else if (in_block && strstr(line, "main("))
            found = true;
    }
    fclose(fp);
    return found;
}

int main(void)
{
    char *out;
    if (t_run_cmd("command -v mandoc", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "mandoc is not installed, so the examples cannot be extracted: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install mandoc");
    free(out);
    free(t_must(T_MAKE_PLAIN " all"));

    struct dirent **pages;
    int n = scandir("man/man3", &pages, is_page, alphasort);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "man/man3: cannot list (run from the repository root)");
    int without = 0;
    for (int i = 0; i < n; i++) {
        if (!has_program(pages[i]->d_name)) {
            fprintf(stderr, "%s: its EXAMPLES section has no complete program (main())\n",
                    pages[i]->d_name);
            without++;
        }
        free(pages[i]);
    }
    free(pages);

    int rc = t_run_cmd("sh man/check.sh examples", &out);
    printf("%s", out);
    int blocks = 0, programs = 0, failed = -1;
    const char *last = strstr(out, " examples checked");
    while (last && last > out && last[-1] != '\n')
        last--;
    if (last)
        sscanf(last, "%d examples checked (%d programs run), %d failures", &blocks, &programs,
               &failed);
    free(out);
    CHECK_INT(rc, 0);
    CHECK_INT(failed, 0);
    CHECK(programs >= n);
    CHECK(blocks >= programs);
    CHECK_INT(without, 0);
    return 0;
}
