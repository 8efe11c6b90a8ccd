/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The escalation pass in httpd (the pass itself, the "cron", is the
 * core's: bkm_eskalering.c).  It runs as a mod_watchdog job (like mod_md's
 * renewal), every BekymringEscalationInterval, in one process of each
 * node; and on demand through POST /bekymring-drift/eskalering, which
 * conf/bekymring-locations.conf gives to local callers only.  Here the
 * configuration becomes the pass's policy, and the post-delivery checks
 * of issue 12 (still glue: api/kontroll.c, api/avstemming.c,
 * report/kontrollmelding.c) become its added steps.
 */

#include "mod_bekymring_private.h"
#include "api/avstemming.h"
#include "api/kontroll.h"
#include "report/eskalering.h"
#include "report/kontrollmelding.h"
#include "report/paminnelse.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/counters.h"
#include "server/db.h"
#include "server/http.h"
#include "server/routes.h"
#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_eskalering.h"
#include "bkm_kjede.h"
#include "bkm_log.h"
#include "bkm_sertifikat.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <mod_watchdog.h>

#define BKM_WATCHDOG "bekymring-eskalering"

/* Issue 12, item 6: api/kontroll.c */
static apr_status_t step_kontroll(bkm_db_t *db, apr_time_t now,
                                  bkm_pass_t *out, void *baton)
{
    return bkm_kontroll_pass(db, now, &out->kontroller,
                             &out->kontroll_feilet);
}

/* Issue 12: api/avstemming.c */
static apr_status_t step_reconcile(bkm_db_t *db, apr_time_t now,
                                   bkm_pass_t *out, void *baton)
{
    return bkm_avstemming_alerts(db, now, &out->uavstemt);
}

/* Issue 12, item 7: report/kontrollmelding.c */
static apr_status_t step_control(bkm_db_t *db, apr_time_t now,
                                 bkm_pass_t *out, void *baton)
{
    return bkm_kontrollmelding_pass(db, now, &out->kontrollmelding_laget,
                                    &out->kontrollmelding_feilet);
}

/* Issue 16, item 5: certificates about to expire (bkm_sertifikat.h).
 * Reads the registry only; the lines are the server's. */
static apr_status_t step_sertifikater(bkm_db_t *db, apr_time_t now,
                                      bkm_pass_t *out, void *baton)
{
    server_rec *s = bkm_db_server(db);
    const bkm_srv_cfg_t *c = bkm_srv_cfg(s);
    bkm_sertifikat_varsel_t v;

    bkm_sertifikat_sjekk(db->pool, c->registry, now, bkm_cfg_cert_warning(c),
                         bkm_log_baton(db->pool, s, NULL), &v);
    return APR_SUCCESS;
}

/* Issue 16, item 4: anchor the events that arrived since the last pass
 * in the audit chain (bkm_kjede.h), and log the chain's head -- the
 * anchor kept outside the database -- when it moved, and at least once an
 * hour. */
static apr_status_t step_kjede(bkm_db_t *db, apr_time_t now, bkm_pass_t *out,
                               void *baton)
{
    /* Each portal's own hour (issue 15, item 1: one pass per portal
     * database; a shared clock kept one portal's head out of the log). */
    bkm_srv_cfg_t *c = bkm_srv_cfg(bkm_db_server(db));
    const char *hode = NULL;
    apr_int64_t nr = 0;
    apr_status_t rv;
    int n = 0;

    if ((rv = bkm_kjede_anchor(db, now, &n, &nr, &hode))) {
        return rv;
    }
    if (n > 0
        || apr_time_now() - c->anchor_logged >= apr_time_from_sec(3600)) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, bkm_db_server(db),
                     BKMLOGNO(05000) "trail anchor: audit chain head "
                     "%" APR_INT64_T_FMT ":%s (%d events anchored)", nr,
                     hode, n);
        c->anchor_logged = apr_time_now();
    }
    return APR_SUCCESS;
}

