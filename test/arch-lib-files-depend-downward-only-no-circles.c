/*
 * The library's parts depend on each other one way only (lib/internal.h
 * draws the picture).  This reads, from `nm` of every object in
 * lib/libnanasqlite.a, the symbols each file of lib/ defines and the ones it
 * uses, and fails on any use that points up or sideways -- the engine
 * calling a dict or SQL file, future.c calling the engine, the cache or
 * the validators calling anything above them -- and on any circle.  A new
 * file must be given its place here.
 */
#include "harness.h"

/* Rank of each part: a file may use only files of a lower rank, and the
 * pairs listed in same_rank_ok. */
static const struct {
    const char *file;
    int rank;
} parts[] = {
    {"txn.o", 8},                                  /* transaction handles: views of handles */
    {"stats.o", 8},                                /* a snapshot of every part's counts */
    {"handle.o", 7},                                                        /* composition */
    {"kv.o", 6},     {"kvjob.o", 6},    {"sql.o", 6},                       /* operations */
    {"sqlhelpers.o", 6}, {"model.o", 6},
    {"kvrmw.o", 6},  {"kvscan.o", 6},   {"sqlutil.o", 6},
    {"backup.o", 6},
    {"kvhooks.o", 6},                                                       /* write hooks */
    {"table.o", 5},                                                         /* tables */
    {"authorize.o", 4}, {"engine.o", 4},                                    /* guard, engine */
    {"readers.o", 4},                                         /* the engine's reader lane */
    {"hooks.o", 4},                                                         /* hook sets */
    {"rows.o", 4},      {"cq.o", 4},        {"futuretext.o", 4},            /* future clients */
    {"backend.o", 3},   {"future.o", 3},                                    /* connections, futures */
    {"dqstmt.o", 3},                                   /* the statement seam over dqlite */
    {"expr.o", 3},                                                          /* query expressions */
    {"cache.o", 2},     {"cachepolicy.o", 2}, {"codec.o", 2},               /* leaves */
    {"dqconn.o", 2},                                          /* a dqlite node's connection */
    {"dqwire.o", 1},                                          /* dqlite's wire codec */
    {"json.o", 1},      {"validate.o", 1},  {"crypt.o", 1},               /* value AEAD */
    {"status.o", 0},
};
#define N_PARTS (sizeof parts / sizeof parts[0])

static const char *const same_rank_ok[][2] = {
    {"sqlhelpers.o", "sql.o"}, /* helpers submit through the SQL job */
    {"model.o", "kv.o"},       /* models are stored and read as dict values */
    {"kv.o", "kvjob.o"},       /* the dict job: built in kv.c, its ops in kvjob.c */
    {"kvrmw.o", "kv.o"},       /* read-modify-write: the dict's checks and pins */
    {"kvrmw.o", "kvjob.o"},    /* ... and its row and cache steps */
    {"kvscan.o", "kv.o"},      /* bulk and ordered reads: likewise */
    {"kvscan.o", "kvjob.o"},
    {"kvjob.o", "kvhooks.o"},  /* every dict write goes through the hook steps */
    {"kvrmw.o", "kvhooks.o"},
    {"sqlutil.o", "sql.o"},    /* export / import are SQL jobs */
    {"cache.o", "cachepolicy.o"}, /* the hash table and its bounded caches' list */
    {"engine.o", "readers.o"}, /* the engine runs turns on its reader lane */
};

static int part_index(const char *file)
{
    for (size_t i = 0; i < N_PARTS; i++)
        if (strcmp(parts[i].file, file) == 0)
            return (int)i;
    return -1;
}

#define MAX_SYMS 2048
static struct sym {
    char name[128];
    int file;
    bool defined;
} syms[MAX_SYMS];
static int n_syms;

static bool edge[N_PARTS][N_PARTS];
static char why[N_PARTS][N_PARTS][128]; /* one symbol behind each edge */

static int state[N_PARTS]; /* 0 unvisited, 1 on the stack, 2 done */
static int stack_[N_PARTS], depth;

