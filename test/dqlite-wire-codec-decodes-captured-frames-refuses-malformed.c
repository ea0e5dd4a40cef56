/*
 * The dqlite wire codec (lib/dqwire.c) against real frames: every request
 * it encodes is byte for byte what a dqlite 1.11.1 node was sent, every
 * response a node sent decodes to the values that were stored, and every
 * truncation or mutation of those responses is refused or decoded
 * without a read past the body (bodies are copied to blocks of their exact
 * size, so that ASan sees any over-read), from four threads at once.
 *
 * How the frames were captured: Debian's libdqlite 1.11.1, one node
 * (test/dqnode/node.c: `dqlite-node 1 127.0.0.1:29301 DIR`) and
 * test/dqnode/capture.c, which sends requests built by lib/dqwire.c over a
 * plain socket and prints both directions as hex.  The lines below are its
 * output, unedited.
 */
#include <pthread.h>

#include "harness.h"

#include "dqlite.h"
#include "dqnode/capture.h"

/* ------------------------------------------------- captured (see above) */
static const char handshake_req[] =
    "0100000000000000";
static const char leader_req[] =
    "01000000000000000000000000000000";
static const char leader_resp[] =
    "030000000100000001000000000000003132372e302e302e313a323933303100";
static const char client_req[] =
    "01000000010000002a00000000000000";
static const char client_resp[] =
    "0100000002000000983a000000000000";
static const char open_req[] =
    "0400000003000000636170747572652e646200000000000000000000000000000000000000000000";
static const char open_resp[] =
    "01000000040000000000000000000000";
static const char create_req[] =
    "0b000000080000000000000000000000435245415445205441424c45207420286920494e54454745522c207220524541"
    "4c2c207320544558542c206220424c4f422c206e2c2064204441544554494d452c206620424f4f4c45414e2900000000";
static const char create_resp[] =
    "020000000600000000000000000000000000000000000000";
static const char insert_req[] =
    "12000000080000000000000000000000494e5345525420494e544f20742056414c55455320283f2c203f2c203f2c203f"
    "2c203f2c203f2c203f290000000000000701020304050a0b35fb048ee0feffff0000000000000a4068c3a96c6c6f0000"
    "0500000000000000000102fffe0000000000000000000000323032342d30312d30325430333a30343a30355a00000000"
    "0100000000000000";
static const char insert_resp[] =
    "020000000600000001000000000000000100000000000000";
static const char insert2_req[] =
    "09000000080000000000000000000000494e5345525420494e544f20742056414c5545532028372c202d302e352c2027"
    "272c207827272c204e554c4c2c20313730303030303030302c204e554c4c2900";
static const char insert2_resp[] =
    "020000000600000002000000000000000100000000000000";
static const char select_req[] =
    "0500000009000000000000000000000053454c454354202a2046524f4d2074204f5244455220425920726f7769640000";
static const char select_resp[] =
    "1c0000000700000007000000000000006900000000000000720000000000000073000000000000006200000000000000"
    "6e00000000000000640000000000000066000000000000002143a50b0000000035fb048ee0feffff0000000000000a40"
    "68c3a96c6c6f00000500000000000000000102fffe0000000000000000000000323032342d30312d30325430333a3034"
    "3a30355a0000000001000000000000002143950b000000000700000000000000000000000000e0bf0000000000000000"
    "0000000000000000000000000000000000f15365000000000000000000000000ffffffffffffffff";
static const char failure_req[] =
    "05000000080000000000000000000000494e5345525420494e544f206d697373696e672056414c554553202831290000";
static const char failure_resp[] =
    "040000000000000001000000000000006e6f2073756368207461626c653a206d697373696e670000";
static const char prepare_req[] =
    "0300000004000000000000000000000053454c454354203f31202b2031000000";
static const char prepare_resp[] =
    "020000000500000000000000000000000100000000000000";
static const char query_req[] =
    "0300000006000000000000000000000001010000000000002900000000000000";
static const char query_resp[] =
    "050000000700000001000000000000003f31202b2031000001000000000000002a00000000000000ffffffffffffffff";
