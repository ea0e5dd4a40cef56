/*
 * dqlite.h -- a client of dqlite's wire protocol (version 1), private to
 * the library: not installed, not API.  The replicated backend is its
 * user; nothing here needs libdqlite (a node speaks the protocol over TCP,
 * and libdqlite 1.11 ships no client API of its own).
 *
 *   dqwire.c   the codec: requests encoded into a buffer, responses
 *              decoded from one.  No I/O; never reads past the bytes it is
 *              given; malformed input is NANA_DQ_EPROTO.
 *   dqconn.c   a blocking TCP connection to one node: handshake, leader
 *              discovery, every request with a deadline, rows streamed
 *              part by part, reconnection with bounded retries.
 *
 * The protocol, as dqlite 1.11 speaks it: after connecting, the client
 * sends one 8-byte word, the protocol version (1, little endian); no
 * answer.  Then messages both ways: an 8-byte header (body size in 8-byte
 * words, uint32 LE; type; schema revision; two unused bytes) and a body
 * of fields each padded to whole words.  Every request gets exactly one
 * response, except QUERY / QUERY_SQL, whose ROWS come in as many messages
 * as needed (each but the last ends with the PART marker, the last with
 * DONE) -- and the node reads nothing else until the last one is sent.
 */
#ifndef NANA_DQLITE_H
#define NANA_DQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a call of this module returns.  After EIO, ETIMEDOUT or EPROTO the
 * connection is unusable (the byte stream can no longer be trusted to be
 * in step) and must be closed; after the others it can go on. */
#define NANA_DQ_RC_TABLE(X)                                                        \
    X(NANA_DQ_OK, "success")                                                       \
    X(NANA_DQ_EFAIL, "the node answered with a failure (code and message)")       \
    X(NANA_DQ_ENOTLEADER, "the node is not the leader; the request was not run")  \
    X(NANA_DQ_ELOST, "leadership was lost during the commit; its outcome is unknown") \
    X(NANA_DQ_EIO, "connection refused, reset or closed")                          \
    X(NANA_DQ_ETIMEDOUT, "the node did not answer before the deadline")            \
    X(NANA_DQ_EPROTO, "malformed or unexpected message")                           \
    X(NANA_DQ_EINVAL, "a request that cannot be encoded")                          \
    X(NANA_DQ_ENOMEM, "out of memory")                                             \
    X(NANA_DQ_ENOLEADER, "no node of the list could name a reachable leader")

enum nana_dq_rc {
#define NANA_DQ_RC_ENUM_(name, text) name,
    NANA_DQ_RC_TABLE(NANA_DQ_RC_ENUM_)
#undef NANA_DQ_RC_ENUM_
};

/* Static text of rc; never NULL. */
const char *nana__dqwire_strerror(int rc);

/* The protocol's numbers (dqlite's src/protocol.h). */
#define NANA_DQ_PROTOCOL_VERSION 1
#define NANA_DQ_WORD 8
#define NANA_DQ_HEADER_SIZE 8

enum nana_dq_request {
    NANA_DQ_REQ_LEADER = 0,
    NANA_DQ_REQ_CLIENT = 1,
    NANA_DQ_REQ_OPEN = 3,
    NANA_DQ_REQ_PREPARE = 4,
    NANA_DQ_REQ_EXEC = 5,
    NANA_DQ_REQ_QUERY = 6,
    NANA_DQ_REQ_FINALIZE = 7,
    NANA_DQ_REQ_EXEC_SQL = 8,
    NANA_DQ_REQ_QUERY_SQL = 9,
    NANA_DQ_REQ_ADD = 12,
    NANA_DQ_REQ_ASSIGN = 13,
    NANA_DQ_REQ_REMOVE = 14,
    NANA_DQ_REQ_CLUSTER = 16,
    NANA_DQ_REQ_TRANSFER = 17,
};

enum nana_dq_response {
    NANA_DQ_RESP_FAILURE = 0,
    NANA_DQ_RESP_SERVER = 1,
    NANA_DQ_RESP_WELCOME = 2,
    NANA_DQ_RESP_SERVERS = 3,
    NANA_DQ_RESP_DB = 4,
    NANA_DQ_RESP_STMT = 5,
    NANA_DQ_RESP_RESULT = 6,
    NANA_DQ_RESP_ROWS = 7,
    NANA_DQ_RESP_EMPTY = 8,
};

/* Value types: SQLite's five, and dqlite's three that a node gives columns
 * declared DATETIME / DATE / TIMESTAMP (UNIXTIME when the value is an
 * integer, ISO8601 when text or NULL -- a NULL arrives as "") or BOOLEAN. */
