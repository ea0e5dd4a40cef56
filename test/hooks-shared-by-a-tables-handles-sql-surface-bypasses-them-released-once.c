/*
 * Hooks belong to a table of a root, as its cache does: installed through
 * one handle they run for writes through any handle of that table (the
 * root, a sub-table handle opened under another case of the name, a view
 * inside a transaction), never for another table.  SQL-surface writes do
 * not go through them (nana_execute, nana_execute_many, nana_sql_insert,
 * nana_sql_update, nana_sql_delete, nana_import_from_dict_list).
 * nana_set_hooks: db NULL is NANA_EINVAL; on a closed root NANA_ECLOSED;
 * replacing a set releases the old one once (here, at once: nothing uses
 * it); the root's close releases what is installed; a call that failed
 * never releases its arg.
 */
#include "harness.h"

static int writes, deletes; /* hooks and this thread take turns: futures order them */

static nana_status_t count_write(void *arg, const char *key, json_t *value, json_t **repl,
                                 char *msg, size_t size)
{
    (void)arg;
    (void)key;
    (void)value;
    (void)repl;
    (void)msg;
    (void)size;
    writes++;
    return NANA_OK;
}

static nana_status_t count_delete(void *arg, const char *key, char *msg, size_t size)
{
    (void)arg;
    (void)key;
    (void)msg;
    (void)size;
    deletes++;
    return NANA_OK;
}

static void count_release(void *arg)
{
    int *n = arg;
    (*n)++;
}

int main(void)
{
    nana_db_t *db = t_open("shared.db", NULL);
    nana_db_t *same, *other;
    CHECK_ST(nana_table(db, "DATA", &same), NANA_OK); /* the root's table "data" */
    CHECK_ST(nana_table(db, "other", &other), NANA_OK);

    int first_released = 0;
    nana_hooks_t hooks = {.before_write = count_write,
                          .before_delete = count_delete,
                          .release = count_release,
                          .arg = &first_released};
    CHECK_ST(nana_set_hooks(same, &hooks), NANA_OK);

    t_set_json(db, "a", "1");
    CHECK_INT(writes, 1);
    t_set_json(same, "b", "2");
    CHECK_INT(writes, 2);
    t_set_json(other, "a", "1");
    CHECK_INT(writes, 2);
    CHECK_ST(t_wait(nana_delete(other, "a")), NANA_OK);
    CHECK_INT(deletes, 0);

    nana_txn_t *txn;
    CHECK_ST(t_wait(nana_txn_begin(db, NULL, &txn)), NANA_OK);
    t_set_json(nana_txn_db(txn, same), "c", "3");
    CHECK_INT(writes, 3);
    t_set_json(nana_txn_db(txn, other), "c", "3");
    CHECK_INT(writes, 3);
    CHECK_ST(t_wait(nana_txn_commit(txn)), NANA_OK);
    nana_txn_free(txn);

    /* The SQL surface writes the same rows without asking. */
    CHECK_ST(t_wait(t_execute(db, "INSERT INTO data (key, value) VALUES ('sql', '1')", NULL)),
             NANA_OK);
    json_t *sets = t_json("[[\"m1\", \"1\"], [\"m2\", \"2\"]]");
    CHECK_ST(t_wait(nana_execute_many(db, "INSERT INTO data (key, value) VALUES (?, ?)", sets)),
             NANA_OK);
    json_decref(sets);
    json_t *row = t_json("{\"key\": \"ins\", \"value\": \"4\"}");
    CHECK_ST(t_wait(nana_sql_insert(db, "data", row)), NANA_OK);
    json_decref(row);
    json_t *set = t_json("{\"value\": \"5\"}");
    CHECK_ST(t_wait(nana_sql_update(db, "data", set, "key = 'ins'", NULL)), NANA_OK);
    json_decref(set);
    CHECK_ST(t_wait(nana_sql_delete(db, "data", "key = 'm1'", NULL)), NANA_OK);
    json_t *rows = t_json("[{\"key\": \"imp\", \"value\": \"6\"}]");
    CHECK_ST(t_wait(nana_import_from_dict_list(db, "data", rows)), NANA_OK);
    json_decref(rows);
    CHECK_INT(writes, 3);
    CHECK_INT(deletes, 0);
    CHECK_INT(t_int(nana_get(db, "ins", NULL)), 5);
    CHECK_INT(t_int(nana_get(db, "imp", NULL)), 6);

    /* Replaced: the old set is released once, now. */
    int second_released = 0;
    hooks.arg = &second_released;
    CHECK_ST(nana_set_hooks(db, &hooks), NANA_OK);
    CHECK_INT(first_released, 1);
    CHECK_ST(t_wait(nana_delete(same, "a")), NANA_OK);
    CHECK_INT(deletes, 1);

    CHECK_ST(nana_set_hooks(NULL, &hooks), NANA_EINVAL);

    /* The root's close releases what is installed; afterwards nothing can
     * be installed, and a refused arg is never released. */
    CHECK_ST(nana_close(db), NANA_OK);
    CHECK_INT(second_released, 1);
    int third_released = 0;
    hooks.arg = &third_released;
    CHECK_ST(nana_set_hooks(same, &hooks), NANA_ECLOSED);
    CHECK_ST(nana_set_hooks(same, NULL), NANA_ECLOSED);
    CHECK_ST(nana_close(same), NANA_OK);
    CHECK_ST(nana_close(other), NANA_OK);
    CHECK_INT(third_released, 0);
    CHECK_INT(first_released, 1);
    CHECK_INT(second_released, 1);
    return 0;
}
