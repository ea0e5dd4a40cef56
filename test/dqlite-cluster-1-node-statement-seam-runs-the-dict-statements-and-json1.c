/*
 * The statement seam (lib/conn.h) over one dqlite node (lib/dqstmt.c):
 * the library's own table code -- the dict layout's CREATE TABLE, its
 * persistent INSERT OR REPLACE, SELECT by key, DELETE, COUNT, the rowid
 * scan, the chunked key IN (...) -- runs unchanged on the node through the
 * same nana__table_* functions the dict jobs call.  Four threads, each on
 * a connection and a table registry of its own, write and read back keys
 * of their own; then one thread checks what all of them wrote: a json1
 * query on the stored values, the row set of nana_fetch_rows built in
 * place, named parameters, a rolled-back transaction, and the failures a
 * bad statement and a bad value give (SQLite's codes, the node's
 * message).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

#include "dqlite.h"
#include "dqnode/run.h"
#include "internal.h"

#define N_THREADS 4
#define PER_THREAD 150

static char node_dir[4096], address[1][64];
static pid_t node_pid;

static void cleanup(void)
{
    if (node_pid > 0) {
        kill(node_pid, SIGKILL);
        waitpid(node_pid, NULL, 0);
        node_pid = 0;
    }
    if (node_dir[0])
        dqnode_remove_tree(node_dir);
}

/* Node 1 on a free port: bootstraps a cluster of itself. */
static void start_node(void)
{
    dqnode_pick_addresses(address, 1);
    snprintf(node_dir, sizeof node_dir, "%s", t_path("node1"));
    atexit(cleanup);
    node_pid = dqnode_start(1, address[0], node_dir, NULL);
}

static struct nana_dqconn *connect_leader(void)
{
    const char *list[] = {address[0]};
    struct nana_dq_target t = {
        .addresses = list,
        .n_addresses = 1,
        .database = "seam.db",
        .client_id = 11,
        .timeout_ms = 5000,
        .rounds = 200, /* 50 ms apart: the node elects itself within seconds */
        .pause_ms = 50,
    };
    struct nana_dqconn *c = NULL;
    char why[512] = "";
    int rc = nana__dqconn_reconnect(&t, &c, why, sizeof why);
    if (rc)
        t_fail(__FILE__, __LINE__, "no leader: %s (%s)", nana__dqwire_strerror(rc), why);
    return c;
}

/* A connection of the seam on the node, and a registry holding "data". */
struct side {
    struct nana_dqconn *dq;
    struct nana_conn *conn;
    struct nana_tables tables;
    struct nana_table *t;
};

static void side_open(struct side *s)
{
    static const struct nana_cache_policy policy = {0};
    s->dq = connect_leader();
    CHECK((s->conn = nana__dqstmt_conn(s->dq, "seam.db")) != NULL);
    nana__tables_init(&s->tables, NULL);
    CHECK((s->t = nana__table_lookup(&s->tables, "data", &policy)) != NULL);
}

static void side_close(struct side *s)
{
    nana__tables_close(&s->tables); /* finalizes the statements on the node */
    nana__tables_free(&s->tables);
    nana__dqstmt_conn_free(s->conn);
    nana__dqconn_close(s->dq);
}

