/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_db.h
 * @brief The core's database handle over APR DBD: prepared statements by
 *        label, transactions, and what a failure leaves.  httpd-free.
 *
 * Who makes a handle: in httpd, server/db.c wraps a connection that
 * mod_dbd lent (a request's, or the watchdog's) with bkm_db_make(), whose
 * statements mod_dbd prepared; the unit tests wrap their own SQLite
 * connection and prepare the same statements with bkm_db_prepare().
 * Statements are kept with the feature that runs them, each a table of
 * bkm_sql_t (e.g. bkm_lagring_sql in bkm_lagring.c); bkm_core_sql lists the
 * core's tables.
 *
 * Error convention of the core's database functions (bkm_db_*, bkm_lagring_*,
 * the delivery and escalation functions): they return an apr_status_t --
 *   APR_SUCCESS    done;
 *   APR_NOTFOUND   what was asked for does not exist (e.g. a message that
 *                  is not the account's);
 *   APR_EGENERAL   the database failed: whatever the driver's own error
 *                  code, it is mapped to this one status; the driver's
 *                  message (which names no values) is in db->error after a
 *                  failed transaction, and failed queries are logged with
 *                  their label;
 *   and, where a function says so, a few others with a meaning of their
 *   own (APR_EEXIST, APR_EMISMATCH for stored reports; APR_EINVAL for what
 *   the delivery rules refuse in the report's state).
 * Nothing else: no 1/0/-1, no error strings to compare.
 */
#ifndef BKM_DB_H
#define BKM_DB_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_dbd.h>
#include <apr_global_mutex.h>

/** One prepared statement: its label and its SQL (APR DBD's placeholders,
 *  the same text on SQLite and PostgreSQL). */
typedef struct {
    const char *label;
    const char *sql;
} bkm_sql_t;

/** The core's statement tables (each ends with { NULL, NULL }), NULL
 *  ended: bkm_db_sql, bkm_lagring_sql, bkm_leveranse_sql, ... */
extern const bkm_sql_t *const bkm_core_sql[];

/** The database layer's own statements. */
extern const bkm_sql_t bkm_db_sql[];
#define BKM_SQL_SCHEMA_VERSION "bkm_schema_version"

/** A connection and what using it needs, in a request or in a background
 *  pass.  The fields are read by callers (drv and pool for result rows);
 *  only this file's functions change them. */
typedef struct {
    const apr_dbd_driver_t *drv;
    apr_dbd_t *handle;
    apr_pool_t *pool;            /**< results and arguments live here */
    apr_hash_t *prepared;        /**< label -> apr_dbd_prepared_t */
    apr_pool_t *conn_pool;       /**< the connection's: statements prepared
                                 again live as long as it does */
    const bkm_sql_t *const *sql; /**< every statement of this connection
                                         (what bkm_db_reprepare prepares) */
    int sqlite;                  /**< 1 on SQLite (one writer at a time) */
    apr_global_mutex_t *writer;  /**< SQLite: the queue of writers of every
                                     process, or NULL */
    int in_tx, locked;
    const char *error; /**< the driver's message after a failed
                                 transaction (names no values) */
    void *log;         /**< the log baton (bkm_log.h) for this
                                 handle's lines */
    int log_request;   /**< 1: @p log is a request's (some lines have
                                 their own tag there) */
    /* Safe upgrades (README "Upgrades"): the schema version this code
     * expects, or 0 to write without asking (the unit tests); the
     * version the database had when last asked (-1: not asked). */
    int schema;
    int schema_found;
} bkm_db_t;

/**
 * Wrap an open connection.  @p prepared holds its prepared statements
 * (NULL: a new, empty table); statements prepared again (after a database
 * restart) go to @p conn_pool.  @p sql lists every statement it has.
 */
bkm_db_t *bkm_db_make(apr_pool_t *p, const apr_dbd_driver_t *drv,
                      apr_dbd_t *handle, apr_hash_t *prepared,
                      apr_pool_t *conn_pool, const bkm_sql_t *const *sql,
                      void *log);

/** Prepare every statement of db->sql on this connection.
 *  @return APR_SUCCESS, or APR_EGENERAL naming the first that failed in
 *  *failed (if given) -- the others are prepared all the same */
apr_status_t bkm_db_prepare(bkm_db_t *db, const char **failed);

/** Prepare our statements again on this connection (after a database
 *  restart the server has forgotten them; see bkm_db.c), and log it. */
void bkm_db_reprepare(bkm_db_t *db);

/** Count every statement the database fails (a select after its retry, a
 *  run, a BEGIN or a COMMIT; not a rollback the caller chose) in
 *  @p counter, atomically; NULL stops counting.  Set once, before any
 *  thread runs statements. */
void bkm_db_count_errors(apr_uint32_t *counter);

/**
 * Run one of our prepared SELECTs (by label).  Outside a transaction it
 * survives a database restart: on failure the statements are prepared
 * again on the connection and the query is tried once more.  Logs the
 * failure (label and driver error, never the arguments).
 * @return APR_SUCCESS or APR_EGENERAL
 */
apr_status_t bkm_db_select(bkm_db_t *db, const char *label,
                           apr_dbd_results_t **res, int nargs,
                           const char **args);

/** Column @p col of a row, copied into db->pool; NULL for SQL NULL (and
 *  for "", which pgsql returns for NULL: our columns never hold ""). */
const char *bkm_db_value(bkm_db_t *db, apr_dbd_row_t *row, int col);

/** A binary column (BYTEA / blob) of the current row, copied into
 *  db->pool.  @return APR_SUCCESS, or APR_EGENERAL when it is NULL or
 *  unreadable. */
apr_status_t bkm_db_blob(bkm_db_t *db, apr_dbd_row_t *row, int col,
                         const char **data, apr_size_t *len);

/**
 * The rows of one of our prepared SELECTs, read as they are stored: on
 * PostgreSQL in libpq's binary result format on the same (pooled)
 * connection and statement, so a BYTEA column arrives as its bytes, not
 * as hex text twice its size that must be decoded (issue 17); on SQLite
 * through apr_dbd as bkm_db_select.  For the statements that read a
 * ciphertext; the others keep bkm_db_select.  Columns of PostgreSQL types
 * other than text, varchar, char, bigint, integer, smallint, boolean and
 * bytea are refused (their binary form is not decoded here).  Survives a
 * database restart and logs failures as bkm_db_select does.
 * @return APR_SUCCESS or APR_EGENERAL
 */
typedef struct bkm_db_rows_t bkm_db_rows_t;
apr_status_t bkm_db_select_rows(bkm_db_t *db, const char *label, int nargs,
                                const char **args, bkm_db_rows_t **rows);

/** Move to the next row (the first, after bkm_db_select_rows).  Read to
 *  the end (until it returns 0), as with apr_dbd_get_row.
 *  @return 1 when a row is current, 0 after the last */
int bkm_db_rows_next(bkm_db_rows_t *rows);

/** Column @p col of the current row as text, as bkm_db_value: NULL for
 *  SQL NULL and for "" (integers in decimal, booleans "t"/"f" as pgsql's
 *  text results give them); valid as long as db->pool.  NULL too for a
 *  column of a type not read here (a mistake in our SQL, logged). */
const char *bkm_db_rows_value(bkm_db_rows_t *rows, int col);

/** A binary column of the current row: on PostgreSQL the bytes libpq
 *  received (no copy; valid as long as db->pool), on SQLite the driver's
 *  copy.  @return APR_SUCCESS, or APR_EGENERAL when it is NULL or not a
 *  binary column */
apr_status_t bkm_db_rows_blob(bkm_db_rows_t *rows, int col, const char **data,
                              apr_size_t *len);

/** PostgreSQL's binary form of a bigint/integer/smallint/boolean (network
 *  order; @p len 8, 4, 2 or 1 bytes) as the text pgsql would give, into
 *  @p p.  @return NULL when @p len fits none (exported for the unit
 *  tests) */
const char *bkm_db_pg_binary_text(apr_pool_t *p, unsigned int oid,
                                  const unsigned char *v, apr_size_t len);

/** Run one of our prepared INSERT/UPDATE/DELETEs; *nrows (if given) gets
 *  the number of rows changed.  @return APR_SUCCESS or APR_EGENERAL */
apr_status_t bkm_db_run(bkm_db_t *db, const char *label, int *nrows,
                        int nargs, const char **args);

/** The same with binary arguments (apr_dbd_pbquery's values). */
apr_status_t bkm_db_run_binary(bkm_db_t *db, const char *label,
                               const void **values);

/** A statement of our own that is not prepared (PRAGMAs); its outcome is
 *  not checked.  */
void bkm_db_pragma(bkm_db_t *db, const char *sql);

/** Start a transaction (BEGIN; on SQLite after queueing for the one
 *  writer).  @return APR_SUCCESS, or APR_EGENERAL (then nothing is open
 *  and db->error has the driver's message) */
apr_status_t bkm_db_begin(bkm_db_t *db);

/**
 * Whether this code may write to the database: its schema version is the
 * one @c db->schema names (always, when that is 0).  A database migrated
 * by a newer node (or restored from an older dump) is refused: every
 * write of an outdated node would be of the wrong shape.  bkm_db_begin
 * and bkm_db_run (outside a transaction) ask it themselves.
 * @return APR_SUCCESS; APR_EMISMATCH (logged, with @c db->error and
 *         @c db->schema_found set); APR_EGENERAL when the query failed
 */
apr_status_t bkm_db_schema_check(bkm_db_t *db);

/** End it: COMMIT when @p rv is APR_SUCCESS, else ROLLBACK.
 *  @return APR_SUCCESS when committed; else @p rv, or APR_EGENERAL when
 *  COMMIT failed (db->error has the driver's message either way) */
apr_status_t bkm_db_end(bkm_db_t *db, apr_status_t rv);

/** End it with ROLLBACK because there was nothing to write (not a
 *  failure: db->error stays unset). */
void bkm_db_rollback(bkm_db_t *db);

/** The ids @p ids[from .. from+n) into @p args, for a statement that takes
 *  exactly @p n of them (an IN list of n): past the array's end the slots
 *  repeat @p ids[from], which an IN list reads as the same id once. */
void bkm_db_ids_batch(const apr_array_header_t *ids, int from,
                      const char **args, int n);

/** Issue 17: a set of rows in few round trips.  @p labels name the same
 *  multi-row statement prepared for @p sizes[i] rows of @p per_row
 *  arguments each (largest first, the last one 1 row); @p args holds
 *  @p nrows rows of them, flat.  The rows are written with as few
 *  statements as the sizes allow (inside the caller's transaction).
 *  @return APR_SUCCESS, or the first failure */
apr_status_t bkm_db_run_rows(bkm_db_t *db, const char *const *labels,
                             const int *sizes, int nlabels, int per_row,
                             int nrows, const char **args);

#endif
