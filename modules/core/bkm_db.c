/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core's database handle (bkm_db.h): our prepared statements by label
 * over APR DBD, transactions that queue for SQLite's one writer, and a
 * connection that survives a database restart.  No httpd: the glue lends
 * the connection (server/db.c), the unit tests open their own.
 */
#include "bkm_db.h"
#include "bkm_dbtx.h"
#include "bkm_log.h"

#include <stdlib.h>
#include <string.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_buckets.h>
#include <libpq-fe.h>

const bkm_sql_t bkm_db_sql[] = { { BKM_SQL_SCHEMA_VERSION,
                                   "SELECT MAX(version) FROM bkm_schema" },
                                 { NULL, NULL } };

bkm_db_t *bkm_db_make(apr_pool_t *p, const apr_dbd_driver_t *drv,
                      apr_dbd_t *handle, apr_hash_t *prepared,
                      apr_pool_t *conn_pool, const bkm_sql_t *const *sql,
                      void *log)
{
    bkm_db_t *db = apr_pcalloc(p, sizeof(*db));

    db->drv = drv;
    db->handle = handle;
    db->pool = p;
    db->conn_pool = conn_pool ? conn_pool : p;
    db->prepared = prepared ? prepared : apr_hash_make(db->conn_pool);
    db->sql = sql;
    db->sqlite = strcmp(apr_dbd_name(drv), "sqlite3") == 0;
    db->log = log;
    db->schema_found = -1;
    return db;
}

apr_status_t bkm_db_prepare(bkm_db_t *db, const char **failed)
{
    apr_status_t status = APR_SUCCESS;
    apr_dbd_prepared_t *st;
    int i, j, rv;

    for (i = 0; db->sql && db->sql[i]; i++) {
        const bkm_sql_t *t = db->sql[i];
        for (j = 0; t[j].label; j++) {
            st = NULL;
            rv = apr_dbd_prepare(db->drv, db->conn_pool, db->handle, t[j].sql,
                                 t[j].label, &st);
            if (rv == 0 && st) {
                apr_hash_set(db->prepared, t[j].label, APR_HASH_KEY_STRING,
                             st);
            }
            else if (status == APR_SUCCESS) {
                status = APR_EGENERAL;
                if (failed) {
                    *failed = t[j].label;
                }
            }
        }
    }
    return status;
}

/* Reconnect if need be and prepare our statements again on this
 * connection.  Needed because apr_dbd_pgsql's check_conn silently
 * reconnects (PQreset) after the server restarted, and a new PostgreSQL
 * session has none of the statements mod_dbd prepared: without this, every
 * query on that pooled connection would fail until httpd restarts (found by
 * t/health.t and t/intake.t stopping the database). */
void bkm_db_reprepare(bkm_db_t *db)
{
    /* The connection itself may be the broken part (its server went away
     * while mod_dbd held it): check_conn reconnects a broken pgsql handle
     * (PQreset), after which the statements must be prepared anew. */
    apr_dbd_check_conn(db->drv, db->pool, db->handle);
    bkm_db_prepare(db, NULL);
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_WARNING, 0, db->log, BKMLOGNO(00110)
                   "a query failed; prepared the statements again on this "
                   "connection (did the database restart?)");
}

/* Statements the database failed, for the metrics page
 * (bekymring_database_feil_total): the glue points this at its node's
 * shared memory (bkm_db_count_errors); unset, nothing is counted. */
static apr_uint32_t *db_errors;

void bkm_db_count_errors(apr_uint32_t *counter)
{
    db_errors = counter;
}

static apr_status_t failed(void)
{
    if (db_errors) {
        apr_atomic_inc32(db_errors);
    }
    return APR_EGENERAL;
}

static apr_dbd_prepared_t *statement(bkm_db_t *db, const char *label)
{
    return apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);
}

