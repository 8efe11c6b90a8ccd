/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The escalation pass (the "cron"): letter post for every report whose
 * deadline passed without confirmation, retention for delivered reports,
 * and alerts for what needs a person.
 *
 * It runs inside httpd as a mod_watchdog job (like mod_md's renewal),
 * every BekymringEscalationInterval, in one process of each node; and on
 * demand through POST /bekymring-drift/eskalering, which
 * conf/bekymring-locations.conf gives to local callers only.  All state is
 * in the database, so any node can run any pass: ordering print is a
 * conditional update (mod_bekymring_delivery.c), and two nodes that find
 * the same due report both try, one changes it, the other finds nothing.
 *
 * Work is done in batches of BKM_PASS_BATCH reports per transaction: few
 * commits (each one an fsync on SQLite), short enough that a receipt
 * waiting for a report's row lock is not kept long.
 */
#include "mod_bekymring_routes.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <mod_watchdog.h>

#define BKM_PASS_SELECT 1000
#define BKM_PASS_BATCH 200
#define BKM_WATCHDOG "bekymring-eskalering"

/* Ids from a one-column SELECT with (time, limit) arguments. */
static apr_array_header_t *due(bkm_db_t *db, const char *label,
                               apr_time_t bound)
{
    const char *args[2] = {
        apr_off_t_toa(db->pool, bound), apr_itoa(db->pool, BKM_PASS_SELECT)
    };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *ids;

    if (bkm_db_select(db, label, &res, 2, args) != 0) {
        return NULL;
    }
    ids = apr_array_make(db->pool, 64, sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(ids, const char *) = bkm_db_value(db, row, 0);
    }
    return ids;
}

/* One report's work inside a batch's transaction: 1 done, 0 nothing to
 * do (another node did it), -1 a database error. */
typedef struct {
    apr_time_t now;
    const char *t, *tekst;
} pass_ctx_t;
typedef int (*pass_step_fn)(bkm_db_t *db, const char *id,
                            const pass_ctx_t *ctx);

/* Run @p step for every report the SELECT @p label finds at @p bound,
 * BKM_PASS_BATCH to a transaction; *done counts those it did. */
static int in_batches(bkm_db_t *db, const char *label, apr_time_t bound,
                      pass_step_fn step, const pass_ctx_t *ctx, int *done)
{
    apr_array_header_t *ids;
    int i, j, rv;

    do {
        if (!(ids = due(db, label, bound))) {
            return -1;
        }
        for (i = 0; i < ids->nelts; i += BKM_PASS_BATCH) {
            int n = 0, k;
            if ((rv = bkm_db_begin(db)) != 0) {
                return rv;
            }
            for (j = i; rv == 0 && j < ids->nelts && j < i + BKM_PASS_BATCH;
                 j++) {
                k = step(db, APR_ARRAY_IDX(ids, j, const char *), ctx);
                rv = k < 0 ? -1 : 0;
                n += k > 0;
            }
            if ((rv = bkm_db_end(db, rv)) != 0) {
                return rv;
            }
            *done += n;
        }
        /* Another node may have taken some; a full page means look again. */
    } while (ids->nelts == BKM_PASS_SELECT);
    return 0;
}

static int order_print(bkm_db_t *db, const char *id, const pass_ctx_t *ctx)
{
    return bkm_order_print(db, id, ctx->now, ctx->now, "frist", "eskalering",
                           "Ingen bekreftelse innen fristen; brevpost "
                           "bestilt");
}

static int delete_ciphertexts(bkm_db_t *db, const char *id,
                              const pass_ctx_t *ctx)
{
    const char *upd[3] = { ctx->t, ctx->t, id };
    int n = 0;

    /* Kept until its case system confirmed it in a reconciliation, or the
     * retention period ended, whichever is later (issue 12): held, it
     * leaves retention's index until a reconciliation releases it. */
    if ((n = bkm_reconcile_hold(db, id)) != 0) {
        return n < 0 ? -1 : 0;
    }
    if (bkm_db_run(db, BKM_SQL_MELDING_SLETTET, &n, 3, upd) != 0) {
        return -1;
    }
    if (n != 1) {
        return 0;       /* another node's */
    }
    return bkm_db_run(db, BKM_SQL_CHIFFER_DELETE, NULL, 1, &id) == 0
           && bkm_event(db, id, ctx->now, "SLETTET", "LEVERT", "oppbevaring",
                        ctx->tekst) == 0 ? 1 : -1;
}

static int escalate(bkm_db_t *db, apr_time_t now, bkm_pass_t *out)
{
    pass_ctx_t ctx = { now, NULL, NULL };

    return in_batches(db, BKM_SQL_FRIST_DUE, now, order_print, &ctx,
                      &out->eskalert);
}

/* The reporters' receipt copies and drafts, sealed under keys only their
 * browsers had, are of no use after their hour: gone. */
static int expire_web(bkm_db_t *db, const char *now, int *deleted)
{
    int rv, a = 0, b = 0;

    if ((rv = bkm_db_begin(db)) != 0) {
        return rv;
    }
    rv = bkm_db_run(db, BKM_SQL_KOPI_EXPIRED, &a, 1, &now);
    if (rv == 0) {
        rv = bkm_db_run(db, BKM_SQL_UTKAST_EXPIRED, &b, 1, &now);
    }
    if ((rv = bkm_db_end(db, rv)) == 0) {
        *deleted = a + b;
    }
    return rv;
}

static int retention(bkm_db_t *db, apr_time_t now, bkm_pass_t *out)
{
    apr_interval_time_t keep = bkm_cfg_retention(bkm_srv_cfg(db->s));
    pass_ctx_t ctx;
    int rv, n;

    ctx.now = now;
    ctx.t = apr_off_t_toa(db->pool, now);
    ctx.tekst = apr_psprintf(db->pool, "Chiffertekst slettet %"
                             APR_TIME_T_FMT " dager etter levering",
                             apr_time_sec(keep) / 86400);
    if (db->sqlite) {
        /* Deleted pages are overwritten, not left readable in the file's
         * free list (the setting is per connection). */
        apr_dbd_query(db->drv, db->dbd->handle, &n, "PRAGMA secure_delete=ON");
    }
    rv = in_batches(db, BKM_SQL_SLETTING_DUE, now - keep, delete_ciphertexts,
                    &ctx, &out->slettet);
    if (rv == 0) {
        rv = expire_web(db, ctx.t, &out->utlopt);
    }
    if (rv == 0 && db->sqlite && (out->slettet > 0 || out->utlopt > 0)) {
        /* The write-ahead log still holds the pages as they were before
         * the deletion: copy it into the file and cut it to nothing. */
        apr_dbd_query(db->drv, db->dbd->handle, &n,
                      "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return rv;
}

static int alerts(bkm_db_t *db, apr_time_t now, bkm_pass_t *out)
{
    apr_interval_time_t keep = bkm_cfg_retention(bkm_srv_cfg(db->s));
    const char *arg = apr_off_t_toa(db->pool, now - keep);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (bkm_db_select(db, BKM_SQL_VARSLER, &res, 1, &arg) != 0) {
        return -1;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        out->oppfolging = atoi(apr_dbd_get_entry(db->drv, row, 0));
        out->uavklart = atoi(apr_dbd_get_entry(db->drv, row, 1));
    }
    return 0;
}

/* Integrations' idempotency keys older than BKM_IDEMPOTENCY_TTL are
 * forgotten (issue 12): afterwards the key may name a new report. */
static int expire_keys(bkm_db_t *db, apr_time_t now)
{
    const char *arg = apr_off_t_toa(db->pool, now);
    int n = 0;

    return bkm_db_run(db, BKM_SQL_IDEMPOTENS_UTLOPT, &n, 1, &arg);
}

int bkm_escalation_pass(bkm_db_t *db, apr_time_t now, bkm_pass_t *out)
{
    int rv;

    memset(out, 0, sizeof(*out));
    rv = escalate(db, now, out);
    if (rv == 0) {
        rv = retention(db, now, out);
    }
    if (rv == 0) {
        rv = alerts(db, now, out);
    }
    if (rv == 0) {
        rv = expire_keys(db, now);
    }
    if (rv == 0) {      /* issue 12, item 6: mod_bekymring_kontroll.c */
        rv = bkm_kontroll_pass(db, now, &out->kontroller,
                               &out->kontroll_feilet);
    }
    if (rv == 0) {
        rv = bkm_reconcile_alerts(db, now, &out->uavstemt);
    }
    if (rv == 0) {      /* issue 12, item 7: mod_bekymring_kontrollmelding.c */
        rv = bkm_control_pass(db, now, &out->kontrollmelding_laget,
                              &out->kontrollmelding_feilet);
    }
    if (rv != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, db->s, BKMLOGNO(01201)
                     "escalation pass failed (%s); the next pass tries "
                     "again", db->error ? db->error : "database error");
        return rv;
    }
    if (out->eskalert || out->slettet) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, db->s, BKMLOGNO(01202)
                     "escalation pass: %d sent to letter post, %d "
                     "ciphertexts deleted after retention", out->eskalert,
                     out->slettet);
    }
    if (out->oppfolging || out->uavklart) {
        /* Said every pass until a person acts: nothing is dropped. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, db->s, BKMLOGNO(01203)
                     "ALERT: %d reports need manual follow-up (the print "
                     "provider could not print them); %d reports are still "
                     "undelivered after the retention period", out->oppfolging,
                     out->uavklart);
    }
    return 0;
}

/* ---- mod_watchdog ----------------------------------------------------- */

static apr_status_t watchdog_pass(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;
    apr_pool_t *p;
    bkm_db_t *db;
    bkm_pass_t res;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, pool);
    if ((db = bkm_db_open(s, p))) {
        bkm_escalation_pass(db, apr_time_now(), &res);
        bkm_db_close(db);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, BKMLOGNO(01204)
                     "escalation pass skipped: the database does not "
                     "answer");
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

int bkm_escalation_post_config(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_cb =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    ap_watchdog_t *wd = NULL;
    apr_hash_t *seen = apr_hash_make(pconf);
    server_rec *sp;
    apr_status_t rv;

    if (bkm_test_clock) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, BKMLOGNO(01205)
                     "this is a TEST BUILD of mod_bekymring: requests may "
                     "set the clock; never run it in production");
    }
    for (sp = s; sp; sp = sp->next) {
        bkm_srv_cfg_t *c = bkm_srv_cfg(sp);
        apr_interval_time_t every = bkm_cfg_escalation_interval(c);

        /* One job per registry: virtual hosts that inherit the main
         * server's share its database, and one pass covers it. */
        if (!c->registry || every == 0
            || apr_hash_get(seen, &c->registry, sizeof(c->registry))) {
            continue;
        }
        apr_hash_set(seen, &c->registry, sizeof(c->registry), c);
        if (!get_instance || !register_cb) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, BKMLOGNO(01206)
                         "mod_watchdog is not loaded: no escalation to "
                         "letter post would run; load it, or set "
                         "BekymringEscalationInterval off and run passes "
                         "through /bekymring-drift/eskalering");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!wd && (rv = get_instance(&wd, BKM_WATCHDOG, 0, 1, pconf))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, sp, BKMLOGNO(01207)
                         "cannot create the %s watchdog", BKM_WATCHDOG);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((rv = register_cb(wd, every, sp, watchdog_pass))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, sp, BKMLOGNO(01208)
                         "cannot register the escalation pass");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

/* ---- POST /bekymring-drift/eskalering: one pass now ------------------- */

int bkm_handle_escalation(request_rec *r, const bkm_req_t *q)
{
    bkm_db_t *db;
    bkm_pass_t res;

    if (!(db = bkm_db_acquire(r))) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer");
    }
    if (bkm_escalation_pass(db, bkm_now(r), &res) != 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the pass failed; see the error log");
    }
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i},"
                                    " s:i, s:i, s:i}",
                                    "eskalert", res.eskalert,
                                    "slettet", res.slettet,
                                    "utlopt", res.utlopt, "varsler",
                                    "oppfolging", res.oppfolging,
                                    "uavklart", res.uavklart,
                                    "uavstemt", res.uavstemt,
                                    "kontrollmeldingFeilet",
                                    res.kontrollmelding_feilet,
                                    "kontroller", res.kontroller,
                                    "kontrollFeilet", res.kontroll_feilet,
                                    "kontrollmeldingLaget",
                                    res.kontrollmelding_laget));
}
