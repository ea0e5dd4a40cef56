/*
 * The README and the overview page, nanasqlite(3), give the same link lines,
 * and every line either gives works as written.
 *   - Every `cc ...` line of the page's DESCRIPTION examples is in the
 *     README word for word, and every README line that builds against the
 *     installed library (a `cc` line without -Iinclude) is on the page.
 *   - The installed lines, run against `make install DESTDIR=<tmp>
 *     PREFIX=/usr` (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR pointing
 *     there), build a program that runs: the shared one with
 *     LD_LIBRARY_PATH=<tmp>/usr/lib, the -static one as it is.
 *   - The README's from-the-checkout lines, run from the repository root,
 *     build a program that runs the way the line after each says: the
 *     shared one with LD_LIBRARY_PATH=lib, the static one as it is, not
 *     needing libnanasqlite.so at all.
 * app.c is a small program of our own (the README's fragment is not one).
 */
#include "harness.h"

#include <limits.h>

/* Opens a file next to its own source (so that it writes nowhere else),
 * stores and reads back a value. */
static const char app[] =
    "#include <nanasqlite.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "int main(void)\n"
    "{\n"
    "    char path[4096];\n"
    "    snprintf(path, sizeof path, \"%s.db\", __FILE__);\n"
    "    nana_db_t *db;\n"
    "    if (nana_open(path, NULL, &db) != NANA_OK)\n"
    "        return 2;\n"
    "    json_t *v = json_string(\"Nana\");\n"
    "    nana_future_t *set = nana_set(db, \"user\", v);\n"
    "    json_decref(v);\n"
    "    nana_future_t *get = nana_get(db, \"user\", NULL);\n"
    "    int ok = nana_future_await(get) == NANA_OK &&\n"
    "             strcmp(json_string_value(nana_future_json(get)), \"Nana\") == 0;\n"
    "    ok = nana_future_await(set) == NANA_OK && ok;\n"
    "    nana_future_free(set);\n"
    "    nana_future_free(get);\n"
    "    nana_close(db);\n"
    "    puts(ok ? \"app: ok\" : \"app: FAILED\");\n"
    "    return ok ? 0 : 1;\n"
    "}\n";

#define MAX_LINES 64

struct lines {
    char *v[MAX_LINES];
    int n;
};

static void add(struct lines *l, const char *s, size_t len)
{
    CHECK(l->n < MAX_LINES);
    l->v[l->n] = strndup(s, len);
    CHECK(l->v[l->n] != NULL);
    l->n++;
}

