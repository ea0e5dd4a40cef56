/*
 * service.c -- the seed's web service in C: libnanasqlite behind libevent's
 * evhttp, one loop thread, the library's pool behind it.
 *
 *   GET  /users/{id}   the stored object, or 404
 *   POST /users        stores the posted object under its "id"; 400 on bad
 *                      JSON or a missing id; answered after the commit
 *   GET  /users        {"users": [ids], "total", "limit", "offset"};
 *                      ?limit=1-1000 (default 100) &offset=N
 *
 *   http-service --db PATH --port N
 *
 * The whole of the glue: a completion queue attached to the loop with one
 * call (nana_libevent_attach), and for each request a callback that the
 * loop runs when the request's future resolved.  The handlers never wait:
 * a slow write, or another process holding the database's lock, delays only
 * the requests that need it, and concurrent POSTs share commits.
 * (nana_future_await() in a handler would compile and work, and stop the
 * whole loop while it waits.)
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nanasqlite.h>
#include <nanasqlite/adapters/libevent.h>

#include "http-common.h"

static nana_db_t *db;
static nana_cq_t *cq;

/* A failed future as an HTTP answer. */
static void reply_failure(struct evhttp_request *req, nana_future_t *f)
{
    nana_status_t st = nana_future_status(f);
    int code = st == NANA_ENOTFOUND ? 404
             : st == NANA_EINVAL ? 400
             : st == NANA_EBUSY || st == NANA_ECLOSED ? 503
             : 500;
    http_reply_error(req, code, code == 404 ? "no such user" : nana_future_errmsg(f));
}

/* Hands f to the queue: cb(f, req) runs on the loop thread once f resolved,
 * and the queue frees f afterwards. */
static void when_ready(nana_future_t *f, nana_callback_fn cb, struct evhttp_request *req)
{
    nana_status_t st = nana_cq_attach(cq, f, cb, req);
    if (st != NANA_OK) /* f was freed; cb will not run */
        http_reply_error(req, 500, nana_errstr(st));
}

/* ------------------------------------------------------ GET /users/{id} */

static void on_got_user(nana_future_t *f, void *arg)
{
    struct evhttp_request *req = arg;
    char *text;
    size_t len;
    if (nana_future_status(f) != NANA_OK)
        reply_failure(req, f);
    else if (nana_future_json_text(f, &text, &len) == NANA_OK)
        http_reply_owned(req, 200, text, len); /* the stored text, handed over */
    else
        http_reply_error(req, 500, "cannot write the value");
}

static void get_user(struct evhttp_request *req, const char *id)
{
    when_ready(nana_get(db, id, NULL), on_got_user, req);
}

/* ------------------------------------------------------------ POST /users */

static void on_stored_user(nana_future_t *f, void *arg)
{
    struct evhttp_request *req = arg;
    size_t len;
    const char *body;
    if (nana_future_status(f) != NANA_OK)
        reply_failure(req, f);
    else if ((body = http_body(req, &len)) != NULL)
        http_reply(req, 201, body, len); /* committed: echo what was stored */
    else
        http_reply_error(req, 500, "out of memory");
}

static void post_user(struct evhttp_request *req, const char *key, json_t *user)
{
    when_ready(nana_set(db, key, user), on_stored_user, req); /* user is copied */
}

/* -------------------------------------------------------------- GET /users */

static void on_listed_users(nana_future_t *f, void *arg)
{
    struct evhttp_request *req = arg;
    if (nana_future_status(f) != NANA_OK) {
        reply_failure(req, f);
        return;
    }
    /* {"rows": [{"key": id}, ...], "total", "limit", "offset"}, reshaped
     * into a new value of our own (results are read-only). */
    json_t *page = nana_future_json(f), *ids = json_array(), *row;
    size_t i;
    json_array_foreach(json_object_get(page, "rows"), i, row)
        json_array_append(ids, json_object_get(row, "key"));
    json_t *answer = json_pack("{s:o, s:O, s:O, s:O}", "users", ids, "total",
                               json_object_get(page, "total"), "limit",
                               json_object_get(page, "limit"), "offset",
                               json_object_get(page, "offset"));
    char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (text)
        http_reply_owned(req, 200, text, strlen(text));
    else
        http_reply_error(req, 500, "out of memory");
}

static void list_users(struct evhttp_request *req, int64_t limit, int64_t offset)
{
    json_t *columns = json_pack("[s]", "key");
    when_ready(nana_query_with_pagination(db, "users", columns, NULL, NULL, "rowid", limit,
                                          offset),
               on_listed_users, req);
    json_decref(columns);
}

/* ------------------------------------------------------------------ main */

static const struct routes routes = {get_user, post_user, list_users};

int main(int argc, char **argv)
{
    struct args args;
    http_parse_args(argc, argv, &args);

    nana_options_t opts;
    nana_options_init(&opts);
    opts.table = "users";
    if (nana_open(args.db_path, &opts, &db) != NANA_OK) {
        fprintf(stderr, "%s\n", nana_db_errmsg(db));
        nana_close(db);
        return 1;
    }
    struct event_base *base = http_start(args.port, &routes);
    if (!base || nana_cq_new(&cq) != NANA_OK || nana_libevent_attach(cq, base) != NANA_OK) {
        fprintf(stderr, "cannot start the service\n");
        nana_cq_free(cq);
        nana_close(db);
        http_finish();
        return 1;
    }

    event_base_dispatch(base); /* until SIGTERM, once every request is answered */

    /* Nothing is pending any more: close the database, deliver what closing
     * resolved (nothing, unless the loop ended early), free the queue --
     * which takes its event off the loop -- and then the loop. */
    nana_status_t st = nana_close(db);
    nana_cq_drain(cq, 0);
    nana_cq_free(cq);
    http_finish();
    if (st != NANA_OK) {
        fprintf(stderr, "closing the database: %s\n", nana_errstr(st));
        return 1;
    }
    fprintf(stderr, "stopped\n");
    return 0;
}