static const bkm_pass_step_t glue_steps[] = {
    { step_kontroll, NULL },
    { step_reconcile, NULL },
    { step_control, NULL },
    { step_sertifikater, NULL },
    { step_kjede, NULL },
    /* Issue 16, item 6: report/paminnelse.c */
    { bkm_paminnelse_step, NULL },
};

apr_status_t bkm_eskalering_pass(bkm_db_t *db, apr_time_t now,
                                 bkm_pass_t *out)
{
    server_rec *s = bkm_db_server(db);
    bkm_levering_policy_t delivery;
    bkm_pass_policy_t pol;
    apr_time_t started;
    apr_status_t rv;

    bkm_cfg_delivery(s, &delivery);
    memset(&pol, 0, sizeof(pol));
    pol.delivery = &delivery;
    pol.now = now;
    pol.retention = bkm_cfg_retention(bkm_srv_cfg(s));
    pol.select_limit = BKM_PASS_SELECT;
    pol.batch = BKM_PASS_BATCH;
    pol.steps = glue_steps;
    pol.nsteps = sizeof(glue_steps) / sizeof(glue_steps[0]);
    /* The pass's lines are the server's, also when a request runs it. */
    pol.log = bkm_log_baton(db->pool, s, NULL);
    started = apr_time_now();
    rv = bkm_eskalering_run(db, &pol, out);
    bkm_counters_pass(started, rv, out);
    return rv;
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
        bkm_eskalering_pass(db, apr_time_now(), &res);
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

int bkm_eskalering_post_config(apr_pool_t *pconf, server_rec *s)
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
        const char *db;

        /* One job per database of a portal server (Bekymring On): each
         * portal virtual host with a database of its own gets its pass,
         * run with its registry and rules; virtual hosts on the same
         * database (the https and http hosts of one portal, the main
         * server's inheritors) share one.  Other servers get none. */
        if (!bkm_cfg_portal(sp) || !c->registry || every == 0
            || !(db = bkm_db_identity(pconf, sp))
            || apr_hash_get(seen, db, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, db, APR_HASH_KEY_STRING, c);
        if (!get_instance || !register_cb) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sp, BKMLOGNO(01206)
                         "mod_watchdog is not loaded: no escalation to "
                         "letter post would run; load it, or set "
                         "BekymringEscalationInterval off and run passes "
                         "through /bekymring-drift/eskalering");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!wd && (rv = get_instance(&wd, BKM_WATCHDOG, 0, 1, pconf))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, sp,
                         BKMLOGNO(01207) "cannot create the %s watchdog",
                         BKM_WATCHDOG);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((rv = register_cb(wd, every, sp, watchdog_pass))) {
            ap_log_error(
                APLOG_MARK, APLOG_CRIT, rv, sp,
                BKMLOGNO(01208) "cannot register the escalation pass");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

/* ---- POST /bekymring-drift/eskalering: one pass now ------------------- */

int bkm_handle_eskalering(request_rec *r, const bkm_req_t *q)
{
    bkm_db_t *db;
    bkm_pass_t res;

    if (!(db = bkm_db_acquire(r))) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the database does not answer");
    }
    if (bkm_eskalering_pass(db, bkm_now(r), &res) != 0) {
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE, "database",
                               "the pass failed; see the error log");
    }
    return bkm_reply_json(r, HTTP_OK,
                          json_pack("{s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i},"
                                    " s:i, s:i, s:i, s:i, s:i}",
                                    "eskalert", res.eskalert, "slettet",
                                    res.slettet, "utlopt", res.utlopt,
                                    "varsler", "oppfolging", res.oppfolging,
                                    "uavklart", res.uavklart, "uavstemt",
                                    res.uavstemt, "kontrollmeldingFeilet",
                                    res.kontrollmelding_feilet, "kontroller",
                                    res.kontroller, "kontrollFeilet",
                                    res.kontroll_feilet,
                                    "kontrollmeldingLaget",
                                    res.kontrollmelding_laget, "paminnelser",
                                    res.paminnelser, "paminnelseFeilet",
                                    res.paminnelse_feilet));
}