enum nana_dq_type {
    NANA_DQ_INTEGER = 1,
    NANA_DQ_FLOAT = 2,
    NANA_DQ_TEXT = 3,
    NANA_DQ_BLOB = 4,
    NANA_DQ_NULL = 5,
    NANA_DQ_UNIXTIME = 9,
    NANA_DQ_ISO8601 = 10,
    NANA_DQ_BOOLEAN = 11,
};

/* Node roles (ASSIGN, CLUSTER). */
enum nana_dq_role { NANA_DQ_VOTER = 0, NANA_DQ_STANDBY = 1, NANA_DQ_SPARE = 2 };

/* dqlite's failure codes for a lost leader: SQLite extended codes it
 * defines (src/leader.h).  NOT_LEADER: refused before anything ran.
 * LEADERSHIP_LOST: the node stopped being leader while the commit was
 * being replicated -- it may or may not have committed. */
#define NANA_DQ_IOERR_NOT_LEADER (10 | (40 << 8))
#define NANA_DQ_IOERR_LEADERSHIP_LOST (10 | (41 << 8))

/* One parameter or column value.  text and blob point into memory the
 * value does not own: the caller's, for a parameter; the response buffer,
 * for a decoded column (borrowed until the next call on that reader or
 * connection).  text is NUL-terminated, len excludes the NUL. */
struct nana_dq_value {
    int type; /* enum nana_dq_type */
    union {
        int64_t integer; /* INTEGER, UNIXTIME */
        double real;     /* FLOAT */
        uint64_t boolean;
        struct {
            const char *ptr;
            size_t len;
        } text; /* TEXT, ISO8601 */
        struct {
            const void *ptr;
            size_t len;
        } blob;
    };
};

/* ------------------------------------------------------------ dqwire.c */

/* A request being built: the whole frame, header included. */
struct nana_dq_out {
    uint8_t *data;
    size_t len, cap;
};
void nana__dqwire_out_free(struct nana_dq_out *out);

/* Each encoder replaces out's content with one frame (the handshake: the
 * 8-byte version word).  NANA_DQ_OK, NANA_DQ_ENOMEM, or NANA_DQ_EINVAL:
 * more than 255 parameters (the params tuple counts them in one byte), a
 * parameter type dqlite does not bind (UNIXTIME is row-only in 1.11), a
 * text holding a NUL, a frame past 2^32 words. */
int nana__dqwire_handshake(struct nana_dq_out *out);
int nana__dqwire_leader(struct nana_dq_out *out);
int nana__dqwire_client(struct nana_dq_out *out, uint64_t client_id);
int nana__dqwire_open(struct nana_dq_out *out, const char *name, uint64_t flags, const char *vfs);
int nana__dqwire_prepare(struct nana_dq_out *out, uint32_t db_id, const char *sql);
int nana__dqwire_exec(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id,
                      const struct nana_dq_value *params, size_t n_params);
int nana__dqwire_query(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id,
                       const struct nana_dq_value *params, size_t n_params);
int nana__dqwire_finalize(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id);
int nana__dqwire_exec_sql(struct nana_dq_out *out, uint32_t db_id, const char *sql,
                          const struct nana_dq_value *params, size_t n_params);
int nana__dqwire_query_sql(struct nana_dq_out *out, uint32_t db_id, const char *sql,
                           const struct nana_dq_value *params, size_t n_params);
int nana__dqwire_add(struct nana_dq_out *out, uint64_t node_id, const char *address);
int nana__dqwire_assign(struct nana_dq_out *out, uint64_t node_id, uint64_t role);
int nana__dqwire_remove(struct nana_dq_out *out, uint64_t node_id);
int nana__dqwire_cluster(struct nana_dq_out *out);
int nana__dqwire_transfer(struct nana_dq_out *out, uint64_t node_id);

/* A message header. */
struct nana_dq_header {
    uint32_t words; /* body size in words */
    uint8_t type;
    uint8_t schema;
};
/* Decodes the 8 bytes at p (the caller has read them all). */
void nana__dqwire_header(const uint8_t *p, struct nana_dq_header *h);

/* Response decoders: body is the whole body of one message (len bytes, a
 * multiple of 8).  NANA_DQ_OK or NANA_DQ_EPROTO; strings point into body.
 * A body longer than the fields is accepted: a later schema revision may
 * append fields, which a reader of an earlier one ignores. */
int nana__dqwire_failure(const uint8_t *body, size_t len, uint64_t *code, const char **message);
int nana__dqwire_server(const uint8_t *body, size_t len, uint64_t *node_id,
                        const char **address);