apr_status_t bkm_db_select(bkm_db_t *db, const char *label,
                           apr_dbd_results_t **res, int nargs,
                           const char **args)
{
    apr_dbd_prepared_t *st = NULL;
    int rv = -1, attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        st = statement(db, label);
        *res = NULL;
        if (st) {
            /* random = 1: apr_dbd_pgsql runs a sequential select
             * asynchronously and reports its failure only as "no more
             * rows"; a synchronous one returns the error here. */
            rv = apr_dbd_pselect(db->drv, db->pool, db->handle, res, st, 1,
                                 nargs, args);
            if (rv == 0) {
                return APR_SUCCESS;
            }
        }
        if (attempt == 0 && !db->in_tx) {
            bkm_db_reprepare(db);
        }
        else {
            break;
        }
    }
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, db->log,
                   BKMLOGNO(00111) "query %s failed: %s", label,
                   st ? apr_dbd_error(db->drv, db->handle, rv)
                      : "statement not prepared");
    return failed();
}

const char *bkm_db_value(bkm_db_t *db, apr_dbd_row_t *row, int col)
{
    const char *v = apr_dbd_get_entry(db->drv, row, col);

    /* apr_dbd_pgsql gives SQL NULL as "" (PQgetvalue), apr_dbd_sqlite3 as
     * NULL: none of our columns holds an empty string, so both are NULL. */
    return v && *v ? apr_pstrdup(db->pool, v) : NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* SQLite: the blob as it is, with its length (it may hold NULs).  The
 * driver hands it over as one pool bucket over its own copy of the column
 * (in the pool the select ran in, db->pool): read it where it is rather
 * than flatten it into another copy, then destroy the brigade so that the
 * pool bucket's cleanup does not copy it to the heap when the pool goes. */
static apr_status_t sqlite_blob(bkm_db_t *db, apr_dbd_row_t *row, int col,
                                const char **data, apr_size_t *len)
{
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(db->pool);
    apr_bucket_brigade *bb = apr_brigade_create(db->pool, ba);
    apr_status_t rv = APR_EGENERAL;
    apr_bucket *e = NULL;
    apr_size_t n = 0;
    const char *buf = NULL;

    if (apr_dbd_datum_get(db->drv, row, col, APR_DBD_TYPE_BLOB, bb)
        == APR_SUCCESS) {
        e = APR_BRIGADE_FIRST(bb);
        if (e != APR_BRIGADE_SENTINEL(bb)
            && APR_BUCKET_NEXT(e) == APR_BRIGADE_SENTINEL(bb)
            && APR_BUCKET_IS_POOL(e)
            && apr_bucket_read(e, &buf, &n, APR_BLOCK_READ) == APR_SUCCESS) {
            *data = buf; /* the driver's copy, in db->pool */
            *len = n;
            rv = APR_SUCCESS;
        }
        else {
            char *flat;
            if (apr_brigade_pflatten(bb, &flat, &n, db->pool)
                == APR_SUCCESS) {
                *data = flat;
                *len = n;
                rv = APR_SUCCESS;
            }
        }
    }
    apr_brigade_destroy(bb);
    apr_bucket_alloc_destroy(ba);
    return rv;
}

apr_status_t bkm_db_blob(bkm_db_t *db, apr_dbd_row_t *row, int col,
                         const char **data, apr_size_t *len)
{
    const char *hex;
    char *out;
    apr_size_t n, i;

    if (db->sqlite) {
        return sqlite_blob(db, row, col, data, len);
    }
    /* apr_dbd_pgsql reads text results: bytea comes as "\x" and hex
     * digits.  Decoded in one pass into a copy of our own, while the row
     * is current (the driver frees its result after the last row).  The
     * ciphertext of a download does not come this way: bkm_db_select_rows
     * reads it in binary. */
    hex = apr_dbd_get_entry(db->drv, row, col);
    n = hex ? strlen(hex) : 0;
    if (n < 2 || n % 2 || hex[0] != '\\' || hex[1] != 'x') {
        return APR_EGENERAL;
    }
    out = apr_palloc(db->pool, n / 2);
    for (i = 2; i < n; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return APR_EGENERAL;
        }
        out[i / 2 - 1] = (char)(hi << 4 | lo);
    }
    *data = out;
    *len = n / 2 - 1;
    return APR_SUCCESS;
}

