/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports into the database: metadata, ciphertexts and the first timeline
 * event in one transaction, so a report is either wholly stored or not at
 * all (answered 503) -- never half.
 *
 * A transaction that fails because the database restarted (PostgreSQL
 * forgets our prepared statements; see mod_bekymring_db.c) is run once more
 * after preparing them again.  An idempotency key the integration already
 * used is not an error: the first report is answered.  A reference number
 * that is taken fails the insert like any error: the caller draws a new one
 * (the PDF shows it, so it must be rendered again).
 */
#include "mod_bekymring_private.h"
#include "bkm_digest.h"
#include "bkm_dbtx.h"

#include <apr_strings.h>
#include <apr_global_mutex.h>
#include <util_mutex.h>

#define BKM_STORE_ATTEMPTS 2

/* SQLite has one writer at a time.  Writers of every httpd process and
 * thread queue for it on this global mutex (httpd's Mutex directive names
 * it "bekymring-sqlite"), blocked, instead of polling SQLite's lock in
 * bkm_dbtx_begin: polling starved some writers under load (p99 of 300 to
 * 800 ms in make bench).  Other nodes of a farm use PostgreSQL, where this
 * lock is not taken. */
#define BKM_SQLITE_MUTEX "bekymring-sqlite"
static apr_global_mutex_t *bkm_sqlite_writer;

int bkm_store_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, BKM_SQLITE_MUTEX, NULL, APR_LOCK_DEFAULT,
                             0) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

int bkm_store_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = ap_global_mutex_create(&bkm_sqlite_writer, NULL,
                                             BKM_SQLITE_MUTEX, NULL, s,
                                             pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00603)
                     "cannot create the %s mutex", BKM_SQLITE_MUTEX);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void bkm_store_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv = apr_global_mutex_child_init(
        &bkm_sqlite_writer, apr_global_mutex_lockfile(bkm_sqlite_writer), p);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, BKMLOGNO(00604)
                     "cannot attach to the %s mutex", BKM_SQLITE_MUTEX);
        bkm_sqlite_writer = NULL;
    }
}

/* The first report stored under this integration's idempotency key. */
static int find_by_key(request_rec *r, ap_dbd_t *dbd, bkm_melding_t *m)
{
    const char *args[2] = { m->integrasjon_id, m->idempotensnokkel };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int found = 0;

    if (!m->integrasjon_id || !m->idempotensnokkel
        || bkm_db_select(r, dbd, BKM_SQL_MELDING_BY_KEY, &res, 2, args)) {
        return 0;
    }
    while (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) == 0) {
        m->id = apr_pstrdup(r->pool, apr_dbd_get_entry(dbd->driver, row, 0));
        m->referanse = apr_pstrdup(r->pool,
                                   apr_dbd_get_entry(dbd->driver, row, 1));
        found = 1;
    }
    return found;
}

static int run(request_rec *r, ap_dbd_t *dbd, const char *label,
               int nargs, const char **args)
{
    apr_dbd_prepared_t *st = apr_hash_get(dbd->prepared, label,
                                          APR_HASH_KEY_STRING);
    int nrows = 0;

    return st ? apr_dbd_pquery(dbd->driver, r->pool, dbd->handle, &nrows, st,
                               nargs, args)
              : -1;
}

static int insert_all(request_rec *r, ap_dbd_t *dbd, const bkm_melding_t *m,
                      const bkm_sealed_t *c, int nc)
{
    const bkm_bydel_t *b = m->bydel;
    const char *tid = apr_off_t_toa(r->pool, m->mottatt);
    const char *melding[14] = {
        m->id, m->referanse, m->meldingstype, apr_itoa(r->pool, m->versjon),
        m->kilde, m->integrasjon_id, m->fra_org, b->kommune->nummer,
        b->nummer, b->kanal == BKM_KANAL_FAGSYSTEM ? "fagsystem" : "manuell",
        "AKSEPTERT", tid, tid, m->idempotensnokkel
    };
    const char *hendelse[6] = {
        m->id, "1", tid, "AKSEPTERT", m->aktor, "Mottatt og lagret kryptert"
    };
    apr_dbd_prepared_t *st;
    int rv, i, nrows;

    if ((rv = run(r, dbd, BKM_SQL_MELDING_INSERT, 14, melding)) != 0) {
        return rv;
    }
    st = apr_hash_get(dbd->prepared, BKM_SQL_CHIFFER_INSERT,
                      APR_HASH_KEY_STRING);
    for (i = 0; i < nc; i++) {
        /* The binary variant: the ciphertext goes in as a blob. */
        apr_int64_t len = (apr_int64_t)c[i].len;
        apr_size_t size = c[i].len;
        const void *v[9] = {
            m->id, c[i].mottaker, c[i].innholdstype,
            bkm_sha256_hex(r->pool, c[i].data, c[i].len), &len,
            c[i].data, &size, "bkm_chiffer", "innhold"
        };
        if (!st) {
            return -1;
        }
        rv = apr_dbd_pbquery(dbd->driver, r->pool, dbd->handle, &nrows, st,
                             v);
        if (rv != 0) {
            return rv;
        }
    }
    return run(r, dbd, BKM_SQL_HENDELSE_INSERT, 6, hendelse);
}

apr_status_t bkm_store_melding(request_rec *r, ap_dbd_t *dbd,
                               bkm_melding_t *m, const bkm_sealed_t *c,
                               int nc)
{
    const char *err = NULL;
    int attempt, rv = -1, serialise;

    for (attempt = 0; attempt < BKM_STORE_ATTEMPTS; attempt++) {
        if (find_by_key(r, dbd, m)) {
            return APR_EEXIST;
        }
        serialise = bkm_sqlite_writer
                    && strcmp(apr_dbd_name(dbd->driver), "sqlite3") == 0;
        if (serialise) {
            apr_global_mutex_lock(bkm_sqlite_writer);
        }
        rv = bkm_dbtx_begin(dbd->driver, dbd->handle);
        if (rv == 0) {
            rv = insert_all(r, dbd, m, c, nc);
            if (rv == 0) {
                rv = bkm_dbtx_commit(dbd->driver, dbd->handle);
            }
        }
        if (rv != 0) {
            err = apr_pstrdup(r->pool, apr_dbd_error(dbd->driver,
                                                     dbd->handle, rv));
            bkm_dbtx_rollback(dbd->driver, dbd->handle);
        }
        if (serialise) {
            apr_global_mutex_unlock(bkm_sqlite_writer);
        }
        if (rv == 0) {
            return APR_SUCCESS;
        }
        /* Logged with the driver's message, which names the constraint or
         * the connection problem but carries no values. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, BKMLOGNO(00601)
                      "storing report %s failed (attempt %d): %s", m->id,
                      attempt + 1, err ? err : "unknown error");
        if (attempt == 0) {
            bkm_db_reprepare(r, dbd);
        }
    }
    if (find_by_key(r, dbd, m)) {
        return APR_EEXIST;      /* a concurrent retry with the same key won */
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(00602)
                  "report %s not stored: nothing was kept", m->id);
    return APR_EGENERAL;
}
