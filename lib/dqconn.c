/*
 * dqconn.c -- one blocking TCP connection to a dqlite node, and finding
 * the leader of a cluster.  The socket is non-blocking underneath so that
 * every send and receive waits in poll() with what is left of the
 * request's deadline: a node that stops answering costs timeout_ms, never
 * a hang.  Every send passes MSG_NOSIGNAL: a peer killed mid-request gives
 * EPIPE here, not a SIGPIPE that would end the caller's process.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dqlite.h"

/* A body larger than this is refused: SQLite's own cap on a value is
 * 1e9 bytes, and a header claiming more is not a message to wait for. */
#define MAX_BODY ((size_t)1100 * 1024 * 1024)

struct nana_dqconn {
    int fd;
    int timeout_ms;
    char *address;
    bool broken; /* the stream is out of step: only close is left */
    struct nana_dq_out out;
    uint8_t *in; /* the last response's body */
    size_t in_len, in_cap;
    struct nana_dq_header hdr;
    uint32_t db_id;
    uint64_t fail_code;
    char fail_msg[512];
    bool streaming; /* rows of a result are still to be read */
    struct nana_dq_rows rows;
};

/* ------------------------------------------------------------ plumbing */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_fail(struct nana_dqconn *c, uint64_t code, const char *fmt, const char *arg)
{
    c->fail_code = code;
    snprintf(c->fail_msg, sizeof c->fail_msg, fmt, arg);
}

/* A local failure that leaves the stream unusable. */
static int broke(struct nana_dqconn *c, int rc, const char *what)
{
    c->broken = true;
    c->streaming = false;
    set_fail(c, 0, "%s", what);
    return rc;
}

static int wait_fd(struct nana_dqconn *c, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return broke(c, NANA_DQ_ETIMEDOUT, "the node did not answer in time");
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return NANA_DQ_OK; /* readable, writable, or an error recv/send will tell */
        if (n < 0 && errno != EINTR)
            return broke(c, NANA_DQ_EIO, strerror(errno));
    }
}

static int send_all(struct nana_dqconn *c, const uint8_t *p, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c, POLLOUT, deadline);
            if (rc)
                return rc;
        } else {
            return broke(c, NANA_DQ_EIO, n < 0 ? strerror(errno) : "send wrote nothing");
        }
    }
    return NANA_DQ_OK;
}

static int recv_all(struct nana_dqconn *c, uint8_t *p, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = recv(c->fd, p, len, 0);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return broke(c, NANA_DQ_EIO, "the node closed the connection");
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = wait_fd(c, POLLIN, deadline);
            if (rc)
                return rc;
        } else {
            return broke(c, NANA_DQ_EIO, strerror(errno));
        }
    }
    return NANA_DQ_OK;
}

/* Reads one message into c->hdr and c->in.  The buffer grows with the
 * bytes that actually arrive, so that a header claiming a huge body costs
 * no more memory than the peer really sends. */
static int read_message(struct nana_dqconn *c, int64_t deadline)
{
    uint8_t header[NANA_DQ_HEADER_SIZE];
    int rc = recv_all(c, header, sizeof header, deadline);
    if (rc)
        return rc;
    nana__dqwire_header(header, &c->hdr);
    size_t body = (size_t)c->hdr.words * 8;
    if (body > MAX_BODY)
        return broke(c, NANA_DQ_EPROTO, "a message body larger than any response");
    size_t got = 0;
    while (got < body || c->in_cap == 0) {
        if (got == c->in_cap) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
            if (cap > body && body > 0)
                cap = body;
            if (cap < 8)
                cap = 8;
            uint8_t *in = realloc(c->in, cap);
            if (!in)
                return broke(c, NANA_DQ_ENOMEM, "out of memory for a response");
            c->in = in;
            c->in_cap = cap;
        }
        size_t chunk = (c->in_cap < body ? c->in_cap : body) - got;
        if ((rc = recv_all(c, c->in + got, chunk, deadline)))
            return rc;
        got += chunk;
    }
    c->in_len = body;
    return NANA_DQ_OK;
}

/* The answer to a FAILURE: the node's code and message kept, and which of
 * the three kinds it is. */
static int take_failure(struct nana_dqconn *c)
{
    uint64_t code;
    const char *message;
    if (nana__dqwire_failure(c->in, c->in_len, &code, &message))
        return broke(c, NANA_DQ_EPROTO, "a malformed FAILURE response");
    set_fail(c, code, "%s", message);
    if (code == NANA_DQ_IOERR_NOT_LEADER)
        return NANA_DQ_ENOTLEADER;
    if (code == NANA_DQ_IOERR_LEADERSHIP_LOST)
        return NANA_DQ_ELOST;
    return NANA_DQ_EFAIL;
}