/* ---- rows read as they are stored (bkm_db_select_rows) --------------- */

/* PostgreSQL's type oids (fixed: src/include/catalog/pg_type.dat). */
#define BKM_PG_BOOL 16
#define BKM_PG_BYTEA 17
#define BKM_PG_NAME 19
#define BKM_PG_INT8 20
#define BKM_PG_INT2 21
#define BKM_PG_INT4 23
#define BKM_PG_TEXT 25
#define BKM_PG_BPCHAR 1042
#define BKM_PG_VARCHAR 1043

struct bkm_db_rows_t {
    bkm_db_t *db;
    /* SQLite (apr_dbd): */
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    /* PostgreSQL (libpq, binary results): */
    PGresult *pg;
    int ntuples, index;
};

static apr_status_t clear_pg(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

const char *bkm_db_pg_binary_text(apr_pool_t *p, unsigned int oid,
                                  const unsigned char *v, apr_size_t len)
{
    apr_uint64_t u = 0;
    apr_size_t i;

    if (oid == BKM_PG_BOOL) {
        return len == 1 ? (v[0] ? "t" : "f") : NULL;
    }
    if (!((oid == BKM_PG_INT8 && len == 8) || (oid == BKM_PG_INT4 && len == 4)
          || (oid == BKM_PG_INT2 && len == 2))) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        u = u << 8 | v[i];
    }
    /* Two's complement of len bytes, sign-extended. */
    if (len < 8 && (v[0] & 0x80)) {
        u |= ~(apr_uint64_t)0 << (8 * len);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)u);
}

/* Whether a column of @p res has a type that binary rows do not read.
 * The whole read then fails, rather than one value reading as NULL: a
 * migration that changed, say, a "fetched" column's type must not make a
 * fetched message read as never fetched. */
static int unknown_column(bkm_db_t *db, const char *label,
                          const PGresult *res)
{
    int col;

    for (col = 0; col < PQnfields(res); col++) {
        switch (PQftype(res, col)) {
        case BKM_PG_TEXT:
        case BKM_PG_VARCHAR:
        case BKM_PG_BPCHAR:
        case BKM_PG_NAME:
        case BKM_PG_BYTEA:
        case BKM_PG_BOOL:
        case BKM_PG_INT2:
        case BKM_PG_INT4:
        case BKM_PG_INT8:
            break;
        default:
            bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, db->log,
                           BKMLOGNO(07301) "query %s: column %d has type "
                                           "oid %u, which binary rows do "
                                           "not read",
                           label, col, PQftype(res, col));
            return 1;
        }
    }
    return 0;
}

apr_status_t bkm_db_select_rows(bkm_db_t *db, const char *label, int nargs,
                                const char **args, bkm_db_rows_t **rows)
{
    bkm_db_rows_t *rs = apr_pcalloc(db->pool, sizeof(*rs));
    PGresult *res = NULL;
    PGconn *conn;
    const char *why = "statement not prepared";
    int attempt;

    rs->db = db;
    rs->index = -1;
    *rows = rs;
    if (db->sqlite) {
        return bkm_db_select(db, label, &rs->res, nargs, args);
    }
    /* The statement mod_dbd (or bkm_db_prepare) prepared on this
     * connection under its label (apr_dbd_pgsql: PREPARE label AS ...),
     * run by libpq itself to ask for binary results (its last argument):
     * apr_dbd_pgsql always asks for text.  Our transactions are plain
     * BEGIN/COMMIT (bkm_dbtx.c), so the driver keeps no state of its own
     * that this call would pass by. */
    for (attempt = 0; attempt < 2; attempt++) {
        conn = apr_dbd_native_handle(db->drv, db->handle);
        if (conn && apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING)) {
            res = PQexecPrepared(conn, label, nargs, args, NULL, NULL, 1);
            if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
                if (unknown_column(db, label, res)) {
                    PQclear(res); /* logged: no retry mends a type */
                    return failed();
                }
                apr_pool_cleanup_register(db->pool, res, clear_pg,
                                          apr_pool_cleanup_null);
                rs->pg = res;
                rs->ntuples = PQntuples(res);
                return APR_SUCCESS;
            }
            why = conn ? PQerrorMessage(conn) : "no connection";
            why = apr_pstrdup(db->pool, why ? why : "unknown error");
            PQclear(res);
            res = NULL;
        }
        if (attempt == 0 && !db->in_tx) {
            bkm_db_reprepare(db);
        }
        else {
            break;
        }
    }
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, db->log,
                   BKMLOGNO(07300) "query %s failed: %s", label, why);
    return failed();
}

