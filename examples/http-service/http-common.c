/*
 * http-common.c -- see http-common.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "http-common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#define MAX_BODY (1 << 20)
#define MAX_LIMIT 1000
#define DEFAULT_LIMIT 100
#define GRACE_SECONDS 5

/* One server per process. */
static struct app {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *listener;
    struct event *on_sigterm, *on_sigint, *grace;
    const struct routes *routes;
    long pending; /* requests received and not yet answered */
    long unsent;  /* answers libevent has not finished writing */
    bool stopping;
} app_state, *const app = &app_state;

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --db PATH --port N   (N: 1-65535, or 0 for any free port)\n",
            argv0);
    exit(2);
}

void http_parse_args(int argc, char **argv, struct args *out)
{
    out->db_path = NULL;
    out->port = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            out->db_path = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            long port = strtol(argv[++i], &end, 10);
            if (*end || port < 0 || port > 65535)
                usage(argv[0]);
            out->port = (int)port;
        } else {
            usage(argv[0]);
        }
    }
    if (!out->db_path || out->port < 0)
        usage(argv[0]);
}

/* ------------------------------------------------------------- shutdown */

static void stop_now(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (app->unsent > 0)
        fprintf(stderr, "stopping with %ld answers unwritten after %d s\n", app->unsent,
                GRACE_SECONDS);
    event_base_loopexit(app->base, NULL);
}

/* Once stopping: the loop ends when every request received has been
 * answered and written (or, for answers a vanished client never took, after
 * a grace period). */
