/*
 * model.h -- the reference model: what the file holds (per table, rows in
 * rowid order with their exact rowids) and what each root's cache holds
 * (per table and key: not cached, cached absent, cached present with a
 * value; plus the table's fully-loaded flag), and, for every operation,
 * what its future must resolve to.
 *
 * The cache contract it encodes is spelled out at the top of model.c.
 */
#ifndef NANA_MODEL_MODEL_H
#define NANA_MODEL_MODEL_H

#include "nanasqlite.h"
#include "ops.h"

enum cstate { C_NC = 0, C_ABS, C_PRES };

struct centry {
    enum cstate st;
    json_t *v; /* C_PRES: the value (owned) */
};

struct mcache {
    struct centry e[M_NKEYS];
    bool fully_loaded; /* informative: the per-key states already say it */
};

/* A row another connection stored with a NULL key: no key can reach it;
 * len counts it, listings skip it, load_all leaves it out (so the table is
 * then not fully loaded). */
#define M_KEY_NULL (-1)

struct mrow {
    int key; /* index into names, or M_KEY_NULL */
    char *text; /* NULL: SQL NULL */
    int64_t rowid;
};

struct mtable {
    struct mrow *rows; /* ascending rowid */
    int n, cap;
};

struct model {
    const char *const *names; /* key index -> key text */
    int nkeys;
    struct mtable file[M_NTABLES];
    struct mcache cache[M_NROOTS][M_NTABLES];
    /* The cache may drop any entry at any time (a bound or a lifetime:
     * enum seq_policy): the model's cached states are then what the
     * library's may be at most. */
    bool bounded[M_NROOTS][M_NTABLES];
    bool triggers; /* the poison triggers exist on table "data" */
    bool locked;   /* another connection holds the write lock */
    bool hooks;    /* the hook mode (ops.h) */
};

enum exp_kind { E_NONE, E_JSON, E_INT, E_BOOL, E_EXEC };

/* What one future must resolve to. */
struct expect {
    nana_status_t st;
    enum exp_kind kind; /* when st is NANA_OK */
    json_t *json;       /* E_JSON (owned) */
    int64_t i;          /* E_INT; E_EXEC: "changes" */
    bool b;             /* E_BOOL */
    int64_t insert_rowid; /* E_EXEC: expected "last_insert_rowid", or -1: not checked */
    int name_key;       /* NANA_ETYPE: the key the message must name, or -1 */
    bool poison_rollback; /* the op hits RAISE(ROLLBACK): any failure will do */
};

void model_init(struct model *m, const char *const *names, int nkeys);
void model_free(struct model *m);
/* A deep copy of src into dst (uninitialised): a transaction's snapshot. */
void model_copy(struct model *dst, const struct model *src);
/* Nothing cached by root, in any table, not fully loaded: what a COMMIT of
 * a transaction the cache cannot follow leaves, and what the reads inside
 * such a transaction see of the cache. */
void model_forget_root(struct model *m, int root);
/* key not cached by root in table: what a bounded cache showed it dropped. */
void model_forget_key(struct model *m, int root, int table, int key);
/* Does every state root's table caches equal what the file says (a value
 * decoded the same, an absence with no row)?  When not, *key says which. */
bool model_cache_matches_file(const struct model *m, int root, int table, int *key);
/* Does op run as a job of its own whose cache effects are not staged key by
 * key (a whole-table op, a SQL write)?  Inside a transaction, the cache then
 * cannot follow it. */
bool model_op_is_whole(enum op_kind k);
void expect_free(struct expect *e);
/* What the hook mode stores when v is written under key: {"hooked": v} for
 * M_HOOK_REPLACED, else v.  New reference. */
json_t *model_hook_value(int key, const json_t *v);

/* Computes op's expected outcome (on the root and table of op->handle) and
 * applies its effects to the model, as if it took effect now. */
void model_op(struct model *m, const struct op *op, struct expect *e);

/* Does op (submitted while not locked) hit RAISE(ROLLBACK)?  Without
 * looking at the state: the op inserts the rollback key into "data". */
bool model_op_rolls_back(const struct model *m, const struct op *op);

/* Another connection's writes. */
void model_raw_put(struct model *m, int table, int key, const char *text);
void model_raw_update(struct model *m, int table, int key, const char *text);
void model_raw_delete(struct model *m, int table, int key);
void model_raw_put_null_key(struct model *m, int table, const char *text);
void model_raw_delete_null_keys(struct model *m, int table);
/* The key of a row for messages ("NULL" for M_KEY_NULL). */
const char *model_key_name(const struct model *m, int key);

/* A root (re)opened: its caches start empty; bulk_load loads "data". */
void model_root_opened(struct model *m, int root, bool bulk_load);

/* text decoded as the library must decode it (any JSON value; NULL when
 * text is NULL or not valid JSON).  New reference. */
json_t *model_decode(const char *text);

/* For reports: the cache state of one root/table, one line. */
void model_print_cache(FILE *out, const struct model *m, int root, int table);
void model_print_file(FILE *out, const struct model *m, int table);

#endif
