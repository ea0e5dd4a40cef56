/* common.c -- the fuzz targets' shared parts: verdicts, input, JSON
 * comparison, and the SQL oracle (see fuzz.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

/* ------------------------------------------------------------- verdicts */

static const uint8_t *current_input;
static size_t current_size;

void fuzz_set_input(const uint8_t *data, size_t size)
{
    current_input = data;
    current_size = size;
}

const char *fuzz_show(const void *data, size_t len)
{
    static char ring[4][1024];
    static int next;
    char *out = ring[next++ % 4];
    const unsigned char *s = data;
    size_t o = 0, i = 0;
    for (; i < len && o + 8 < sizeof ring[0] - 32; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, sizeof ring[0] - o, "\\x%02x", s[i]);
    }
    if (i < len)
        o += (size_t)snprintf(out + o, sizeof ring[0] - o, "... (%zu bytes)", len);
    out[o] = '\0';
    return out;
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz: FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (current_input)
        fprintf(stderr, "fuzz: input (%zu bytes): %s\n", current_size,
                fuzz_show(current_input, current_size));
    fflush(stderr);
    abort();
}

#define KNOWN_MAX 16
static struct {
    const char *id;
    unsigned long count;
} known[KNOWN_MAX];
static unsigned long known_total;

void fuzz_known(const char *id)
{
    const char *mode = getenv("NANA_FUZZ_KNOWN");
    if (mode && strcmp(mode, "abort") == 0)
        fuzz_fail("known bug %s (fuzz/known/README), and NANA_FUZZ_KNOWN=abort", id);
    known_total++;
    for (int i = 0; i < KNOWN_MAX; i++) {
        if (known[i].id && strcmp(known[i].id, id) == 0) {
            known[i].count++;
            return;
        }
        if (!known[i].id) {
            known[i].id = id;
            known[i].count = 1;
            fprintf(stderr, "fuzz: known bug %s met (fuzz/known/README); going on\n", id);
            return;
        }
    }
}

unsigned long fuzz_known_count(const char *id)
{
    for (int i = 0; i < KNOWN_MAX && known[i].id; i++)
        if (strcmp(known[i].id, id) == 0)
            return known[i].count;
    return 0;
}

unsigned long fuzz_known_total(void)
{
    return known_total;
}

/* --------------------------------------------------------------- input */

uint8_t fuzz_byte(struct fuzz_in *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_byte(in);
    return v;
}

const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
    const uint8_t *at = in->p;
    *got = n < fuzz_left(in) ? n : fuzz_left(in);
    in->p += *got;
    return at;
}

char *fuzz_piece(struct fuzz_in *in)
{
    if (in->p >= in->end)
        return NULL;
    const uint8_t *nul = memchr(in->p, '\0', fuzz_left(in));
    size_t n = nul ? (size_t)(nul - in->p) : fuzz_left(in);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += nul ? n + 1 : n;
    return s;
}

/* ---------------------------------------------------------------- JSON */

size_t fuzz_key_len(void *iter)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_iter_key_len(iter);
#else
    return strlen(json_object_iter_key(iter));
#endif
}

bool fuzz_json_same(const json_t *a, const json_t *b)
{
    if (!a || !b || json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia),
                         ib = json_object_iter_next((json_t *)b, ib)) {
            size_t la = fuzz_key_len(ia), lb = fuzz_key_len(ib);
            if (la != lb || memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0 ||
                !fuzz_json_same(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!fuzz_json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return true;
    }
}

const char *fuzz_json_show(const json_t *v)
{
    static char buf[1024];
    if (!v)
        return "(none)";
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text)
        return "(json_dumps refuses it)";
    snprintf(buf, sizeof buf, "%s", fuzz_show(text, strlen(text)));
    free(text);
    return buf;
}

/* ----------------------------------------------------------------- SQL */

