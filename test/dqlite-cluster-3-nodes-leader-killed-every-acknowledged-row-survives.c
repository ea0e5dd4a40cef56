/*
 * Three dqlite nodes (test/dqnode/node.c) as child processes on 127.0.0.1,
 * joined into one cluster with ADD + ASSIGN through the library's wire
 * client (lib/dqconn.c).  Four threads, each on a connection of its own,
 * insert rows through the leader with a prepared statement; the leader is
 * SIGKILLed mid-load; every writer finds the new leader through the
 * client's discovery and goes on.  Then leadership is handed to each
 * surviving node in turn (TRANSFER: dqlite 1.11 serves queries on the
 * leader only) and every acknowledged row is read back through it, with
 * its payload, as a multi-part result.  A write whose outcome the client
 * reported unknown (leadership lost, connection dropped) is retried with
 * ON CONFLICT DO NOTHING, so that it ends in the table exactly once.
 *
 * SIGPIPE is left at its default: after the kill, a large request is sent
 * on a connection to the dead leader, and the client must say NANA_DQ_EIO
 * rather than let the process die.  Waits on the nodes (an election, a
 * node's start) are bounded polls with deadlines: they are other
 * processes, with nothing of theirs to wait on.  Figures are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#include "dqlite.h"
#include "dqnode/run.h"

#define N_NODES 3
#define N_WRITERS 4
#define MAX_ROWS 200000 /* per writer: far more than the test reaches */
#define ACKS_BEFORE_KILL 300
#define ACKS_AFTER_KILL 150 /* per writer */
#define DEADLINE_S 50       /* the whole scenario */

static char cluster_dir[4096];
static char addresses[N_NODES][64];
static const char *address_list[N_NODES];
static pid_t pids[N_NODES];
static int64_t started_ms;

/* ------------------------------------------------------------ the nodes */

/* Runs at exit, also after a failed CHECK: no node outlives the test, and
 * no data directory stays behind. */
static void cleanup(void)
{
    for (int i = 0; i < N_NODES; i++) {
        int status;
        if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
            /* A node that ended on its own: the report says how. */
            fprintf(stderr, "node %d had ended: %s %d\n", i + 1,
                    WIFSIGNALED(status) ? "signal" : "exit",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            pids[i] = 0;
        }
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
    if (cluster_dir[0])
        dqnode_remove_tree(cluster_dir);
}

static void check_time(void)
{
    if (t_now_ms() - started_ms > DEADLINE_S * 1000)
        t_fail(__FILE__, __LINE__, "the scenario took more than %d s", DEADLINE_S);
}

/* Three distinct free ports. */
static void pick_ports(void)
{
    dqnode_pick_addresses(addresses, N_NODES);
    for (int i = 0; i < N_NODES; i++)
        address_list[i] = addresses[i];
}

/* Starts node i (id i + 1) and waits for its "ready". */
static void start_node(int i)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/node%d", cluster_dir, i + 1);
    /* 100 ms of network latency: a 1.5 s election timeout. */
    pids[i] = dqnode_start(i + 1, addresses[i], dir, "100");
}

static int node_of(const char *address)
{
    for (int i = 0; i < N_NODES; i++)
        if (strcmp(address, addresses[i]) == 0)
            return i;
    t_fail(__FILE__, __LINE__, "%s is no node of the test", address);
}

static struct nana_dq_target target(const char *database)
{
    /* 300 passes 50 ms apart: 15 s, the bound on an election here. */
    return (struct nana_dq_target){
        .addresses = address_list,
        .n_addresses = N_NODES,
        .database = database,
        .client_id = 7,
        .timeout_ms = 3000,
        .rounds = 300,
        .pause_ms = 50,
    };
}

