/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The escalation pass (the "cron"): letter post for every report whose
 * deadline passed without confirmation, retention for delivered reports,
 * and alerts for what needs a person.
 *
 * The glue runs it inside httpd as a mod_watchdog job (like mod_md's
 * renewal), every BekymringEscalationInterval, in one process of each
 * node; and on demand through POST /bekymring-drift/eskalering
 * (report/eskalering.c).  All state is in the database, so any node
 * can run any pass: ordering print is a conditional update
 * (bkm_order_print), and two nodes that find the same due report both
 * try, one changes it, the other finds nothing.
 *
 * Work is done in batches of pol->batch reports per transaction: few
 * commits (each one an fsync on SQLite), short enough that a receipt
 * waiting for a report's row lock is not kept long.
 */
#include "bkm_eskalering.h"
#include "bkm_leveranse.h"
#include "bkm_log.h"

#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>

const bkm_sql_t bkm_eskalering_sql[] = {
    { BKM_SQL_SLETTING_DUE,
      "SELECT id FROM bkm_melding WHERE levert IS NOT NULL "
      "AND slettet IS NULL AND avstemming = 0 AND levert <= %lld "
      "ORDER BY levert LIMIT %d" },
    { BKM_SQL_CHIFFER_DELETE,
      "DELETE FROM bkm_chiffer WHERE melding_id = %s" },
    { BKM_SQL_MELDING_SLETTET,
      "UPDATE bkm_melding SET slettet = %lld, endret = %lld "
      "WHERE id = %s AND slettet IS NULL" },
    { BKM_SQL_VARSLER,
      "SELECT (SELECT COUNT(*) FROM bkm_melding WHERE oppfolging = 1), "
      "(SELECT COUNT(*) FROM bkm_melding WHERE levert IS NULL "
      "AND mottatt <= %lld AND kilde <> 'kontroll')" },
    /* The reporter's web pages (0004_skjema.sql). */
    { BKM_SQL_KOPI_EXPIRED, "DELETE FROM bkm_kopi WHERE utloper <= %lld" },
    { BKM_SQL_UTKAST_EXPIRED,
      "DELETE FROM bkm_utkast WHERE utloper <= %lld" },
    { BKM_SQL_IDEMPOTENS_UTLOPT,
      "UPDATE bkm_melding SET idempotensnokkel = NULL, "
      "idempotens_fingeravtrykk = NULL, idempotens_utloper = NULL "
      "WHERE idempotens_utloper IS NOT NULL AND idempotens_utloper < %lld" },
    /* Retention holds what no reconciliation has confirmed yet (issue 12,
     * 0012_avstemming.sql): the report leaves retention's index until a
     * reconciliation releases it. */
    { BKM_SQL_AVST_HOLD,
      "UPDATE bkm_melding SET avstemming = 1 WHERE id = %s AND EXISTS "
      "(SELECT 1 FROM bkm_leveranse l WHERE l.melding_id = %s "
      "AND l.mottaker = 'fagsystem' AND l.svar IN ('mottatt', 'lagret') "
      "AND l.svar_tid >= COALESCE((SELECT a.til FROM bkm_avstemt a "
      "WHERE a.konto_id = l.konto_id), 0))" },
    { NULL, NULL }
};

/* Ids from a one-column SELECT with (time, limit) arguments, or NULL. */
static apr_array_header_t *due(bkm_db_t *db, const bkm_pass_policy_t *pol,
                               const char *label, apr_time_t bound)
{
    const char *args[2] = { apr_off_t_toa(db->pool, bound),
                            apr_itoa(db->pool, pol->select_limit) };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *ids;

    if (bkm_db_select(db, label, &res, 2, args)) {
        return NULL;
    }
    ids = apr_array_make(db->pool, 64, sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(ids, const char *) = bkm_db_value(db, row, 0);
    }
    return ids;
}

/* One report's work inside a batch's transaction: *done is 1 when it did
 * it, 0 when there was nothing to do (another node did it). */
typedef struct {
    const bkm_pass_policy_t *pol;
    const char *t, *tekst;
} pass_ctx_t;
typedef apr_status_t (*pass_step_fn)(bkm_db_t *db, const char *id,
                                     const pass_ctx_t *ctx, int *done);

/* Run @p step for every report the SELECT @p label finds at @p bound,
 * pol->batch to a transaction; *done counts those it did. */
