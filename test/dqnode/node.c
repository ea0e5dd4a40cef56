/*
 * dqlite-node: one dqlite node in a process of its own, for the cluster
 * scenarios (test/dqlite-cluster-*.c), through libdqlite's public node API
 * only.  The scenario starts three of these as child processes and
 * SIGKILLs one; it talks to them through the library's own wire client.
 *
 *   dqlite-node ID ADDRESS DIR [LATENCY_MS]
 *
 * Node 1 bootstraps a cluster of itself; the others wait to be added.
 * Prints "ready" on stdout once the node listens, then runs until SIGTERM
 * or SIGINT (a clean stop) -- or SIGKILL, which is what the scenario
 * means to survive.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <dqlite.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ID ADDRESS DIR [LATENCY_MS]\n", argv[0]);
        return 2;
    }
    dqlite_node_id id = strtoull(argv[1], NULL, 10);
    const char *address = argv[2], *dir = argv[3];

    /* libdqlite 1.11 (its raft transport over libuv) writes to peers
     * without MSG_NOSIGNAL: when a peer is killed, a survivor's write to
     * it raises SIGPIPE, which would end this node too -- seen as both
     * survivors gone after the leader's SIGKILL.  A process that runs a
     * node must ignore SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    /* The stop signals are taken with sigwait(), so they are blocked
     * before dqlite starts its thread, which inherits the mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    dqlite_node *node;
    int rv = dqlite_node_create(id, address, dir, &node);
    if (rv != 0) {
        fprintf(stderr, "dqlite_node_create: %d\n", rv);
        return 1;
    }
    if ((rv = dqlite_node_set_bind_address(node, address)) != 0) {
        fprintf(stderr, "dqlite_node_set_bind_address %s: %s\n", address,
                dqlite_node_errmsg(node));
        return 1;
    }
    /* A lower latency shortens the election timeout (15 x latency), so
     * that the scenario's leader change takes a few seconds, not ten. */
    if (argc > 4 && (rv = dqlite_node_set_network_latency_ms(node, (unsigned)atoi(argv[4]))) != 0) {
        fprintf(stderr, "dqlite_node_set_network_latency_ms: %d\n", rv);
        return 1;
    }
    if ((rv = dqlite_node_start(node)) != 0) {
        fprintf(stderr, "dqlite_node_start: %s\n", dqlite_node_errmsg(node));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    dqlite_node_stop(node);
    dqlite_node_destroy(node);
    return 0;
}