static struct nana_dqconn *leader_conn(const char *database)
{
    struct nana_dq_target t = target(database);
    struct nana_dqconn *c = NULL;
    char why[512] = "";
    int rc = nana__dqconn_reconnect(&t, &c, why, sizeof why);
    if (rc) {
        /* What each node believes, for the report. */
        for (int i = 0; i < N_NODES; i++) {
            struct nana_dqconn *probe;
            uint64_t id = 0;
            const char *named = "";
            int probe_rc = nana__dqconn_connect(addresses[i], 1000, &probe);
            if (!probe_rc)
                probe_rc = nana__dqconn_leader(probe, &id, &named);
            fprintf(stderr, "node %d (%s): %s, leader %llu \"%s\"\n", i + 1, addresses[i],
                    nana__dqwire_strerror(probe_rc), (unsigned long long)id,
                    probe_rc ? "" : named);
            nana__dqconn_close(probe_rc ? NULL : probe);
        }
        t_fail(__FILE__, __LINE__, "no leader: %s (%s)", nana__dqwire_strerror(rc), why);
    }
    return c;
}

#define DQ_OK(c, expr)                                                                    \
    do {                                                                                  \
        int rc_ = (expr);                                                                 \
        if (rc_ != NANA_DQ_OK)                                                            \
            t_fail(__FILE__, __LINE__, "%s: %s: %s", #expr, nana__dqwire_strerror(rc_),   \
                   nana__dqconn_fail_message(c));                                         \
    } while (0)

/* ----------------------------------------------------------- the writers */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;
static bool stop;
static int64_t kill_ms;           /* when the leader was killed; 0 before */
static int64_t first_ack_after_kill_ms;
static int acks_total;
static int acks_after_kill[N_WRITERS];
static int unknown_outcomes, unknown_that_had_committed, not_leader_refusals, busy_retries;
static int reconnects;

struct writer {
    int index;
    int next_seq;                 /* rows 0 .. next_seq - 1 were attempted */
    bool *acked;                  /* MAX_ROWS */
};

static void payload(char *buf, size_t size, int w, int seq)
{
    snprintf(buf, size, "writer %d row %d %0*d", w, seq, 40 + seq % 50, seq);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct nana_dq_target t = target("cluster.db");
    struct nana_dqconn *c = leader_conn("cluster.db");
    uint32_t stmt;
    const char *sql = "INSERT INTO items (id, writer, seq, payload) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (id) DO NOTHING";
    DQ_OK(c, nana__dqconn_prepare(c, sql, &stmt, NULL));
    bool retrying_unknown = false;
    unsigned busy_streak = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        bool done = stop;
        pthread_mutex_unlock(&lock);
        if (done && !retrying_unknown)
            break;
        check_time();
        int seq = w->next_seq;
        CHECK(seq < MAX_ROWS);
        char text[128];
        payload(text, sizeof text, w->index, seq);
        struct nana_dq_value p[4] = {
            {.type = NANA_DQ_INTEGER, .integer = (int64_t)w->index * MAX_ROWS + seq},
            {.type = NANA_DQ_INTEGER, .integer = w->index},
            {.type = NANA_DQ_INTEGER, .integer = seq},
            {.type = NANA_DQ_TEXT, .text = {text, strlen(text)}},
        };
        struct nana_dq_result res;
        int rc = nana__dqconn_exec(c, stmt, p, 4, &res);
        if (rc == NANA_DQ_OK) {
            CHECK(res.rows_affected <= 1);
            w->acked[seq] = true;
            w->next_seq++;
            pthread_mutex_lock(&lock);
            if (retrying_unknown && res.rows_affected == 0)
                unknown_that_had_committed++;
            acks_total++;
            if (kill_ms) {
                if (!first_ack_after_kill_ms)
                    first_ack_after_kill_ms = t_now_ms();
                acks_after_kill[w->index]++;
            }
            pthread_cond_broadcast(&progress);
            pthread_mutex_unlock(&lock);
            retrying_unknown = false;
            busy_streak = 0;
            continue;
        }
        if (rc == NANA_DQ_EFAIL && (nana__dqconn_fail_code(c) & 0xff) == 5 /* SQLITE_BUSY */) {
            /* Another connection's write, or a checkpoint, holds the
             * database: the statement did not run; the same row again.
             * A dqlite leader answers BUSY at once rather than wait, so
             * the writer backs off as SQLite's busy handler would (this
             * is contention, not a wait for an event: nothing to wait
             * on exists across connections). */
            pthread_mutex_lock(&lock);
            busy_retries++;
            pthread_mutex_unlock(&lock);
            struct timespec backoff = {0, (long)(1 + busy_streak % 8) * 500000};
            busy_streak++;
            nanosleep(&backoff, NULL);
            continue;
        }
        if (!nana__dqconn_rc_wants_reconnect(rc))
            t_fail(__FILE__, __LINE__, "writer %d row %d: %s: %s (code %llu)", w->index, seq,
                   nana__dqwire_strerror(rc), nana__dqconn_fail_message(c),
                   (unsigned long long)nana__dqconn_fail_code(c));
        pthread_mutex_lock(&lock);
        if (rc == NANA_DQ_ENOTLEADER)
            not_leader_refusals++; /* refused before it ran: no doubt */
        else if (!retrying_unknown)
            unknown_outcomes++;
        reconnects++;
        pthread_mutex_unlock(&lock);
        retrying_unknown |= rc != NANA_DQ_ENOTLEADER;
        char why[512] = "";
        rc = nana__dqconn_reconnect(&t, &c, why, sizeof why);
        if (rc)
            t_fail(__FILE__, __LINE__, "writer %d: no new leader: %s (%s)", w->index,
                   nana__dqwire_strerror(rc), why);
        DQ_OK(c, nana__dqconn_prepare(c, sql, &stmt, NULL));
    }
    DQ_OK(c, nana__dqconn_finalize(c, stmt));
    nana__dqconn_close(c);
    return NULL;
}

