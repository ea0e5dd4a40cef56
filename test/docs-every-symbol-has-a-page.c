/*
 * Every nana_* symbol exported by lib/libnanasqlite.so (nm -D
 * --defined-only) has a man page: man/man3/<symbol>.3, or a page that names
 * it with `.Nm <symbol>`.  And the pages hang together: every `.Xr name 3`
 * of a page names a page that exists (or a page of another library: jansson,
 * SQLite and the C library are allowed by prefix), and the overview,
 * nanasqlite.3, lists every page in its SEE ALSO.  The library is built first
 * (make all), so the test also runs in the sanitizer suites.  Every missing
 * page and dangling reference is listed before the test fails.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

static int is_page(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && strcmp(e->d_name + n - 2, ".3") == 0;
}

/* Pages of other libraries a page may refer to. */
static bool foreign(const char *name)
{
    static const char *const prefixes[] = {"json_", "jansson", "sqlite3", "pthread_",
                                           "malloc", "free", "fork", "signal", "sigaction",
                                           "mkdtemp", NULL};
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

int main(void)
{
    char *out;
    free(t_must(T_MAKE_PLAIN " all"));

    /* The pages: file names, the names of their .Nm lines, their .Xr. */
    struct t_names files = {0}, named = {0};
    struct dirent **pages;
    int n_pages = scandir("man/man3", &pages, is_page, alphasort);
    if (n_pages < 0)
        t_fail(__FILE__, __LINE__, "man/man3: cannot list (run from the repository root)");
    for (int i = 0; i < n_pages; i++) {
        const char *f = pages[i]->d_name;
        t_names_add(&files, f, strlen(f) - 2);
        t_names_add(&named, f, strlen(f) - 2);
        char path[512], line[4096];
        snprintf(path, sizeof path, "man/man3/%s", f);
        FILE *fp = fopen(path, "r");
        CHECK(fp != NULL);
        while (fgets(line, sizeof line, fp)) {
            if (strncmp(line, ".Nm ", 4) == 0) {
                const char *name = line + 4;
                t_names_add(&named, name, strcspn(name, " \t\n"));
            }
        }
        fclose(fp);
    }

    int failures = 0;

    /* Every exported nana_* symbol has a page. */
    if (t_run_cmd("nm -D --defined-only lib/libnanasqlite.so", &out) != 0)
        t_fail(__FILE__, __LINE__, "nm -D lib/libnanasqlite.so failed:\n%s", out);
    int symbols = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *name = strrchr(line, ' ');
        name = name ? name + 1 : line;
        name[strcspn(name, "@")] = '\0';
        if (strncmp(name, "nana_", 5) != 0)
            continue;
        symbols++;
        if (!t_names_has(&named, name)) {
            fprintf(stderr, "%s: exported, but no page names it (man/man3/%s.3 or .Nm %s)\n",
                    name, name, name);
            failures++;
        }
    }
    free(out);
    printf("%d exported symbols, %zu pages, %zu names\n", symbols, files.n, named.n);
    CHECK(symbols > 60);

    /* Every .Xr reference resolves; the overview lists every page. */
    struct t_names overview_refs = {0};
    for (int i = 0; i < n_pages; i++) {
        const char *f = pages[i]->d_name;
        bool overview = strcmp(f, "nanasqlite.3") == 0, in_see_also = false;
        char path[512], line[4096];
        snprintf(path, sizeof path, "man/man3/%s", f);
        FILE *fp = fopen(path, "r");
        CHECK(fp != NULL);
        while (fgets(line, sizeof line, fp)) {
            if (strncmp(line, ".Sh ", 4) == 0)
                in_see_also = strncmp(line + 4, "SEE ALSO", 8) == 0;
            /* .Xr may follow other macros on a line: find each. */
            for (char *x = strstr(line, "Xr "); x; x = strstr(x + 3, "Xr ")) {
                char name[256] = "", section[16] = "";
                if (sscanf(x + 3, "%255s %15s", name, section) != 2 || strcmp(section, "3") != 0)
                    continue;
                if (overview && in_see_also)
                    t_names_add(&overview_refs, name, strlen(name));
                if (!t_names_has(&files, name) && !foreign(name)) {
                    fprintf(stderr, "%s: .Xr %s 3, but there is no man/man3/%s.3\n", f, name,
                            name);
                    failures++;
                }
            }
        }
        fclose(fp);
    }
    for (size_t i = 0; i < files.n; i++) {
        if (strcmp(files.v[i], "nanasqlite") != 0 && !t_names_has(&overview_refs, files.v[i])) {
            fprintf(stderr, "nanasqlite.3: SEE ALSO does not list %s(3)\n", files.v[i]);
            failures++;
        }
    }

    for (int i = 0; i < n_pages; i++)
        free(pages[i]);
    free(pages);
    t_names_free(&files);
    t_names_free(&named);
    t_names_free(&overview_refs);
    CHECK_INT(failures, 0);
    return 0;
}
