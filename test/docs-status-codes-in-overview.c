/*
 * Every status code of NANA_STATUS_TABLE (taken from the header itself, so a
 * code added there is seen here) is documented in the STATUS CODES section of
 * nanasqlite.3 as `.It Dv NAME` or `.It Er NAME`, followed by its numeric
 * value and its nana_errstr() text (`.Qq text`), and the text the library
 * returns at run time is the same.  nana_errstr.3 lists every code too.  And
 * no page names a NANA_E* code that does not exist.  Every problem is listed
 * before the test fails.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>

static const struct code {
    const char *name;
    const char *text;
    nana_status_t value;
} codes[] = {
#define CODE_(name, text) {#name, text, name},
    NANA_STATUS_TABLE(CODE_)
#undef CODE_
};
#define N_CODES (sizeof codes / sizeof codes[0])

static int failures;

/* The lines of a file, NUL-terminated each; NULL-terminated array. */
static char **read_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        t_fail(__FILE__, __LINE__, "%s: cannot open (run from the repository root)", path);
    size_t n = 0, cap = 256;
    char **lines = malloc(cap * sizeof *lines);
    char line[4096];
    CHECK(lines != NULL);
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (n + 1 == cap) {
            lines = realloc(lines, (cap *= 2) * sizeof *lines);
            CHECK(lines != NULL);
        }
        lines[n] = strdup(line);
        CHECK(lines[n] != NULL);
        n++;
    }
    lines[n] = NULL;
    fclose(fp);
    return lines;
}

static void free_lines(char **lines)
{
    for (size_t i = 0; lines[i]; i++)
        free(lines[i]);
    free(lines);
}

static void check_overview(void)
{
    char **lines = read_lines("man/man3/nanasqlite.3");
    size_t start = 0, end = 0;
    for (size_t i = 0; lines[i]; i++) {
        if (strcmp(lines[i], ".Sh STATUS CODES") == 0)
            start = i + 1;
        else if (start && !end && strncmp(lines[i], ".Sh ", 4) == 0)
            end = i;
    }
    if (!start)
        t_fail(__FILE__, __LINE__, "nanasqlite.3 has no STATUS CODES section");
    if (!end)
        for (end = start; lines[end]; end++)
            ;

    for (size_t c = 0; c < N_CODES; c++) {
        char dv[128], er[128], value[32], qq[256];
        snprintf(dv, sizeof dv, ".It Dv %s", codes[c].name);
        snprintf(er, sizeof er, ".It Er %s", codes[c].name);
        snprintf(value, sizeof value, "%d,", (int)codes[c].value);
        snprintf(qq, sizeof qq, ".Qq %s", codes[c].text);
        size_t at = 0;
        for (size_t i = start; i < end && !at; i++)
            if (strcmp(lines[i], dv) == 0 || strcmp(lines[i], er) == 0)
                at = i;
        if (!at) {
            fprintf(stderr, "nanasqlite.3: STATUS CODES has no `.It Dv %s` or `.It Er %s`\n",
                    codes[c].name, codes[c].name);
            failures++;
            continue;
        }
        if (at + 2 >= end || strcmp(lines[at + 1], value) != 0 ||
            strncmp(lines[at + 2], qq, strlen(qq)) != 0 ||
            (lines[at + 2][strlen(qq)] != '\0' && lines[at + 2][strlen(qq)] != ' ')) {
            fprintf(stderr,
                    "nanasqlite.3: %s must be followed by the lines `%s` and `%s` (its value "
                    "and its nana_errstr() text)\n",
                    codes[c].name, value, qq);
            failures++;
        }
    }
    free_lines(lines);
}

static void check_errstr_page(void)
{
    char **lines = read_lines("man/man3/nana_errstr.3");
    for (size_t c = 0; c < N_CODES; c++) {
        bool found = false;
        for (size_t i = 0; lines[i] && !found; i++) {
            const char *p = strstr(lines[i], codes[c].name);
            found = p && !isalnum((unsigned char)p[strlen(codes[c].name)]) &&
                    p[strlen(codes[c].name)] != '_';
        }
        if (!found) {
            fprintf(stderr, "nana_errstr.3 does not list %s\n", codes[c].name);
            failures++;
        }
    }
    free_lines(lines);
}

static bool is_code(const char *name, size_t len)
{
    for (size_t c = 0; c < N_CODES; c++)
        if (strlen(codes[c].name) == len && strncmp(codes[c].name, name, len) == 0)
            return true;
    return false;
}

static int is_page(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && strcmp(e->d_name + n - 2, ".3") == 0;
}

/* Every NANA_E<LETTERS> word of every page is a status code. */
static void check_no_unknown_codes(void)
{
    struct dirent **pages;
    int n = scandir("man/man3", &pages, is_page, alphasort);
    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "man/man3/%s", pages[i]->d_name);
        char **lines = read_lines(path);
        for (size_t l = 0; lines[l]; l++) {
            if (strncmp(lines[l], ".Dt ", 4) == 0)
                continue; /* the page's title, e.g. NANA_EXECUTE */
            for (const char *p = strstr(lines[l], "NANA_E"); p; p = strstr(p + 1, "NANA_E")) {
                size_t len = 6;
                while (isupper((unsigned char)p[len]))
                    len++;
                if (p[len] == '_' || isdigit((unsigned char)p[len]))
                    continue; /* another macro, not a status */
                if (!is_code(p, len)) {
                    fprintf(stderr, "%s:%zu: %.*s is not a status code\n", pages[i]->d_name,
                            l + 1, (int)len, p);
                    failures++;
                }
            }
        }
        free_lines(lines);
        free(pages[i]);
    }
    free(pages);
}

int main(void)
{
    /* The run-time texts are the header's. */
    for (size_t c = 0; c < N_CODES; c++) {
        CHECK_INT(codes[c].value, c);
        CHECK_STR(nana_errstr(codes[c].value), codes[c].text);
    }
    check_overview();
    check_errstr_page();
    check_no_unknown_codes();
    printf("%zu status codes checked, %d problems\n", N_CODES, failures);
    CHECK_INT(failures, 0);
    return 0;
}