/* Waits (on the writers' progress: threads of ours) until cond holds. */
static void wait_progress(bool (*cond)(void), const char *what)
{
    pthread_mutex_lock(&lock);
    while (!cond()) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&progress, &lock, &until);
        if (t_now_ms() - started_ms > DEADLINE_S * 1000) {
            pthread_mutex_unlock(&lock);
            t_fail(__FILE__, __LINE__, "timed out waiting for %s (%d acknowledged)", what,
                   acks_total);
        }
    }
    pthread_mutex_unlock(&lock);
}

static bool enough_before_kill(void)
{
    return acks_total >= ACKS_BEFORE_KILL;
}

static bool enough_after_kill(void)
{
    for (int i = 0; i < N_WRITERS; i++)
        if (acks_after_kill[i] < ACKS_AFTER_KILL)
            return false;
    return true;
}

/* ------------------------------------------------------------- checking */

/* Makes node i the leader (TRANSFER from the current one) and returns a
 * connection to it with the database open. */
static struct nana_dqconn *lead_from(int i)
{
    for (;;) {
        check_time();
        struct nana_dqconn *c = leader_conn("cluster.db");
        if (node_of(nana__dqconn_address(c)) == i)
            return c;
        int rc = nana__dqconn_transfer(c, (uint64_t)i + 1);
        if (rc != NANA_DQ_OK && !nana__dqconn_rc_wants_reconnect(rc) && rc != NANA_DQ_EFAIL)
            t_fail(__FILE__, __LINE__, "transfer to node %d: %s", i + 1,
                   nana__dqwire_strerror(rc));
        nana__dqconn_close(c);
    }
}

/* Every acknowledged row, read through node i, with its payload; no row
 * that was never attempted.  Returns how many rows the table holds. */
