/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_bekymring: the national portal for reports of concern to child
 * welfare services (bekymringsmelding), as an Apache httpd 2.4 module.
 *
 * This file is the module record and its hooks; the components live in
 * modules/ (bkm_*.c: httpd-free core; mod_bekymring_*.c: httpd glue).  The
 * handler is "bekymring": give it to the locations in
 * conf/bekymring-locations.conf with SetHandler, inside the portal's
 * virtual host, which says "Bekymring On" (conf/bekymring-site.conf); the
 * route table (modules/server/routes.c) dispatches on the method and the
 * path, whose shape is fixed by the incumbent's API so that existing
 * clients keep working.
 */

#include "mod_bekymring_private.h"
#include "api/integrasjon.h"
#include "api/api.h"
#include "pages/pages.h"
#include "report/eskalering.h"
#include "report/mottak.h"
#include "server/config.h"
#include "server/db.h"
#include "server/secrets.h"
#include "server/http.h"
#include "server/routes.h"
#include "server/throttle.h"
#include "server/counters.h"
#include "server/vent.h"
#include "bkm_log.h"

#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <apr_strings.h>

#define BKM_HANDLER "bekymring"

/* Every request for our handler goes through the route table
 * (modules/server/routes.c). */
static int bkm_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, BKM_HANDLER) != 0) {
        return DECLINED;
    }
    /* Not a portal here (no "Bekymring On"): a SetHandler that reached
     * this server from elsewhere changes nothing (issue 15, item 1). */
    if (!bkm_cfg_portal(r->server)) {
        return DECLINED;
    }
    if (!bkm_srv_cfg(r->server)->registry) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(00001) "SetHandler " BKM_HANDLER
                                      " without %s in this server",
                      BKM_DIR_REGISTRY);
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE,
                               "ikke-konfigurert",
                               "the portal is not configured on this server");
    }
    return bkm_routes_handle(r);
}

/* The glue's SQL statements, each table in the file that runs them
 * (server/db.c prepares them with the core's, bkm_core_sql). */
static const bkm_sql_t *const glue_sql[] = {
    bkm_forvaltning_sql,     bkm_avstemming_sql,
    bkm_roller_sql,          bkm_kontroll_sql,
    bkm_kontrollmelding_sql, bkm_meldinger_sql,
    bkm_produsent_sql,       bkm_nedlasting_sql,
    bkm_sendt_sql,           bkm_statistikk_sql,
    bkm_status_sql,          bkm_skjema_side_sql,
    bkm_metrikker_sql,       NULL
};

static int bkm_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    if (bkm_vent_pre_config(pconf) != OK) { /* long-polls (issue 15) */
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return bkm_db_pre_config(pconf, glue_sql) != OK
               ? HTTP_INTERNAL_SERVER_ERROR
               : bkm_throttle_pre_config(pconf);
}

/* Once every directive is read (also for `apache2 -t`): what the
 * configuration named is loaded by the layers it belongs to. */
static int bkm_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    const char *err;

    /* Before the error log is open: the message goes to the console
     * (and systemd's journal), as httpd's own configuration errors. */
    if ((err = bkm_cfg_check(s))) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, NULL,
                     BKMLOGNO(00003) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Secret files readable beyond root:www-data 0640 stop the start
     * (server/secrets.c), here so that configtest says so too. */
    if (bkm_secrets_check(ptemp, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return bkm_pages_check_config(pconf, s);
}

static int bkm_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    const char *err;

    /* post_config runs twice at start-up; the first is a dry run. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* Loaded, but no server says "Bekymring On": nothing to do, nothing
     * made (no shared memory, mutexes, watchdog or database). */
    if (!bkm_cfg_any_portal(s)) {
        return OK;
    }
    if ((err = bkm_routes_check(ptemp))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     BKMLOGNO(04501) "the route table: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_db_post_config(pconf, plog, ptemp, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_eskalering_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_throttle_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_counters_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_vent_post_config(pconf, s) != OK) { /* long-polls (issue 15) */
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* the municipality API's answers, once per generation (issue 17) */
    if (bkm_kommuner_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return bkm_mottak_post_config(pconf, ptemp, s);
}

static void bkm_child_init(apr_pool_t *p, server_rec *s)
{
    if (!bkm_cfg_any_portal(s)) {
        return;
    }
    bkm_mottak_child_init(p, s);
    bkm_db_child_init(p, s);
    bkm_integrasjon_child_init(p);
    bkm_throttle_child_init(p, s);
    bkm_vent_child_init(p, s); /* long-polls (issue 15) */
}

/* The person's identity stays out of every access log (issue 15, item
 * 8): mod_auth_openidc makes ID-porten's "sub" the request's user, which
 * Debian's combined and vhost_combined formats (and any GlobalLog) write
 * as %u.  In a portal server the user of a person's login is taken away
 * before any logger runs; a machine client's (Maskinporten's client_id,
 * an organisation's integration) stays. */
static int bkm_log_transaction(request_rec *r)
{
    request_rec *q;

    if (!bkm_cfg_portal(r->server)) {
        return DECLINED;
    }
    for (q = r; q; q = q->next) {
        if (q->user
            && !(q->ap_auth_type
                 && strcasecmp(q->ap_auth_type, "oauth20") == 0)) {
            q->user = NULL;
        }
    }
    return DECLINED;
}

static void bkm_register_hooks(apr_pool_t *p)
{
    /* Before mod_dbd's post_config: our statements must be registered and
     * the schema in place before it prepares them (RECIPES pitfalls 2-3). */
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_pre_config(bkm_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(bkm_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(bkm_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(bkm_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bkm_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_error_log(bkm_counters_error_log, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(bkm_log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
}

/* Declared plainly rather than with AP_DECLARE_MODULE, whose
 * APLOG_USE_MODULE the private header already carries for every file. */
module AP_MODULE_DECLARE_DATA bekymring_module = {
    STANDARD20_MODULE_STUFF, bkm_create_dir_cfg, bkm_merge_dir_cfg,
    bkm_create_srv_cfg,      bkm_merge_srv_cfg,  bkm_cmds,
    bkm_register_hooks,      AP_MODULE_FLAG_NONE
};
