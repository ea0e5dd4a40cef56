/*
 * BLOBs travel as {"$blob": "<base64>"}: bound through nana_execute and
 * read back through nana_fetch_one, nana_fetch_all, nana_execute's rows and
 * nana_query, they come back byte for byte -- with 0x00 and 0xff bytes, every
 * padding length, all 256 byte values, and the empty blob (still a BLOB, not
 * NULL).  SQL blob literals and zeroblob() come back the same way; a blob
 * binds in a helper's where clause and in nana_sql_insert.  Malformed base64
 * (bad length, bad characters, '=' in the middle) is NANA_ETYPE and nothing is
 * written.
 */
#include "harness.h"

static char *b64(const unsigned char *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static char *hex(const unsigned char *d, size_t n)
{
    char *out = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", d[i]);
    out[2 * n] = '\0';
    return out;
}

static json_t *blob(const char *enc)
{
    return json_pack("{ss}", "$blob", enc);
}

int main(void)
{
    nana_db_t *db = t_open("blob.db", NULL);
    json_decref(TAKE(nana_execute(db, "CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB)", NULL)));

    static const unsigned char c1[] = {0x00};
    static const unsigned char c2[] = {0xff};
    static const unsigned char c3[] = {0x00, 0xff};
    static const unsigned char c4[] = {0x00, 0xff, 0x7f};
    static const unsigned char c5[] = {0xde, 0xad, 0x00, 0xbe, 0xef};
    static const unsigned char c6[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00};
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    struct {
        const unsigned char *d;
        size_t n;
    } cases[] = {{c1, 1}, {c2, 1}, {c3, 2}, {c4, 3}, {c5, 5}, {c6, 7}, {all, 256}, {c1, 0}};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *enc = b64(cases[i].d, cases[i].n);
        char *hx = hex(cases[i].d, cases[i].n);
        json_t *params = json_pack("[o]", blob(enc));
        json_t *r = TAKE(nana_execute(db, "INSERT INTO b (data) VALUES (?)", params));
        json_decref(params);
        json_int_t id = json_integer_value(json_object_get(r, "last_insert_rowid"));
        CHECK_INT(id, (long long)i + 1);
        nana_json_release(r);

        /* fetch_one: value, length, storage class, bytes in hex */
        params = json_pack("[I]", id);
        json_t *row = TAKE(nana_fetch_one(db, "SELECT data, length(data), typeof(data), hex(data) "
                                              "FROM b WHERE id = ?",
                                          params));
        json_t *want = json_pack("[o, I, s, s]", blob(enc), (json_int_t)cases[i].n, "blob", hx);
        if (!json_equal(row, want)) {
            char *got = json_dumps(row, JSON_COMPACT);
            t_fail(__FILE__, __LINE__, "case %zu: got %s", i, got);
        }
        nana_json_release(row);

        /* execute's rows */
        r = TAKE(nana_execute(db, "SELECT data FROM b WHERE id = ?", params));
        json_t *want_rows = json_pack("[[o]]", blob(enc));
        CHECK(json_equal(json_object_get(r, "rows"), want_rows));
        json_decref(want_rows);
        nana_json_release(r);

        /* a bound blob straight back */
        json_decref(params);
        params = json_pack("[o, o]", blob(enc), blob(enc));
        row = TAKE(nana_fetch_one(db, "SELECT ?, typeof(?)", params));
        json_t *want2 = json_pack("[o, s]", blob(enc), "blob");
        CHECK(json_equal(row, want2));
        json_decref(want2);
        nana_json_release(row);

        /* helper where clause with a blob parameter */
        json_decref(params);
        params = json_pack("[o]", blob(enc));
        row = TAKE(nana_query(db, "b", NULL, "data = ?", params, "id", INT64_MAX, 0));
        CHECK_INT(json_array_size(row), 1);
        CHECK_INT(json_integer_value(json_object_get(json_array_get(row, 0), "id")), id);
        CHECK(json_equal(json_object_get(json_array_get(row, 0), "data"),
                         json_array_get(params, 0)));
        nana_json_release(row);

        json_decref(params);
        json_decref(want);
        free(enc);
        free(hx);
    }

    /* the empty blob is a zero-length BLOB, not NULL */
    SAME(nana_fetch_one(db, "SELECT data IS NULL, typeof(data), length(data) FROM b WHERE id = 8",
                        NULL),
         "[0,\"blob\",0]");

    /* fetch_all: every row's blob */
    json_t *rows = TAKE(nana_fetch_all(db, "SELECT data FROM b WHERE id <= 3 ORDER BY id", NULL));
    CHECK_JSON(rows, "[[{\"$blob\":\"AA==\"}],[{\"$blob\":\"/w==\"}],[{\"$blob\":\"AP8=\"}]]");
    nana_json_release(rows);

    /* blobs SQLite made itself */
    SAME(nana_fetch_one(db, "SELECT x'00ff10', zeroblob(3), x''", NULL),
         "[{\"$blob\":\"AP8Q\"},{\"$blob\":\"AAAA\"},{\"$blob\":\"\"}]");

    /* sql_insert with a blob value */
    json_t *row = t_json("{\"data\": {\"$blob\": \"AP8AAP8=\"}}");
    json_t *r = TAKE(nana_sql_insert(db, "b", row));
    CHECK_JSON(r, "9");
    nana_json_release(r);
    json_decref(row);
    SAME(nana_fetch_one(db, "SELECT hex(data) FROM b WHERE id = 9", NULL), "[\"00FF0000FF\"]");

    /* malformed base64: NANA_ETYPE, nothing written */
    const char *bad[] = {"A", "AA", "AA=", "AAA", "A===", "AA=A", "====", "AP8Q!",
                         "AA==AA==", "AP8Q\n", "AP 8", "\xc3\xa9\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *params = json_pack("[o]", blob(bad[i]));
        nana_future_t *f = nana_execute(db, "INSERT INTO b (data) VALUES (?)", params);
        nana_status_t st = nana_future_await(f);
        if (st != NANA_ETYPE)
            t_fail(__FILE__, __LINE__, "base64 \"%s\": got %s, want NANA_ETYPE", bad[i],
                   t_status_name(st));
        nana_future_free(f);
        json_decref(params);
    }
    json_t *short_blob = json_pack("[{ss}]", "$blob", "A");
    EXPECT(nana_fetch_one(db, "SELECT ?", short_blob), NANA_ETYPE);
    json_decref(short_blob);
    SAME(nana_fetch_one(db, "SELECT count(*) FROM b", NULL), "[9]");

    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
