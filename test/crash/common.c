/*
 * common.c -- what the writer child and the checking parent agree on: the
 * key space, the values, the records on the pipe and the PRNG.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

const char *const crash_table_names[CRASH_TABLES] = {"data", "crash_a", "crash_b"};

const char *const crash_op_names[CRASH_OP_COUNT] = {
    [CRASH_SET] = "set",
    [CRASH_GROUP_SET] = "group-committed set",
    [CRASH_BATCH] = "batch_update",
    [CRASH_INCR_OWN] = "increment of its counter",
    [CRASH_INCR_SHARED] = "increment of the shared counter",
    [CRASH_TXN] = "transaction",
};

bool crash_op_own_visible(enum crash_op op)
{
    return op != CRASH_INCR_SHARED;
}

static void write_all(int fd, const void *buf, size_t n)
{
    for (;;) {
        ssize_t w = write(fd, buf, n);
        if (w == (ssize_t)n)
            return;
        if (w < 0 && errno == EINTR)
            continue;
        /* A short write cannot happen for n <= PIPE_BUF on a blocking pipe;
         * anything else means the parent is gone. */
        _exit(3);
    }
}

void crash_send(int fd, const struct crash_rec *r)
{
    write_all(fd, r, sizeof *r);
}

void crash_send_fail(int fd, int thread, const char *fmt, ...)
{
    /* Header and message in one write, so that they arrive together. */
    char buf[sizeof(struct crash_rec) + 400];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + sizeof(struct crash_rec), sizeof buf - sizeof(struct crash_rec),
                      fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf - sizeof(struct crash_rec))
        n = (int)(sizeof buf - sizeof(struct crash_rec) - 1);
    struct crash_rec r = {.kind = CRASH_REC_FAIL, .thread = (uint8_t)thread, .seq = n};
    memcpy(buf, &r, sizeof r);
    write_all(fd, buf, sizeof r + (size_t)n);
}

void crash_key(char *buf, size_t size, int thread, int key)
{
    snprintf(buf, size, "w%d-%d", thread, key);
}

void crash_counter_key(char *buf, size_t size, int thread)
{
    snprintf(buf, size, "n%d", thread);
}

/* The pad of a value: its length spreads over 0..3999 bytes, so that rows
 * from a few bytes to beyond a 4 kB page are written. */
static void make_pad(char *buf, size_t size, int thread, int table, int key, int64_t seq)
{
    uint64_t st = (uint64_t)seq * 0x9E3779B97F4A7C15ULL ^
                  (uint64_t)(thread * 131 + table * 17 + key);
    size_t len = (size_t)(crash_rand(&st) % 4000);
    if (len >= size)
        len = size - 1;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t bits = crash_rand(&st);
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            bits = crash_rand(&st);
        buf[i] = alphabet[(bits >> (i % 8 * 8)) % 36];
    }
    buf[len] = '\0';
}

json_t *crash_value(int thread, int table, int key, int64_t seq)
{
    char pad[4000];
    make_pad(pad, sizeof pad, thread, table, key, seq);
    return json_pack("{s:i, s:i, s:i, s:I, s:s}", "t", thread, "tb", table, "k", key, "s",
                     (json_int_t)seq, "pad", pad);
}

int64_t crash_value_seq(const json_t *v, int thread, int table, int key)
{
    json_t *s = json_object_get(v, "s");
    if (!json_is_integer(s) || json_integer_value(s) < 1)
        return 0;
    int64_t seq = json_integer_value(s);
    json_t *want = crash_value(thread, table, key, seq);
    bool same = want && json_equal(want, v);
    json_decref(want);
    return same ? seq : 0;
}

uint64_t crash_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t crash_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(crash_rand(state) % n);
}
