/*
 * rows.c -- the row set of nana_fetch_rows: a whole result copied once, as
 * the executor steps, into one block, and read in place.
 *
 * A JSON result costs an allocation per row and per value, and as many
 * frees; a row set costs a few reallocations per result.  The block:
 *
 *   [struct nana_rows][names][row 0][row 1] ...  gap  ... [index: row n-1 .. row 1, row 0]
 *    --------------- records grow up --------->        <---- the index grows down ----
 *
 * A record is one cell (struct cell, 16 bytes) per column, then the bytes of
 * its TEXT and BLOB cells, each followed by a NUL byte, padded to 8.  The
 * names record holds the column names as TEXT cells.  The index holds each
 * row's record offset, 8 bytes a row, from the top of the block down, so
 * that a row is found in O(1) although records differ in length.  When the
 * block grows (doubling), only the index moves, never the records: cells
 * hold offsets, and the bytes once written stay where they are.  At the
 * end the index is moved down against the records and the block shrunk to
 * fit, so the set keeps no slack.
 *
 * Once built the set is never written again: any number of threads may read
 * it while its future lives.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cell {
    union {
        int64_t i;
        double d;
        size_t off; /* TEXT, BLOB: where the bytes are, from the block's start */
    } v;
    uint32_t len;   /* TEXT, BLOB: bytes, without the NUL (SQLite's values are
                       at most 2^31 - 1 bytes) */
    uint8_t type;   /* nana_cell_type_t */
};

struct nana_rows {
    struct nana_future_payload payload;
    size_t n_rows, n_cols;
    size_t size;    /* of the block; the index ends here */
    size_t names;   /* offset of the names record */
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)
#define INITIAL_BLOCK 4096

/* ------------------------------------------------------------ building */

struct builder {
    char *base;
    size_t cap;     /* the block's size */
    size_t top;     /* end of the records */
    size_t index;   /* bytes of the index, at the block's end */
};

/* Makes room for need more bytes between the records and the index:
 * doubling the block, moving the index to its new end.  false: out of
 * memory (or a size no block can have). */
static bool grow(struct builder *b, size_t need)
{
    size_t used = b->top + b->index, cap = b->cap;
    if (need > SIZE_MAX / 4 - used)
        return false;
    while (cap - used < need)
        cap *= 2;
    char *p = realloc(b->base, cap);
    if (!p)
        return false;
    memmove(p + cap - b->index, p + b->cap - b->index, b->index);
    b->base = p;
    b->cap = cap;
    return true;
}

static inline bool reserve(struct builder *b, size_t need)
{
    return b->cap - b->top - b->index >= need || grow(b, need);
}

/* Room kept free after every value of a row: its padding and index entry. */
#define ROW_TAIL (7 + sizeof(size_t))

/* Copies n bytes to the end of the records, followed by a NUL; returns
 * their offset, or 0 when out of memory (nothing is copied to 0: the
 * header is there). */
static inline size_t put_bytes(struct builder *b, const void *bytes, size_t n)
{
    if (!reserve(b, n + 1 + ROW_TAIL))
        return 0;
    size_t at = b->top;
    if (n)
        memcpy(b->base + at, bytes, n);
    b->base[at + n] = '\0';
    b->top = at + n + 1;
    return at;
}

/* Starts a record of n_cols cells at b->top; returns its offset, or 0 when
 * out of memory. */
static size_t start_record(struct builder *b, size_t n_cols)
{
    size_t rec = b->top;
    if (!reserve(b, n_cols * sizeof(struct cell) + ROW_TAIL))
        return 0;
    b->top += n_cols * sizeof(struct cell);
    return rec;
}

static inline void set_cell(struct builder *b, size_t rec, size_t i, const struct cell *c)
{
    memcpy(b->base + rec + i * sizeof *c, c, sizeof *c);
}

static inline void end_record(struct builder *b)
{
    b->top = ALIGN8(b->top);
}

/* One row of stmt into a record; false: out of memory.  One
 * nana__stmt_column_value() per cell: each nana__stmt_column_*() call checks the
 * statement and its column again. */