static void drop(struct lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static bool has(const struct lines *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* Replaces the word app.c of line with path; malloc'd. */
static char *with_source(const char *line, const char *path)
{
    const char *at = strstr(line, " app.c ");
    if (!at)
        t_fail(__FILE__, __LINE__, "no app.c in: %s", line);
    char *out;
    CHECK(asprintf(&out, "%.*s '%s' %s", (int)(at - line), line, path, at + 7) > 0);
    return out;
}

int main(void)
{
    /* The page's literal `cc` lines in DESCRIPTION. */
    struct lines page = {0}, readme_installed = {0}, readme_checkout = {0}, readme_run = {0};
    char *man = t_slurp("man/man3/nanasqlite.3");
    bool description = false, literal = false;
    for (char *line = strtok(man, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, ".Sh ", 4) == 0)
            description = strcmp(line, ".Sh DESCRIPTION") == 0;
        else if (strncmp(line, ".Bd -literal", 12) == 0)
            literal = true;
        else if (strncmp(line, ".Ed", 3) == 0)
            literal = false;
        else if (description && literal && strncmp(line, "cc ", 3) == 0)
            add(&page, line, strlen(line));
    }
    free(man);
    CHECK(page.n >= 2);

    /* The README's: indented `cc` lines, and the line after each checkout one. */
    char *readme = t_slurp("README");
    char *prev_checkout = NULL;
    for (char *line = strtok(readme, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "    ", 4) != 0) {
            prev_checkout = NULL;
            continue;
        }
        const char *code = line + 4;
        if (prev_checkout) {
            add(&readme_run, code, strlen(code));
            prev_checkout = NULL;
        }
        if (strncmp(code, "cc ", 3) != 0)
            continue;
        if (strstr(code, "-Iinclude")) {
            add(&readme_checkout, code, strlen(code));
            prev_checkout = line;
        } else if (!has(&readme_installed, code)) {
            add(&readme_installed, code, strlen(code));
        }
    }
    free(readme);

    int failures = 0;
    for (int i = 0; i < page.n; i++)
        if (!has(&readme_installed, page.v[i])) {
            fprintf(stderr, "nanasqlite.3 gives \"%s\", the README does not\n", page.v[i]);
            failures++;
        }
    for (int i = 0; i < readme_installed.n; i++)
        if (!has(&page, readme_installed.v[i])) {
            fprintf(stderr, "the README gives \"%s\", nanasqlite.3 does not\n",
                    readme_installed.v[i]);
            failures++;
        }
    CHECK_INT(failures, 0);
    CHECK_INT(readme_run.n, readme_checkout.n);
    CHECK(readme_checkout.n >= 2);
    printf("%d link lines agree; %d from-the-checkout lines\n", page.n, readme_checkout.n);

    char src[1024], cmd[16384], stage[1024], prog[1100];
    snprintf(src, sizeof src, "%s/app.c", t_dir());
    FILE *fp = fopen(src, "w");
    CHECK(fp != NULL);
    CHECK(fputs(app, fp) >= 0);
    CHECK(fclose(fp) == 0);

    char *out;
    free(t_must(T_MAKE_PLAIN " all"));

    /* Installed lines, against a staged install. */
    snprintf(stage, sizeof stage, "%s/stage", t_dir());
    snprintf(cmd, sizeof cmd, T_MAKE_PLAIN " install DESTDIR='%s' PREFIX=/usr", stage);
    free(t_must(cmd));
    for (int i = 0; i < page.n; i++) {
        snprintf(prog, sizeof prog, "%s/installed-%d", t_dir(), i);
        char *line = with_source(page.v[i], src);
        snprintf(cmd, sizeof cmd,
                 "export PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='%s'; "
                 "%s -o '%s'",
                 stage, stage, line, prog);
        free(line);
        free(t_must(cmd));
        snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s/usr/lib' '%s'", stage, prog);
        out = t_must(cmd);
        if (!strstr(out, "app: ok"))
            t_fail(__FILE__, __LINE__, "%s: %s", page.v[i], out);
        free(out);
        printf("ok: %s\n", page.v[i]);
    }

    /* From the checkout, run as the README says. */
    for (int i = 0; i < readme_checkout.n; i++) {
        snprintf(prog, sizeof prog, "%s/checkout-%d", t_dir(), i);
        char *line = with_source(readme_checkout.v[i], src);
        snprintf(cmd, sizeof cmd, "%s -o '%s'", line, prog);
        free(line);
        free(t_must(cmd));
        const char *run = readme_run.v[i], *a_out = strstr(run, "./a.out");
        if (!a_out || strcmp(a_out, "./a.out") != 0)
            t_fail(__FILE__, __LINE__, "after \"%s\" the README says \"%s\", not how to run ./a.out",
                   readme_checkout.v[i], run);
        snprintf(cmd, sizeof cmd, "env -u LD_LIBRARY_PATH %.*s'%s'", (int)(a_out - run), run, prog);
        out = t_must(cmd);
        if (!strstr(out, "app: ok"))
            t_fail(__FILE__, __LINE__, "%s: %s", cmd, out);
        free(out);
        if (!strstr(run, "LD_LIBRARY_PATH")) {
            /* run as it is: it must not need the shared library */
            snprintf(cmd, sizeof cmd, "readelf -d '%s'", prog);
            out = t_must(cmd);
            if (strstr(out, "libnanasqlite"))
                t_fail(__FILE__, __LINE__, "\"%s\" runs without LD_LIBRARY_PATH but needs "
                       "libnanasqlite.so:\n%s", readme_checkout.v[i], out);
            free(out);
        }
        printf("ok: %s, then %s\n", readme_checkout.v[i], run);
    }
    drop(&page);
    drop(&readme_installed);
    drop(&readme_checkout);
    drop(&readme_run);
    return 0;
}