static void maybe_finish(void)
{
    if (!app->stopping || app->pending > 0)
        return;
    if (app->unsent == 0) {
        event_base_loopexit(app->base, NULL);
    } else if (!app->grace) {
        struct timeval grace = {GRACE_SECONDS, 0};
        app->grace = evtimer_new(app->base, stop_now, NULL);
        if (!app->grace || evtimer_add(app->grace, &grace) != 0)
            event_base_loopexit(app->base, NULL);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (app->stopping)
        return;
    fprintf(stderr, "%s: answering %ld pending requests, then stopping\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", app->pending);
    app->stopping = true;
    if (app->listener) {
        evhttp_del_accept_socket(app->http, app->listener);
        app->listener = NULL;
    }
    maybe_finish();
}

/* -------------------------------------------------------------- replies */

static void on_written(struct evhttp_request *req, void *arg)
{
    (void)req;
    (void)arg;
    app->unsent--;
    maybe_finish();
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

static void send_buffer(struct evhttp_request *req, int code,
                        struct evbuffer *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    if (app->stopping)
        evhttp_add_header(headers, "Connection", "close");
    /* A client that went away leaves a request without a connection:
     * libevent frees it on send, and nothing is written. */
    if (evhttp_request_get_connection(req)) {
        app->unsent++;
        evhttp_request_set_on_complete_cb(req, on_written, NULL);
    }
    app->pending--;
    evhttp_send_reply(req, code, reason(code), body);
    maybe_finish();
}

void http_reply(struct evhttp_request *req, int code, const char *body,
                size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf && evbuffer_add(buf, body, len) == 0 && evbuffer_add(buf, "\n", 1) == 0) {
        send_buffer(req, code, buf);
    } else {
        /* No memory: an empty 500 is what can still be said. */
        send_buffer(req, 500, NULL);
    }
    if (buf)
        evbuffer_free(buf);
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

void http_reply_owned(struct evhttp_request *req, int code, char *body,
                      size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    /* The body is handed over, not copied. */
    if (buf && evbuffer_add_reference(buf, body, len, free_body, NULL) == 0) {
        if (evbuffer_add(buf, "\n", 1) != 0) {
            evbuffer_free(buf);
            buf = NULL;
        }
        send_buffer(req, buf ? code : 500, buf);
    } else {
        free(body);
        send_buffer(req, 500, NULL);
    }
    if (buf)
        evbuffer_free(buf);
}

void http_reply_error(struct evhttp_request *req, int code, const char *msg)
{
    json_t *err = json_pack("{s:s}", "error", msg);
    char *text = err ? json_dumps(err, JSON_COMPACT) : NULL;
    json_decref(err);
    if (text)
        http_reply_owned(req, code, text, strlen(text));
    else
        send_buffer(req, 500, NULL);
}

const char *http_body(struct evhttp_request *req, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    *len = evbuffer_get_length(in);
    /* In one piece; "" for an empty body (pullup gives NULL then). */
    const char *text = *len ? (const char *)evbuffer_pullup(in, -1) : "";
    return text;
}

/* -------------------------------------------------------------- routing */

/* A query parameter as a number in [min, max], or dflt when absent; -1
 * when it is malformed. */
static int64_t query_number(const struct evkeyvalq *query, const char *name, int64_t dflt,
                            int64_t min, int64_t max)
{
    const char *text = evhttp_find_header(query, name);
    if (!text)
        return dflt;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    return v;
}

static void list_users(struct evhttp_request *req, const char *query_text)
{
    struct evkeyvalq query;
    TAILQ_INIT(&query);
    if (query_text && evhttp_parse_query_str(query_text, &query) != 0) {
        http_reply_error(req, 400, "malformed query string");
        return;
    }
    int64_t limit = query_number(&query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    int64_t offset = query_number(&query, "offset", 0, 0, INT64_MAX);
    evhttp_clear_headers(&query);
    if (limit < 0 || offset < 0) {
        http_reply_error(req, 400, "limit must be 1-1000 and offset >= 0");
        return;
    }
    app->routes->list_users(req, limit, offset);
}

static void post_user(struct evhttp_request *req)
{
    size_t len;
    const char *body = http_body(req, &len);
    if (!body) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    json_error_t err;
    json_t *user = json_loadb(body, len, 0, &err);
    if (!user || !json_is_object(user)) {
        json_decref(user);
        http_reply_error(req, 400, "the body must be a JSON object");
        return;
    }
    json_t *id = json_object_get(user, "id");
    char key[64];
    const char *k = NULL;
    if (json_is_string(id) && json_string_length(id) > 0 &&
        strlen(json_string_value(id)) == json_string_length(id)) {
        k = json_string_value(id);
    } else if (json_is_integer(id)) {
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        k = key;
    }
    if (!k) {
        json_decref(user);
        http_reply_error(req, 400, "the object needs an \"id\": a string or an integer");
        return;
    }
    app->routes->post_user(req, k, user);
    json_decref(user);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    app->pending++;
    if (app->stopping) {
        http_reply_error(req, 503, "shutting down");
        return;
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    if (!path) {
        http_reply_error(req, 400, "malformed request");
    } else if (strcmp(path, "/users") == 0) {
        if (method == EVHTTP_REQ_GET)
            list_users(req, evhttp_uri_get_query(uri));
        else if (method == EVHTTP_REQ_POST)
            post_user(req);
        else
            http_reply_error(req, 405, "GET or POST");
    } else if (strncmp(path, "/users/", 7) == 0 && path[7] && !strchr(path + 7, '/')) {
        if (method != EVHTTP_REQ_GET) {
            http_reply_error(req, 405, "GET");
            return;
        }
        size_t len;
        char *id = evhttp_uridecode(path + 7, 0, &len);
        if (!id || strlen(id) != len)
            http_reply_error(req, 400, "malformed id");
        else
            app->routes->get_user(req, id);
        free(id);
    } else {
        http_reply_error(req, 404, "no such resource");
    }
}

/* ------------------------------------------------------------ start, finish */

struct event_base *http_start(int port, const struct routes *routes)
{
    app->routes = routes;
    /* A client that closes early must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    app->base = event_base_new();
    app->http = app->base ? evhttp_new(app->base) : NULL;
    if (!app->http) {
        fprintf(stderr, "libevent: cannot make the loop or the server\n");
        return NULL;
    }
    evhttp_set_max_body_size(app->http, MAX_BODY);
    evhttp_set_gencb(app->http, on_request, NULL);
    app->listener = evhttp_bind_socket_with_handle(app->http, "127.0.0.1", (ev_uint16_t)port);
    if (!app->listener) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return NULL;
    }
    app->on_sigterm = evsignal_new(app->base, SIGTERM, on_signal, NULL);
    app->on_sigint = evsignal_new(app->base, SIGINT, on_signal, NULL);
    if (!app->on_sigterm || !app->on_sigint || evsignal_add(app->on_sigterm, NULL) != 0 ||
        evsignal_add(app->on_sigint, NULL) != 0) {
        fprintf(stderr, "libevent: cannot watch SIGTERM and SIGINT\n");
        return NULL;
    }
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof addr;
    evutil_socket_t fd = evhttp_bound_socket_get_fd(app->listener);
    if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        fprintf(stderr, "getsockname: %s\n", strerror(errno));
        return NULL;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    return app->base;
}

void http_finish(void)
{
    if (app->http)
        evhttp_free(app->http);
    if (app->on_sigterm)
        event_free(app->on_sigterm);
    if (app->on_sigint)
        event_free(app->on_sigint);
    if (app->grace)
        event_free(app->grace);
    if (app->base)
        event_base_free(app->base);
}
