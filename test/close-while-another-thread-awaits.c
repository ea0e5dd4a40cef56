/* nana_close(root) on one thread while other threads are still awaiting
 * futures of that root (and may be running queued jobs inside their await):
 * close drains everything, every awaited future resolves OK, nothing
 * crashes, and a reopened root has every write. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"

#define AWAITERS 3
#define PER_THREAD 400
/* The race needs many tries to show: up to MAX_ROUNDS, within BUDGET_MS. */
#define MAX_ROUNDS 200
#define BUDGET_MS 15000

static nana_db_t *db;
static pthread_barrier_t submitted;

struct awaiter {
    int id, round;
    nana_future_t *fs[PER_THREAD];
    int failures;
};

static void *awaiter_main(void *arg)
{
    struct awaiter *a = arg;
    char key[48];
    json_t *v = json_integer(a->round);
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "r%d-a%d-%d", a->round, a->id, i);
        a->fs[i] = nana_set(db, key, v);
    }
    json_decref(v);
    pthread_barrier_wait(&submitted);
    /* The last first: this await may run the whole queue itself. */
    if (nana_future_await(a->fs[PER_THREAD - 1]) != NANA_OK)
        a->failures++;
    for (int i = 0; i < PER_THREAD; i++) {
        if (nana_future_await(a->fs[i]) != NANA_OK)
            a->failures++;
        nana_future_free(a->fs[i]);
    }
    return NULL;
}

/* A hang is the likely failure: say so instead of waiting for the runner's
 * timeout. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "close-while-another-thread-awaits: nana_close() or an await "
                              "hung for 60 s\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(1);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    json_object_seed(0);
    nana_options_t opts;
    nana_options_init(&opts);
    static struct awaiter aw[AWAITERS];
    int64_t start = t_now_ms();
    int rounds = 0;
    for (int round = 0; round < MAX_ROUNDS && t_now_ms() - start < BUDGET_MS; round++) {
        rounds++;
        opts.max_workers = 1 + round % 3;
        db = t_open("db", &opts);
        CHECK(pthread_barrier_init(&submitted, NULL, AWAITERS + 1) == 0);
        pthread_t th[AWAITERS];
        for (int i = 0; i < AWAITERS; i++) {
            aw[i].id = i;
            aw[i].round = round;
            aw[i].failures = 0;
            CHECK(pthread_create(&th[i], NULL, awaiter_main, &aw[i]) == 0);
        }
        pthread_barrier_wait(&submitted);
        alarm(60);
        CHECK_ST(nana_close(db), NANA_OK);
        for (int i = 0; i < AWAITERS; i++) {
            pthread_join(th[i], NULL);
            if (aw[i].failures)
                t_fail(__FILE__, __LINE__, "round %d thread %d: %d awaits were not OK", round,
                       i, aw[i].failures);
        }
        alarm(0);
        pthread_barrier_destroy(&submitted);
    }

    db = t_open("db", NULL);
    CHECK_INT(t_int(nana_len(db)), rounds * AWAITERS * PER_THREAD);
    char last[48], want[16];
    snprintf(last, sizeof last, "r%d-a%d-%d", rounds - 1, AWAITERS - 1, PER_THREAD - 1);
    snprintf(want, sizeof want, "%d", rounds - 1);
    t_expect(nana_get(db, last, NULL), want);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