static int check_rows_through(int i, struct writer *writers)
{
    struct nana_dqconn *c = lead_from(i);
    DQ_OK(c, nana__dqconn_query_sql(c, "SELECT id, writer, seq, payload FROM items ORDER BY id",
                                    NULL, 0));
    CHECK_INT(nana__dqconn_column_count(c), 4);
    CHECK_STR(nana__dqconn_column_name(c, 3), "payload");
    static bool seen[N_WRITERS][MAX_ROWS];
    memset(seen, 0, sizeof seen);
    const struct nana_dq_value *v;
    int rc, rows = 0;
    while ((rc = nana__dqconn_step(c, &v)) == NANA_DQ_ROW) {
        CHECK_INT(v[1].type, NANA_DQ_INTEGER);
        int w = (int)v[1].integer, seq = (int)v[2].integer;
        CHECK(w >= 0 && w < N_WRITERS && seq >= 0 && seq < writers[w].next_seq);
        CHECK_INT(v[0].integer, (int64_t)w * MAX_ROWS + seq);
        CHECK(!seen[w][seq]);
        seen[w][seq] = true;
        char want[128];
        payload(want, sizeof want, w, seq);
        CHECK_INT(v[3].type, NANA_DQ_TEXT);
        CHECK_STR(v[3].text.ptr, want);
        rows++;
    }
    if (rc != NANA_DQ_DONE)
        t_fail(__FILE__, __LINE__, "reading through node %d: %s: %s", i + 1,
               nana__dqwire_strerror(rc), nana__dqconn_fail_message(c));
    int lost = 0;
    for (int w = 0; w < N_WRITERS; w++)
        for (int seq = 0; seq < writers[w].next_seq; seq++)
            lost += writers[w].acked[seq] && !seen[w][seq];
    if (lost)
        t_fail(__FILE__, __LINE__, "node %d lacks %d acknowledged rows", i + 1, lost);
    nana__dqconn_close(c);
    return rows;
}

