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
#include "bkm_avvik.h"
#include "bkm_kjede.h"
#include "bkm_log.h"

#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>

/* Retention holds what no reconciliation has confirmed yet (issue 12,
 * 0012_avstemming.sql): the report leaves retention's index until a
 * reconciliation releases it.  Of the row being updated. */
#define UNCONFIRMED \
    "EXISTS (SELECT 1 FROM bkm_leveranse l " \
    "WHERE l.melding_id = bkm_melding.id AND l.mottaker = 'fagsystem' " \
    "AND l.svar IN ('mottatt', 'lagret') AND l.svar_tid >= " \
    "COALESCE((SELECT a.til FROM bkm_avstemt a " \
    "WHERE a.konto_id = l.konto_id), 0))"

const bkm_sql_t bkm_eskalering_sql[] = {
    /* One report's ciphertexts (the unit tests' statement of one
     * argument). */
    { BKM_SQL_CHIFFER_DELETE,
      "DELETE FROM bkm_chiffer WHERE melding_id = %s" },
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
    /* Issue 17: retention as sets (retention_batch), where it was four
     * statements per report.  First the due that a reconciliation has
     * not confirmed are held (up to a batch of the due at once); then the
     * rest are claimed by one conditional UPDATE, as escalation's claim
     * (bkm_leveranse.c: a join, the re-check a CASE, so the rows are
     * reached by primary key and locked in the look's order), their
     * ciphertexts deleted 50 at a time. */
    { BKM_SQL_SLETTING_HOLD_SET,
      "UPDATE bkm_melding SET avstemming = 1 FROM (SELECT id AS kid "
      "FROM bkm_melding WHERE levert IS NOT NULL AND slettet IS NULL "
      "AND avstemming = 0 AND levert <= %lld ORDER BY levert LIMIT %d) "
      "AS krav WHERE bkm_melding.id = krav.kid AND CASE WHEN slettet "
      "IS NULL AND avstemming = 0 THEN 1 ELSE 0 END = 1 AND " UNCONFIRMED },
    /* The claim checks the same again for each row it takes: one beyond
     * the hold's look is left for the next transaction's. */
    { BKM_SQL_SLETTING_CLAIM,
      "UPDATE bkm_melding SET slettet = %lld, endret = %lld FROM "
      "(SELECT id AS kid FROM bkm_melding WHERE levert IS NOT NULL "
      "AND slettet IS NULL AND avstemming = 0 AND levert <= %lld "
      "ORDER BY levert LIMIT %d) AS krav WHERE bkm_melding.id = krav.kid "
      "AND CASE WHEN slettet IS NULL "
      "AND avstemming = 0 AND NOT " UNCONFIRMED " THEN 1 ELSE 0 END = 1 "
      "RETURNING bkm_melding.id" },
    /* Then, in a statement of its own, the claimed that are unconfirmed
     * after all are held instead.  On PostgreSQL a claim that waited for
     * a row (a late receipt's transaction holds it: bkm_levering_answer
     * locks the report, then writes its answer) re-checks the row's new
     * version, but runs the subquery on bkm_leveranse with the
     * statement's old snapshot, which has no receipt: the claim took a
     * report whose receipt had just said 'lagret' or 'mottatt', not yet
     * confirmed (t/oppbevaring_kapplop.t).  This statement's snapshot
     * is new, and the claimed rows are ours now: a receipt that comes
     * later waits for this transaction. */
    { BKM_SQL_SLETTING_RECHECK_50,
      "UPDATE bkm_melding SET slettet = NULL, avstemming = 1 "
      "WHERE id IN (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
      "%s, %s, %s) AND slettet IS NOT NULL AND " UNCONFIRMED
      " RETURNING id" },
    { BKM_SQL_CHIFFER_DELETE_50,
      "DELETE FROM bkm_chiffer WHERE melding_id IN (%s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)" },
    { NULL, NULL }
};

/* What retention's transactions share. */
typedef struct {
    const bkm_pass_policy_t *pol;
    const char *t, *tekst;
} pass_ctx_t;

/* The claimed @p ids that a receipt made unconfirmed meanwhile are held
 * (BKM_SQL_SLETTING_RECHECK_50), counted in *held and taken out of @p ids
 * (BKM07500 says how many). */