static const char finalize_req[] =
    "01000000070000000000000000000000";
static const char finalize_resp[] =
    "01000000080000000000000000000000";
static const char many_req[] =
    "16000000080000000000000000000000435245415445205441424c45206d20286b20494e54454745522c207620544558"
    "54293b57495448205245435552534956452063287829204153202853454c454354203120554e494f4e20414c4c205345"
    "4c4543542078202b20312046524f4d20632057484552452078203c2033302920494e5345525420494e544f206d205345"
    "4c45435420782c207072696e74662827253031353064272c2078292046524f4d2063000000000000";
static const char many_resp[] =
    "02000000060000001e000000000000001e00000000000000";
static const char multipart_req[] =
    "0500000009000000000000000000000053454c454354206b2c20762046524f4d206d204f52444552204259206b000000";
static const char multipart_resp1[] =
    "110200000700000002000000000000006b00000000000000760000000000000031000000000000000100000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303031000031000000000000000200000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303032000031000000000000000300000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303033000031000000000000000400000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303034000031000000000000000500000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303035000031000000000000000600000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303036000031000000000000000700000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303037000031000000000000000800000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303038000031000000000000000900000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303039000031000000000000000a00000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303130000031000000000000000b00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303131000031000000000000000c00000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303132000031000000000000000d00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303133000031000000000000000e00000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303134000031000000000000000f00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303135000031000000000000001000000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303136000031000000000000001100000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303137000031000000000000001200000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303138000031000000000000001300000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303139000031000000000000001400000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303230000031000000000000001500000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303231000031000000000000001600000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303232000031000000000000001700000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303233000031000000000000001800000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303234000031000000000000001900000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "3030303032350000eeeeeeeeeeeeeeee";
static const char multipart_resp2[] =
    "6d0000000700000002000000000000006b00000000000000760000000000000031000000000000001a00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303236000031000000000000001b00000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303237000031000000000000001c00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303238000031000000000000001d00000000000000303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303239000031000000000000001e00000000000000"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030"
    "3030303033300000ffffffffffffffff";
static const char cluster_req[] =
    "01000000100000000100000000000000";
static const char cluster_resp[] =
    "0500000003000000010000000000000001000000000000003132372e302e302e313a3239333031000000000000000000";

/* ------------------------------------------------------------ helpers */

/* The bytes of hex text, in a block of exactly their size. */
static uint8_t *unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex) / 2;
    uint8_t *p = malloc(len ? len : 1);
    CHECK(p);
    for (size_t i = 0; i < len; i++) {
        unsigned byte;
        CHECK(sscanf(hex + 2 * i, "%2x", &byte) == 1);
        p[i] = (uint8_t)byte;
    }
    *n = len;
    return p;
}

static void same_bytes(const char *name, const char *captured, int rc, const struct nana_dq_out *out)
{
    if (rc != NANA_DQ_OK)
        t_fail(__FILE__, __LINE__, "%s: encode: %s", name, nana__dqwire_strerror(rc));
    size_t n;
    uint8_t *want = unhex(captured, &n);
    if (n != out->len || memcmp(want, out->data, n) != 0) {
        size_t at = 0;
        while (at < n && at < out->len && want[at] == out->data[at])
            at++;
        t_fail(__FILE__, __LINE__, "%s: %zu bytes encoded, %zu captured, first difference at %zu",
               name, out->len, n, at);
    }
    free(want);
}

/* A response: its header, and its body alone in a block of its size. */
struct frame {
    struct nana_dq_header h;
    uint8_t *body;
    size_t len;
};

static struct frame frame_of(const char *hex)
{
    size_t n;
    uint8_t *all = unhex(hex, &n);
    CHECK(n >= NANA_DQ_HEADER_SIZE);
    struct frame f;
    nana__dqwire_header(all, &f.h);
    f.len = n - NANA_DQ_HEADER_SIZE;
    CHECK_INT(f.len, (size_t)f.h.words * 8);
    CHECK_INT(f.h.schema, 0);
    f.body = malloc(f.len ? f.len : 1);
    CHECK(f.body);
    memcpy(f.body, all + NANA_DQ_HEADER_SIZE, f.len);
    free(all);
    return f;
}

