/*
 * service-sqlite3.c -- the comparison for `make http-bench`: the same
 * service as service.c (same routes, same HTTP code, same table layout and
 * PRAGMAs), with every nana_* call replaced by a blocking sqlite3 call on
 * the loop thread, as a server written without the library would do it:
 * kept prepared statements, one autocommit transaction per POST, no cache.
 * While SQLite works (or waits for a lock), the loop serves nobody.
 *
 *   http-service-sqlite3 --db PATH --port N
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "http-common.h"

static sqlite3 *conn;
static sqlite3_stmt *get_stmt, *set_stmt, *page_stmt, *count_stmt;

static void reply_sqlite_error(struct evhttp_request *req, int rc)
{
    int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? 503 : 500;
    http_reply_error(req, code, sqlite3_errmsg(conn));
}

static void get_user(struct evhttp_request *req, const char *id)
{
    sqlite3_bind_text(get_stmt, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(get_stmt);
    if (rc == SQLITE_ROW)
        http_reply(req, 200, (const char *)sqlite3_column_text(get_stmt, 0),
                   (size_t)sqlite3_column_bytes(get_stmt, 0));
    else if (rc == SQLITE_DONE)
        http_reply_error(req, 404, "no such user");
    else
        reply_sqlite_error(req, rc);
    sqlite3_reset(get_stmt);
}

static void post_user(struct evhttp_request *req, const char *key, json_t *user)
{
    /* The library's text: compact, UTF-8 kept. */
    char *text = json_dumps(user, JSON_COMPACT);
    if (!text) {
        http_reply_error(req, 400, "the object cannot be stored");
        return;
    }
    sqlite3_bind_text(set_stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(set_stmt, 2, text, -1, free);
    int rc = sqlite3_step(set_stmt);
    sqlite3_reset(set_stmt);
    sqlite3_clear_bindings(set_stmt);
    size_t len;
    const char *body;
    if (rc != SQLITE_DONE)
        reply_sqlite_error(req, rc);
    else if ((body = http_body(req, &len)) != NULL)
        http_reply(req, 201, body, len);
    else
        http_reply_error(req, 500, "out of memory");
}

static void list_users(struct evhttp_request *req, int64_t limit, int64_t offset)
{
    json_t *ids = json_array();
    sqlite3_bind_int64(page_stmt, 1, limit);
    sqlite3_bind_int64(page_stmt, 2, offset);
    int rc;
    while ((rc = sqlite3_step(page_stmt)) == SQLITE_ROW)
        json_array_append_new(ids, json_stringn((const char *)sqlite3_column_text(page_stmt, 0),
                                                (size_t)sqlite3_column_bytes(page_stmt, 0)));
    sqlite3_reset(page_stmt);
    int64_t total = 0;
    if (rc == SQLITE_DONE && (rc = sqlite3_step(count_stmt)) == SQLITE_ROW) {
        total = sqlite3_column_int64(count_stmt, 0);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(count_stmt);
    if (rc != SQLITE_DONE) {
        json_decref(ids);
        reply_sqlite_error(req, rc);
        return;
    }
    json_t *answer = json_pack("{s:o, s:I, s:I, s:I}", "users", ids, "total", (json_int_t)total,
                               "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (text)
        http_reply_owned(req, 200, text, strlen(text));
    else
        http_reply_error(req, 500, "out of memory");
}

static const struct routes routes = {get_user, post_user, list_users};

/* NanaSQLite's layout and PRAGMAs, as nana_open() sets them. */
static int open_db(const char *path)
{
    static const char *const setup[] = {
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA mmap_size=268435456",
        "PRAGMA cache_size=-65536",
        "PRAGMA temp_store=MEMORY",
        "CREATE TABLE IF NOT EXISTS \"users\" (key TEXT PRIMARY KEY, value TEXT)",
    };
    if (sqlite3_open(path, &conn) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(conn, 5000);
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (sqlite3_exec(conn, setup[i], NULL, NULL, NULL) != SQLITE_OK)
            return -1;
    if (sqlite3_prepare_v2(conn, "SELECT value FROM \"users\" WHERE key = ?", -1, &get_stmt,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, "INSERT OR REPLACE INTO \"users\" (key, value) VALUES (?, ?)",
                           -1, &set_stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, "SELECT key FROM \"users\" ORDER BY rowid LIMIT ? OFFSET ?", -1,
                           &page_stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, "SELECT count(*) FROM \"users\"", -1, &count_stmt, NULL) !=
            SQLITE_OK)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct args args;
    http_parse_args(argc, argv, &args);
    if (open_db(args.db_path) != 0) {
        fprintf(stderr, "%s: %s\n", args.db_path, sqlite3_errmsg(conn));
        sqlite3_close(conn);
        return 1;
    }
    struct event_base *base = http_start(args.port, &routes);
    if (!base) {
        sqlite3_close(conn);
        http_finish();
        return 1;
    }
    event_base_dispatch(base);
    sqlite3_finalize(get_stmt);
    sqlite3_finalize(set_stmt);
    sqlite3_finalize(page_stmt);
    sqlite3_finalize(count_stmt);
    int rc = sqlite3_close(conn);
    http_finish();
    fprintf(stderr, "stopped\n");
    return rc == SQLITE_OK ? 0 : 1;
}