int bkm_db_rows_next(bkm_db_rows_t *rs)
{
    if (rs->res) {
        return apr_dbd_get_row(rs->db->drv, rs->db->pool, rs->res, &rs->row,
                               -1)
               == 0;
    }
    if (rs->pg && rs->index + 1 < rs->ntuples) {
        rs->index++;
        return 1;
    }
    return 0;
}

/* A column of the current PostgreSQL row, or NULL (SQL NULL, no row). */
static const unsigned char *pg_value(bkm_db_rows_t *rs, int col,
                                     apr_size_t *len)
{
    if (!rs->pg || rs->index < 0 || rs->index >= rs->ntuples || col < 0
        || col >= PQnfields(rs->pg) || PQgetisnull(rs->pg, rs->index, col)) {
        return NULL;
    }
    *len = (apr_size_t)PQgetlength(rs->pg, rs->index, col);
    return (const unsigned char *)PQgetvalue(rs->pg, rs->index, col);
}

const char *bkm_db_rows_value(bkm_db_rows_t *rs, int col)
{
    const unsigned char *v;
    const char *text;
    apr_size_t len = 0;
    unsigned int oid;

    if (!rs->pg) {
        return rs->row ? bkm_db_value(rs->db, rs->row, col) : NULL;
    }
    if (!(v = pg_value(rs, col, &len))) {
        return NULL;
    }
    switch ((oid = PQftype(rs->pg, col))) {
    case BKM_PG_TEXT:
    case BKM_PG_VARCHAR:
    case BKM_PG_BPCHAR:
    case BKM_PG_NAME:
        /* libpq ends every value with a NUL, binary ones too; it lives
         * as long as the result, which db->pool's cleanup clears.  A text
         * value holds no NUL of its own (PostgreSQL refuses them). */
        return len ? (const char *)v : NULL;
    default:
        /* bool and the integers (bytea is read by bkm_db_rows_blob):
         * select_rows let no other type through. */
        text = bkm_db_pg_binary_text(rs->db->pool, oid, v, len);
        return text;
    }
}

apr_status_t bkm_db_rows_blob(bkm_db_rows_t *rs, int col, const char **data,
                              apr_size_t *len)
{
    const unsigned char *v;

    if (!rs->pg) {
        return rs->row ? bkm_db_blob(rs->db, rs->row, col, data, len)
                       : APR_EGENERAL;
    }
    if (!(v = pg_value(rs, col, len))
        || PQftype(rs->pg, col) != BKM_PG_BYTEA) {
        return APR_EGENERAL;
    }
    *data = (const char *)v;
    return APR_SUCCESS;
}

apr_status_t bkm_db_schema_check(bkm_db_t *db)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    int found = -1;

    if (!db->schema) {
        return APR_SUCCESS;
    }
    if (bkm_db_select(db, BKM_SQL_SCHEMA_VERSION, &res, 0, NULL)
        != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        v = apr_dbd_get_entry(db->drv, row, 0);
        found = v && *v ? atoi(v) : 0;
    }
    db->schema_found = found;
    if (found == db->schema) {
        return APR_SUCCESS;
    }
    db->error = apr_psprintf(
        db->pool,
        "the database has schema version %d, this module writes version "
        "%d: writes refused until the nodes and the schema agree (%s)",
        found, db->schema,
        found > db->schema ? "upgrade this node" : "run bekymring-migrate");
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, db->log,
                   BKMLOGNO(06600) "%s", db->error);
    return APR_EMISMATCH;
}

