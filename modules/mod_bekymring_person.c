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

static void page(request_rec *r, int status, const char *title,
                 const char *body_html)
{
    r->status = status;
    bkm_page_headers(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rvputs(r, "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n"
              "<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, "
              "initial-scale=1\">\n<title>", title,
              " – Bekymringsmelding</title>\n</head>\n<body>\n<main>\n<h1>",
              title, "</h1>\n", body_html, "</main>\n</body>\n</html>\n",
              NULL);
}

int bkm_handle_person(request_rec *r)
{
    bkm_person_t p;
    const char *html, *digits;

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
        page(r, HTTP_INTERNAL_SERVER_ERROR, "Innlogging mangler",
             "<p>Innloggingen ga oss ikke fødselsnummeret ditt. "
             "Prøv igjen senere.</p>\n");
        return OK;
    }
    if (p.level < bkm_cfg_min_acr(bkm_dir_cfg(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(00402)
                      "login refused: level of assurance %s is below %s",
                      p.acr ? p.acr : "(none)",
                      bkm_cfg_min_acr(bkm_dir_cfg(r)) == BKM_ACR_HIGH
                          ? "high" : "substantial");
        page(r, HTTP_FORBIDDEN, "Høyere sikkerhetsnivå kreves",
             "<p>Du logget inn med et sikkerhetsnivå som ikke er høyt nok "
             "for å sende en bekymringsmelding. Logg inn med BankID, "
             "Buypass, Commfides eller MinID med app.</p>\n");
        return OK;
    }
    digits = p.pid + 7;     /* the last four of eleven */
    html = apr_pstrcat(r->pool,
        "<dl>\n<dt>Navn</dt><dd id=\"navn\">",
        p.name ? ap_escape_html2(r->pool, p.name, 0)
               : "<em>(ikke oppgitt av innloggingen)</em>",
        "</dd>\n<dt>Fødselsnummer</dt><dd id=\"pid\">*******",
        ap_escape_html2(r->pool, digits, 0),
        "</dd>\n<dt>Sikkerhetsnivå</dt><dd id=\"acr\">",
        ap_escape_html2(r->pool, p.acr, 0),
        "</dd>\n<dt>Språk</dt><dd id=\"locale\">",
        p.locale ? ap_escape_html2(r->pool, p.locale, 0) : "nb",
        "</dd>\n</dl>\n", NULL);
    page(r, HTTP_OK, "Du er logget inn", html);
    return OK;
}