/* Sends the frame built in c->out (encode_rc: its encoder's result) and
 * reads the response, which must be of type want or a FAILURE. */
static int roundtrip(struct nana_dqconn *c, int encode_rc, int want)
{
    if (c->broken)
        return NANA_DQ_EIO; /* fail_msg still says why */
    if (c->streaming) {
        set_fail(c, 0, "%s", "a result is still being read on this connection");
        return NANA_DQ_EINVAL;
    }
    if (encode_rc) {
        set_fail(c, 0, "%s", nana__dqwire_strerror(encode_rc));
        return encode_rc;
    }
    int64_t deadline = now_ms() + c->timeout_ms;
    int rc = send_all(c, c->out.data, c->out.len, deadline);
    if (!rc)
        rc = read_message(c, deadline);
    if (rc)
        return rc;
    if (c->hdr.type == NANA_DQ_RESP_FAILURE)
        return take_failure(c);
    if (c->hdr.type != want)
        return broke(c, NANA_DQ_EPROTO, "a response of another type than the request's");
    return NANA_DQ_OK;
}

static int malformed(struct nana_dqconn *c)
{
    return broke(c, NANA_DQ_EPROTO, "a malformed response");
}

/* ------------------------------------------------------------- connect */

/* Splits "host:port" / "[v6]:port" into buffers. */
static bool split_address(const char *address, char *host, size_t host_size, char *port,
                          size_t port_size)
{
    const char *colon;
    size_t host_len;
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (!close || close[1] != ':')
            return false;
        host_len = (size_t)(close - address - 1);
        address++;
        colon = close + 1;
    } else {
        colon = strrchr(address, ':');
        if (!colon)
            return false;
        host_len = (size_t)(colon - address);
    }
    size_t port_len = strlen(colon + 1);
    if (host_len == 0 || host_len >= host_size || port_len == 0 || port_len >= port_size)
        return false;
    memcpy(host, address, host_len);
    host[host_len] = '\0';
    memcpy(port, colon + 1, port_len + 1);
    return true;
}

/* A connected socket, or -1 with *why. */
static int dial(const struct addrinfo *ai, int64_t deadline, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            *err = errno;
            close(fd);
            return -1;
        }
        for (;;) {
            int64_t left = deadline - now_ms();
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int n = left > 0 ? poll(&p, 1, (int)left) : 0;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                *err = n == 0 ? ETIMEDOUT : errno;
                close(fd);
                return -1;
            }
            break;
        }
        int so_error = 0;
        socklen_t so_len = sizeof so_error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0 || so_error) {
            *err = so_error ? so_error : errno;
            close(fd);
            return -1;
        }
    }
    /* Small request / response pairs: Nagle would hold each back. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int nana__dqconn_connect(const char *address, int timeout_ms, struct nana_dqconn **out)
{
    *out = NULL;
    char host[256], port[16];
    if (!address || timeout_ms <= 0 ||
        !split_address(address, host, sizeof host, port, sizeof port))
        return NANA_DQ_EINVAL;
    struct nana_dqconn *c = calloc(1, sizeof *c);
    if (!c || !(c->address = strdup(address))) {
        free(c);
        return NANA_DQ_ENOMEM;
    }
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    int64_t deadline = now_ms() + timeout_ms;

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0) {
        nana__dqconn_close(c);
        return gai == EAI_MEMORY ? NANA_DQ_ENOMEM : NANA_DQ_EIO;
    }
    int err = 0;
    for (const struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next)
        c->fd = dial(ai, deadline, &err);
    freeaddrinfo(list);
    if (c->fd < 0) {
        nana__dqconn_close(c);
        return err == ETIMEDOUT ? NANA_DQ_ETIMEDOUT : NANA_DQ_EIO;
    }
    /* The version word has no answer: the first request's tells whether
     * the node took it (it closes the connection on one it does not
     * speak). */
    int rc = nana__dqwire_handshake(&c->out);
    if (!rc)
        rc = send_all(c, c->out.data, c->out.len, deadline);
    if (rc) {
        nana__dqconn_close(c);
        return rc;
    }
    *out = c;
    return NANA_DQ_OK;
}

