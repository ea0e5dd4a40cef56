/*
 * A backup cancelled by its progress callback resolves NANA_ECANCELED and
 * leaves no file behind: no copy, no temporary file, and an older copy at
 * the destination untouched.
 *   - Cancelled mid-way: a nonzero return after the third step.
 *   - Cancelled from another thread: the callback returns what a flag set
 *     by the main thread says (the callback waits for the main thread's
 *     decision here only so that the test knows the backup was under way).
 *   - Cancelled after the last step (remaining 0): every page was copied,
 *     and still nothing is renamed into place.
 *   - Writes from another thread during the cancelled backups succeed; the
 *     database holds them and everything it held before.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define ROWS 1500

static nana_db_t *root;

struct cancel {
    int calls;
    int cancel_at;              /* the call that returns nonzero (0: see below) */
    bool at_end;                /* cancel at remaining 0 */
    int64_t remaining_seen;
    /* Cancelled by another thread: */
    bool ask_main;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool asked, decided, cancel_now;
};

static int on_progress(int64_t remaining, int64_t total, void *arg)
{
    struct cancel *c = arg;
    CHECK(total > 0);
    c->calls++;
    c->remaining_seen = remaining;
    if (c->ask_main) {
        pthread_mutex_lock(&c->lock);
        if (!c->asked) {
            c->asked = true;
            pthread_cond_broadcast(&c->cond);
        }
        while (!c->decided)
            pthread_cond_wait(&c->cond, &c->lock);
        bool now = c->cancel_now;
        pthread_mutex_unlock(&c->lock);
        return now;
    }
    if (c->at_end)
        return remaining == 0;
    return c->calls == c->cancel_at;
}

static void *write_more(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof key, "during-%d", i);
        json_t *v = json_integer(i);
        EXPECT(nana_set(root, key, v), NANA_OK);
        json_decref(v);
    }
    return NULL;
}

static nana_future_t *start(const char *dest, struct cancel *c)
{
    nana_backup_options_t o;
    nana_backup_options_init(&o);
    o.pages_per_step = 2;
    o.progress = on_progress;
    o.progress_arg = c;
    return nana_backup(root, dest, &o);
}

static void check_cancelled(nana_future_t *f)
{
    CHECK_ST(nana_future_await(f), NANA_ECANCELED);
    CHECK(strstr(nana_future_errmsg(f), "cancelled by its progress callback") != NULL);
    CHECK(nana_future_json(f) == NULL);
    nana_future_free(f);
}

int main(void)
{
    root = t_open("live.db", NULL);
    json_t *obj = json_object();
    for (int i = 0; i < ROWS; i++) {
        char key[32];
        snprintf(key, sizeof key, "row-%05d", i);
        json_object_set_new(obj, key, json_pack("{s:i, s:s}", "n", i,
                                                "pad", "0123456789012345678901234567890123456789"
                                                       "0123456789012345678901234567890123456789"
                                                       "0123456789012345678901234567890123456789"));
    }
    CHECK_ST(t_wait(nana_update(root, obj)), NANA_OK);
    json_t *before = TAKE(nana_to_dict(root));

    const char *out = t_path("out");
    CHECK(mkdir(out, 0700) == 0);
    const char *dest = t_path("out/copy.db");

    /* Mid-way, with no copy at the destination yet. */
    pthread_t writer;
    CHECK(pthread_create(&writer, NULL, write_more, NULL) == 0);
    struct cancel mid = {.cancel_at = 3};
    check_cancelled(start(dest, &mid));
    CHECK_INT(mid.calls, 3);
    CHECK(mid.remaining_seen > 0);
    char *listing = t_dir_listing(out);
    CHECK_STR(listing, "");
    free(listing);
    CHECK(pthread_join(writer, NULL) == 0);

    /* An older copy stays as it was. */
    CHECK(INT(nana_backup(root, dest, NULL)) > 0);
    uint64_t old_copy = t_fnv_file(dest);

    /* From another thread. */
    CHECK(pthread_create(&writer, NULL, write_more, NULL) == 0);
    struct cancel other = {.ask_main = true};
    pthread_mutex_init(&other.lock, NULL);
    pthread_cond_init(&other.cond, NULL);
    nana_future_t *f = start(dest, &other);
    pthread_mutex_lock(&other.lock);
    while (!other.asked)
        pthread_cond_wait(&other.cond, &other.lock);
    CHECK(!nana_future_poll(f));
    other.cancel_now = true;
    other.decided = true;
    pthread_cond_broadcast(&other.cond);
    pthread_mutex_unlock(&other.lock);
    check_cancelled(f);
    CHECK_INT(other.calls, 1);
    CHECK(t_fnv_file(dest) == old_copy);
    listing = t_dir_listing(out);
    CHECK_STR(listing, "copy.db");
    free(listing);
    CHECK(pthread_join(writer, NULL) == 0);

    /* After the last step: every page copied, nothing renamed. */
    struct cancel end = {.at_end = true};
    check_cancelled(start(dest, &end));
    CHECK_INT(end.remaining_seen, 0);
    CHECK(end.calls > 10);
    CHECK(t_fnv_file(dest) == old_copy);
    listing = t_dir_listing(out);
    CHECK_STR(listing, "copy.db");
    free(listing);

    /* The database: everything before, and the writes made meanwhile. */
    json_t *after = TAKE(nana_to_dict(root));
    const char *key;
    json_t *v;
    json_object_foreach(before, key, v) CHECK(json_equal(json_object_get(after, key), v));
    for (int i = 0; i < 200; i++) {
        char k[32];
        snprintf(k, sizeof k, "during-%d", i);
        CHECK(json_integer_value(json_object_get(after, k)) == i);
    }
    CHECK_INT(json_object_size(after), ROWS + 200);
    nana_json_release(after);
    nana_json_release(before);
    json_decref(obj);
    CHECK_ST(nana_close(root), NANA_OK);
    return 0;
}
