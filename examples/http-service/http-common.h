/*
 * http-common.h -- the HTTP side of the example service, shared by the
 * library version (service.c) and its blocking-sqlite3 twin
 * (service-sqlite3.c): arguments, listening on 127.0.0.1, routing and
 * request checks, replies, and a shutdown on SIGTERM that answers every
 * request already received before the loop ends.  Nothing here touches a
 * database.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef HTTP_COMMON_H
#define HTTP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

/* What a service does for each route; the request is the service's until
 * it calls http_reply(), http_reply_owned() or http_reply_error() for it,
 * once, on the loop thread -- then or from a later callback. */
struct routes {
    /* GET /users/{id}: the stored object, or 404. */
    void (*get_user)(struct evhttp_request *req, const char *id);
    /* POST /users: user is the posted object (borrowed: valid during the
     * call only), key its "id" as text. */
    void (*post_user)(struct evhttp_request *req, const char *key, json_t *user);
    /* GET /users?limit=L&offset=O: the keys, in insertion order. */
    void (*list_users)(struct evhttp_request *req, int64_t limit, int64_t offset);
};

struct args {
    const char *db_path;
    int port;
};

/* --db PATH --port N; prints usage and exits 2 when they are wrong. */
void http_parse_args(int argc, char **argv, struct args *out);

/* Makes the loop and the HTTP server, listens on 127.0.0.1:port (0: any
 * free port) and prints "listening on 127.0.0.1:N" once it does.  Returns
 * the loop, which ends after SIGTERM or SIGINT once every request received
 * has been answered; NULL with a message on stderr. */
struct event_base *http_start(int port, const struct routes *routes);

/* After the loop ended: frees the server and the loop. */
void http_finish(void);

/* Answers req: code with body (JSON text, copied) / with a malloc'd body
 * whose ownership passes to libevent / with {"error": msg}. */
void http_reply(struct evhttp_request *req, int code, const char *body, size_t len);
void http_reply_owned(struct evhttp_request *req, int code, char *body, size_t len);
void http_reply_error(struct evhttp_request *req, int code, const char *msg);

/* The request's body (not NUL-terminated; borrowed from req) and its
 * length; NULL when out of memory. */
const char *http_body(struct evhttp_request *req, size_t *len);

#endif
