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
 * ID-porten's "low" never reaches a form.  (GET /meg, which shows what the
 * module sees of a login, is pages/meg.c.)
 */

#include "mod_bekymring_private.h"
#include "server/config.h"
#include "server/person.h"

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