static apr_status_t in_batches(bkm_db_t *db, const char *label,
                               apr_time_t bound, pass_step_fn step,
                               const pass_ctx_t *ctx, int *done)
{
    const bkm_pass_policy_t *pol = ctx->pol;
    apr_array_header_t *ids;
    apr_status_t rv;
    int i, j;

    do {
        if (!(ids = due(db, pol, label, bound))) {
            return APR_EGENERAL;
        }
        for (i = 0; i < ids->nelts; i += pol->batch) {
            int n = 0, k;
            if ((rv = bkm_db_begin(db))) {
                return rv;
            }
            for (j = i;
                 rv == APR_SUCCESS && j < ids->nelts && j < i + pol->batch;
                 j++) {
                k = 0;
                rv = step(db, APR_ARRAY_IDX(ids, j, const char *), ctx, &k);
                n += k;
            }
            if ((rv = bkm_db_end(db, rv))) {
                return rv;
            }
            *done += n;
        }
        /* Another node may have taken some; a full page means look again. */
    } while (ids->nelts == pol->select_limit);
    return APR_SUCCESS;
}

/* Retention found @p id due: keep its ciphertexts while its case system
 * has not confirmed it in a reconciliation (issue 12,
 * api/avstemming.c).  *held is 1 when kept. */
static apr_status_t reconcile_hold(bkm_db_t *db, const char *id, int *held)
{
    const char *args[2] = { id, id };

    return bkm_db_run(db, BKM_SQL_AVST_HOLD, held, 2, args);
}

static apr_status_t delete_ciphertexts(bkm_db_t *db, const char *id,
                                       const pass_ctx_t *ctx, int *done)
{
    const char *upd[3] = { ctx->t, ctx->t, id };
    apr_status_t rv;
    int n = 0;

    /* Kept until its case system confirmed it in a reconciliation, or the
     * retention period ended, whichever is later (issue 12): held, it
     * leaves retention's index until a reconciliation releases it. */
    if ((rv = reconcile_hold(db, id, &n)) || n != 0) {
        return rv;
    }
    if ((rv = bkm_db_run(db, BKM_SQL_MELDING_SLETTET, &n, 3, upd))) {
        return rv;
    }
    if (n != 1) {
        return APR_SUCCESS; /* another node's */
    }
    if ((rv = bkm_db_run(db, BKM_SQL_CHIFFER_DELETE, NULL, 1, &id))
        || (rv = bkm_event(db, id, ctx->pol->now, "SLETTET", "LEVERT",
                           "oppbevaring", ctx->tekst))) {
        return rv;
    }
    *done = 1;
    return APR_SUCCESS;
}

/* Issue 17: print for the due as sets, pol->batch to a transaction, each
 * ordered by one claiming UPDATE and a few multi-row statements
 * (bkm_order_print_due) -- before, three round trips and more per report.
 * Until a claim finds none: one that found some may have lost others to
 * another node's pass (which then goes on itself), so only an empty one
 * ends it.  Nothing due costs one UPDATE on the deadline's index. */
static apr_status_t escalate(bkm_db_t *db, const bkm_pass_policy_t *pol,
                             bkm_pass_t *out)
{
    apr_status_t rv;
    int n;

    do {
        n = 0;
        if ((rv = bkm_db_begin(db))) {
            return rv;
        }
        rv = bkm_order_print_due(db, pol->delivery, pol->now, pol->batch,
                                 "frist", "eskalering",
                                 "Ingen bekreftelse innen fristen; "
                                 "brevpost bestilt",
                                 &n);
        if (rv == APR_SUCCESS && n == 0) {
            bkm_db_rollback(db); /* nothing written */
        }
        else if ((rv = bkm_db_end(db, rv))) {
            return rv;
        }
        out->eskalert += n;
    } while (n > 0);
    return APR_SUCCESS;
}

/* The reporters' receipt copies and drafts, sealed under keys only their
 * browsers had, are of no use after their hour: gone. */
static apr_status_t expire_web(bkm_db_t *db, const char *now, int *deleted)
{
    apr_status_t rv;
    int a = 0, b = 0;

    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = bkm_db_run(db, BKM_SQL_KOPI_EXPIRED, &a, 1, &now);
    if (rv == APR_SUCCESS) {
        rv = bkm_db_run(db, BKM_SQL_UTKAST_EXPIRED, &b, 1, &now);
    }
    if ((rv = bkm_db_end(db, rv)) == APR_SUCCESS) {
        *deleted = a + b;
    }
    return rv;
}