void nana__dqconn_close(struct nana_dqconn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    nana__dqwire_rows_free(&c->rows);
    nana__dqwire_out_free(&c->out);
    free(c->in);
    free(c->address);
    free(c);
}

const char *nana__dqconn_address(const struct nana_dqconn *c)
{
    return c->address;
}

uint64_t nana__dqconn_fail_code(const struct nana_dqconn *c)
{
    return c->fail_code;
}

const char *nana__dqconn_fail_message(const struct nana_dqconn *c)
{
    return c->fail_msg;
}

/* ------------------------------------------------------------ requests */

int nana__dqconn_leader(struct nana_dqconn *c, uint64_t *node_id, const char **address)
{
    int rc = roundtrip(c, nana__dqwire_leader(&c->out), NANA_DQ_RESP_SERVER);
    if (!rc && nana__dqwire_server(c->in, c->in_len, node_id, address))
        return malformed(c);
    return rc;
}

int nana__dqconn_client(struct nana_dqconn *c, uint64_t client_id, uint64_t *heartbeat_ms)
{
    uint64_t heartbeat;
    int rc = roundtrip(c, nana__dqwire_client(&c->out, client_id), NANA_DQ_RESP_WELCOME);
    if (!rc && nana__dqwire_welcome(c->in, c->in_len, &heartbeat))
        return malformed(c);
    if (!rc && heartbeat_ms)
        *heartbeat_ms = heartbeat;
    return rc;
}

int nana__dqconn_open(struct nana_dqconn *c, const char *name)
{
    int rc = roundtrip(c, nana__dqwire_open(&c->out, name, 0, NULL), NANA_DQ_RESP_DB);
    if (!rc && nana__dqwire_db(c->in, c->in_len, &c->db_id))
        return malformed(c);
    return rc;
}

int nana__dqconn_prepare(struct nana_dqconn *c, const char *sql, uint32_t *stmt_id,
                         uint64_t *n_params)
{
    uint32_t db_id;
    uint64_t n;
    int rc = roundtrip(c, nana__dqwire_prepare(&c->out, c->db_id, sql), NANA_DQ_RESP_STMT);
    if (!rc && nana__dqwire_stmt(c->in, c->in_len, &db_id, stmt_id, &n))
        return malformed(c);
    if (!rc && n_params)
        *n_params = n;
    return rc;
}

static int take_result(struct nana_dqconn *c, int rc, struct nana_dq_result *res)
{
    struct nana_dq_result ignored;
    if (!res)
        res = &ignored;
    if (!rc && nana__dqwire_result(c->in, c->in_len, &res->last_insert_id, &res->rows_affected))
        return malformed(c);
    return rc;
}

int nana__dqconn_exec(struct nana_dqconn *c, uint32_t stmt_id, const struct nana_dq_value *params,
                      size_t n_params, struct nana_dq_result *res)
{
    int enc = nana__dqwire_exec(&c->out, c->db_id, stmt_id, params, n_params);
    return take_result(c, roundtrip(c, enc, NANA_DQ_RESP_RESULT), res);
}

int nana__dqconn_exec_sql(struct nana_dqconn *c, const char *sql,
                          const struct nana_dq_value *params, size_t n_params,
                          struct nana_dq_result *res)
{
    int enc = nana__dqwire_exec_sql(&c->out, c->db_id, sql, params, n_params);
    return take_result(c, roundtrip(c, enc, NANA_DQ_RESP_RESULT), res);
}

static int expect_empty(struct nana_dqconn *c, int encode_rc)
{
    int rc = roundtrip(c, encode_rc, NANA_DQ_RESP_EMPTY);
    if (!rc && nana__dqwire_empty(c->in, c->in_len))
        return malformed(c);
    return rc;
}

int nana__dqconn_finalize(struct nana_dqconn *c, uint32_t stmt_id)
{
    return expect_empty(c, nana__dqwire_finalize(&c->out, c->db_id, stmt_id));
}

int nana__dqconn_add(struct nana_dqconn *c, uint64_t node_id, const char *address)
{
    return expect_empty(c, nana__dqwire_add(&c->out, node_id, address));
}

int nana__dqconn_assign(struct nana_dqconn *c, uint64_t node_id, uint64_t role)
{
    return expect_empty(c, nana__dqwire_assign(&c->out, node_id, role));
}

int nana__dqconn_remove(struct nana_dqconn *c, uint64_t node_id)
{
    return expect_empty(c, nana__dqwire_remove(&c->out, node_id));
}