static inline bool read_row(struct builder *b, struct nana_stmt *stmt, size_t n_cols)
{
    size_t rec = start_record(b, n_cols);
    if (!rec)
        return false;
    for (size_t i = 0; i < n_cols; i++) {
        struct nana_value *v = nana__stmt_column_value(stmt, (int)i);
        struct cell c = {.len = 0};
        const void *bytes;
        switch (nana__value_type(v)) {
        case SQLITE_INTEGER:
            c.type = NANA_CELL_INTEGER;
            c.v.i = nana__value_int64(v);
            break;
        case SQLITE_FLOAT:
            c.type = NANA_CELL_REAL;
            c.v.d = nana__value_double(v);
            break;
        case SQLITE_TEXT:
            c.type = NANA_CELL_TEXT;
            if (!(bytes = nana__value_text(v))) /* could not be made: out of memory */
                return false;
            goto copy;
        case SQLITE_BLOB:
            c.type = NANA_CELL_BLOB;
            bytes = nana__value_blob(v); /* NULL for an empty BLOB */
        copy:
            c.len = (uint32_t)nana__value_bytes(v);
            if (!(c.v.off = put_bytes(b, bytes, c.len)))
                return false;
            break;
        default:
            c.type = NANA_CELL_NULL;
            c.v.i = 0;
            break;
        }
        set_cell(b, rec, i, &c);
    }
    end_record(b);
    b->index += sizeof(size_t);
    memcpy(b->base + b->cap - b->index, &rec, sizeof rec);
    return true;
}

static void rows_destroy(struct nana_future_payload *p)
{
    free(container_of(p, struct nana_rows, payload));
}

int nana__rows_read(struct nana_stmt *stmt, nana_rows_t **out)
{
    struct builder b = {.cap = INITIAL_BLOCK, .top = ALIGN8(sizeof(struct nana_rows))};
    size_t n_cols = (size_t)nana__stmt_column_count(stmt), n_rows = 0;
    int rc = SQLITE_NOMEM;
    *out = NULL;
    if (!(b.base = malloc(b.cap)))
        return SQLITE_NOMEM;

    size_t names = start_record(&b, n_cols);
    for (size_t i = 0; names && i < n_cols; i++) {
        const char *name = nana__stmt_column_name(stmt, (int)i);
        struct cell c = {.type = NANA_CELL_TEXT, .len = name ? (uint32_t)strlen(name) : 0};
        if (!name || !(c.v.off = put_bytes(&b, name, c.len)))
            names = 0;
        else
            set_cell(&b, names, i, &c);
    }
    if (!names)
        goto fail;
    end_record(&b);

    while ((rc = nana__stmt_step(stmt)) == SQLITE_ROW) {
        if (!read_row(&b, stmt, n_cols)) {
            rc = SQLITE_NOMEM;
            goto fail;
        }
        n_rows++;
    }
    if (rc != SQLITE_DONE)
        goto fail;

    /* The index down against the records; the slack given back. */
    size_t size = b.top + b.index;
    memmove(b.base + b.top, b.base + b.cap - b.index, b.index);
    char *fit = realloc(b.base, size);
    if (fit)
        b.base = fit;
    nana_rows_t *rows = (nana_rows_t *)(void *)b.base;
    rows->payload.destroy = rows_destroy;
    rows->n_rows = n_rows;
    rows->n_cols = n_cols;
    rows->size = size;
    rows->names = names;
    *out = rows;
    return SQLITE_DONE;

fail:
    free(b.base);
    return rc;
}

struct nana_future_payload *nana__rows_payload(nana_rows_t *rows)
{
    return &rows->payload;
}

void nana__rows_free(nana_rows_t *rows)
{
    free(rows);
}

/* ------------------------------------------------------------- reading */

static inline const struct cell *row_cells(const nana_rows_t *rows, size_t row)
{
    const char *base = (const char *)rows;
    size_t rec;
    memcpy(&rec, base + rows->size - (row + 1) * sizeof rec, sizeof rec);
    return (const struct cell *)(const void *)(base + rec);
}

/* The cell, or NULL outside the set. */
static inline const struct cell *cell_at(const nana_rows_t *rows, size_t row, size_t col)
{
    if (!rows || row >= rows->n_rows || col >= rows->n_cols)
        return NULL;
    return row_cells(rows, row) + col;
}

static inline const char *cell_bytes(const nana_rows_t *rows, const struct cell *c)
{
    return (const char *)rows + c->v.off;
}

