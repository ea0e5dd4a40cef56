/*
 * Starting test/dqnode/node.c for a scenario (test/dqlite-cluster-*.c):
 * free loopback ports, a node as a child process waited for until it says
 * "ready", and its data directory removed.  Static functions: each
 * scenario that includes this is one program.
 */
#ifndef NANA_TEST_DQNODE_RUN_H
#define NANA_TEST_DQNODE_RUN_H

#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"

/* n distinct free ports on 127.0.0.1 as "127.0.0.1:PORT" (each bound at
 * once, so none repeats). */
static void dqnode_pick_addresses(char (*addresses)[64], int n)
{
    int fds[16];
    CHECK(n <= 16);
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(fds[i] >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        CHECK(bind(fds[i], (struct sockaddr *)&sa, sizeof sa) == 0);
        socklen_t len = sizeof sa;
        CHECK(getsockname(fds[i], (struct sockaddr *)&sa, &len) == 0);
        snprintf(addresses[i], 64, "127.0.0.1:%d", ntohs(sa.sin_port));
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* Starts node id at address with its data in dir (made here), latency_ms
 * of network latency (NULL: the node's default); returns its pid once it
 * printed "ready". */
static pid_t dqnode_start(int id, const char *address, const char *dir, const char *latency_ms)
{
    char id_text[16];
    snprintf(id_text, sizeof id_text, "%d", id);
    CHECK(mkdir(dir, 0755) == 0);
    int out[2];
    CHECK(pipe(out) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(NANA_DQ_NODE, NANA_DQ_NODE, id_text, address, dir, latency_ms, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[16] = "";
    struct pollfd p = {.fd = out[0], .events = POLLIN};
    CHECK(poll(&p, 1, 10000) == 1);
    CHECK(read(out[0], buf, sizeof buf - 1) > 0);
    close(out[0]);
    if (strncmp(buf, "ready", 5) != 0)
        t_fail(__FILE__, __LINE__, "node %d (%s) did not start", id, address);
    return pid;
}

static int dqnode_remove_entry(const char *path, const struct stat *sb, int flag,
                               struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it. */
static void dqnode_remove_tree(const char *dir)
{
    nftw(dir, dqnode_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