static apr_status_t retention(bkm_db_t *db, const bkm_pass_policy_t *pol,
                              bkm_pass_t *out)
{
    pass_ctx_t ctx;
    apr_status_t rv;

    ctx.pol = pol;
    ctx.t = apr_off_t_toa(db->pool, pol->now);
    ctx.tekst = apr_psprintf(db->pool,
                             "Chiffertekst slettet %" APR_TIME_T_FMT
                             " dager etter levering",
                             apr_time_sec(pol->retention) / 86400);
    if (db->sqlite) {
        /* Deleted pages are overwritten, not left readable in the file's
         * free list (the setting is per connection). */
        bkm_db_pragma(db, "PRAGMA secure_delete=ON");
    }
    rv = in_batches(db, BKM_SQL_SLETTING_DUE, pol->now - pol->retention,
                    delete_ciphertexts, &ctx, &out->slettet);
    if (rv == APR_SUCCESS) {
        rv = expire_web(db, ctx.t, &out->utlopt);
    }
    if (rv == APR_SUCCESS && db->sqlite
        && (out->slettet > 0 || out->utlopt > 0)) {
        /* The write-ahead log still holds the pages as they were before
         * the deletion: copy it into the file and cut it to nothing. */
        bkm_db_pragma(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return rv;
}

static apr_status_t alerts(bkm_db_t *db, const bkm_pass_policy_t *pol,
                           bkm_pass_t *out)
{
    const char *arg = apr_off_t_toa(db->pool, pol->now - pol->retention);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (bkm_db_select(db, BKM_SQL_VARSLER, &res, 1, &arg)) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        out->oppfolging = atoi(apr_dbd_get_entry(db->drv, row, 0));
        out->uavklart = atoi(apr_dbd_get_entry(db->drv, row, 1));
    }
    return APR_SUCCESS;
}

/* Integrations' idempotency keys older than BKM_IDEMPOTENCY_TTL are
 * forgotten (issue 12): afterwards the key may name a new report. */
static apr_status_t expire_keys(bkm_db_t *db, const bkm_pass_policy_t *pol)
{
    const char *arg = apr_off_t_toa(db->pool, pol->now);
    int n = 0;

    return bkm_db_run(db, BKM_SQL_IDEMPOTENS_UTLOPT, &n, 1, &arg);
}

apr_status_t bkm_eskalering_run(bkm_db_t *db, const bkm_pass_policy_t *pol,
                                bkm_pass_t *out)
{
    apr_status_t rv;
    int i;

    memset(out, 0, sizeof(*out));
    rv = escalate(db, pol, out);
    if (rv == APR_SUCCESS) {
        rv = retention(db, pol, out);
    }
    if (rv == APR_SUCCESS) {
        rv = alerts(db, pol, out);
    }
    if (rv == APR_SUCCESS) {
        rv = expire_keys(db, pol);
    }
    for (i = 0; rv == APR_SUCCESS && i < pol->nsteps; i++) {
        rv = pol->steps[i].fn(db, pol->now, out, pol->steps[i].baton);
    }
    if (rv != APR_SUCCESS) {
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_ERR, 0, pol->log,
                       BKMLOGNO(01201) "escalation pass failed (%s); the "
                       "next pass tries again",
                       db->error ? db->error : "database error");
        return rv;
    }
    if (out->eskalert || out->slettet) {
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_NOTICE, 0, pol->log,
                       BKMLOGNO(01202) "escalation pass: %d sent to letter "
                       "post, %d ciphertexts deleted after retention",
                       out->eskalert, out->slettet);
    }
    if (out->oppfolging || out->uavklart) {
        /* Said every pass until a person acts: nothing is dropped. */
        bkm_log_perror(BKM_LOG_MARK, BKM_LOG_WARNING, 0, pol->log,
                       BKMLOGNO(01203) "ALERT: %d reports need manual "
                       "follow-up (the print provider could not print "
                       "them); %d reports are still undelivered after the "
                       "retention period", out->oppfolging, out->uavklart);
    }
    return APR_SUCCESS;
}