#define BASE_COLUMNS "key TEXT PRIMARY KEY, value TEXT, a, b, c"
/* Columns added for names expressions used, before "t" is made afresh. */
#define ADDED_COLUMNS_MAX 100

static int added_columns;

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fuzz_fail("harness set-up: %s: %s", sql, err ? err : "?");
}

static void make_table_t(sqlite3 *db)
{
    exec_or_die(db, "DROP TABLE IF EXISTS t; CREATE TABLE t (" BASE_COLUMNS ");"
                    "CREATE UNIQUE INDEX t_a ON t (a)");
    added_columns = 0;
}

static sqlite3 *sql_db;

/* At exit, so that memory checkers see everything freed. */
static void close_sql_db(void)
{
    sqlite3_close(sql_db);
    sql_db = NULL;
}

sqlite3 *fuzz_sql_db(void)
{
    if (sql_db)
        return sql_db;
    if (sqlite3_open(":memory:", &sql_db) != SQLITE_OK)
        fuzz_fail("harness set-up: cannot open an in-memory database");
    atexit(close_sql_db);
    sqlite3 *db = sql_db;
    /* As handle.c configures the library's connection. */
    sqlite3_extended_result_codes(db, 1);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    make_table_t(db);
    /* "lone" has one column, so that "a IN lone" would be a valid read. */
    exec_or_die(db, "CREATE TABLE other (x, y, a, key, value);"
                    "INSERT INTO other VALUES (1, 2, 3, 'k', 'secret');"
                    "CREATE TABLE lone (v); INSERT INTO lone VALUES ('secret')");
    return db;
}