/* ------------------------------------------------------------ requests */

static void requests_match_captured(void)
{
    struct nana_dq_out out = {0};
    same_bytes("handshake", handshake_req, nana__dqwire_handshake(&out), &out);
    same_bytes("leader", leader_req, nana__dqwire_leader(&out), &out);
    same_bytes("client", client_req, nana__dqwire_client(&out, 42), &out);
    same_bytes("open", open_req, nana__dqwire_open(&out, "capture.db", 0, NULL), &out);
    same_bytes("create", create_req,
               nana__dqwire_exec_sql(&out, 0,
                                     "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n, "
                                     "d DATETIME, f BOOLEAN)",
                                     NULL, 0),
               &out);
    struct nana_dq_value p[7] = CAPTURE_PARAMS;
    same_bytes("insert", insert_req,
               nana__dqwire_exec_sql(&out, 0, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", p, 7),
               &out);
    same_bytes("insert2", insert2_req,
               nana__dqwire_exec_sql(&out, 0,
                                     "INSERT INTO t VALUES (7, -0.5, '', x'', NULL, 1700000000, "
                                     "NULL)",
                                     NULL, 0),
               &out);
    same_bytes("select", select_req,
               nana__dqwire_query_sql(&out, 0, "SELECT * FROM t ORDER BY rowid", NULL, 0), &out);
    same_bytes("failure", failure_req,
               nana__dqwire_exec_sql(&out, 0, "INSERT INTO missing VALUES (1)", NULL, 0), &out);
    same_bytes("prepare", prepare_req, nana__dqwire_prepare(&out, 0, "SELECT ?1 + 1"), &out);
    struct nana_dq_value one = {.type = NANA_DQ_INTEGER, .integer = 41};
    same_bytes("query", query_req, nana__dqwire_query(&out, 0, 0, &one, 1), &out);
    same_bytes("finalize", finalize_req, nana__dqwire_finalize(&out, 0, 0), &out);
    same_bytes("many", many_req,
               nana__dqwire_exec_sql(&out, 0,
                                     "CREATE TABLE m (k INTEGER, v TEXT);"
                                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                                     "FROM c WHERE x < 30) "
                                     "INSERT INTO m SELECT x, printf('%0150d', x) FROM c",
                                     NULL, 0),
               &out);
    same_bytes("multipart", multipart_req,
               nana__dqwire_query_sql(&out, 0, "SELECT k, v FROM m ORDER BY k", NULL, 0), &out);
    same_bytes("cluster", cluster_req, nana__dqwire_cluster(&out), &out);
    nana__dqwire_out_free(&out);
}

/* What the node's decoder would read, spelled out: a params tuple of nine
 * values takes two header words (count, nine types, zeros). */
static void params_header_spans_words(void)
{
    struct nana_dq_value p[9];
    for (int i = 0; i < 9; i++)
        p[i] = (struct nana_dq_value){.type = i % 2 ? NANA_DQ_NULL : NANA_DQ_INTEGER, .integer = i};
    struct nana_dq_out out = {0};
    CHECK_INT(nana__dqwire_exec(&out, 0, 3, p, 9), NANA_DQ_OK);
    const uint8_t *b = out.data + NANA_DQ_HEADER_SIZE;
    CHECK_INT(out.len, 8 + 8 + 16 + 9 * 8);
    CHECK_INT(b[0], 0);    /* db id */
    CHECK_INT(b[4], 3);    /* statement id */
    CHECK_INT(b[8], 9);    /* count */
    for (int i = 0; i < 9; i++)
        CHECK_INT(b[9 + i], i % 2 ? NANA_DQ_NULL : NANA_DQ_INTEGER);
    for (int i = 18; i < 24; i++)
        CHECK_INT(b[i], 0);
    CHECK_INT(b[24 + 8 * 8], 8); /* the last value, little endian */
    CHECK_INT(out.data[0], (out.len - 8) / 8);

    /* What cannot be encoded is refused, not sent wrong. */
    struct nana_dq_value many[256];
    for (int i = 0; i < 256; i++)
        many[i] = (struct nana_dq_value){.type = NANA_DQ_NULL};
    CHECK_INT(nana__dqwire_query_sql(&out, 0, "SELECT 1", many, 255), NANA_DQ_OK);
    CHECK_INT(nana__dqwire_query_sql(&out, 0, "SELECT 1", many, 256), NANA_DQ_EINVAL);
    struct nana_dq_value bad = {.type = NANA_DQ_UNIXTIME, .integer = 1};
    CHECK_INT(nana__dqwire_exec_sql(&out, 0, "SELECT ?", &bad, 1), NANA_DQ_EINVAL);
    bad.type = 6;
    CHECK_INT(nana__dqwire_exec_sql(&out, 0, "SELECT ?", &bad, 1), NANA_DQ_EINVAL);
    struct nana_dq_value nul = {.type = NANA_DQ_TEXT, .text = {"a\0b", 3}};
    CHECK_INT(nana__dqwire_exec_sql(&out, 0, "SELECT ?", &nul, 1), NANA_DQ_EINVAL);
    nana__dqwire_out_free(&out);

    /* Every status has a text of its own. */
    for (int a = NANA_DQ_OK; a <= NANA_DQ_ENOLEADER; a++)
        for (int b2 = a + 1; b2 <= NANA_DQ_ENOLEADER; b2++)
            CHECK(strcmp(nana__dqwire_strerror(a), nana__dqwire_strerror(b2)) != 0);
}

/* ----------------------------------------------------------- responses */

static void check_text(const struct nana_dq_value *v, const char *want)
{
    CHECK_INT(v->text.len, strlen(want));
    CHECK(memcmp(v->text.ptr, want, v->text.len) == 0 && v->text.ptr[v->text.len] == '\0');
}

static void responses_decode(void)
{
    struct frame f = frame_of(leader_resp);
    uint64_t id, code, n64;
    const char *text;
    CHECK_INT(f.h.type, NANA_DQ_RESP_SERVER);
    CHECK_INT(nana__dqwire_server(f.body, f.len, &id, &text), NANA_DQ_OK);
    CHECK_INT(id, 1);
    CHECK_STR(text, "127.0.0.1:29301");
    free(f.body);

    f = frame_of(client_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_WELCOME);
    CHECK_INT(nana__dqwire_welcome(f.body, f.len, &n64), NANA_DQ_OK);
    CHECK_INT(n64, 15000);
    free(f.body);

    uint32_t db = 99, stmt = 99;
    f = frame_of(open_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_DB);
    CHECK_INT(nana__dqwire_db(f.body, f.len, &db), NANA_DQ_OK);
    CHECK_INT(db, 0);
    free(f.body);

    int64_t last;
    f = frame_of(insert2_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_RESULT);
    CHECK_INT(nana__dqwire_result(f.body, f.len, &last, &n64), NANA_DQ_OK);
    CHECK_INT(last, 2);
    CHECK_INT(n64, 1);
    free(f.body);
    f = frame_of(many_resp);
    CHECK_INT(nana__dqwire_result(f.body, f.len, &last, &n64), NANA_DQ_OK);
    CHECK_INT(last, 30);
    CHECK_INT(n64, 30);
    free(f.body);

    f = frame_of(failure_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_FAILURE);
    CHECK_INT(nana__dqwire_failure(f.body, f.len, &code, &text), NANA_DQ_OK);
    CHECK_INT(code, 1); /* SQLITE_ERROR */
    CHECK_STR(text, "no such table: missing");
    free(f.body);

    f = frame_of(prepare_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_STMT);
    CHECK_INT(nana__dqwire_stmt(f.body, f.len, &db, &stmt, &n64), NANA_DQ_OK);
    CHECK_INT(db, 0);
    CHECK_INT(stmt, 0);
    CHECK_INT(n64, 1);
    free(f.body);

    f = frame_of(finalize_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_EMPTY);
    CHECK_INT(nana__dqwire_empty(f.body, f.len), NANA_DQ_OK);
    free(f.body);

    struct nana_dq_node nodes[2];
    size_t n;
    f = frame_of(cluster_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_SERVERS);
    CHECK_INT(nana__dqwire_servers(f.body, f.len, nodes, 2, &n), NANA_DQ_OK);
    CHECK_INT(n, 1);
    CHECK_INT(nodes[0].id, 1);
    CHECK_STR(nodes[0].address, "127.0.0.1:29301");
    CHECK_INT(nodes[0].role, NANA_DQ_VOTER);
    free(f.body);

    /* A prepared query's one row, one column named after its expression. */
    struct nana_dq_rows rows;
    f = frame_of(query_resp);
    CHECK_INT(f.h.type, NANA_DQ_RESP_ROWS);
    CHECK_INT(nana__dqwire_rows_begin(&rows, f.body, f.len), NANA_DQ_OK);
    CHECK_INT(rows.n_columns, 1);
    CHECK_STR(rows.names[0], "?1 + 1");
    CHECK_INT(nana__dqwire_rows_next(&rows), NANA_DQ_ROW);
    CHECK_INT(rows.values[0].type, NANA_DQ_INTEGER);
    CHECK_INT(rows.values[0].integer, 42);
    CHECK_INT(nana__dqwire_rows_next(&rows), NANA_DQ_DONE);
    nana__dqwire_rows_free(&rows);
    free(f.body);

    /* Every column type, as the node typed them: DATETIME gives ISO8601
     * for text and UNIXTIME for an integer, BOOLEAN its own type -- and a
     * NULL in a BOOLEAN column arrives as BOOLEAN 0: the node loses it. */
    static const char *const names[] = {"i", "r", "s", "b", "n", "d", "f"};
    f = frame_of(select_resp);
    CHECK_INT(nana__dqwire_rows_begin(&rows, f.body, f.len), NANA_DQ_OK);
    CHECK_INT(rows.n_columns, 7);
    for (int i = 0; i < 7; i++)
        CHECK_STR(rows.names[i], names[i]);
    CHECK_INT(nana__dqwire_rows_next(&rows), NANA_DQ_ROW);
    const struct nana_dq_value *v = rows.values;
    CHECK_INT(v[0].type, NANA_DQ_INTEGER);
    CHECK_INT(v[0].integer, -1234567890123);
    CHECK_INT(v[1].type, NANA_DQ_FLOAT);
    CHECK(v[1].real == 3.25);
    CHECK_INT(v[2].type, NANA_DQ_TEXT);
    check_text(&v[2], "h\xc3\xa9llo");
    CHECK_INT(v[3].type, NANA_DQ_BLOB);
    CHECK_INT(v[3].blob.len, 5);
    CHECK(memcmp(v[3].blob.ptr, "\x00\x01\x02\xff\xfe", 5) == 0);
    CHECK_INT(v[4].type, NANA_DQ_NULL);
    CHECK_INT(v[5].type, NANA_DQ_ISO8601);
    check_text(&v[5], "2024-01-02T03:04:05Z");
    CHECK_INT(v[6].type, NANA_DQ_BOOLEAN);
    CHECK_INT(v[6].boolean, 1);
    CHECK_INT(nana__dqwire_rows_next(&rows), NANA_DQ_ROW);
    CHECK_INT(v[0].integer, 7);
    CHECK(v[1].real == -0.5);
    check_text(&v[2], "");
    CHECK_INT(v[3].type, NANA_DQ_BLOB);
    CHECK_INT(v[3].blob.len, 0);
    CHECK_INT(v[5].type, NANA_DQ_UNIXTIME);
    CHECK_INT(v[5].integer, 1700000000);
    CHECK_INT(v[6].type, NANA_DQ_BOOLEAN);
    CHECK_INT(v[6].boolean, 0);
    CHECK_INT(nana__dqwire_rows_next(&rows), NANA_DQ_DONE);
    nana__dqwire_rows_free(&rows);
    free(f.body);

    /* A result in two messages: each starts again with the columns; the
     * first ends with PART, the second with DONE; every row in order. */
    const char *parts[] = {multipart_resp1, multipart_resp2};
    int64_t next_k = 1;
    for (int part = 0; part < 2; part++) {
        f = frame_of(parts[part]);
        CHECK_INT(f.h.type, NANA_DQ_RESP_ROWS);
        CHECK_INT(nana__dqwire_rows_begin(&rows, f.body, f.len), NANA_DQ_OK);
        CHECK_INT(rows.n_columns, 2);
        CHECK_STR(rows.names[0], "k");
        CHECK_STR(rows.names[1], "v");
        int rc;
        while ((rc = nana__dqwire_rows_next(&rows)) == NANA_DQ_ROW) {
            char want[160];
            snprintf(want, sizeof want, "%0150lld", (long long)next_k);
            CHECK_INT(rows.values[0].integer, next_k);
            check_text(&rows.values[1], want);
            next_k++;
        }
        CHECK_INT(rc, part == 0 ? NANA_DQ_PART : NANA_DQ_DONE);
        nana__dqwire_rows_free(&rows);
        free(f.body);
    }
    CHECK_INT(next_k, 31);
}

/* ---------------------------------------------------- damaged responses */

/* Decodes body as a response of type; a ROWS body is walked to its end.
 * Returns the first failure, or NANA_DQ_OK. */
static int decode_any(int type, const uint8_t *body, size_t len)
{
    uint64_t u;
    int64_t i;
    uint32_t a, b;
    const char *s;
    struct nana_dq_node nodes[4];
    size_t n;
    switch (type) {
    case NANA_DQ_RESP_FAILURE: return nana__dqwire_failure(body, len, &u, &s);
    case NANA_DQ_RESP_SERVER: return nana__dqwire_server(body, len, &u, &s);
    case NANA_DQ_RESP_WELCOME: return nana__dqwire_welcome(body, len, &u);
    case NANA_DQ_RESP_DB: return nana__dqwire_db(body, len, &a);
    case NANA_DQ_RESP_STMT: return nana__dqwire_stmt(body, len, &a, &b, &u);
    case NANA_DQ_RESP_RESULT: return nana__dqwire_result(body, len, &i, &u);
    case NANA_DQ_RESP_EMPTY: return nana__dqwire_empty(body, len);
    case NANA_DQ_RESP_SERVERS: return nana__dqwire_servers(body, len, nodes, 4, &n);
    case NANA_DQ_RESP_ROWS: {
        struct nana_dq_rows rows;
        int rc = nana__dqwire_rows_begin(&rows, body, len);
        while (rc == NANA_DQ_OK && (rc = nana__dqwire_rows_next(&rows)) == NANA_DQ_ROW)
            rc = NANA_DQ_OK;
        nana__dqwire_rows_free(&rows);
        return rc == NANA_DQ_DONE || rc == NANA_DQ_PART ? NANA_DQ_OK : rc;
    }
    }
    t_fail(__FILE__, __LINE__, "no decoder for type %d", type);
}

static const char *const responses[] = {
    leader_resp, client_resp,   open_resp,     create_resp,  insert_resp,
    insert2_resp, select_resp,  failure_resp,  prepare_resp, query_resp,
    finalize_resp, many_resp,   multipart_resp1, multipart_resp2, cluster_resp,
};
#define N_RESPONSES (sizeof responses / sizeof responses[0])

/* Every shorter body is refused; every byte changed decodes or is refused,
 * never read past the body. */
static void damaged(size_t which)
{
    struct frame f = frame_of(responses[which]);
    CHECK_INT(decode_any(f.h.type, f.body, f.len), NANA_DQ_OK);
    for (size_t len = 0; len < f.len; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        CHECK(cut);
        memcpy(cut, f.body, len);
        int rc = decode_any(f.h.type, cut, len);
        if (rc != NANA_DQ_EPROTO)
            t_fail(__FILE__, __LINE__, "response %zu cut to %zu of %zu bytes: %s", which, len,
                   f.len, nana__dqwire_strerror(rc));
        free(cut);
    }
    static const uint8_t subst[] = {0x00, 0xff, 0x0c, 0xee, 0x80};
    uint8_t *copy = malloc(f.len);
    CHECK(copy);
    for (size_t at = 0; at < f.len; at++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(copy, f.body, f.len);
            copy[at] = subst[k];
            int rc = decode_any(f.h.type, copy, f.len);
            CHECK(rc == NANA_DQ_OK || rc == NANA_DQ_EPROTO);
        }
    }
    free(copy);
    free(f.body);
}