NANA_API const nana_rows_t *nana_future_rows(const nana_future_t *f)
{
    const struct nana_future_payload *p = nana__future_payload(f);
    if (!p || p->destroy != rows_destroy)
        return NULL;
    return container_of(p, const struct nana_rows, payload);
}

NANA_API size_t nana_rows_count(const nana_rows_t *rows)
{
    return rows ? rows->n_rows : 0;
}

NANA_API size_t nana_rows_columns(const nana_rows_t *rows)
{
    return rows ? rows->n_cols : 0;
}

NANA_API const char *nana_rows_column_name(const nana_rows_t *rows, size_t col)
{
    if (!rows || col >= rows->n_cols)
        return NULL;
    const struct cell *c = (const struct cell *)(const void *)((const char *)rows + rows->names);
    return cell_bytes(rows, c + col);
}

NANA_API nana_cell_type_t nana_rows_type(const nana_rows_t *rows, size_t row, size_t col)
{
    const struct cell *c = cell_at(rows, row, col);
    return c ? (nana_cell_type_t)c->type : NANA_CELL_NULL;
}

NANA_API int64_t nana_rows_int(const nana_rows_t *rows, size_t row, size_t col)
{
    const struct cell *c = cell_at(rows, row, col);
    return c && c->type == NANA_CELL_INTEGER ? c->v.i : 0;
}

NANA_API double nana_rows_double(const nana_rows_t *rows, size_t row, size_t col)
{
    const struct cell *c = cell_at(rows, row, col);
    if (!c)
        return 0.0;
    if (c->type == NANA_CELL_REAL)
        return c->v.d;
    return c->type == NANA_CELL_INTEGER ? (double)c->v.i : 0.0;
}

NANA_API const char *nana_rows_text(const nana_rows_t *rows, size_t row, size_t col,
                                    size_t *len)
{
    const struct cell *c = cell_at(rows, row, col);
    bool is_text = c && c->type == NANA_CELL_TEXT;
    if (len)
        *len = is_text ? c->len : 0;
    return is_text ? cell_bytes(rows, c) : NULL;
}

NANA_API const void *nana_rows_blob(const nana_rows_t *rows, size_t row, size_t col,
                                    size_t *len)
{
    const struct cell *c = cell_at(rows, row, col);
    bool is_blob = c && c->type == NANA_CELL_BLOB;
    if (len)
        *len = is_blob ? c->len : 0;
    return is_blob ? cell_bytes(rows, c) : NULL;
}

/* ---------------------------------------------------------------- JSON */

/* True when text is plain ASCII, eight bytes at a time: such text is valid
 * UTF-8, and jansson's byte-by-byte check can be skipped. */
static bool is_ascii(const char *text, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)text[i];
    return (acc & 0x8080808080808080ull) == 0;
}

json_t *nana__rows_text_json(const char *text, size_t n)
{
    json_t *s = is_ascii(text, n) ? json_stringn_nocheck(text, n) : json_stringn(text, n);
    /* Not UTF-8: hand the bytes over as a blob rather than fail. */
    return s ? s : nana__base64_json((const unsigned char *)text, n);
}

static json_t *cell_json(const nana_rows_t *rows, const struct cell *c)
{
    switch (c->type) {
    case NANA_CELL_INTEGER:
        return json_integer(c->v.i);
    case NANA_CELL_REAL:
        return json_real(c->v.d);
    case NANA_CELL_TEXT:
        return nana__rows_text_json(cell_bytes(rows, c), c->len);
    case NANA_CELL_BLOB:
        return nana__base64_json((const unsigned char *)cell_bytes(rows, c), c->len);
    default:
        return json_null();
    }
}

NANA_API json_t *nana_rows_row_json(const nana_rows_t *rows, size_t row)
{
    if (!rows || row >= rows->n_rows)
        return NULL;
    const struct cell *cells = row_cells(rows, row);
    json_t *out = json_array();
    for (size_t i = 0; out && i < rows->n_cols; i++) {
        if (json_array_append_new(out, cell_json(rows, cells + i)) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

NANA_API json_t *nana_rows_json(const nana_rows_t *rows)
{
    if (!rows)
        return NULL;
    json_t *out = json_array();
    for (size_t r = 0; out && r < rows->n_rows; r++) {
        if (json_array_append_new(out, nana_rows_row_json(rows, r)) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}