int main(void)
{
    started_ms = t_now_ms();
    /* The point is that nothing needs SIGPIPE ignored. */
    struct sigaction sa;
    CHECK(sigaction(SIGPIPE, NULL, &sa) == 0);
    CHECK(sa.sa_handler == SIG_DFL);

    snprintf(cluster_dir, sizeof cluster_dir, "%s", t_path("cluster"));
    CHECK(mkdir(cluster_dir, 0755) == 0);
    atexit(cleanup);
    pick_ports();
    for (int i = 0; i < N_NODES; i++)
        start_node(i);

    /* Node 1 bootstrapped a cluster of itself; 2 and 3 join as voters. */
    struct nana_dqconn *admin = leader_conn(NULL);
    CHECK_INT(node_of(nana__dqconn_address(admin)), 0);
    for (int i = 1; i < N_NODES; i++) {
        DQ_OK(admin, nana__dqconn_add(admin, (uint64_t)i + 1, addresses[i]));
        DQ_OK(admin, nana__dqconn_assign(admin, (uint64_t)i + 1, NANA_DQ_VOTER));
    }
    struct nana_dq_node *members;
    size_t n_members;
    DQ_OK(admin, nana__dqconn_cluster(admin, &members, &n_members));
    CHECK_INT(n_members, N_NODES);
    for (size_t i = 0; i < n_members; i++) {
        CHECK_INT(members[i].role, NANA_DQ_VOTER);
        CHECK_INT(node_of(members[i].address), (int)members[i].id - 1);
    }
    free(members);
    DQ_OK(admin, nana__dqconn_open(admin, "cluster.db"));
    DQ_OK(admin, nana__dqconn_exec_sql(admin,
                                       "CREATE TABLE items (id INTEGER PRIMARY KEY, writer "
                                       "INTEGER NOT NULL, seq INTEGER NOT NULL, payload TEXT)",
                                       NULL, 0, NULL));
    nana__dqconn_close(admin);
    int64_t joined_ms = t_now_ms();

    struct writer writers[N_WRITERS];
    pthread_t threads[N_WRITERS];
    for (int i = 0; i < N_WRITERS; i++) {
        writers[i] = (struct writer){.index = i, .acked = calloc(MAX_ROWS, sizeof(bool))};
        CHECK(writers[i].acked);
        CHECK(pthread_create(&threads[i], NULL, writer_main, &writers[i]) == 0);
    }
    wait_progress(enough_before_kill, "writes before the kill");

    /* A connection to the leader that will outlive it. */
    struct nana_dqconn *doomed = leader_conn("cluster.db");
    int victim = node_of(nana__dqconn_address(doomed));
    pthread_mutex_lock(&lock);
    int acks_at_kill = acks_total;
    kill_ms = t_now_ms();
    CHECK(kill(pids[victim], SIGKILL) == 0);
    fprintf(stderr, "killed node %d, the leader\n", victim + 1);
    pthread_mutex_unlock(&lock);
    CHECK(waitpid(pids[victim], NULL, 0) == pids[victim]);
    pids[victim] = 0;

    /* 8 MiB to a dead peer: the send loop meets the reset (EPIPE). */
    size_t big_len = (size_t)8 << 20;
    char *big = malloc(big_len);
    CHECK(big);
    memset(big, 'x', big_len);
    struct nana_dq_value big_param = {.type = NANA_DQ_BLOB, .blob = {big, big_len}};
    int rc = nana__dqconn_exec_sql(doomed, "INSERT INTO items (writer, seq, payload) VALUES "
                                           "(-1, -1, ?)",
                                   &big_param, 1, NULL);
    CHECK(rc == NANA_DQ_EIO);
    CHECK(nana__dqconn_rc_wants_reconnect(rc));
    CHECK_INT(nana__dqconn_exec_sql(doomed, "SELECT 1", NULL, 0, NULL), NANA_DQ_EIO);
    nana__dqconn_close(doomed);
    free(big);

    /* The client's discovery finds the new leader. */
    struct nana_dqconn *after = leader_conn("cluster.db");
    int64_t discovered_ms = t_now_ms();
    int new_leader = node_of(nana__dqconn_address(after));
    CHECK(new_leader != victim);
    nana__dqconn_close(after);

    wait_progress(enough_after_kill, "writes after the kill");
    pthread_mutex_lock(&lock);
    stop = true;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < N_WRITERS; i++)
        pthread_join(threads[i], NULL);

    int acked = 0, attempted = 0;
    for (int w = 0; w < N_WRITERS; w++) {
        attempted += writers[w].next_seq;
        for (int seq = 0; seq < writers[w].next_seq; seq++)
            acked += writers[w].acked[seq];
    }
    CHECK_INT(acked, acks_total);
    CHECK_INT(acked, attempted); /* every unknown outcome was retried to an answer */
    int rows[N_NODES] = {0};
    for (int i = 0; i < N_NODES; i++)
        if (i != victim)
            rows[i] = check_rows_through(i, writers);
    for (int i = 0; i < N_NODES; i++)
        if (i != victim)
            CHECK_INT(rows[i], acked);

    printf("cluster: joined in %lld ms; %d rows acknowledged (%d before the kill of node %d), "
           "0 lost, each once through both survivors\n",
           (long long)(joined_ms - started_ms), acked, acks_at_kill, victim + 1);
    printf("leader kill: new leader node %d found by discovery after %lld ms, first write "
           "acknowledged after %lld ms\n",
           new_leader + 1, (long long)(discovered_ms - kill_ms),
           (long long)(first_ack_after_kill_ms - kill_ms));
    printf("writers: %d reconnects, %d unknown outcomes (%d had committed), %d not-leader "
           "refusals, %d busy retries; %lld ms in all\n",
           reconnects, unknown_outcomes, unknown_that_had_committed, not_leader_refusals,
           busy_retries, (long long)(t_now_ms() - started_ms));
    for (int i = 0; i < N_WRITERS; i++)
        free(writers[i].acked);
    return 0;
}