apr_status_t bkm_db_run(bkm_db_t *db, const char *label, int *nrows,
                        int nargs, const char **args)
{
    apr_dbd_prepared_t *st = statement(db, label);
    int n = 0, rv;

    if (!db->in_tx && bkm_db_schema_check(db) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (!st) {
        return failed();
    }
    rv = apr_dbd_pquery(db->drv, db->pool, db->handle, &n, st, nargs, args);
    if (nrows) {
        *nrows = n;
    }
    return rv == 0 ? APR_SUCCESS : failed();
}

apr_status_t bkm_db_run_binary(bkm_db_t *db, const char *label,
                               const void **values)
{
    apr_dbd_prepared_t *st = statement(db, label);
    int n = 0;

    if (!db->in_tx && bkm_db_schema_check(db) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    return st
                   && apr_dbd_pbquery(db->drv, db->pool, db->handle, &n, st,
                                      values)
                          == 0
               ? APR_SUCCESS
               : failed();
}

void bkm_db_pragma(bkm_db_t *db, const char *sql)
{
    int n;

    (void)apr_dbd_query(db->drv, db->handle, &n, sql);
}

static void unlock_writer(bkm_db_t *db)
{
    if (db->locked) {
        apr_global_mutex_unlock(db->writer);
        db->locked = 0;
    }
}

apr_status_t bkm_db_begin(bkm_db_t *db)
{
    int rv;

    if (db->sqlite && db->writer) {
        apr_global_mutex_lock(db->writer);
        db->locked = 1;
    }
    rv = bkm_dbtx_begin(db->drv, db->handle);
    if (rv != 0) {
        db->error = apr_pstrdup(db->pool,
                                apr_dbd_error(db->drv, db->handle, rv));
        bkm_dbtx_rollback(db->drv, db->handle);
        unlock_writer(db);
        return failed();
    }
    db->in_tx = 1;
    /* In the transaction: a node that migrates takes the schema table's
     * lock (bkm_migrate.c), so this sees its version once it committed. */
    if (bkm_db_schema_check(db) != APR_SUCCESS) {
        const char *why = db->error;
        bkm_db_rollback(db);
        db->error = why;
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t bkm_db_end(bkm_db_t *db, apr_status_t rv)
{
    int drv_rv = 0;

    if (rv == APR_SUCCESS
        && (drv_rv = bkm_dbtx_commit(db->drv, db->handle)) != 0) {
        rv = failed();
    }
    if (rv != APR_SUCCESS) {
        const char *e = apr_dbd_error(db->drv, db->handle, drv_rv);
        db->error = apr_pstrdup(db->pool, e ? e : "unknown error");
        bkm_dbtx_rollback(db->drv, db->handle);
    }
    db->in_tx = 0;
    unlock_writer(db);
    return rv;
}

void bkm_db_rollback(bkm_db_t *db)
{
    bkm_dbtx_rollback(db->drv, db->handle);
    db->in_tx = 0;
    unlock_writer(db);
}

apr_status_t bkm_db_run_rows(bkm_db_t *db, const char *const *labels,
                             const int *sizes, int nlabels, int per_row,
                             int nrows, const char **args)
{
    apr_status_t rv;
    int done = 0, i = 0;

    while (done < nrows && i < nlabels) {
        if (nrows - done < sizes[i]) {
            i++; /* a smaller statement for the rest */
            continue;
        }
        if ((rv = bkm_db_run(db, labels[i], NULL, sizes[i] * per_row,
                             args + (apr_size_t)done * per_row))) {
            return rv;
        }
        done += sizes[i];
    }
    return done == nrows ? APR_SUCCESS : APR_EGENERAL;
}

void bkm_db_ids_batch(const apr_array_header_t *ids, int from,
                      const char **args, int n)
{
    int j;

    for (j = 0; j < n; j++) {
        args[j] = APR_ARRAY_IDX(ids, from + j < ids->nelts ? from + j : from,
                                const char *);
    }
}
