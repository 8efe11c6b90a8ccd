/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Machine clients (case systems, the print provider, other agencies'
 * systems): who is calling?
 *
 * Two factors, as with the incumbent.  mod_auth_openidc (AuthType oauth20,
 * with `Require claim` on issuer and scope) has already checked the
 * Maskinporten bearer token's signature, expiry, issuer and scope before we
 * run.  Here we check the IntegrasjonId / IntegrasjonPassord headers against
 * the registry's bcrypt hash, and that the token was issued to the
 * integration's own organisation (consumer.ID "0192:<orgnr>").  Every
 * failure is the same 401 to the caller, so the answer tells nothing about
 * which ids exist; the log line says which check failed (never the
 * password).
 */
#include "mod_bekymring_private.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_md5.h>

/* Checked when the id is unknown, so that both paths cost one bcrypt. */
#define BKM_DUMMY_HASH \
    "$2y$05$acA6MPhpCIWs1eYOadSrcemqiN/N9dyGfWTnzzNPtNRBB1nsiQOtu"

static const bkm_integrasjon_t *refuse(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, BKMLOGNO(00501)
                  "integration refused: %s", why);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   "Bearer error=\"invalid_token\"");
    bkm_reply_error(r, HTTP_UNAUTHORIZED, "ikke-autentisert",
                    "a valid Maskinporten token and IntegrasjonId / "
                    "IntegrasjonPassord of the same organisation are "
                    "required");
    return NULL;
}

/* "0192:<nine digits>" from the consumer claim (a JSON object that
 * mod_auth_openidc passes as a string). */
static const char *consumer_orgnr(request_rec *r)
{
    const char *raw = apr_table_get(r->subprocess_env, "OIDC_CLAIM_consumer");
    const char *id, *org = NULL;
    json_t *j;

    if (!raw || !(j = json_loads(raw, JSON_REJECT_DUPLICATES, NULL))) {
        return NULL;
    }
    id = json_string_value(json_object_get(j, "ID"));
    if (id && strncmp(id, "0192:", 5) == 0 && strlen(id) == 14) {
        org = apr_pstrdup(r->pool, id + 5);
    }
    json_decref(j);
    return org;
}

const bkm_integrasjon_t *bkm_integration_authenticate(request_rec *r)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *id = apr_table_get(r->headers_in, "IntegrasjonId");
    const char *pw = apr_table_get(r->headers_in, "IntegrasjonPassord");
    const bkm_integrasjon_t *in;
    const char *org;
    int ok;

    if (!r->user || !apr_table_get(r->subprocess_env, "OIDC_CLAIM_iss")) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(00502)
                      "%s is not behind AuthType oauth20: refusing every "
                      "call", r->uri);
        return refuse(r, "no validated bearer token");
    }
    if (!id || !pw) {
        return refuse(r, "IntegrasjonId or IntegrasjonPassord missing");
    }
    in = apr_hash_get(reg->integrasjon_by_id, id, APR_HASH_KEY_STRING);
    ok = apr_password_validate(pw, in ? in->passord_hash : BKM_DUMMY_HASH)
         == APR_SUCCESS;
    if (!in || !ok) {
        return refuse(r, "unknown IntegrasjonId or wrong password");
    }
    org = consumer_orgnr(r);
    if (!org || strcmp(org, in->orgnr) != 0) {
        return refuse(r, apr_psprintf(r->pool, "token's consumer is not "
                                      "organisation %s of integration %s",
                                      in->orgnr, in->id));
    }
    return in;
}
