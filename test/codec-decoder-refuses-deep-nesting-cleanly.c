/*
 * Stored text nested far deeper than any reader goes -- 100 000 levels,
 * written by another program -- fails that key's get with NANA_ETYPE, on a
 * worker with an ordinary stack and under the sanitizers alike: no stack
 * overflow, no crash, other keys unaffected.  2048 levels, jansson's limit,
 * still read.
 */
#include "harness.h"

#define HUGE_LEVELS 100000

static char *nested(const char *open, const char *middle, const char *close, int levels)
{
    size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close);
    char *text = malloc((lo + lc) * (size_t)levels + lm + 1), *p = text;
    CHECK(text != NULL);
    for (int i = 0; i < levels; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, middle, lm);
    p += lm;
    for (int i = 0; i < levels; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return text;
}

int main(void)
{
    const char *path = t_path("deep.db");
    nana_db_t *db = t_open("deep.db", NULL);
    t_set_json(db, "neighbour", "{\"fine\":true}");

    static const struct {
        const char *open, *middle, *close;
    } shapes[] = {
        {"[", "", "]"},
        {"[", "1", "]"},
        {"{\"a\":", "null", "}"},
        {"[{\"a\":", "\"x\"", "}]"},
        {" [ ", " ", " ] "},
    };
    char key[32];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        /* Balanced, and cut off (never closed). */
        for (int closed = 0; closed < 2; closed++) {
            char *text = nested(shapes[i].open, shapes[i].middle, closed ? shapes[i].close : "",
                                HUGE_LEVELS);
            snprintf(key, sizeof key, "huge%zu-%d", i, closed);
            t_raw_put(path, key, text);
            free(text);
            EXPECT(nana_get(db, key, NULL), NANA_ETYPE);
            EXPECT(nana_get_fresh(db, key, NULL), NANA_ETYPE);
        }
    }
    /* At the limit it reads; one level more is refused, as jansson does. */
    char *text = nested("[", "", "]", 2048);
    t_raw_put(path, "at-limit", text);
    json_t *v = TAKE(nana_get_fresh(db, "at-limit", NULL));
    CHECK(json_is_array(v));
    nana_json_release(v);
    free(text);
    text = nested("[", "0", "]", 2048);
    t_raw_put(path, "over-limit", text);
    EXPECT(nana_get_fresh(db, "over-limit", NULL), NANA_ETYPE);
    free(text);

    t_expect(nana_get_fresh(db, "neighbour", NULL), "{\"fine\":true}");
    CHECK_ST(nana_close(db), NANA_OK);

    /* A fresh handle reads the rest of the table around them. */
    db = t_open("deep.db", NULL);
    t_expect(nana_get(db, "neighbour", NULL), "{\"fine\":true}");
    EXPECT(nana_get(db, "huge0-1", NULL), NANA_ETYPE);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
