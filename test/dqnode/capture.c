/*
 * dqlite-capture: records real frames for the codec scenario
 * (test/dqlite-wire-codec-decodes-captured-frames-refuses-malformed.c).
 * Sends requests built by lib/dqwire.c to a running dqlite node over a
 * plain socket and prints, per exchange, the request's bytes and the
 * node's answer as hex:
 *
 *   NAME req HEX
 *   NAME resp HEX      (one line per message; a multi-part result has several)
 *
 * Not part of any suite; how the committed frames were made:
 *   cc -Ilib -Iinclude -Itest/dqnode test/dqnode/capture.c lib/dqwire.c -o dqlite-capture
 *   dqlite-node 1 127.0.0.1:PORT DIR &   ...   dqlite-capture 127.0.0.1 PORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dqlite.h"
#include "capture.h"

static int fd;
static struct nana_dq_out out;

static void hex(const char *name, const char *what, const uint8_t *p, size_t n)
{
    printf("%s %s ", name, what);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void readn(uint8_t *p, size_t n)
{
    while (n) {
        ssize_t got = recv(fd, p, n, 0);
        if (got <= 0) {
            perror("recv");
            exit(1);
        }
        p += got;
        n -= (size_t)got;
    }
}

/* Reads one message, prints it; returns its type and, for ROWS, whether
 * it ended with the PART marker. */
static int answer(const char *name, int *part)
{
    uint8_t *m = malloc(8);
    readn(m, 8);
    struct nana_dq_header h;
    nana__dqwire_header(m, &h);
    m = realloc(m, 8 + (size_t)h.words * 8);
    readn(m + 8, (size_t)h.words * 8);
    hex(name, "resp", m, 8 + (size_t)h.words * 8);
    *part = h.type == NANA_DQ_RESP_ROWS && h.words > 0 && m[8 + h.words * 8 - 1] == 0xee;
    free(m);
    return h.type;
}

static void exchange(const char *name, int rc)
{
    if (rc) {
        fprintf(stderr, "%s: encode %d\n", name, rc);
        exit(1);
    }
    hex(name, "req", out.data, out.len);
    if (send(fd, out.data, out.len, MSG_NOSIGNAL) != (ssize_t)out.len) {
        perror("send");
        exit(1);
    }
    int part;
    while (answer(name, &part) == NANA_DQ_RESP_ROWS && part)
        ;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &sa.sin_addr);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }
    nana__dqwire_handshake(&out);
    hex("handshake", "req", out.data, out.len);
    send(fd, out.data, out.len, MSG_NOSIGNAL);

    exchange("leader", nana__dqwire_leader(&out));
    exchange("client", nana__dqwire_client(&out, 42));
    exchange("open", nana__dqwire_open(&out, "capture.db", 0, NULL));
    exchange("create", nana__dqwire_exec_sql(&out, 0,
             "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n, d DATETIME, f BOOLEAN)",
             NULL, 0));
    struct nana_dq_value p[7] = CAPTURE_PARAMS;
    exchange("insert", nana__dqwire_exec_sql(&out, 0, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
                                             p, 7));
    exchange("insert2", nana__dqwire_exec_sql(&out, 0,
             "INSERT INTO t VALUES (7, -0.5, '', x'', NULL, 1700000000, NULL)", NULL, 0));
    exchange("select", nana__dqwire_query_sql(&out, 0, "SELECT * FROM t ORDER BY rowid", NULL, 0));
    exchange("failure", nana__dqwire_exec_sql(&out, 0, "INSERT INTO missing VALUES (1)", NULL, 0));
    exchange("prepare", nana__dqwire_prepare(&out, 0, "SELECT ?1 + 1"));
    struct nana_dq_value one = {.type = NANA_DQ_INTEGER, .integer = 41};
    exchange("query", nana__dqwire_query(&out, 0, 0, &one, 1));
    exchange("finalize", nana__dqwire_finalize(&out, 0, 0));
    exchange("many", nana__dqwire_exec_sql(&out, 0,
             "CREATE TABLE m (k INTEGER, v TEXT);"
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30) "
             "INSERT INTO m SELECT x, printf('%0150d', x) FROM c", NULL, 0));
    exchange("multipart", nana__dqwire_query_sql(&out, 0, "SELECT k, v FROM m ORDER BY k", NULL, 0));
    exchange("cluster", nana__dqwire_cluster(&out));
    close(fd);
    nana__dqwire_out_free(&out);
    return 0;
}
