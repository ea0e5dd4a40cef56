/*
 * nana_upsert with conflict columns and a row made only of those columns
 * has nothing to update: it runs ON CONFLICT DO NOTHING, and when the
 * conflict fires (no row inserted or changed) it resolves 0, as NanaSQLite's
 * upsert does -- not the rowid of the row already stored.  Without a
 * conflict it inserts and resolves the new rowid.  The stored row is left
 * untouched either way.  Column names compare without regard to case, as in
 * SQLite: {"Tag": ...} with conflict ["tag"] is the same all-key row.
 */
#include "harness.h"

int main(void)
{
    nana_db_t *db = t_open("upsert.db", NULL);
    EXPECT(nana_execute(db, "CREATE TABLE tags (id INTEGER PRIMARY KEY, tag TEXT UNIQUE, "
                            "n INTEGER DEFAULT 7)", NULL),
           NANA_OK);
    EXPECT(t_execute(db, "INSERT INTO tags (id, tag, n) VALUES (40, 'old', 1)", NULL), NANA_OK);

    json_t *keys = t_json("[\"tag\"]");
    json_t *row = t_json("{\"tag\": \"new\"}");
    /* No conflict: inserted, its rowid. */
    CHECK_INT(INT(nana_upsert(db, "tags", row, keys)), 41);
    /* The same again: DO NOTHING fired. */
    CHECK_INT(INT(nana_upsert(db, "tags", row, keys)), 0);
    json_decref(row);
    row = t_json("{\"tag\": \"old\"}");
    CHECK_INT(INT(nana_upsert(db, "tags", row, keys)), 0);
    json_decref(row);
    row = t_json("{\"Tag\": \"old\"}");
    CHECK_INT(INT(nana_upsert(db, "tags", row, keys)), 0);
    json_decref(row);

    /* Several conflict columns, every one in the row. */
    EXPECT(nana_execute(db, "CREATE TABLE pairs (a TEXT, b TEXT, UNIQUE (a, b))", NULL), NANA_OK);
    json_t *both = t_json("[\"a\", \"b\"]");
    row = t_json("{\"a\": \"x\", \"b\": \"y\"}");
    CHECK_INT(INT(nana_upsert(db, "pairs", row, both)), 1);
    CHECK_INT(INT(nana_upsert(db, "pairs", row, both)), 0);
    json_decref(row);
    json_decref(both);
    SAME(nana_fetch_all(db, "SELECT rowid, a, b FROM pairs", NULL), "[[1,\"x\",\"y\"]]");

    /* A row with other columns still updates in place: the rowid. */
    row = t_json("{\"tag\": \"old\", \"n\": 2}");
    CHECK_INT(INT(nana_upsert(db, "tags", row, keys)), 40);
    json_decref(row);

    SAME(nana_fetch_all(db, "SELECT id, tag, n FROM tags ORDER BY id", NULL),
         "[[40,\"old\",2],[41,\"new\",7]]");
    json_decref(keys);
    CHECK_ST(nana_close(db), NANA_OK);
    return 0;
}
