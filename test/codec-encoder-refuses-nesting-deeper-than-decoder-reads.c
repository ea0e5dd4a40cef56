/*
 * jansson's reader takes at most 2048 nested levels (JSON_PARSER_MAX_DEPTH;
 * every value counts, the scalar in the innermost array too), so nana_set
 * stores exactly what reads back: 2048 levels round-trip, 2049 are refused
 * with NANA_EINVAL and the key keeps its value.  (The encoder once took one
 * level more, and that value's key then failed NANA_ETYPE on every read.)
 */
#include "harness.h"

/* levels nested containers (arrays, objects or both, alternating), with a
 * scalar as one more level at the bottom when leaf. */
static json_t *chain(int levels, int kind, bool leaf)
{
    json_t *top = NULL, *inner = NULL;
    for (int i = 0; i < levels - leaf; i++) {
        bool array = kind == 0 || (kind == 2 && i % 2 == 0);
        json_t *c = array ? json_array() : json_object();
        if (!top)
            top = c;
        else if (json_is_array(inner))
            json_array_append_new(inner, c);
        else
            json_object_set_new(inner, "n", c);
        inner = c;
    }
    if (leaf) {
        if (json_is_array(inner))
            json_array_append_new(inner, json_string("bottom"));
        else
            json_object_set_new(inner, "n", json_string("bottom"));
    }
    return top;
}

int main(void)
{
    const char *path = t_path("deep.db");
    nana_db_t *db = t_open("deep.db", NULL);
    t_set_json(db, "k", "\"keep\"");
    for (int kind = 0; kind < 3; kind++) {
        for (int leaf = 0; leaf < 2; leaf++) {
            /* One level too many: refused, nothing written. */
            json_t *v = chain(2049, kind, leaf);
            EXPECT(nana_set(db, "k", v), NANA_EINVAL);
            json_decref(v);
            char *raw = t_raw_value(path, "data", "k");
            CHECK_STR(raw, "\"keep\"");
            free(raw);
            t_expect(nana_get_fresh(db, "k", NULL), "\"keep\"");

            /* The deepest that reads back. */
            v = chain(2048, kind, leaf);
            CHECK_ST(t_wait(nana_set(db, "deepest", v)), NANA_OK);
            raw = t_raw_value(path, "data", "deepest");
            json_error_t err;
            json_t *theirs = json_loads(raw, JSON_DECODE_ANY, &err);
            CHECK(theirs != NULL && json_equal(theirs, v));
            json_decref(theirs);
            free(raw);
            json_t *back = TAKE(nana_get_fresh(db, "deepest", NULL));
            CHECK(json_equal(back, v));
            nana_json_release(back);
            json_decref(v);
        }
    }
    /* Deeper still (a cycle through arrays ends the same way). */
    json_t *v = chain(100000, 2, true);
    EXPECT(nana_set(db, "k", v), NANA_EINVAL);
    json_decref(v);
    json_t *a = json_array(), *b = json_array();
    json_array_append(a, b);
    json_array_append(b, a);
    EXPECT(nana_set(db, "k", a), NANA_EINVAL);
    json_array_clear(b);
    json_decref(a);
    json_decref(b);
    t_expect(nana_get_fresh(db, "k", NULL), "\"keep\"");
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