static bool name_is(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static bool is_schema_table(const char *t)
{
    return name_is(t, "sqlite_master") || name_is(t, "sqlite_schema") ||
           name_is(t, "sqlite_sequence");
}

static const char *action_name(int action)
{
    switch (action) {
    case SQLITE_CREATE_INDEX: return "CREATE_INDEX";
    case SQLITE_CREATE_TABLE: return "CREATE_TABLE";
    case SQLITE_CREATE_TEMP_INDEX: return "CREATE_TEMP_INDEX";
    case SQLITE_CREATE_TEMP_TABLE: return "CREATE_TEMP_TABLE";
    case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE_TEMP_TRIGGER";
    case SQLITE_CREATE_TEMP_VIEW: return "CREATE_TEMP_VIEW";
    case SQLITE_CREATE_TRIGGER: return "CREATE_TRIGGER";
    case SQLITE_CREATE_VIEW: return "CREATE_VIEW";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_DROP_INDEX: return "DROP_INDEX";
    case SQLITE_DROP_TABLE: return "DROP_TABLE";
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_PRAGMA: return "PRAGMA";
    case SQLITE_READ: return "READ";
    case SQLITE_SELECT: return "SELECT";
    case SQLITE_TRANSACTION: return "TRANSACTION";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_ALTER_TABLE: return "ALTER_TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_CREATE_VTABLE: return "CREATE_VTABLE";
    case SQLITE_DROP_VTABLE: return "DROP_VTABLE";
    case SQLITE_FUNCTION: return "FUNCTION";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_RECURSIVE: return "RECURSIVE";
    default: return "another action";
    }
}

static bool function_allowed(const struct fuzz_sql_rules *r, const char *name)
{
    if (!name || name_is(name, "load_extension"))
        return false;
    if (!r->functions)
        return true;
    for (int i = 0; r->functions[i]; i++)
        if (name_is(name, r->functions[i]))
            return true;
    return false;
}

/* Never denies: it records, and the check judges what it recorded. */
static int oracle(void *arg, int action, const char *a1, const char *a2, const char *db,
                  const char *trigger)
{
    struct fuzz_sql_seen *s = arg;
    const struct fuzz_sql_rules *r = s->rules;
    bool ok = false;
    switch (action) {
    case SQLITE_SELECT:
        ok = true;
        break;
    case SQLITE_READ:
        /* "excluded": the upsert's pseudo-table of the proposed row. */
        ok = name_is(a1, r->table) || (r->ddl && is_schema_table(a1)) ||
             (r->may_write && name_is(a1, "excluded"));
        break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        ok = ((r->may_write || r->ddl) && name_is(a1, r->table)) ||
             (r->ddl && is_schema_table(a1));
        break;
    case SQLITE_FUNCTION:
        ok = function_allowed(r, a2);
        s->functions_called++;
        if (name_is(a2, "avg") || name_is(a2, "count") || name_is(a2, "group_concat") ||
            name_is(a2, "sum") || name_is(a2, "total"))
            s->aggregate_called = true;
        if (name_is(a2, "min") || name_is(a2, "max"))
            s->min_max_called = true;
        break;
    case SQLITE_CREATE_TABLE:
        ok = r->ddl && (name_is(a1, r->table) || is_schema_table(a1));
        break;
    case SQLITE_CREATE_INDEX:
        ok = r->ddl && name_is(a2, r->table);
        break;
    case SQLITE_REINDEX: /* CREATE INDEX asks for it */
        ok = r->ddl;
        break;
    case SQLITE_ALTER_TABLE:
        ok = r->ddl && name_is(a2, r->table);
        break;
    default:
        ok = false;
    }
    /* Another schema (temp, an attached one) or a trigger's statement is
     * beyond any helper. */
    if ((db && strcmp(db, "main") != 0 && action != SQLITE_FUNCTION) || trigger)
        ok = false;
    if (!ok && !s->violation[0])
        snprintf(s->violation, sizeof s->violation, "%s(%s, %s) in %s%s%s", action_name(action),
                 a1 ? a1 : "NULL", a2 ? a2 : "NULL", db ? db : "NULL",
                 trigger ? " by trigger " : "", trigger ? trigger : "");
    return SQLITE_OK;
}

void fuzz_sql_observe(sqlite3 *db, struct fuzz_sql_seen *seen)
{
    if (seen)
        sqlite3_set_authorizer(db, oracle, seen);
    else
        sqlite3_set_authorizer(db, NULL, NULL);
}

static bool is_identifier(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

bool fuzz_sql_add_missing_column(sqlite3 *db, const char *table, const char *errmsg)
{
    static const char prefix[] = "no such column: ";
    if (!errmsg || strncmp(errmsg, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *name = errmsg + sizeof prefix - 1;
    if (!is_identifier(name) || strlen(name) > 200 || strcmp(table, "t") != 0)
        return false;
    if (added_columns >= ADDED_COLUMNS_MAX)
        make_table_t(db);
    char sql[300];
    snprintf(sql, sizeof sql, "ALTER TABLE t ADD COLUMN \"%s\"", name);
    fuzz_sql_observe(db, NULL);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return false;
    added_columns++;
    return true;
}

int fuzz_sql_prepare(sqlite3 *db, const char *sql, const struct fuzz_sql_rules *rules,
                     struct fuzz_sql_seen *seen, sqlite3_stmt **stmt, const char **tail)
{
    for (int tries = 0;; tries++) {
        memset(seen, 0, sizeof *seen);
        seen->rules = rules;
        fuzz_sql_observe(db, seen);
        *stmt = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, stmt, tail);
        fuzz_sql_observe(db, NULL);
        if (rc == SQLITE_OK || tries >= 256 ||
            !fuzz_sql_add_missing_column(db, rules->table, sqlite3_errmsg(db)))
            return rc;
    }
}

bool fuzz_sql_tail_is_empty(sqlite3 *db, const char *tail)
{
    if (!tail)
        return true;
    sqlite3_stmt *next = NULL;
    fuzz_sql_observe(db, NULL);
    int rc = sqlite3_prepare_v2(db, tail, -1, &next, NULL);
    sqlite3_finalize(next);
    return rc == SQLITE_OK && !next;
}
