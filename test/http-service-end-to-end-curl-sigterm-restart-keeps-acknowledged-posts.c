/*
 * The example service (examples/http-service, built by the suite in its own
 * variant: build/<variant>/examples/http-service), end to end.  Started on
 * a free loopback port (--port 0: it prints the one the kernel chose), it
 * answers curl as its README says: POST /users stores an object under its
 * "id" (201, the object echoed), GET /users/{id} gives it back as stored
 * (200), also for a UTF-8 id; a missing id is 404; a body that is not JSON,
 * not an object, or has no usable "id" is 400; GET /users lists the ids,
 * paginated.  200 posts sent by curl in parallel are all acknowledged.
 * While another connection holds the database's write lock, twenty posts
 * wait inside the library -- and a cached GET is still answered at once:
 * the loop never blocks on the database.  SIGTERM then: the service stops
 * listening, answers the twenty posts with 201 once the lock goes, closes
 * the database and exits 0.  Restarted on the same file, it has every
 * acknowledged post, byte for byte, and stops cleanly again.  Bounded by a
 * 50 s watchdog; the service is killed if the test fails, and its files
 * live in the test's directory.  curl or libevent missing is a failure that
 * says what to install.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PARALLEL_POSTS 200
#define HELD_POSTS 20

static pid_t service = -1;

static void kill_service(void)
{
    if (service > 0) {
        kill(service, SIGKILL);
        waitpid(service, NULL, 0);
        service = -1;
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "http-service test: no progress for 50 s (service or curl hung)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    if (service > 0)
        kill(service, SIGKILL);
    _exit(1);
}

/* build/<variant>/examples/http-service, beside build/<variant>/test/. */
static void service_path(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    CHECK(slash != NULL);
    *slash = '\0'; /* .../build/<variant>/test */
    slash = strrchr(self, '/');
    CHECK(slash != NULL);
    *slash = '\0';
    snprintf(out, size, "%.4000s/examples/http-service", self);
}

/* Starts the service on db; returns the port it listens on. */
static int start(const char *bin, const char *db, const char *log)
{
    int out[2];
    CHECK(pipe(out) == 0);
    service = fork();
    CHECK(service >= 0);
    if (service == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        FILE *err = fopen(log, "a");
        if (err)
            dup2(fileno(err), 2);
        execl(bin, bin, "--db", db, "--port", "0", (char *)NULL);
        perror("exec");
        _exit(127);
    }
    close(out[1]);
    char line[256];
    size_t len = 0;
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        if (poll(&p, 1, 30000) != 1)
            t_fail(__FILE__, __LINE__, "the service did not say it was listening within 30 s");
        ssize_t n = read(out[0], line + len, sizeof line - 1 - len);
        if (n <= 0) {
            char *text = t_slurp(log);
            t_fail(__FILE__, __LINE__, "the service ended before listening:\n%s", text);
        }
        len += (size_t)n;
        line[len] = '\0';
    }
    close(out[0]); /* it prints nothing else on stdout */
    int port = 0;
    if (sscanf(line, "listening on 127.0.0.1:%d", &port) != 1 || port <= 0)
        t_fail(__FILE__, __LINE__, "unexpected first line: %s", line);
    return port;
}

/* SIGTERM, and its exit status. */
static int stop(void)
{
    CHECK(kill(service, SIGTERM) == 0);
    int status;
    CHECK(waitpid(service, &status, 0) == service);
    service = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* curl: the status code and the body of one request. */
static int request(int port, const char *method, const char *path, const char *body,
                   char **answer)
{
    char file[1024], cmd[8192];
    snprintf(file, sizeof file, "%s/body.json", t_dir());
    if (body)
        t_write_file(file, body);
    if (body)
        snprintf(cmd, sizeof cmd,
                 "curl -sS --max-time 20 -o '%s/answer' -w '%%{http_code}' -X %s "
                 "--data-binary @'%s' 'http://127.0.0.1:%d%s'",
                 t_dir(), method, file, port, path);
    else
        snprintf(cmd, sizeof cmd,
                 "curl -sS --max-time 20 -o '%s/answer' -w '%%{http_code}' -X %s "
                 "'http://127.0.0.1:%d%s'",
                 t_dir(), method, port, path);
    char *out = t_must(cmd);
    int code = atoi(out);
    free(out);
    snprintf(file, sizeof file, "%s/answer", t_dir());
    *answer = t_slurp(file);
    (*answer)[strcspn(*answer, "\n")] = '\0';
    return code;
}

static void expect(int port, const char *method, const char *path, const char *body,
                   int want_code, const char *want_answer)
{
    char *answer;
    int code = request(port, method, path, body, &answer);
    if (code != want_code || (want_answer && strcmp(answer, want_answer) != 0))
        t_fail(__FILE__, __LINE__, "%s %s %s: %d %s, want %d %s", method, path,
               body ? body : "", code, answer, want_code, want_answer ? want_answer : "");
    printf("%s %s -> %d %s\n", method, path, code, answer);
    free(answer);
}

/* A raw connection with one whole request written to it. */
static int send_raw(int port, const char *req)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    size_t len = strlen(req);
    CHECK(write(fd, req, len) == (ssize_t)len);
    return fd;
}