int nana__dqconn_transfer(struct nana_dqconn *c, uint64_t node_id)
{
    return expect_empty(c, nana__dqwire_transfer(&c->out, node_id));
}

int nana__dqconn_cluster(struct nana_dqconn *c, struct nana_dq_node **nodes, size_t *n)
{
    *nodes = NULL;
    *n = 0;
    int rc = roundtrip(c, nana__dqwire_cluster(&c->out), NANA_DQ_RESP_SERVERS);
    size_t count;
    if (!rc && nana__dqwire_servers(c->in, c->in_len, NULL, 0, &count))
        return malformed(c);
    if (rc)
        return rc;
    /* The count is bounded by the body (three words a member), so the
     * sizes below cannot overflow. */
    struct nana_dq_node *tmp = calloc(count ? count : 1, sizeof *tmp);
    if (!tmp)
        return NANA_DQ_ENOMEM;
    nana__dqwire_servers(c->in, c->in_len, tmp, count, &count);
    size_t bytes = count * sizeof *tmp;
    for (size_t i = 0; i < count; i++)
        bytes += strlen(tmp[i].address) + 1;
    struct nana_dq_node *block = malloc(bytes ? bytes : 1);
    if (!block) {
        free(tmp);
        return NANA_DQ_ENOMEM;
    }
    char *text = (char *)(block + count);
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(tmp[i].address) + 1;
        block[i] = tmp[i];
        block[i].address = memcpy(text, tmp[i].address, len);
        text += len;
    }
    free(tmp);
    *nodes = block;
    *n = count;
    return NANA_DQ_OK;
}

/* ---------------------------------------------------------------- rows */

/* The ROWS message just read becomes the current part. */
static int begin_part(struct nana_dqconn *c, size_t want_columns)
{
    nana__dqwire_rows_free(&c->rows);
    int rc = nana__dqwire_rows_begin(&c->rows, c->in, c->in_len);
    if (rc == NANA_DQ_ENOMEM)
        return broke(c, rc, "out of memory for a result's columns");
    if (rc || (want_columns && c->rows.n_columns != want_columns))
        return malformed(c);
    c->streaming = true;
    return NANA_DQ_OK;
}

static int start_rows(struct nana_dqconn *c, int encode_rc)
{
    int rc = roundtrip(c, encode_rc, NANA_DQ_RESP_ROWS);
    return rc ? rc : begin_part(c, 0);
}

int nana__dqconn_query(struct nana_dqconn *c, uint32_t stmt_id, const struct nana_dq_value *params,
                       size_t n_params)
{
    return start_rows(c, nana__dqwire_query(&c->out, c->db_id, stmt_id, params, n_params));
}

int nana__dqconn_query_sql(struct nana_dqconn *c, const char *sql,
                           const struct nana_dq_value *params, size_t n_params)
{
    return start_rows(c, nana__dqwire_query_sql(&c->out, c->db_id, sql, params, n_params));
}

int nana__dqconn_step(struct nana_dqconn *c, const struct nana_dq_value **values)
{
    *values = NULL;
    if (c->broken)
        return NANA_DQ_EIO;
    if (!c->streaming)
        return NANA_DQ_DONE;
    for (;;) {
        int rc = nana__dqwire_rows_next(&c->rows);
        if (rc == NANA_DQ_ROW) {
            *values = c->rows.values;
            return NANA_DQ_ROW;
        }
        if (rc == NANA_DQ_DONE) {
            c->streaming = false;
            return NANA_DQ_DONE;
        }
        if (rc != NANA_DQ_PART)
            return malformed(c);
        /* The node sends the next part unasked; each has its own
         * deadline, as a request would. */
        size_t columns = c->rows.n_columns;
        if ((rc = read_message(c, now_ms() + c->timeout_ms)))
            return rc;
        if (c->hdr.type == NANA_DQ_RESP_FAILURE) {
            c->streaming = false;
            return take_failure(c);
        }
        if (c->hdr.type != NANA_DQ_RESP_ROWS)
            return malformed(c);
        if ((rc = begin_part(c, columns)))
            return rc;
    }
}

size_t nana__dqconn_column_count(const struct nana_dqconn *c)
{
    return c->rows.names ? c->rows.n_columns : 0;
}

const char *nana__dqconn_column_name(const struct nana_dqconn *c, size_t i)
{
    return c->rows.names && i < c->rows.n_columns ? c->rows.names[i] : NULL;
}

