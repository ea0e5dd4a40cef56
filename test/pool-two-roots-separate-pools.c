/* Two roots open at once have a pool each -- max_workers threads under their
 * own prefix -- and closing one joins only its own workers while the other
 * keeps serving. */
#include "harness.h"

int main(void)
{
    t_warm_up_threads();
    int before = t_count_tasks();
    nana_options_t oa, ob;
    nana_options_init(&oa);
    nana_options_init(&ob);
    oa.max_workers = 2;
    oa.thread_name_prefix = "rootA";
    ob.max_workers = 3;
    ob.thread_name_prefix = "rootB";

    nana_db_t *a = t_open("a.db", &oa);
    nana_db_t *b = t_open("b.db", &ob);
    CHECK_INT(t_count_tasks(), before + 5);
    CHECK_INT(t_count_named("rootA"), 2);
    CHECK_INT(t_count_named("rootB"), 3);

    json_t *va = json_string("a"), *vb = json_string("b");
    nana_future_t *fs[200];
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i / 2);
        fs[i] = i % 2 ? nana_set(a, key, va) : nana_set(b, key, vb);
    }
    CHECK_ST(nana_future_await_all(fs, 200), NANA_OK);
    for (int i = 0; i < 200; i++)
        nana_future_free(fs[i]);
    t_expect(nana_get(a, "k5", NULL), "\"a\"");
    t_expect(nana_get(b, "k5", NULL), "\"b\"");
    CHECK_INT(t_count_tasks(), before + 5);

    CHECK_ST(nana_close(a), NANA_OK);
    CHECK_INT(t_settled_count(before + 3), before + 3);
    CHECK_INT(t_count_named("rootA"), 0);
    CHECK_INT(t_count_named("rootB"), 3);
    /* b is untouched by a's close. */
    CHECK_ST(t_wait(nana_set(b, "after", vb)), NANA_OK);
    CHECK_INT(t_int(nana_len(b)), 101);

    /* Reopening a under another size while b is open. */
    oa.max_workers = 4;
    a = t_open("a.db", &oa);
    CHECK_INT(t_count_named("rootA"), 4);
    CHECK_INT(t_int(nana_len(a)), 100);
    CHECK_ST(nana_close(b), NANA_OK);
    CHECK_INT(t_settled_count(before + 4), before + 4);
    CHECK_INT(t_count_named("rootB"), 0);
    CHECK_ST(nana_close(a), NANA_OK);
    CHECK_INT(t_settled_count(before), before);

    json_decref(va);
    json_decref(vb);
    return 0;
}