/* Everything the server sends on fd until it closes it. */
static char *read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 30000) != 1)
            t_fail(__FILE__, __LINE__, "no answer within 30 s");
        if (len + 1024 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

int main(void)
{
    char bin[PATH_MAX + 64], *out;
    service_path(bin, sizeof bin);
    if (t_run_cmd("command -v curl", &out) != 0)
        t_fail(__FILE__, __LINE__,
               "curl is not installed, so the service cannot be driven: `make deps` "
               "(tools/check-deps.sh) installs it on Debian, or: apt-get install curl");
    free(out);
    if (access(bin, X_OK) != 0) {
        if (t_run_cmd("pkg-config --exists libevent", &out) != 0)
            t_fail(__FILE__, __LINE__,
                   "libevent is not installed, so the example service was not built: `make "
                   "deps` (tools/check-deps.sh) installs it on Debian, or: apt-get install "
                   "libevent-dev");
        t_fail(__FILE__, __LINE__, "%s was not built: run the suite with make test", bin);
    }
    atexit(kill_service);
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm(50);

    char db[1024], log[1024];
    snprintf(db, sizeof db, "%s/users.db", t_dir());
    snprintf(log, sizeof log, "%s/service.log", t_dir());
    int port = start(bin, db, log);
    printf("listening on %d\n", port);

    /* The routes. */
    expect(port, "POST", "/users", "{\"id\": 1, \"name\": \"Nana\"}", 201,
           "{\"id\": 1, \"name\": \"Nana\"}");
    expect(port, "GET", "/users/1", NULL, 200, "{\"id\":1,\"name\":\"Nana\"}");
    expect(port, "POST", "/users", "{\"id\":\"ナナ\",\"tags\":[\"a\"]}", 201, NULL);
    expect(port, "GET", "/users/%E3%83%8A%E3%83%8A", NULL, 200,
           "{\"id\":\"ナナ\",\"tags\":[\"a\"]}");
    expect(port, "GET", "/users/999", NULL, 404, NULL);
    expect(port, "POST", "/users", "{\"id\": 2, \"name\": ", 400, NULL);
    expect(port, "POST", "/users", "not json", 400, NULL);
    expect(port, "POST", "/users", "[1, 2]", 400, NULL);
    expect(port, "POST", "/users", "{\"name\": \"no id\"}", 400, NULL);
    expect(port, "POST", "/users", "{\"id\": [1]}", 400, NULL);
    expect(port, "GET", "/users/2", NULL, 404, NULL); /* the malformed post stored nothing */
    expect(port, "GET", "/users?limit=1", NULL, 200,
           "{\"users\":[\"1\"],\"total\":2,\"limit\":1,\"offset\":0}");
    expect(port, "GET", "/users?limit=5&offset=1", NULL, 200,
           "{\"users\":[\"ナナ\"],\"total\":2,\"limit\":5,\"offset\":1}");
    expect(port, "GET", "/users?limit=0", NULL, 400, NULL);
    expect(port, "GET", "/nothing", NULL, 404, NULL);

    /* 200 posts at once, from one curl. */
    char config[1024], cmd[4096];
    snprintf(config, sizeof config, "%s/parallel.curl", t_dir());
    FILE *fp = fopen(config, "w");
    CHECK(fp != NULL);
    fprintf(fp, "parallel\nparallel-max = %d\nsilent\nshow-error\nmax-time = 30\n",
            PARALLEL_POSTS);
    for (int i = 0; i < PARALLEL_POSTS; i++) {
        if (i > 0)
            fprintf(fp, "next\n");
        fprintf(fp,
                "url = \"http://127.0.0.1:%d/users\"\n"
                "data-binary = \"{\\\"id\\\":\\\"p%d\\\",\\\"n\\\":%d}\"\n"
                "output = \"/dev/null\"\n"
                "write-out = \"%%{http_code} p%d\\n\"\n",
                port, i, i, i);
    }
    CHECK(fclose(fp) == 0);
    snprintf(cmd, sizeof cmd, "curl -K '%s'", config);
    out = t_must(cmd);
    int acknowledged = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        acknowledged += strncmp(line, "201 p", 5) == 0;
    free(out);
    CHECK_INT(acknowledged, PARALLEL_POSTS);
    printf("%d parallel posts acknowledged\n", acknowledged);
    /* In commit order, which the parallel posts choose: the count only. */
    char want[256];
    snprintf(want, sizeof want, "{\"users\":[\"1\",\"ナナ\"],\"total\":%d,\"limit\":2,\"offset\":0}",
             PARALLEL_POSTS + 2);
    expect(port, "GET", "/users?limit=2", NULL, 200, want);
    snprintf(cmd, sizeof cmd, "/users?offset=%d", PARALLEL_POSTS + 2);
    snprintf(want, sizeof want, "{\"users\":[],\"total\":%d,\"limit\":100,\"offset\":%d}",
             PARALLEL_POSTS + 2, PARALLEL_POSTS + 2);
    expect(port, "GET", cmd, NULL, 200, want);

    /* Writes held up by another connection's lock; the loop still serves. */
    struct sqlite3 *gate = t_gate_lock(db);
    int held[HELD_POSTS];
    for (int i = 0; i < HELD_POSTS; i++) {
        char body[64], req[512];
        snprintf(body, sizeof body, "{\"id\":\"h%d\",\"n\":%d}", i, i);
        snprintf(req, sizeof req,
                 "POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
        held[i] = send_raw(port, req);
    }
    /* Answered while the posts wait: the loop is not blocked (and, being
     * sent after them, its answer means they were all read). */
    int64_t t0 = t_now_ms();
    expect(port, "GET", "/users/1", NULL, 200, "{\"id\":1,\"name\":\"Nana\"}");
    printf("a cached GET took %lld ms while %d posts waited for the lock\n",
           (long long)(t_now_ms() - t0), HELD_POSTS);
    for (int i = 0; i < HELD_POSTS; i++) {
        struct pollfd p = {.fd = held[i], .events = POLLIN};
        CHECK(poll(&p, 1, 0) == 0); /* not answered yet */
    }

    /* SIGTERM while they wait: answered once the lock goes, then exit 0. */
    CHECK(kill(service, SIGTERM) == 0);
    t_gate_release(gate, false);
    for (int i = 0; i < HELD_POSTS; i++) {
        char *answer = read_all(held[i]);
        if (strncmp(answer, "HTTP/1.1 201", 12) != 0)
            t_fail(__FILE__, __LINE__, "held post %d after SIGTERM: %s", i, answer);
        free(answer);
    }
    int status;
    CHECK(waitpid(service, &status, 0) == service);
    service = -1;
    char *text = t_slurp(log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !strstr(text, "stopped"))
        t_fail(__FILE__, __LINE__, "the service did not stop cleanly (status %d):\n%s", status,
               text);
    snprintf(want, sizeof want, "SIGTERM: answering %d pending requests", HELD_POSTS);
    if (!strstr(text, want))
        t_fail(__FILE__, __LINE__, "expected \"%s\" in:\n%s", want, text);
    free(text);
    printf("SIGTERM: %d held posts answered 201, exit 0\n", HELD_POSTS);

    /* Restarted: every acknowledged post is there, as stored. */
    port = start(bin, db, log);
    snprintf(config, sizeof config, "%s/check.curl", t_dir());
    fp = fopen(config, "w");
    CHECK(fp != NULL);
    fprintf(fp, "silent\nshow-error\nmax-time = 30\n");
    for (int i = 0; i < PARALLEL_POSTS + HELD_POSTS; i++) {
        char id[16];
        snprintf(id, sizeof id, i < PARALLEL_POSTS ? "p%d" : "h%d",
                 i < PARALLEL_POSTS ? i : i - PARALLEL_POSTS);
        if (i > 0)
            fprintf(fp, "next\n");
        fprintf(fp, "url = \"http://127.0.0.1:%d/users/%s\"\noutput = \"%s/%s.json\"\n", port,
                id, t_dir(), id);
    }
    CHECK(fclose(fp) == 0);
    snprintf(cmd, sizeof cmd, "curl -K '%s'", config);
    free(t_must(cmd));
    for (int i = 0; i < PARALLEL_POSTS + HELD_POSTS; i++) {
        int n = i < PARALLEL_POSTS ? i : i - PARALLEL_POSTS;
        char file[1024], stored[64];
        snprintf(file, sizeof file, "%s/%c%d.json", t_dir(), i < PARALLEL_POSTS ? 'p' : 'h', n);
        snprintf(stored, sizeof stored, "{\"id\":\"%c%d\",\"n\":%d}\n",
                 i < PARALLEL_POSTS ? 'p' : 'h', n, n);
        text = t_slurp(file);
        if (strcmp(text, stored) != 0)
            t_fail(__FILE__, __LINE__, "after the restart, %s holds %s, want %s", file, text,
                   stored);
        free(text);
    }
    snprintf(want, sizeof want, "{\"users\":[\"1\"],\"total\":%d,\"limit\":1,\"offset\":0}",
             PARALLEL_POSTS + HELD_POSTS + 2);
    expect(port, "GET", "/users?limit=1", NULL, 200, want);
    printf("restarted: all %d acknowledged posts there\n", PARALLEL_POSTS + HELD_POSTS + 2);
    CHECK_INT(stop(), 0);
    alarm(0);
    return 0;
}
