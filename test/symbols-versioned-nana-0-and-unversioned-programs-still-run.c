/*
 * Every exported name carries the version node of lib/nanasqlite.map,
 * NANA_<MAJOR>, and that breaks no program built before it had one.
 *   - The map's node is NANA_<NANA_VERSION_MAJOR>; lib/libnanasqlite.so
 *     defines it (readelf -V: .gnu.version_d), and every nana_* symbol it
 *     exports is nana_xxx@@NANA_<MAJOR> (readelf --dyn-syms): the default
 *     version, so that linking needs no version named -- or, for a name a
 *     later node of the map lists (a function added in 0.y: NANA_0.y),
 *     nana_xxx@@NANA_0.y, a node the library defines too.
 *   - A program linked against it requires NANA_<MAJOR> (.gnu.version_r):
 *     a library that has versions but not that one is refused at load time,
 *     not on a call later.
 *   - A program linked against a build with no version node (the same
 *     archive linked without the map: what 0.1.0 installed before the node
 *     was named) runs against the versioned library with no warning, and a
 *     program linked against the versioned one still runs against that
 *     unversioned build (the loader only warns).
 */
#include "harness.h"

#include <ctype.h>

static const char program[] =
    "#include <nanasqlite.h>\n"
    "#include <stdio.h>\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    nana_db_t *db;\n"
    "    if (argc != 2 || nana_open(argv[1], NULL, &db) != NANA_OK)\n"
    "        return 2;\n"
    "    json_t *v = json_integer(42);\n"
    "    nana_future_t *set = nana_set(db, \"k\", v);\n"
    "    json_decref(v);\n"
    "    nana_future_t *get = nana_get(db, \"k\", NULL);\n"
    "    int ok = nana_future_await(set) == NANA_OK && nana_future_await(get) == NANA_OK &&\n"
    "             json_integer_value(nana_future_json(get)) == 42;\n"
    "    nana_future_free(set);\n"
    "    nana_future_free(get);\n"
    "    nana_close(db);\n"
    "    printf(\"%s %d\\n\", ok ? \"ok\" : \"FAILED\", nana_libversion_number());\n"
    "    return ok ? 0 : 1;\n"
    "}\n";

/* The name of the map's first version node: the first `NAME {` outside
 * comments. */
static void map_node(char *node, size_t size)
{
    FILE *fp = fopen("lib/nanasqlite.map", "r");
    if (!fp)
        t_fail(__FILE__, __LINE__, "lib/nanasqlite.map: cannot open (run from the repository root)");
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    for (char *c = strstr(text, "/*"); c; c = strstr(c, "/*")) {
        char *end = strstr(c + 2, "*/");
        end = end ? end + 2 : text + n;
        memset(c, ' ', (size_t)(end - c));
    }
    node[0] = '\0';
    char *brace = strchr(text, '{');
    CHECK(brace != NULL);
    char *q = brace;
    while (q > text && isspace((unsigned char)q[-1]))
        q--;
    char *p = q;
    while (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))
        p--;
    snprintf(node, size, "%.*s", (int)(q - p), p);
}

/* The nodes after the first and the names each lists: "NODE { global:
 * name; ... } PARENT;", comments blanked. */
#define MAX_LATER 16
static struct later_node {
    char name[64];
    struct t_names names;
} later[MAX_LATER];
static int n_later;

static void later_nodes(void)
{
    char *text = t_slurp("lib/nanasqlite.map");
    for (char *c = strstr(text, "/*"); c; c = strstr(c, "/*")) {
        char *end = strstr(c + 2, "*/");
        end = end ? end + 2 : c + strlen(c);
        memset(c, ' ', (size_t)(end - c));
    }
    char *p = strchr(text, '}'); /* the first node's end */
    while (p && (p = strchr(p, ';'))) {
        char node[64];
        int used = 0;
        p++;
        if (sscanf(p, " %63[A-Za-z0-9_.] {%n", node, &used) != 1 || used == 0)
            break;
        CHECK(n_later < MAX_LATER);
        struct later_node *ln = &later[n_later++];
        snprintf(ln->name, sizeof ln->name, "%s", node);
        char *end = strchr(p, '}');
        CHECK(end != NULL);
        *end = '\0';
        char *globals = strstr(p, "global:");
        CHECK(globals != NULL);
        for (char *tok = strtok(globals + 7, " \t\n;"); tok; tok = strtok(NULL, " \t\n;")) {
            if (strcmp(tok, "local:") == 0)
                break;
            t_names_add(&ln->names, tok, strlen(tok));
        }
        p = end + 1;
    }
    free(text);
}

/* The node a name must carry: a later node that lists it, else first. */
static const char *node_of(const char *name, const char *first)
{
    for (int i = 0; i < n_later; i++)
        if (t_names_has(&later[i].names, name))
            return later[i].name;
    return first;
}

