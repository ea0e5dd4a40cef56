/*
 * Every function page has the same sections in the same order -- NAME,
 * SYNOPSIS, DESCRIPTION, RETURN VALUES, EXAMPLES, ERRORS, THREAD SAFETY, SEE
 * ALSO, then CAVEATS, BUGS, SECURITY CONSIDERATIONS -- with NAME, SYNOPSIS,
 * DESCRIPTION, RETURN VALUES, EXAMPLES, ERRORS and SEE ALSO present, and a
 * THREAD SAFETY or CAVEATS section.  Its SYNOPSIS has `.In nanasqlite.h`,
 * no page uses `.Lb`, its `.Dt` is its file name in upper case, and its first
 * `.Nm` is its file name, so that `man <file name>` finds it.  The overview,
 * nanasqlite.3, has NAME, SYNOPSIS, DESCRIPTION, EXAMPLES and SEE ALSO in
 * that order among its own sections.  Every problem is listed before the
 * test fails.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>

static const char *const order[] = {
    "NAME",     "SYNOPSIS",      "DESCRIPTION", "RETURN VALUES", "EXAMPLES",
    "ERRORS",   "THREAD SAFETY", "SEE ALSO",    "CAVEATS",       "BUGS",
    "SECURITY CONSIDERATIONS",
};
#define N_ORDER (sizeof order / sizeof order[0])

static int rank(const char *title)
{
    for (size_t i = 0; i < N_ORDER; i++)
        if (strcmp(order[i], title) == 0)
            return (int)i;
    return -1;
}

static int failures;

static void problem(const char *page, const char *what)
{
    fprintf(stderr, "%s: %s\n", page, what);
    failures++;
}

static int is_page(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && strcmp(e->d_name + n - 2, ".3") == 0;
}

static void check_page(const char *file)
{
    char path[512], base[256], line[4096];
    snprintf(path, sizeof path, "man/man3/%s", file);
    snprintf(base, sizeof base, "%.*s", (int)(strlen(file) - 2), file);
    bool overview = strcmp(base, "nanasqlite") == 0;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        problem(file, "cannot open");
        return;
    }
    char sections[32][64];
    int n_sections = 0;
    bool in_synopsis = false, has_in = false, has_lb = false, first_nm = true;
    char dt[256] = "";
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, ".Sh ", 4) == 0) {
            if (n_sections < 32)
                snprintf(sections[n_sections++], sizeof sections[0], "%.63s", line + 4);
            in_synopsis = strcmp(line + 4, "SYNOPSIS") == 0;
        } else if (strncmp(line, ".Dt ", 4) == 0) {
            sscanf(line + 4, "%255s", dt);
        } else if (strncmp(line, ".Lb", 3) == 0) {
            has_lb = true;
        } else if (in_synopsis && strcmp(line, ".In nanasqlite.h") == 0) {
            has_in = true;
        } else if (strncmp(line, ".Nm ", 4) == 0 && first_nm) {
            char name[256];
            first_nm = false;
            sscanf(line + 4, "%255s", name);
            if (strcmp(name, base) != 0)
                problem(file, "the first .Nm is not the file name");
        }
    }
    fclose(fp);

    char want_dt[256];
    for (size_t i = 0; base[i] && i < sizeof want_dt - 1; i++) {
        want_dt[i] = (char)toupper((unsigned char)base[i]);
        want_dt[i + 1] = '\0';
    }
    if (strcmp(dt, want_dt) != 0)
        problem(file, ".Dt is not the file name in upper case");
    if (has_lb)
        problem(file, "uses .Lb (the library is named in the text, not with .Lb)");
    if (!has_in)
        problem(file, "its SYNOPSIS has no `.In nanasqlite.h`");

    const char *required_fn[] = {"NAME",     "SYNOPSIS", "DESCRIPTION", "RETURN VALUES",
                                 "EXAMPLES", "ERRORS",   "SEE ALSO"};
    const char *required_overview[] = {"NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES",
                                       "SEE ALSO"};
    const char **required = overview ? required_overview : required_fn;
    size_t n_required = overview ? 5 : 7;
    int at = 0;
    for (size_t r = 0; r < n_required; r++) {
        int found = -1;
        for (int s = at; s < n_sections && found < 0; s++)
            if (strcmp(sections[s], required[r]) == 0)
                found = s;
        if (found < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "section %s missing or out of order", required[r]);
            problem(file, msg);
        } else {
            at = found + 1;
        }
    }
    if (overview)
        return;

    int last = -1;
    bool safety_or_caveats = false;
    for (int s = 0; s < n_sections; s++) {
        int r = rank(sections[s]);
        char msg[200];
        if (r < 0) {
            snprintf(msg, sizeof msg, "unexpected section %.63s", sections[s]);
            problem(file, msg);
            continue;
        }
        if (r <= last) {
            snprintf(msg, sizeof msg, "section %.63s out of order", sections[s]);
            problem(file, msg);
        }
        last = r;
        if (strcmp(sections[s], "THREAD SAFETY") == 0 || strcmp(sections[s], "CAVEATS") == 0)
            safety_or_caveats = true;
    }
    if (!safety_or_caveats)
        problem(file, "no THREAD SAFETY or CAVEATS section");
}

int main(void)
{
    struct dirent **pages;
    int n = scandir("man/man3", &pages, is_page, alphasort);
    if (n < 0)
        t_fail(__FILE__, __LINE__, "man/man3: cannot list (run from the repository root)");
    CHECK(n > 1);
    for (int i = 0; i < n; i++) {
        check_page(pages[i]->d_name);
        free(pages[i]);
    }
    free(pages);
    printf("%d pages checked, %d problems\n", n, failures);
    CHECK_INT(failures, 0);
    return 0;
}
