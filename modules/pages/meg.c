/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /meg: shows that the module sees the person logged in (the login's
 * claims, server/person.c): name, the last digits of the national
 * id number, and the level of assurance.  Never logged.  It checks the
 * login itself (the route's access rule is LOGIN_SHOWN): saying what is
 * wrong with a login is what the page is for.
 */

#include "mod_bekymring_private.h"
#include "pages/pages.h"
#include "server/config.h"
#include "server/person.h"
#include "server/routes.h"
#include "bkm_i18n.h"
#include "bkm_log.h"

#include <http_protocol.h>
#include <apr_strings.h>

int bkm_handle_meg(request_rec *r, const bkm_req_t *q)
{
    const bkm_pages_t *pg = bkm_pages(r);
    const char *lang;
    json_t *data;
    bkm_person_t p;

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
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            BKMLOGNO(00402) "login refused: level of "
                            "assurance %s is below %s",
            p.acr ? p.acr : "(none)",
            bkm_cfg_min_acr(bkm_dir_cfg(r)) == BKM_ACR_HIGH ? "high"
                                                            : "substantial");
        return bkm_page_message(r, HTTP_FORBIDDEN, lang, "side.niva.tittel",
                                "side.niva.tekst");
    }
    data = bkm_page_data(r, lang,
                         bkm_i18n_text(pg->i18n, lang, "meg.tittel"));
    /* Only the last four of the eleven digits. */
    json_object_set_new(data, "pid",
                        json_string(apr_pstrcat(r->pool, "*******", p.pid + 7,
                                                NULL)));
    if (p.name) {
        json_object_set_new(data, "navn", json_string(p.name));
    }
    json_object_set_new(data, "acr", json_string(p.acr ? p.acr : ""));
    json_object_set_new(data, "locale",
                        json_string(p.locale ? p.locale : ""));
    return bkm_page_render(r, HTTP_OK, "meg", data);
}