static apr_status_t unclaim_unconfirmed(bkm_db_t *db, apr_array_header_t *ids,
                                        int *held)
{
    apr_hash_t *back = apr_hash_make(db->pool);
    int i, j, n = 0;

    for (i = 0; i < ids->nelts; i += 50) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        const char *args[50];

        bkm_db_ids_batch(ids, i, args, 50);
        if (bkm_db_select(db, BKM_SQL_SLETTING_RECHECK_50, &res, 50, args)) {
            return APR_EGENERAL;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *id = bkm_db_value(db, row, 0);

            if (id) {
                apr_hash_set(back, id, APR_HASH_KEY_STRING, id);
            }
        }
    }
    if (apr_hash_count(back) == 0) {
        return APR_SUCCESS;
    }
    for (i = 0, j = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);

        if (!apr_hash_get(back, id, APR_HASH_KEY_STRING)) {
            APR_ARRAY_IDX(ids, j++, const char *) = id;
        }
        else {
            n++;
        }
    }
    ids->nelts = j;
    *held += n;
    bkm_log_perror(BKM_LOG_MARK, BKM_LOG_INFO, 0, db->log,
                   BKMLOGNO(07500) "retention: %d report(s) claimed while "
                                   "a receipt came are kept until a "
                                   "reconciliation confirms them",
                   n);
    return APR_SUCCESS;
}

/* Issue 17: one transaction of retention, as sets: hold the unconfirmed
 * of up to pol->batch due, claim up to pol->batch of the rest, delete
 * their ciphertexts and write their SLETTET events.  *held and *deleted
 * count what it did. */
static apr_status_t retention_batch(bkm_db_t *db, const pass_ctx_t *ctx,
                                    const char *bound, int *held,
                                    int *deleted)
{
    const bkm_pass_policy_t *pol = ctx->pol;
    const char *limit = apr_itoa(db->pool, pol->batch);
    const char *hold[2] = { bound, limit };
    const char *claim[4] = { ctx->t, ctx->t, bound, limit };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *ids;
    bkm_kjede_neste_t *ev;
    apr_status_t rv;
    int i, n = 0;

    *held = *deleted = 0;
    if ((rv = bkm_db_run(db, BKM_SQL_SLETTING_HOLD_SET, held, 2, hold))) {
        return rv;
    }
    if (bkm_db_select(db, BKM_SQL_SLETTING_CLAIM, &res, 4, claim)) {
        return APR_EGENERAL;
    }
    ids = apr_array_make(db->pool, pol->batch > 0 ? pol->batch : 1,
                         sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(ids, const char *) = bkm_db_value(db, row, 0);
    }
    if (ids->nelts == 0) {
        return APR_SUCCESS;
    }
    if ((rv = unclaim_unconfirmed(db, ids, held)) || ids->nelts == 0) {
        return rv;
    }
    for (i = 0; i < ids->nelts; i += 50) {
        const char *args[50];

        bkm_db_ids_batch(ids, i, args, 50);
        if ((rv = bkm_db_run(db, BKM_SQL_CHIFFER_DELETE_50, NULL, 50,
                             args))) {
            return rv;
        }
    }
    ev = apr_pcalloc(db->pool, sizeof(*ev) * ids->nelts);
    if ((rv = bkm_kjede_siste(db, ids, ev, &n))
        || (rv = bkm_kjede_hendelser(db, n, ev, pol->now, "LEVERT", "SLETTET",
                                     "oppbevaring", ctx->tekst))) {
        return rv;
    }
    for (i = 0; i < n; i++) { /* as bkm_event */
        if ((rv = bkm_avvik_note(db, ev[i].melding_id, ctx->t, "SLETTET"))) {
            return rv;
        }
    }
    *deleted = n;
    return APR_SUCCESS;
}

/* Retention's transactions, until one finds nothing to hold or delete. */
static apr_status_t retention_sets(bkm_db_t *db, const pass_ctx_t *ctx,
                                   int *done)
{
    const char *bound = apr_off_t_toa(db->pool,
                                      ctx->pol->now - ctx->pol->retention);
    apr_status_t rv;
    int held, deleted;

    do {
        if ((rv = bkm_db_begin(db))) {
            return rv;
        }
        rv = retention_batch(db, ctx, bound, &held, &deleted);
        if (rv == APR_SUCCESS && held + deleted == 0) {
            bkm_db_rollback(db); /* nothing written */
        }
        else if ((rv = bkm_db_end(db, rv))) {
            return rv;
        }
        *done += deleted;
    } while (held + deleted > 0);
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
    rv = retention_sets(db, &ctx, &out->slettet);
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