int main(void)
{
    char *out;
    free(t_must(T_MAKE_PLAIN " all"));

    char node[128], want[256], cmd[16384];
    map_node(node, sizeof node);
    snprintf(want, sizeof want, "NANA_%d", NANA_VERSION_MAJOR);
    if (strcmp(node, want) != 0)
        t_fail(__FILE__, __LINE__, "lib/nanasqlite.map's version node is \"%s\", want %s", node,
               want);

    later_nodes();
    out = t_must("readelf -V -W lib/libnanasqlite.so");
    char *def = strstr(out, ".gnu.version_d");
    for (int i = -1; i < n_later; i++) {
        const char *name = i < 0 ? node : later[i].name;
        snprintf(want, sizeof want, "Name: %s", name);
        if (!def || !strstr(def, want))
            t_fail(__FILE__, __LINE__, "lib/libnanasqlite.so defines no version %s:\n%s", name,
                   out);
    }
    free(out);

    /* Every defined nana_ symbol: nana_xxx@@NODE. */
    out = t_must("readelf --dyn-syms -W lib/libnanasqlite.so");
    int versioned = 0, failures = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char num[32], value[64], size[32], type[32], bind[32], vis[32], ndx[32], name[512];
        if (sscanf(line, "%31s %63s %31s %31s %31s %31s %31s %511s", num, value, size, type, bind,
                   vis, ndx, name) != 8)
            continue;
        if (strncmp(name, "nana_", 5) != 0 || strcmp(ndx, "UND") == 0)
            continue;
        char *at = strchr(name, '@');
        if (at)
            *at = '\0';
        const char *expected = node_of(name, node);
        if (!at || strncmp(at + 1, "@", 1) != 0 || strcmp(at + 2, expected) != 0) {
            fprintf(stderr, "%s: exported without the default version %s\n", name, expected);
            failures++;
        } else {
            versioned++;
        }
    }
    free(out);
    printf("%d symbols exported as name@@%s", versioned, node);
    for (int i = 0; i < n_later; i++)
        printf(" or name@@%s (%zu names)", later[i].name, later[i].names.n);
    printf("\n");
    CHECK(versioned > 60);
    CHECK_INT(failures, 0);

    /* An unversioned build of the same archive, as 0.1.0 installed it. */
    char old_dir[1100], new_prog[1100], old_prog[1100], src[1100];
    snprintf(old_dir, sizeof old_dir, "%s/unversioned", t_dir());
    snprintf(src, sizeof src, "%s/program.c", t_dir());
    snprintf(new_prog, sizeof new_prog, "%s/linked-versioned", t_dir());
    snprintf(old_prog, sizeof old_prog, "%s/linked-unversioned", t_dir());
    FILE *fp = fopen(src, "w");
    CHECK(fp != NULL);
    CHECK(fputs(program, fp) >= 0);
    CHECK(fclose(fp) == 0);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && ${CC:-cc} -shared -Wl,-soname,libnanasqlite.so.%d -o "
             "'%s/libnanasqlite.so.%d' -Wl,--whole-archive lib/libnanasqlite.a "
             "-Wl,--no-whole-archive $(pkg-config --libs sqlite3 jansson libcrypto) -lpthread && "
             "ln -sf libnanasqlite.so.%d '%s/libnanasqlite.so'",
             old_dir, NANA_VERSION_MAJOR, old_dir, NANA_VERSION_MAJOR, NANA_VERSION_MAJOR,
             old_dir);
    free(t_must(cmd));
    snprintf(cmd, sizeof cmd, "readelf -V -W '%s/libnanasqlite.so'", old_dir);
    out = t_must(cmd);
    CHECK(strstr(out, ".gnu.version_d") == NULL);
    free(out);

    const char *link = "${CC:-cc} -std=c11 -Wall -Wextra -Iinclude $(pkg-config --cflags jansson)";
    snprintf(cmd, sizeof cmd, "%s '%s' -o '%s' -Llib -lnanasqlite $(pkg-config --libs jansson)",
             link, src, new_prog);
    free(t_must(cmd));
    snprintf(cmd, sizeof cmd, "%s '%s' -o '%s' -L'%s' -lnanasqlite $(pkg-config --libs jansson)",
             link, src, old_prog, old_dir);
    free(t_must(cmd));

    /* What each program requires of the library. */
    snprintf(want, sizeof want, "Name: %s", node);
    snprintf(cmd, sizeof cmd, "readelf -V -W '%s'", new_prog);
    out = t_must(cmd);
    char *need = strstr(out, ".gnu.version_r");
    if (!need || !strstr(need, want))
        t_fail(__FILE__, __LINE__, "a program linked against lib/ does not require %s:\n%s", node,
               out);
    free(out);
    snprintf(cmd, sizeof cmd, "readelf -V -W '%s'", old_prog);
    out = t_must(cmd);
    if (strstr(out, want))
        t_fail(__FILE__, __LINE__, "the unversioned program requires %s:\n%s", node, out);
    free(out);

    /* Old program, new library: runs, and the loader says nothing. */
    char expect[64];
    snprintf(expect, sizeof expect, "ok %d\n", NANA_VERSION_NUMBER);
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH=\"$PWD/lib\" '%s' '%s/old.db'", old_prog, t_dir());
    out = t_must(cmd);
    if (strcmp(out, expect) != 0)
        t_fail(__FILE__, __LINE__, "the unversioned program against lib/: \"%s\", want \"%s\"",
               out, expect);
    free(out);
    printf("a program linked without versions runs against the %s library\n", node);

    /* New program, old library: runs (the loader warns about the missing
     * version information, which is all it may do). */
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s' '%s' '%s/new.db'", old_dir, new_prog, t_dir());
    out = t_must(cmd);
    if (!strstr(out, expect))
        t_fail(__FILE__, __LINE__, "the versioned program against the unversioned build: \"%s\"",
               out);
    printf("a program linked against %s runs against the unversioned build; the loader said: %s",
           node, out);
    free(out);
    return 0;
}