int nana__dqwire_welcome(const uint8_t *body, size_t len, uint64_t *heartbeat_ms);
int nana__dqwire_db(const uint8_t *body, size_t len, uint32_t *db_id);
int nana__dqwire_stmt(const uint8_t *body, size_t len, uint32_t *db_id, uint32_t *stmt_id,
                      uint64_t *n_params);
int nana__dqwire_result(const uint8_t *body, size_t len, int64_t *last_insert_id,
                        uint64_t *rows_affected);
int nana__dqwire_empty(const uint8_t *body, size_t len);

/* A member of the cluster (SERVERS, format 1: id, address, role). */
struct nana_dq_node {
    uint64_t id;
    const char *address;
    uint64_t role;
};
/* Decodes up to max members into out; *n gets how many the body holds
 * (more than max: NANA_DQ_EPROTO is not returned, the rest are skipped). */
int nana__dqwire_servers(const uint8_t *body, size_t len, struct nana_dq_node *out, size_t max,
                         size_t *n);

/* One ROWS message, read row by row.  Every message of a multi-part
 * result starts again with the column count and names. */
struct nana_dq_rows {
    const uint8_t *body;
    size_t len, pos;
    size_t n_columns;
    const char **names;          /* n_columns, into body (malloc'd array) */
    struct nana_dq_value *values; /* the current row (malloc'd array) */
};
/* Reads the column count and names.  NANA_DQ_OK, EPROTO, ENOMEM; rows
 * must then be given to nana__dqwire_rows_free() (also after a failure). */
int nana__dqwire_rows_begin(struct nana_dq_rows *rows, const uint8_t *body, size_t len);
/* What nana__dqwire_rows_next() found (or an NANA_DQ_EPROTO). */
enum { NANA_DQ_ROW = 100, NANA_DQ_PART = 101, NANA_DQ_DONE = 102 };
/* The next row into rows->values: NANA_DQ_ROW; or the message's end:
 * NANA_DQ_PART (another ROWS message follows) or NANA_DQ_DONE. */
int nana__dqwire_rows_next(struct nana_dq_rows *rows);
void nana__dqwire_rows_free(struct nana_dq_rows *rows);

/* ------------------------------------------------------------ dqconn.c */

/* A connection to one node.  Opaque.  One thread at a time (requests and
 * responses are a single ordered stream); several connections may be used
 * from several threads. */
struct nana_dqconn;

/* Connects to address ("host:port", "[v6]:port"), sends the protocol
 * version; timeout_ms bounds the connect and then every request.  Sets
 * *out (NULL on failure).  NANA_DQ_OK, EIO, ETIMEDOUT, EINVAL (address),
 * ENOMEM. */
int nana__dqconn_connect(const char *address, int timeout_ms, struct nana_dqconn **out);
/* Closes (NULL: nothing). */
void nana__dqconn_close(struct nana_dqconn *c);
/* The address connected to (borrowed, as long as c). */
const char *nana__dqconn_address(const struct nana_dqconn *c);

/* The last NANA_DQ_EFAIL / ENOTLEADER / ELOST: the node's code (an SQLite
 * extended code, or dqlite's own) and message (borrowed until the next
 * request); after a local error, a message saying what happened and
 * code 0. */
uint64_t nana__dqconn_fail_code(const struct nana_dqconn *c);
const char *nana__dqconn_fail_message(const struct nana_dqconn *c);

/* LEADER: who the node believes leads.  *node_id 0 and address "" when it
 * does not know (only voters know).  address: borrowed until the next
 * request. */
int nana__dqconn_leader(struct nana_dqconn *c, uint64_t *node_id, const char **address);
/* CLIENT: registers; *heartbeat_ms (may be NULL) gets the node's
 * heartbeat timeout. */
int nana__dqconn_client(struct nana_dqconn *c, uint64_t client_id, uint64_t *heartbeat_ms);
/* OPEN: opens (creating) the database name; one per connection. */
int nana__dqconn_open(struct nana_dqconn *c, const char *name);

/* Result of EXEC / EXEC_SQL. */
struct nana_dq_result {
    int64_t last_insert_id;
    uint64_t rows_affected;
};
/* PREPARE: *stmt_id names the statement on this connection until FINALIZE;
 * n_params may be NULL. */
int nana__dqconn_prepare(struct nana_dqconn *c, const char *sql, uint32_t *stmt_id,
                         uint64_t *n_params);
int nana__dqconn_exec(struct nana_dqconn *c, uint32_t stmt_id, const struct nana_dq_value *params,
                      size_t n_params, struct nana_dq_result *res);