static void *damage_thread(void *arg)
{
    size_t first = (size_t)(uintptr_t)arg;
    for (size_t i = first; i < N_RESPONSES; i += 4)
        damaged(i);
    return NULL;
}

/* Bodies made to lie. */
static uint8_t *words(size_t n, const uint64_t *w)
{
    uint8_t *p = malloc(n * 8);
    CHECK(p);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            p[i * 8 + b] = (uint8_t)(w[i] >> (8 * b));
    return p;
}

static int rows_of(size_t n, const uint64_t *w)
{
    uint8_t *p = words(n, w);
    int rc = decode_any(NANA_DQ_RESP_ROWS, p, n * 8);
    free(p);
    return rc;
}

static void lies_refused(void)
{
    const uint64_t done = UINT64_MAX, part = UINT64_C(0xeeeeeeeeeeeeeeee);
    const uint64_t name = 'x'; /* "x" and its NUL */
    /* A sane one first: one INTEGER column, one row. */
    CHECK_INT(rows_of(5, (uint64_t[]){1, name, 1, 5, done}), NANA_DQ_OK);
    /* Column counts nobody could send: refused before any allocation. */
    CHECK_INT(rows_of(3, (uint64_t[]){UINT64_MAX, name, done}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(3, (uint64_t[]){1u << 30, name, done}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(2, (uint64_t[]){0, done}), NANA_DQ_EPROTO);
    /* Types that are none. */
    for (uint64_t t = 0; t < 16; t++) {
        bool known = (t >= 1 && t <= 5) || (t >= 9 && t <= 11);
        if (known)
            continue;
        CHECK_INT(rows_of(5, (uint64_t[]){1, name, t, 5, done}), NANA_DQ_EPROTO);
    }
    /* A marker that is not the last word; no marker at all. */
    CHECK_INT(rows_of(6, (uint64_t[]){1, name, 1, 5, done, 0}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(6, (uint64_t[]){1, name, 1, 5, part, done}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(4, (uint64_t[]){1, name, 1, 5}), NANA_DQ_EPROTO);
    /* A blob longer than the body; a text with no NUL. */
    CHECK_INT(rows_of(6, (uint64_t[]){1, name, 4, UINT64_C(1) << 63, 0, done}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(6, (uint64_t[]){1, name, 4, UINT64_MAX - 3, 0, done}), NANA_DQ_EPROTO);
    CHECK_INT(rows_of(5, (uint64_t[]){1, name, 3, UINT64_C(0x4141414141414141), done}),
              NANA_DQ_EPROTO);
    /* A member count past the body. */
    uint8_t *p = words(4, (uint64_t[]){UINT64_C(1) << 40, 1, name, 0});
    CHECK_INT(decode_any(NANA_DQ_RESP_SERVERS, p, 32), NANA_DQ_EPROTO);
    free(p);
    /* A failure whose message runs to the end without a NUL. */
    p = words(2, (uint64_t[]){1, UINT64_C(0x4141414141414141)});
    CHECK_INT(decode_any(NANA_DQ_RESP_FAILURE, p, 16), NANA_DQ_EPROTO);
    free(p);
    /* A later schema's extra fields are ignored, not refused. */
    p = words(3, (uint64_t[]){7, 1, 99});
    CHECK_INT(decode_any(NANA_DQ_RESP_RESULT, p, 24), NANA_DQ_OK);
    free(p);
}

int main(void)
{
    requests_match_captured();
    params_header_spans_words();
    responses_decode();
    lies_refused();
    pthread_t threads[4];
    for (uintptr_t i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, damage_thread, (void *)i) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    return 0;
}