#define SQL_OK(conn, expr)                                                                     \
    do {                                                                                       \
        int rc_ = (expr);                                                                      \
        if (rc_ != SQLITE_OK)                                                                  \
            t_fail(__FILE__, __LINE__, "%s: %d %s", #expr, rc_, nana__conn_errmsg(conn));     \
    } while (0)

static void set_key(struct side *s, const char *key, const char *text)
{
    int rc;
    struct nana_stmt *st = nana__table_stmt(s->t, s->conn, NANA__ST_SET, &rc);
    if (!st)
        t_fail(__FILE__, __LINE__, "prepare SET: %d %s", rc, nana__conn_errmsg(s->conn));
    SQL_OK(s->conn, nana__stmt_bind_text(st, 1, key, strlen(key), NANA__BIND_BORROWED));
    SQL_OK(s->conn, nana__table_bind_value(s->t, st, 2, text, strlen(text)));
    rc = nana__stmt_step(st);
    if (rc != SQLITE_DONE)
        t_fail(__FILE__, __LINE__, "SET %s: %d %s", key, rc, nana__conn_errmsg(s->conn));
    CHECK_INT(nana__conn_changes(s->conn), 1);
    CHECK_INT(nana__stmt_reset(st), SQLITE_OK);
}

/* The stored value of key as compact JSON text (malloc'd), or NULL. */
static char *get_key(struct side *s, const char *key)
{
    int rc;
    struct nana_stmt *st = nana__table_stmt(s->t, s->conn, NANA__ST_GET, &rc);
    CHECK(st);
    SQL_OK(s->conn, nana__stmt_bind_text(st, 1, key, strlen(key), NANA__BIND_BORROWED));
    rc = nana__stmt_step(st);
    char *text = NULL;
    if (rc == SQLITE_ROW) {
        enum nana_value_fault fault;
        json_t *v = nana__table_value(s->t, st, 0, &fault);
        CHECK(v);
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(v);
        CHECK_INT(nana__stmt_step(st), SQLITE_DONE);
    } else {
        CHECK_INT(rc, SQLITE_DONE);
    }
    nana__stmt_reset(st);
    return text;
}

static void *writer(void *arg)
{
    int w = (int)(intptr_t)arg;
    struct side s;
    side_open(&s);
    for (int i = 0; i < PER_THREAD; i++) {
        char key[32], text[96];
        snprintf(key, sizeof key, "w%d-k%03d", w, i);
        snprintf(text, sizeof text, "{\"n\":%d,\"w\":%d,\"s\":\"caf\\u00e9 %d\"}", i, w, i);
        set_key(&s, key, text);
        if (i % 10 == 0) { /* written again: the same row replaced */
            snprintf(text, sizeof text, "{\"n\":%d,\"w\":%d,\"s\":\"again %d\"}", i, w, i);
            set_key(&s, key, text);
        }
        char *got = get_key(&s, key);
        json_t *want = json_loads(text, 0, NULL), *have = got ? json_loads(got, 0, NULL) : NULL;
        if (!want || !have || !json_equal(want, have))
            t_fail(__FILE__, __LINE__, "%s: got %s, want %s", key, got ? got : "nothing", text);
        json_decref(want);
        json_decref(have);
        free(got);
    }
    char *absent = get_key(&s, "no such key");
    CHECK(absent == NULL);
    side_close(&s);
    return NULL;
}

int main(void)
{
    start_node();
    struct side s;
    side_open(&s);
    const char *failed = NULL;
    SQL_OK(s.conn, nana__tables_create_all(&s.tables, s.conn, &failed));
    CHECK_STR(nana__conn_filename(s.conn), "seam.db");
    CHECK(!nana__conn_in_transaction(s.conn));

    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < N_THREADS; i++)
        CHECK(pthread_join(th[i], NULL) == 0);

    /* COUNT, and every row in rowid order, decoded by the table code. */
    int rc;
    struct nana_stmt *count = nana__table_stmt(s.t, s.conn, NANA__ST_COUNT, &rc);
    CHECK(count);
    CHECK_INT(nana__stmt_step(count), SQLITE_ROW);
    CHECK_INT(nana__stmt_column_int64(count, 0), N_THREADS * PER_THREAD);
    nana__stmt_reset(count);
    struct nana_kv_item *items;
    size_t n_items, skipped;
    SQL_OK(s.conn, nana__table_read_all(s.t, s.conn, &items, &n_items, &skipped));
    CHECK_INT(n_items, N_THREADS * PER_THREAD);
    CHECK_INT(skipped, 0);
    int per_writer[N_THREADS] = {0};
    for (size_t i = 0; i < n_items; i++) {
        json_t *wv = json_object_get(items[i].value, "w");
        CHECK(json_is_integer(wv));
        per_writer[json_integer_value(wv)]++;
    }
    for (int w = 0; w < N_THREADS; w++)
        CHECK_INT(per_writer[w], PER_THREAD);
    nana__table_items_free(items, n_items);

    /* The chunked batch read: as many parameters as the wire carries. */
    struct nana_stmt *many = nana__table_stmt(s.t, s.conn, NANA__ST_GET_MANY, &rc);
    CHECK(many);
    CHECK_INT(nana__stmt_bind_count(many), 255);
    nana__stmt_clear_bindings(many);
    SQL_OK(s.conn, nana__stmt_bind_text(many, 1, "w2-k007", 7, NANA__BIND_BORROWED));
    SQL_OK(s.conn, nana__stmt_bind_text(many, 2, "w0-k100", 7, NANA__BIND_COPY));
    CHECK_INT(nana__stmt_step(many), SQLITE_ROW);
    CHECK_STR((const char *)nana__stmt_column_text(many, 0), "w0-k100");
    CHECK_INT(nana__stmt_step(many), SQLITE_ROW);
    CHECK_STR((const char *)nana__stmt_column_text(many, 0), "w2-k007");
    CHECK_INT(nana__stmt_step(many), SQLITE_DONE);
    nana__stmt_reset(many);

    /* json1 on the stored text, with named parameters. */
    struct nana_stmt *j = NULL;
    SQL_OK(s.conn, nana__conn_prepare(s.conn,
                                      "SELECT json_extract(value, '$.n') AS n, "
                                      "json_extract(value, '$.s') AS s, json_type(value) "
                                      "FROM data WHERE json_extract(value, '$.w') = :w "
                                      "AND json_extract(value, '$.n') >= :from ORDER BY key",
                                      -1, false, &j, NULL));
    CHECK(nana__stmt_readonly(j));
    CHECK_INT(nana__stmt_column_count(j), 3);
    CHECK_INT(nana__stmt_bind_index(j, ":w"), 1);
    CHECK_INT(nana__stmt_bind_index(j, ":from"), 2);
    CHECK_INT(nana__stmt_bind_index(j, ":none"), 0);
    SQL_OK(s.conn, nana__stmt_bind_int64(j, 1, 3));
    SQL_OK(s.conn, nana__stmt_bind_double(j, 2, 147.5));
    CHECK_INT(nana__stmt_step(j), SQLITE_ROW);
    CHECK_INT(nana__stmt_column_type(j, 0), SQLITE_INTEGER);
    CHECK_INT(nana__stmt_column_int64(j, 0), 148);
    CHECK_STR((const char *)nana__stmt_column_text(j, 1), "caf\xc3\xa9 148");
    CHECK_INT(nana__stmt_column_bytes(j, 1), 9);
    CHECK_STR((const char *)nana__stmt_column_text(j, 2), "object");
    CHECK_STR(nana__stmt_column_name(j, 1), "s");
    CHECK_INT(nana__stmt_step(j), SQLITE_ROW);
    CHECK_INT(nana__stmt_column_int64(j, 0), 149);
    CHECK_INT(nana__stmt_step(j), SQLITE_DONE);
    /* Stepped again after DONE: run again, as SQLite does. */
    CHECK_INT(nana__stmt_step(j), SQLITE_ROW);
    CHECK_INT(nana__stmt_reset(j), SQLITE_OK);

    /* nana_fetch_rows' row set, built in place: names before the steps. */
    nana__stmt_bind_int64(j, 1, 1);
    nana__stmt_bind_int64(j, 2, 140);
    nana_rows_t *rows = NULL;
    CHECK_INT(nana__rows_read(j, &rows), SQLITE_DONE);
    CHECK_INT(nana_rows_count(rows), 10);
    CHECK_INT(nana_rows_columns(rows), 3);
    CHECK_STR(nana_rows_column_name(rows, 0), "n");
    CHECK_INT(nana_rows_int(rows, 0, 0), 140);
    size_t len;
    CHECK_STR(nana_rows_text(rows, 0, 1, &len), "again 140");
    CHECK_STR(nana_rows_text(rows, 9, 1, &len), "caf\xc3\xa9 149");
    CHECK_INT(len, 9);
    nana__rows_free(rows);
    nana__stmt_reset(j);
    nana__stmt_bind_int64(j, 1, 99); /* no such writer: columns, no rows */
    CHECK_INT(nana__rows_read(j, &rows), SQLITE_DONE);
    CHECK_INT(nana_rows_count(rows), 0);
    CHECK_INT(nana_rows_columns(rows), 3);
    CHECK_STR(nana_rows_column_name(rows, 2), "json_type(value)");
    nana__rows_free(rows);
    nana__stmt_finalize(j);

    /* A rolled-back transaction leaves nothing; a DELETE counts its row. */
    SQL_OK(s.conn, nana__conn_exec(s.conn, "BEGIN"));
    CHECK(nana__conn_in_transaction(s.conn));
    set_key(&s, "rolled back", "[1,2,3]");
    char *inside = get_key(&s, "rolled back");
    CHECK_STR(inside, "[1,2,3]");
    free(inside);
    SQL_OK(s.conn, nana__conn_exec(s.conn, "ROLLBACK"));
    CHECK(!nana__conn_in_transaction(s.conn));
    CHECK(get_key(&s, "rolled back") == NULL);
    struct nana_stmt *del = nana__table_stmt(s.t, s.conn, NANA__ST_DELETE, &rc);
    CHECK(del);
    SQL_OK(s.conn, nana__stmt_bind_text(del, 1, "w1-k001", 7, NANA__BIND_BORROWED));
    CHECK_INT(nana__stmt_step(del), SQLITE_DONE);
    CHECK_INT(nana__conn_changes(s.conn), 1);
    nana__stmt_reset(del);
    CHECK(!nana__stmt_readonly(del));

    /* Failures: SQLite's codes, the node's words. */
    struct nana_stmt *bad = NULL;
    rc = nana__conn_prepare(s.conn, "SELEKT 1", -1, false, &bad, NULL);
    CHECK_INT(rc & 0xff, SQLITE_ERROR);
    CHECK(bad == NULL);
    CHECK(strstr(nana__conn_errmsg(s.conn), "syntax error") != NULL);
    struct nana_stmt *strict = NULL;
    const char *tail = NULL;
    SQL_OK(s.conn, nana__conn_exec(s.conn, "CREATE TABLE t (x INTEGER NOT NULL)"));
    SQL_OK(s.conn, nana__conn_prepare(s.conn, "INSERT INTO t (x) VALUES (';'); SELECT 1", -1,
                                      false, &strict, &tail));
    CHECK_STR(tail, " SELECT 1"); /* the ';' in the literal is no end */
    nana__stmt_finalize(strict);
    SQL_OK(s.conn, nana__conn_prepare(s.conn, "INSERT INTO t (x) VALUES (?1)", -1, false,
                                      &strict, NULL));
    rc = nana__stmt_step(strict);
    CHECK_INT(rc & 0xff, SQLITE_CONSTRAINT);
    CHECK(strstr(nana__conn_errmsg(s.conn), "NOT NULL") != NULL);
    CHECK_INT(nana__stmt_reset(strict), rc);
    SQL_OK(s.conn, nana__stmt_bind_int64(strict, 1, 42));
    CHECK_INT(nana__stmt_step(strict), SQLITE_DONE);
    CHECK(nana__conn_last_insert_rowid(s.conn) > 0);
    CHECK_INT(nana__stmt_bind_text(strict, 1, "a\0b", 3, NANA__BIND_BORROWED), SQLITE_MISMATCH);
    CHECK_INT(nana__stmt_bind_int64(strict, 2, 1), SQLITE_RANGE);
    nana__stmt_finalize(strict);

    side_close(&s);
    return 0;
}
