/*
 * dqwire.c -- dqlite's wire protocol (version 1) as bytes: requests
 * encoded into a growing buffer, responses decoded from the body of one
 * message.  No I/O.  Every read is checked against what is left of the
 * body first, so that a short, lying or hostile message is NANA_DQ_EPROTO,
 * never a read past its end.  Integers are little endian whatever the
 * host; fields are padded to 8-byte words.
 */
#include <stdlib.h>
#include <string.h>

#include "dqlite.h"

static const char *const rc_text[] = {
#define NANA_DQ_RC_TEXT_(name, text) [name] = text,
    NANA_DQ_RC_TABLE(NANA_DQ_RC_TEXT_)
#undef NANA_DQ_RC_TEXT_
};

const char *nana__dqwire_strerror(int rc)
{
    if (rc >= 0 && (size_t)rc < sizeof rc_text / sizeof rc_text[0] && rc_text[rc])
        return rc_text[rc];
    return "unknown dqlite client status";
}

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* ---------------------------------------------------------------- encoding */

void nana__dqwire_out_free(struct nana_dq_out *out)
{
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

/* Room for n more bytes, zeroed (padding is zeros on the wire). */
static uint8_t *grow(struct nana_dq_out *out, size_t n)
{
    if (n > SIZE_MAX / 2 - out->len)
        return NULL;
    if (out->len + n > out->cap) {
        size_t cap = out->cap ? out->cap : 256;
        while (cap < out->len + n)
            cap *= 2;
        uint8_t *data = realloc(out->data, cap);
        if (!data)
            return NULL;
        out->data = data;
        out->cap = cap;
    }
    uint8_t *p = out->data + out->len;
    memset(p, 0, n);
    out->len += n;
    return p;
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int put_u64(struct nana_dq_out *out, uint64_t v)
{
    uint8_t *p = grow(out, 8);
    if (!p)
        return NANA_DQ_ENOMEM;
    le64(p, v);
    return NANA_DQ_OK;
}

/* Two uint32 in one word (EXEC, QUERY, FINALIZE: db and statement). */
static int put_u32_pair(struct nana_dq_out *out, uint32_t a, uint32_t b)
{
    uint8_t *p = grow(out, 8);
    if (!p)
        return NANA_DQ_ENOMEM;
    le32(p, a);
    le32(p + 4, b);
    return NANA_DQ_OK;
}

/* A text field: the bytes, a NUL, zeros to the word. */
static int put_text(struct nana_dq_out *out, const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return NANA_DQ_EINVAL; /* the NUL ends a text on the wire */
    if (len > SIZE_MAX - 8)
        return NANA_DQ_EINVAL;
    uint8_t *p = grow(out, pad8(len + 1));
    if (!p)
        return NANA_DQ_ENOMEM;
    memcpy(p, s, len);
    return NANA_DQ_OK;
}

static int put_cstr(struct nana_dq_out *out, const char *s)
{
    return put_text(out, s, strlen(s));
}

/* A params tuple: a count byte, one type byte per value, zeros to the
 * word; then the values.  No tuple at all when there is nothing to bind
 * (the node binds nothing when the body ends there). */
static int put_params(struct nana_dq_out *out, const struct nana_dq_value *v, size_t n)
{
    if (n == 0)
        return NANA_DQ_OK;
    if (n > 255)
        return NANA_DQ_EINVAL;
    uint8_t *h = grow(out, pad8(1 + n));
    if (!h)
        return NANA_DQ_ENOMEM;
    size_t header_at = (size_t)(h - out->data);
    out->data[header_at] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        int rc = NANA_DQ_OK;
        switch (v[i].type) {
        case NANA_DQ_INTEGER: rc = put_u64(out, (uint64_t)v[i].integer); break;
        case NANA_DQ_FLOAT: {
            uint64_t bits;
            memcpy(&bits, &v[i].real, sizeof bits);
            rc = put_u64(out, bits);
            break;
        }
        case NANA_DQ_TEXT:
        case NANA_DQ_ISO8601: rc = put_text(out, v[i].text.ptr, v[i].text.len); break;
        case NANA_DQ_BLOB: {
            if (v[i].blob.len > SIZE_MAX - 16)
                return NANA_DQ_EINVAL;
            rc = put_u64(out, v[i].blob.len);
            uint8_t *p = rc ? NULL : grow(out, pad8(v[i].blob.len));
            if (!rc && !p)
                rc = NANA_DQ_ENOMEM;
            if (!rc && v[i].blob.len)
                memcpy(p, v[i].blob.ptr, v[i].blob.len);
            break;
        }
        case NANA_DQ_NULL: rc = put_u64(out, 0); break;
        case NANA_DQ_BOOLEAN: rc = put_u64(out, v[i].boolean ? 1 : 0); break;
        default: return NANA_DQ_EINVAL; /* UNIXTIME included: 1.11 cannot bind it */
        }
        if (rc)
            return rc;
        /* out->data may have moved; the header is found again by offset. */
        out->data[header_at + 1 + i] = (uint8_t)v[i].type;
    }
    return NANA_DQ_OK;
}

/* A frame starts with its header, filled in by finish(). */
static int start(struct nana_dq_out *out)
{
    out->len = 0;
    return grow(out, NANA_DQ_HEADER_SIZE) ? NANA_DQ_OK : NANA_DQ_ENOMEM;
}

static int finish(struct nana_dq_out *out, int type, int rc)
{
    if (rc)
        return rc;
    size_t words = (out->len - NANA_DQ_HEADER_SIZE) / 8;
    if (words > UINT32_MAX)
        return NANA_DQ_EINVAL;
    le32(out->data, (uint32_t)words);
    out->data[4] = (uint8_t)type;
    out->data[5] = 0; /* schema revision 0 of every request */
    out->data[6] = out->data[7] = 0;
    return NANA_DQ_OK;
}

int nana__dqwire_handshake(struct nana_dq_out *out)
{
    out->len = 0;
    return put_u64(out, NANA_DQ_PROTOCOL_VERSION);
}

/* Requests of one uint64 field. */
static int one_u64(struct nana_dq_out *out, int type, uint64_t v)
{
    int rc = start(out);
    return finish(out, type, rc ? rc : put_u64(out, v));
}

int nana__dqwire_leader(struct nana_dq_out *out)
{
    return one_u64(out, NANA_DQ_REQ_LEADER, 0);
}

int nana__dqwire_client(struct nana_dq_out *out, uint64_t client_id)
{
    return one_u64(out, NANA_DQ_REQ_CLIENT, client_id);
}

int nana__dqwire_open(struct nana_dq_out *out, const char *name, uint64_t flags, const char *vfs)
{
    int rc = start(out);
    if (!rc)
        rc = put_cstr(out, name);
    if (!rc)
        rc = put_u64(out, flags);
    if (!rc)
        rc = put_cstr(out, vfs ? vfs : "");
    return finish(out, NANA_DQ_REQ_OPEN, rc);
}

/* PREPARE, EXEC_SQL, QUERY_SQL: a uint64 database id, the SQL, params. */
static int db_sql(struct nana_dq_out *out, int type, uint32_t db_id, const char *sql,
                  const struct nana_dq_value *params, size_t n_params)
{
    int rc = start(out);
    if (!rc)
        rc = put_u64(out, db_id);
    if (!rc)
        rc = put_cstr(out, sql);
    if (!rc)
        rc = put_params(out, params, n_params);
    return finish(out, type, rc);
}

/* EXEC, QUERY, FINALIZE: two uint32 ids in a word, params. */
static int db_stmt(struct nana_dq_out *out, int type, uint32_t db_id, uint32_t stmt_id,
                   const struct nana_dq_value *params, size_t n_params)
{
    int rc = start(out);
    if (!rc)
        rc = put_u32_pair(out, db_id, stmt_id);
    if (!rc)
        rc = put_params(out, params, n_params);
    return finish(out, type, rc);
}

int nana__dqwire_prepare(struct nana_dq_out *out, uint32_t db_id, const char *sql)
{
    return db_sql(out, NANA_DQ_REQ_PREPARE, db_id, sql, NULL, 0);
}

int nana__dqwire_exec(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id,
                      const struct nana_dq_value *params, size_t n_params)
{
    return db_stmt(out, NANA_DQ_REQ_EXEC, db_id, stmt_id, params, n_params);
}

int nana__dqwire_query(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id,
                       const struct nana_dq_value *params, size_t n_params)
{
    return db_stmt(out, NANA_DQ_REQ_QUERY, db_id, stmt_id, params, n_params);
}

int nana__dqwire_finalize(struct nana_dq_out *out, uint32_t db_id, uint32_t stmt_id)
{
    return db_stmt(out, NANA_DQ_REQ_FINALIZE, db_id, stmt_id, NULL, 0);
}

int nana__dqwire_exec_sql(struct nana_dq_out *out, uint32_t db_id, const char *sql,
                          const struct nana_dq_value *params, size_t n_params)
{
    return db_sql(out, NANA_DQ_REQ_EXEC_SQL, db_id, sql, params, n_params);
}

int nana__dqwire_query_sql(struct nana_dq_out *out, uint32_t db_id, const char *sql,
                           const struct nana_dq_value *params, size_t n_params)
{
    return db_sql(out, NANA_DQ_REQ_QUERY_SQL, db_id, sql, params, n_params);
}

int nana__dqwire_add(struct nana_dq_out *out, uint64_t node_id, const char *address)
{
    int rc = start(out);
    if (!rc)
        rc = put_u64(out, node_id);
    if (!rc)
        rc = put_cstr(out, address);
    return finish(out, NANA_DQ_REQ_ADD, rc);
}

int nana__dqwire_assign(struct nana_dq_out *out, uint64_t node_id, uint64_t role)
{
    /* The role word is optional on the wire (without it: voter, the older
     * PROMOTE); always sent, so that what is asked is explicit. */
    int rc = start(out);
    if (!rc)
        rc = put_u64(out, node_id);
    if (!rc)
        rc = put_u64(out, role);
    return finish(out, NANA_DQ_REQ_ASSIGN, rc);
}

int nana__dqwire_remove(struct nana_dq_out *out, uint64_t node_id)
{
    return one_u64(out, NANA_DQ_REQ_REMOVE, node_id);
}

int nana__dqwire_cluster(struct nana_dq_out *out)
{
    return one_u64(out, NANA_DQ_REQ_CLUSTER, 1); /* format 1: id, address, role */
}

int nana__dqwire_transfer(struct nana_dq_out *out, uint64_t node_id)
{
    return one_u64(out, NANA_DQ_REQ_TRANSFER, node_id);
}

/* ---------------------------------------------------------------- decoding */

/* A read position in one body. */
struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void nana__dqwire_header(const uint8_t *p, struct nana_dq_header *h)
{
    h->words = rd32(p);
    h->type = p[4];
    h->schema = p[5];
}

static int get_u64(struct cursor *c, uint64_t *v)
{
    if (c->left < 8)
        return NANA_DQ_EPROTO;
    *v = rd64(c->p);
    c->p += 8;
    c->left -= 8;
    return NANA_DQ_OK;
}

static int get_u32_pair(struct cursor *c, uint32_t *a, uint32_t *b)
{
    if (c->left < 8)
        return NANA_DQ_EPROTO;
    *a = rd32(c->p);
    *b = rd32(c->p + 4);
    c->p += 8;
    c->left -= 8;
    return NANA_DQ_OK;
}

/* A text: its NUL must lie inside the body, and its padding too. */
static int get_text(struct cursor *c, const char **s, size_t *len_out)
{
    const uint8_t *nul = memchr(c->p, '\0', c->left);
    if (!nul)
        return NANA_DQ_EPROTO;
    size_t len = (size_t)(nul - c->p), padded = pad8(len + 1);
    if (padded > c->left)
        return NANA_DQ_EPROTO;
    *s = (const char *)c->p;
    if (len_out)
        *len_out = len;
    c->p += padded;
    c->left -= padded;
    return NANA_DQ_OK;
}

static int get_blob(struct cursor *c, const void **ptr, size_t *len_out)
{
    uint64_t len;
    if (get_u64(c, &len))
        return NANA_DQ_EPROTO;
    if (len > c->left || pad8((size_t)len) > c->left)
        return NANA_DQ_EPROTO;
    *ptr = c->p;
    *len_out = (size_t)len;
    c->p += pad8((size_t)len);
    c->left -= pad8((size_t)len);
    return NANA_DQ_OK;
}

static struct cursor body_cursor(const uint8_t *body, size_t len)
{
    /* A body is whole words; a trailing fraction would be a framing bug. */
    return (struct cursor){body, len & ~(size_t)7};
}

int nana__dqwire_failure(const uint8_t *body, size_t len, uint64_t *code, const char **message)
{
    struct cursor c = body_cursor(body, len);
    if (get_u64(&c, code) || get_text(&c, message, NULL))
        return NANA_DQ_EPROTO;
    return NANA_DQ_OK;
}

int nana__dqwire_server(const uint8_t *body, size_t len, uint64_t *node_id, const char **address)
{
    struct cursor c = body_cursor(body, len);
    if (get_u64(&c, node_id) || get_text(&c, address, NULL))
        return NANA_DQ_EPROTO;
    return NANA_DQ_OK;
}

int nana__dqwire_welcome(const uint8_t *body, size_t len, uint64_t *heartbeat_ms)
{
    struct cursor c = body_cursor(body, len);
    return get_u64(&c, heartbeat_ms);
}

int nana__dqwire_db(const uint8_t *body, size_t len, uint32_t *db_id)
{
    struct cursor c = body_cursor(body, len);
    uint32_t pad;
    return get_u32_pair(&c, db_id, &pad);
}

int nana__dqwire_stmt(const uint8_t *body, size_t len, uint32_t *db_id, uint32_t *stmt_id,
                      uint64_t *n_params)
{
    struct cursor c = body_cursor(body, len);
    if (get_u32_pair(&c, db_id, stmt_id) || get_u64(&c, n_params))
        return NANA_DQ_EPROTO;
    return NANA_DQ_OK;
}

int nana__dqwire_result(const uint8_t *body, size_t len, int64_t *last_insert_id,
                        uint64_t *rows_affected)
{
    struct cursor c = body_cursor(body, len);
    uint64_t id;
    if (get_u64(&c, &id) || get_u64(&c, rows_affected))
        return NANA_DQ_EPROTO;
    *last_insert_id = (int64_t)id;
    return NANA_DQ_OK;
}

int nana__dqwire_empty(const uint8_t *body, size_t len)
{
    struct cursor c = body_cursor(body, len);
    uint64_t unused;
    return get_u64(&c, &unused);
}

int nana__dqwire_servers(const uint8_t *body, size_t len, struct nana_dq_node *out, size_t max,
                         size_t *n)
{
    struct cursor c = body_cursor(body, len);
    uint64_t count;
    if (get_u64(&c, &count))
        return NANA_DQ_EPROTO;
    /* Each member takes at least three words: a count past that is a lie. */
    if (count > c.left / 24)
        return NANA_DQ_EPROTO;
    for (uint64_t i = 0; i < count; i++) {
        struct nana_dq_node node;
        if (get_u64(&c, &node.id) || get_text(&c, &node.address, NULL) ||
            get_u64(&c, &node.role))
            return NANA_DQ_EPROTO;
        if (i < max)
            out[i] = node;
    }
    *n = (size_t)count;
    return NANA_DQ_OK;
}

/* ------------------------------------------------------------------- rows */

#define ROWS_PART_MARKER UINT64_C(0xeeeeeeeeeeeeeeee)
#define ROWS_DONE_MARKER UINT64_C(0xffffffffffffffff)

void nana__dqwire_rows_free(struct nana_dq_rows *rows)
{
    free(rows->names);
    free(rows->values);
    rows->names = NULL;
    rows->values = NULL;
}

int nana__dqwire_rows_begin(struct nana_dq_rows *rows, const uint8_t *body, size_t len)
{
    memset(rows, 0, sizeof *rows);
    struct cursor c = body_cursor(body, len);
    uint64_t n;
    if (get_u64(&c, &n))
        return NANA_DQ_EPROTO;
    /* A node sends a result only for statements with columns; every name
     * takes a word at least, so a count past that is a lie, refused before
     * anything is allocated for it. */
    if (n == 0 || n > c.left / 8)
        return NANA_DQ_EPROTO;
    rows->n_columns = (size_t)n;
    rows->names = calloc(rows->n_columns, sizeof *rows->names);
    rows->values = calloc(rows->n_columns, sizeof *rows->values);
    if (!rows->names || !rows->values)
        return NANA_DQ_ENOMEM;
    for (size_t i = 0; i < rows->n_columns; i++)
        if (get_text(&c, &rows->names[i], NULL))
            return NANA_DQ_EPROTO;
    rows->body = c.p;
    rows->len = c.left;
    rows->pos = 0;
    return NANA_DQ_OK;
}

int nana__dqwire_rows_next(struct nana_dq_rows *rows)
{
    if (!rows->values)
        return NANA_DQ_EPROTO;
    struct cursor c = {rows->body + rows->pos, rows->len - rows->pos};
    if (c.left < 8)
        return NANA_DQ_EPROTO; /* no end marker */
    uint64_t word = rd64(c.p);
    if (word == ROWS_PART_MARKER || word == ROWS_DONE_MARKER) {
        /* The marker is the last word; nothing may follow it. */
        if (c.left != 8)
            return NANA_DQ_EPROTO;
        rows->pos = rows->len;
        return word == ROWS_DONE_MARKER ? NANA_DQ_DONE : NANA_DQ_PART;
    }
    /* The row's header: a 4-bit type per column, padded to words.  An end
     * marker cannot be mistaken for one: its nibbles are no type. */
    size_t header = pad8((rows->n_columns + 1) / 2);
    if (header > c.left)
        return NANA_DQ_EPROTO;
    const uint8_t *types = c.p;
    c.p += header;
    c.left -= header;
    for (size_t i = 0; i < rows->n_columns; i++) {
        struct nana_dq_value *v = &rows->values[i];
        v->type = (types[i / 2] >> (i % 2 ? 4 : 0)) & 0x0f;
        int rc;
        uint64_t word_value = 0;
        switch (v->type) {
        case NANA_DQ_INTEGER:
        case NANA_DQ_UNIXTIME:
            rc = get_u64(&c, &word_value);
            v->integer = (int64_t)word_value;
            break;
        case NANA_DQ_FLOAT:
            rc = get_u64(&c, &word_value);
            memcpy(&v->real, &word_value, sizeof v->real);
            break;
        case NANA_DQ_TEXT:
        case NANA_DQ_ISO8601: rc = get_text(&c, &v->text.ptr, &v->text.len); break;
        case NANA_DQ_BLOB: rc = get_blob(&c, &v->blob.ptr, &v->blob.len); break;
        case NANA_DQ_NULL: rc = get_u64(&c, &word_value); break;
        case NANA_DQ_BOOLEAN: rc = get_u64(&c, &v->boolean); break;
        default: rc = NANA_DQ_EPROTO; break;
        }
        if (rc)
            return NANA_DQ_EPROTO;
    }
    rows->pos = rows->len - c.left;
    return NANA_DQ_ROW;
}