int nana__dqconn_rows_drain(struct nana_dqconn *c)
{
    const struct nana_dq_value *values;
    int rc;
    while ((rc = nana__dqconn_step(c, &values)) == NANA_DQ_ROW)
        ;
    return rc == NANA_DQ_DONE ? NANA_DQ_OK : rc;
}

/* -------------------------------------------------------------- leader */

bool nana__dqconn_rc_wants_reconnect(int rc)
{
    return rc == NANA_DQ_ENOTLEADER || rc == NANA_DQ_ELOST || rc == NANA_DQ_EIO ||
           rc == NANA_DQ_ETIMEDOUT || rc == NANA_DQ_EPROTO;
}

/* Adds why address was no leader to why (may be NULL): one pass's
 * answers, "; " between them. */
static void note(char *why, size_t why_size, const char *address, int rc,
                 const struct nana_dqconn *c)
{
    if (!why || !why_size)
        return;
    const char *detail = c && c->fail_msg[0] ? c->fail_msg : "";
    size_t used = strnlen(why, why_size);
    if (used + 1 >= why_size)
        return;
    snprintf(why + used, why_size - used, "%s%s: %s%s%s", used ? "; " : "", address,
             rc == NANA_DQ_ENOLEADER ? "names no leader that names itself"
                                     : nana__dqwire_strerror(rc),
             detail[0] ? ": " : "", detail);
}

/* Connects to address and asks who leads: NANA_DQ_OK with *out when the
 * node names itself; otherwise the leader's address into next ("" when
 * the node does not know). */
static int ask(const char *address, int timeout_ms, struct nana_dqconn **out, char *next,
               size_t next_size, char *why, size_t why_size)
{
    struct nana_dqconn *c;
    next[0] = '\0';
    int rc = nana__dqconn_connect(address, timeout_ms, &c);
    if (rc) {
        note(why, why_size, address, rc, NULL);
        return rc;
    }
    uint64_t id;
    const char *leader;
    if ((rc = nana__dqconn_leader(c, &id, &leader))) {
        note(why, why_size, address, rc, c);
        nana__dqconn_close(c);
        return rc;
    }
    if (strcmp(leader, address) == 0) {
        *out = c;
        return NANA_DQ_OK;
    }
    snprintf(next, next_size, "%s", leader);
    note(why, why_size, address, NANA_DQ_ENOLEADER, NULL);
    nana__dqconn_close(c);
    return NANA_DQ_ENOLEADER;
}

int nana__dqconn_connect_leader(const struct nana_dq_target *t, struct nana_dqconn **out,
                                char *why, size_t why_size)
{
    *out = NULL;
    if (why && why_size)
        why[0] = '\0';
    for (size_t i = 0; i < t->n_addresses; i++) {
        struct nana_dqconn *c = NULL;
        char next[320];
        int rc = ask(t->addresses[i], t->timeout_ms, &c, next, sizeof next, why, why_size);
        /* A follower names the leader: that node must name itself too (a
         * follower's belief can lag an election). */
        if (rc == NANA_DQ_ENOLEADER && next[0]) {
            char named[320];
            rc = ask(next, t->timeout_ms, &c, named, sizeof named, why, why_size);
        }
        if (rc == NANA_DQ_ENOMEM)
            return rc;
        if (rc)
            continue;
        rc = nana__dqconn_client(c, t->client_id, NULL);
        if (!rc && t->database)
            rc = nana__dqconn_open(c, t->database);
        if (!rc) {
            *out = c;
            return NANA_DQ_OK;
        }
        note(why, why_size, nana__dqconn_address(c), rc, c);
        nana__dqconn_close(c);
        if (rc == NANA_DQ_ENOMEM)
            return rc;
    }
    return NANA_DQ_ENOLEADER;
}

int nana__dqconn_reconnect(const struct nana_dq_target *t, struct nana_dqconn **c, char *why,
                           size_t why_size)
{
    nana__dqconn_close(*c);
    *c = NULL;
    int rc = NANA_DQ_ENOLEADER;
    for (int round = 0; round < t->rounds; round++) {
        if (round > 0 && t->pause_ms > 0) {
            /* An election takes a few heartbeats: asking again at once
             * would only hear the same "no leader". */
            struct timespec pause = {t->pause_ms / 1000, (long)(t->pause_ms % 1000) * 1000000};
            while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
                ;
        }
        rc = nana__dqconn_connect_leader(t, c, why, why_size);
        if (rc != NANA_DQ_ENOLEADER)
            return rc;
    }
    return rc;
}
