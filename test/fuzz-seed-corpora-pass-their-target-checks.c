/*
 * Every committed seed of every fuzz target (the files of fuzz/corpus/<target>) goes
 * through that target's check -- the same function libFuzzer calls, built
 * here with the suite's compiler and sanitizers, without libFuzzer -- so
 * the oracles run on every make test, asan, tsan and valgrind, even where
 * clang is missing.  A check that finds a violation aborts, naming the
 * input; a target without seeds fails.
 *
 * A seed must not meet a known bug (fuzz/known/README): the corpus holds
 * inputs that pass.  Reproducers of known bugs, fuzz/known/<target>/<id>.N,
 * are run too, and each must still meet its bug <id>: one that no longer
 * does fails the test, saying to move it into the corpus and drop the
 * tolerance in the check -- nothing is skipped without a word.
 *
 * Run by hand with a target's name and files, it runs just those (to
 * look at one input under gdb or valgrind).
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>

#include "../fuzz/fuzz.h"

struct target {
    const char *name;
    int (*check)(const uint8_t *data, size_t size);
};

#define FUZZ_TARGET_ENTRY(name) {#name, fuzz_check_##name},
static const struct target targets[] = {FUZZ_TARGET_LIST(FUZZ_TARGET_ENTRY)};
#undef FUZZ_TARGET_ENTRY

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        t_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap && !(buf = realloc(buf, cap = cap ? cap * 2 : 4096)))
            t_fail(__FILE__, __LINE__, "out of memory reading %s", path);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    CHECK(!ferror(f));
    fclose(f);
    *size = n;
    return buf;
}

static int not_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.' && strcmp(e->d_name, "README") != 0;
}

/* The files of dir, sorted; -1 when dir does not exist. */
static int list(const char *dir, struct dirent ***names)
{
    int n = scandir(dir, names, not_hidden, alphasort);
    if (n < 0 && errno != ENOENT)
        t_fail(__FILE__, __LINE__, "%s: %s (run from the repository root)", dir, strerror(errno));
    return n;
}

static void run(const struct target *t, const char *path)
{
    size_t size;
    uint8_t *data = read_file(path, &size);
    fuzz_set_input(data, size);
    t->check(data, size);
    fuzz_set_input(NULL, 0);
    free(data);
}

static int run_given(const char *name, char **files, int n)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        if (strcmp(targets[i].name, name) != 0)
            continue;
        for (int k = 0; k < n; k++) {
            run(&targets[i], files[k]);
            printf("%s: %s passes%s\n", name, files[k],
                   fuzz_known_total() ? " (meeting a known bug)" : "");
        }
        return 0;
    }
    fprintf(stderr, "no target %s\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 2)
        return run_given(argv[1], argv + 2, argc - 2);
    int seeds = 0, known = 0;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const struct target *t = &targets[i];
        char dir[256], path[512];
        struct dirent **names;

        snprintf(dir, sizeof dir, "fuzz/corpus/%s", t->name);
        int n = list(dir, &names);
        if (n <= 0)
            t_fail(__FILE__, __LINE__, "%s: no seeds for target %s", dir, t->name);
        for (int k = 0; k < n; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[k]->d_name);
            unsigned long before = fuzz_known_total();
            run(t, path);
            if (fuzz_known_total() != before)
                t_fail(__FILE__, __LINE__, "seed %s meets a known bug: it belongs in fuzz/known/",
                       path);
            free(names[k]);
        }
        free(names);
        printf("%s: %d seeds pass\n", t->name, n);
        seeds += n;

        snprintf(dir, sizeof dir, "fuzz/known/%s", t->name);
        n = list(dir, &names);
        for (int k = 0; k < n; k++) {
            char id[256];
            snprintf(id, sizeof id, "%s", names[k]->d_name);
            char *dot = strchr(id, '.');
            if (dot)
                *dot = '\0';
            snprintf(path, sizeof path, "%s/%s", dir, names[k]->d_name);
            unsigned long before = fuzz_known_count(id);
            run(t, path);
            if (fuzz_known_count(id) == before)
                t_fail(__FILE__, __LINE__,
                       "known bug %s no longer reproduces with %s: move it to fuzz/corpus/%s/, "
                       "drop the tolerance in fuzz/%s.c and its entry in fuzz/known/README",
                       id, path, t->name, t->name);
            printf("%s: known bug %s still present (%s)\n", t->name, id, path);
            free(names[k]);
            known++;
        }
        if (n > 0)
            free(names);
    }
    printf("%d seeds passed, %d known-bug reproducers still fail as recorded\n", seeds, known);
    return 0;
}