static void find_circle(int v)
{
    state[v] = 1;
    stack_[depth++] = v;
    for (size_t w = 0; w < N_PARTS; w++) {
        if (!edge[v][w])
            continue;
        if (state[w] == 1) {
            char path[1024] = "";
            int from = depth - 1;
            while (stack_[from] != (int)w)
                from--;
            for (int k = from; k < depth; k++) {
                strncat(path, parts[stack_[k]].file, sizeof path - strlen(path) - 1);
                strncat(path, " -> ", sizeof path - strlen(path) - 1);
            }
            strncat(path, parts[w].file, sizeof path - strlen(path) - 1);
            t_fail(__FILE__, __LINE__, "circle: %s", path);
        }
        if (state[w] == 0)
            find_circle((int)w);
    }
    depth--;
    state[v] = 2;
}

int main(void)
{
    char *out;
    free(t_must(T_MAKE_PLAIN " all"));
    if (t_run_cmd("nm -A lib/libnanasqlite.a", &out) != 0)
        t_fail(__FILE__, __LINE__, "nm -A lib/libnanasqlite.a failed:\n%s", out);

    /* Lines: "lib/libnanasqlite.a:kv.o:0000000000000000 T nana_get" or
     * "lib/libnanasqlite.a:kv.o:                 U nana__engine_submit". */
    int n_objects = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *obj = strchr(line, ':');
        if (!obj)
            continue;
        obj++;
        char *colon = strchr(obj, ':');
        if (!colon)
            continue;
        *colon = '\0';
        int file = part_index(obj);
        if (file < 0)
            t_fail(__FILE__, __LINE__, "lib/%.*s has no place in the picture: give it a rank",
                   (int)(strlen(obj) - 2), obj);
        char f1[256], f2[256], f3[256];
        int n = sscanf(colon + 1, "%255s %255s %255s", f1, f2, f3);
        if (n < 2)
            continue;
        char type = n == 3 ? f2[0] : f1[0];
        const char *name = n == 3 ? f3 : f2;
        if (strncmp(name, "nana_", 5) != 0)
            continue;
        CHECK(n_syms < MAX_SYMS && strlen(name) < sizeof syms[0].name);
        snprintf(syms[n_syms].name, sizeof syms[n_syms].name, "%.127s", name);
        syms[n_syms].file = file;
        syms[n_syms].defined = type != 'U';
        n_syms++;
        n_objects |= 1;
    }
    free(out);
    CHECK(n_objects);

    int n_edges = 0;
    for (int u = 0; u < n_syms; u++) {
        if (syms[u].defined)
            continue;
        int owner = -1;
        for (int d = 0; d < n_syms; d++)
            if (syms[d].defined && strcmp(syms[d].name, syms[u].name) == 0)
                owner = syms[d].file;
        if (owner < 0 || owner == syms[u].file)
            continue; /* defined outside the library, or a file's own */
        int from = syms[u].file;
        if (!edge[from][owner]) {
            edge[from][owner] = true;
            snprintf(why[from][owner], sizeof why[from][owner], "%.127s", syms[u].name);
            n_edges++;
        }
    }
    CHECK(n_edges > 10); /* the parts do use each other: the reading worked */

    for (size_t a = 0; a < N_PARTS; a++) {
        for (size_t b = 0; b < N_PARTS; b++) {
            if (!edge[a][b] || parts[b].rank < parts[a].rank)
                continue;
            bool ok = false;
            for (size_t k = 0; k < sizeof same_rank_ok / sizeof same_rank_ok[0]; k++)
                ok |= strcmp(same_rank_ok[k][0], parts[a].file) == 0 &&
                      strcmp(same_rank_ok[k][1], parts[b].file) == 0;
            if (!ok)
                t_fail(__FILE__, __LINE__, "%s uses %s of %s: an arrow that points %s",
                       parts[a].file, why[a][b], parts[b].file,
                       parts[b].rank > parts[a].rank ? "up" : "sideways");
        }
    }
    for (size_t v = 0; v < N_PARTS; v++)
        if (state[v] == 0)
            find_circle((int)v);
    return 0;
}