int nana__dqconn_finalize(struct nana_dqconn *c, uint32_t stmt_id);
/* EXEC_SQL: one or more statements; params bind to the first (dqlite
 * binds none to the others).  res may be NULL. */
int nana__dqconn_exec_sql(struct nana_dqconn *c, const char *sql,
                          const struct nana_dq_value *params, size_t n_params,
                          struct nana_dq_result *res);

/* QUERY / QUERY_SQL start a result; nana__dqconn_step() then gives its
 * rows one at a time, reading the next ROWS message when one part ends.
 * Until it has returned NANA_DQ_DONE (or an error) the connection takes no
 * other request but nana__dqconn_rows_drain(). */
int nana__dqconn_query(struct nana_dqconn *c, uint32_t stmt_id, const struct nana_dq_value *params,
                       size_t n_params);
int nana__dqconn_query_sql(struct nana_dqconn *c, const char *sql,
                           const struct nana_dq_value *params, size_t n_params);
/* NANA_DQ_ROW with *values (n_columns of them, borrowed until the next
 * call on c), NANA_DQ_DONE, or an error (a FAILURE after some parts:
 * NANA_DQ_EFAIL). */
int nana__dqconn_step(struct nana_dqconn *c, const struct nana_dq_value **values);
size_t nana__dqconn_column_count(const struct nana_dqconn *c);
const char *nana__dqconn_column_name(const struct nana_dqconn *c, size_t i);
/* Reads and drops the rest of a result (a node sends every part whatever
 * the client wants; INTERRUPT is only read after the last). */
int nana__dqconn_rows_drain(struct nana_dqconn *c);

/* Membership, sent to the leader.  ADD makes node_id a spare at address;
 * ASSIGN gives it role (NANA_DQ_VOTER...); REMOVE drops it; TRANSFER hands
 * leadership to node_id. */
int nana__dqconn_add(struct nana_dqconn *c, uint64_t node_id, const char *address);
int nana__dqconn_assign(struct nana_dqconn *c, uint64_t node_id, uint64_t role);
int nana__dqconn_remove(struct nana_dqconn *c, uint64_t node_id);
int nana__dqconn_transfer(struct nana_dqconn *c, uint64_t node_id);
/* CLUSTER: the members (a malloc'd array whose addresses live in the same
 * block: one free() releases it), *n of them. */
int nana__dqconn_cluster(struct nana_dqconn *c, struct nana_dq_node **nodes, size_t *n);

/* Where to find a cluster, and how hard to try. */
struct nana_dq_target {
    const char *const *addresses; /* "host:port" of some members */
    size_t n_addresses;
    const char *database; /* OPENed on the leader; NULL: none */
    uint64_t client_id;   /* sent with CLIENT */
    int timeout_ms;       /* each connect and each request */
    int rounds;           /* passes over the list before NANA_DQ_ENOLEADER */
    int pause_ms;         /* between passes: an election takes seconds */
};
/* One pass: asks each address in turn who leads, follows the answer, and
 * keeps the connection to the node that names itself; registers CLIENT
 * and OPENs t->database.  NANA_DQ_OK with *out, or NANA_DQ_ENOLEADER (why,
 * when not NULL, then says what the last node tried answered), ENOMEM. */
int nana__dqconn_connect_leader(const struct nana_dq_target *t, struct nana_dqconn **out,
                                char *why, size_t why_size);
/* Closes *c (may be NULL) and connects to the leader again, up to
 * t->rounds passes with t->pause_ms between them: what a caller does after
 * NANA_DQ_ENOTLEADER, ELOST, EIO or ETIMEDOUT.  *c is the new connection,
 * or NULL with NANA_DQ_ENOLEADER. */
int nana__dqconn_reconnect(const struct nana_dq_target *t, struct nana_dqconn **c, char *why,
                           size_t why_size);
/* Whether rc means "reconnect to the (new) leader". */
bool nana__dqconn_rc_wants_reconnect(int rc);

/* ------------------------------------------------------------ dqstmt.c */

/* The statement seam (lib/conn.h) over c, whose database name (OPENed)
 * messages give: a struct nana_conn every nana__conn_* / nana__stmt_*
 * op takes.  c is borrowed (one thread at a time, as c); NULL when out of
 * memory.  Its statements must be finalized before it is freed. */
struct nana_conn;
struct nana_conn *nana__dqstmt_conn(struct nana_dqconn *c, const char *name);
void nana__dqstmt_conn_free(struct nana_conn *conn);

#endif
