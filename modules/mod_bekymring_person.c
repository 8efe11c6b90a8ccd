/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The logged-in person, as mod_auth_openidc hands it to us.
 *
 * mod_auth_openidc does the login (ID-porten in production, the local
 * stand-in in development) and puts the id_token's claims in the request
 * environment as OIDC_CLAIM_*.  We read them from r->subprocess_env only:
 * with OIDCPassClaimsAs "both" the same names also arrive as request
 * headers, and those a client could forge when the location is
 * misconfigured.  The level of assurance is ours to enforce (BekymringMinAcr):
 * ID-porten's "low" never reaches a form.
 *
 * GET /meg shows that the module sees the person: name, the last digits of
 * the national id number, and the level.  Never logged.
 */
#include "mod_bekymring_private.h"

#include <http_protocol.h>
#include <apr_strings.h>

static const char *claim(request_rec *r, const char *name)
{
    const char *v = apr_table_get(r->subprocess_env,
                                  apr_pstrcat(r->pool, "OIDC_CLAIM_", name,
                                              NULL));
    return v && *v ? v : NULL;
}

int bkm_person_from_login(request_rec *r, bkm_person_t *p)
{
    const char *given, *family;

    memset(p, 0, sizeof(*p));
    p->pid = claim(r, "pid");
    p->acr = claim(r, "acr");
    p->locale = claim(r, "locale");
    p->name = claim(r, "name");
    given = claim(r, "given_name");
    family = claim(r, "family_name");
    if (!p->name && (given || family)) {
        p->name = apr_pstrcat(r->pool, given ? given : "",
                              given && family ? " " : "",
                              family ? family : "", NULL);
    }
    if (p->acr && strcmp(p->acr, "idporten-loa-high") == 0) {
        p->level = BKM_ACR_HIGH;
    }
    else if (p->acr && strcmp(p->acr, "idporten-loa-substantial") == 0) {
        p->level = BKM_ACR_SUBSTANTIAL;
    }
    return p->pid && strlen(p->pid) == 11;
}

int bkm_handle_person(request_rec *r)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *lang;
    json_t *data;
    bkm_person_t p;

    if (!pg) {
        return bkm_pages_missing(r);
    }
    if (bkm_method_refused(r, "GET")) {
        return OK;
    }
    if (!bkm_person_from_login(r, &p)) {
        /* The location is not behind mod_auth_openidc, or the provider
         * sent no national id: a configuration error, not the person's. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(00401)
                      "no pid claim from the login: is %s behind "
                      "AuthType openid-connect with OIDCPassClaimsAs "
                      "environment?", r->uri);
        return bkm_page_message(r, HTTP_INTERNAL_SERVER_ERROR,
                                bkm_page_lang(r, NULL), "side.feil.tittel",
                                "side.feil.tekst");
    }
    lang = bkm_page_lang(r, &p);
    if (p.level < bkm_cfg_min_acr(bkm_dir_cfg(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(00402)
                      "login refused: level of assurance %s is below %s",
                      p.acr ? p.acr : "(none)",
                      bkm_cfg_min_acr(bkm_dir_cfg(r)) == BKM_ACR_HIGH
                          ? "high" : "substantial");
        return bkm_page_message(r, HTTP_FORBIDDEN, lang, "side.niva.tittel",
                                "side.niva.tekst");
    }
    data = bkm_page_data(r, lang, bkm_i18n_text(pg->i18n, lang,
                                                "meg.tittel"));
    /* Only the last four of the eleven digits. */
    json_object_set_new(data, "pid", json_string(apr_pstrcat(
        r->pool, "*******", p.pid + 7, NULL)));
    if (p.name) {
        json_object_set_new(data, "navn", json_string(p.name));
    }
    json_object_set_new(data, "acr", json_string(p.acr ? p.acr : ""));
    json_object_set_new(data, "locale", json_string(p.locale ? p.locale
                                                             : ""));
    return bkm_page_render(r, HTTP_OK, "meg", data);
}
