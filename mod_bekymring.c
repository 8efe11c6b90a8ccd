/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_bekymring: the national portal for reports of concern to child
 * welfare services (bekymringsmelding), as an Apache httpd 2.4 module.
 *
 * This file is the module record, its hooks and the routing table; the
 * components live in modules/ (bkm_*.c: httpd-free core; mod_bekymring_*.c:
 * httpd glue).  The handler is "bekymring": give it to the locations in
 * conf/bekymring.conf with SetHandler, and it dispatches on the path, whose
 * shape is fixed by the incumbent's API so that existing clients keep
 * working.
 */
#include "modules/mod_bekymring_private.h"

#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <apr_strings.h>

#define BKM_HANDLER "bekymring"
#define BKM_API "/bekymringsmelding/api/v2"

typedef struct {
    const char *path;
    int prefix;     /* 1: the path and anything below it ("/..." follows) */
    int (*handle)(request_rec *r, const char *rest);
} bkm_route_t;

static int route_health(request_rec *r, const char *rest)
{
    return bkm_handle_health(r);
}

static int route_person(request_rec *r, const char *rest)
{
    return bkm_handle_person(r);
}

static int route_escalation(request_rec *r, const char *rest)
{
    return bkm_handle_escalation(r);
}

static int route_kontroll(request_rec *r, const char *rest)
{
    return bkm_handle_kontroll_drift(r);
}

static int route_error(request_rec *r, const char *rest)
{
    return bkm_handle_error(r);
}

static int route_privat(request_rec *r, const char *rest)
{
    return bkm_handle_webform(r, "privat", rest);
}

static int route_offentlig(request_rec *r, const char *rest)
{
    return bkm_handle_webform(r, "offentlig", rest);
}

static const bkm_route_t bkm_routes[] = {
    /* The reporter's pages, at the incumbent's addresses. */
    { "/", 0, bkm_handle_forside },
    { "/privat", 1, route_privat },
    { "/offentlig", 1, route_offentlig },
    { "/sendt", 1, bkm_handle_sendt },
    { "/status", 0, bkm_handle_status },
    /* The municipal administration. */
    { "/kommune", 1, bkm_handle_admin },
    { "/bekymring-drift/eskalering", 0, route_escalation },
    { "/bekymring-drift/kontroll", 0, route_kontroll },
    { "/helse", 0, route_health },
    { "/meg", 0, route_person },
    { BKM_API "/kommuner", 1, bkm_handle_kommuner },
    { BKM_API "/konto", 1, bkm_handle_konto },
    { BKM_API "/mottak/skjema", 1, bkm_handle_skjema },
    { BKM_API "/mottak", 1, bkm_handle_mottak },
    /* The API's ErrorDocument (conf/bekymring-locations.conf). */
    { "/bekymring-feil", 0, route_error },
    { NULL, 0, NULL }
};

static int bkm_handler(request_rec *r)
{
    const bkm_route_t *rt;
    size_t n;

    if (!r->handler || strcmp(r->handler, BKM_HANDLER) != 0) {
        return DECLINED;
    }
    if (!bkm_srv_cfg(r->server)->registry) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(00001)
                      "SetHandler " BKM_HANDLER " without %s in this server",
                      BKM_DIR_REGISTRY);
        return bkm_reply_error(r, HTTP_SERVICE_UNAVAILABLE,
                               "ikke-konfigurert",
                               "the portal is not configured on this server");
    }
    for (rt = bkm_routes; rt->path; rt++) {
        n = strlen(rt->path);
        if (strncmp(r->uri, rt->path, n) != 0) {
            continue;
        }
        if (r->uri[n] == '\0' || (rt->prefix && r->uri[n] == '/')) {
            return rt->handle(r, r->uri + n);
        }
    }
    return bkm_reply_error(r, HTTP_NOT_FOUND, "ukjent-adresse",
                           "no such resource");
}

static int bkm_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    return bkm_db_pre_config(pconf) != OK ? HTTP_INTERNAL_SERVER_ERROR
                                          : bkm_throttle_pre_config(pconf);
}

static int bkm_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    const char *err;

    /* post_config runs twice at start-up; the first is a dry run. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if ((err = bkm_cfg_check(s))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, BKMLOGNO(00003) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_db_post_config(pconf, plog, ptemp, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_escalation_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (bkm_throttle_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return bkm_intake_post_config(pconf, ptemp, s);
}

static void bkm_child_init(apr_pool_t *p, server_rec *s)
{
    bkm_intake_child_init();
    bkm_db_child_init(p, s);
    bkm_integration_child_init(p);
    bkm_throttle_child_init(p, s);
}

static void bkm_register_hooks(apr_pool_t *p)
{
    /* Before mod_dbd's post_config: our statements must be registered and
     * the schema in place before it prepares them (RECIPES pitfalls 2-3). */
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_pre_config(bkm_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(bkm_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(bkm_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(bkm_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

/* Declared plainly rather than with AP_DECLARE_MODULE, whose
 * APLOG_USE_MODULE the private header already carries for every file. */
module AP_MODULE_DECLARE_DATA bekymring_module = {
    STANDARD20_MODULE_STUFF,
    bkm_create_dir_cfg,
    bkm_merge_dir_cfg,
    bkm_create_srv_cfg,
    bkm_merge_srv_cfg,
    bkm_cmds,
    bkm_register_hooks,
    AP_MODULE_FLAG_NONE
};
