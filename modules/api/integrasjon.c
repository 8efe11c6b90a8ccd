/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Machine clients (case systems, the print provider, other agencies'
 * systems): who is calling?
 *
 * Two factors, as with the incumbent.  mod_auth_openidc (AuthType oauth20,
 * with `Require claim` on issuer, audience and scope) has already checked
 * the Maskinporten bearer token's signature and scope before we run.  What
 * its OAuth resource-server mode (2.4.12) leaves out we check here, on the
 * token it validated (OIDC_access_token): exp is optional there and iat
 * and nbf are never looked at (oidc_oauth_validate_jwt_access_token passes
 * no iat slack), and `Require claim iss:` compares with apr_strnatcmp,
 * which skips blanks, and matches any element of an array.  So: iss and
 * aud must be strings equal byte for byte to BekymringMaskinportenToken's,
 * exp must be there and not passed, and nbf and iat not in the future
 * (BKM_TOKEN_SKEW allows for clocks).
 *
 * Then we check the IntegrasjonId / IntegrasjonPassord headers against
 * the registry's bcrypt hash, and that the token was issued to the
 * integration's own organisation (consumer.ID "0192:<orgnr>").  Every
 * failure is the same 401 to the caller, so the answer tells nothing about
 * which ids exist; the log line says which check failed (never the
 * password).
 *
 * bcrypt is slow on purpose (about 60 ms at cost 10), and a case system
 * calls several times a minute: checking every call would make bcrypt the
 * whole cost of the API (make bench measured half the CPU of a fetch in
 * it at cost 5).  So each process remembers, per integration, the last
 * password bcrypt accepted for a while (BKM_AUTH_REMEMBER), as an HMAC
 * under a random key of the process together with the registry's hash (a
 * changed hash forgets it).  A wrong password always costs a bcrypt, and
 * so does an unknown id, against a dummy hash at the registry's highest
 * cost (bkm_registry_t.dummy_hash): the time taken does not tell which
 * ids exist.  Wrong passwords and unknown ids are counted per client
 * address and per id; past the limit the answer is 429 and the password
 * is not looked at (server/throttle.c).
 */

#include "mod_bekymring_private.h"
#include "api/integrasjon.h"
#include "server/config.h"
#include "server/http.h"
#include "server/throttle.h"
#include "bkm_log.h"
#include "bkm_registry.h"
#include "bkm_route.h"

#include <http_protocol.h>
#include <apr_strings.h>
#include <apr_md5.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_thread_mutex.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define BKM_AUTH_REMEMBER apr_time_from_sec(300)

typedef struct {
    unsigned char mac[32];
    apr_time_t until;
} bkm_seen_t;

static apr_pool_t *seen_pool;
static apr_hash_t *seen; /* integration id -> bkm_seen_t */
static apr_thread_mutex_t *seen_lock;
static unsigned char seen_key[32];
static EVP_MAC *seen_hmac; /* fetched once, not per call */

static apr_status_t free_hmac(void *unused)
{
    EVP_MAC_free(seen_hmac);
    seen_hmac = NULL;
    return APR_SUCCESS;
}

void bkm_integrasjon_child_init(apr_pool_t *p)
{
    if (apr_pool_create(&seen_pool, p) != APR_SUCCESS
        || apr_thread_mutex_create(&seen_lock, APR_THREAD_MUTEX_DEFAULT, p)
               != APR_SUCCESS
        || RAND_bytes(seen_key, sizeof(seen_key)) != 1
        || !(seen_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL))) {
        seen_lock = NULL; /* then every call runs bcrypt */
        return;
    }
    apr_pool_cleanup_register(p, NULL, free_hmac, apr_pool_cleanup_null);
    seen = apr_hash_make(seen_pool);
}

/* HMAC-SHA256 under the process's key of the registry's hash and the
 * password; 0 when OpenSSL fails (then bcrypt decides alone). */
static int password_mac(const bkm_integrasjon_t *in, const char *pw,
                        unsigned char mac[32])
{
    EVP_MAC_CTX *c = seen_hmac ? EVP_MAC_CTX_new(seen_hmac) : NULL;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()
    };
    size_t out = 0;
    int ok;

    ok = c && EVP_MAC_init(c, seen_key, sizeof(seen_key), params) == 1
         && EVP_MAC_update(c, (const unsigned char *)in->passord_hash,
                           strlen(in->passord_hash) + 1)
                == 1
         && EVP_MAC_update(c, (const unsigned char *)pw, strlen(pw)) == 1
         && EVP_MAC_final(c, mac, &out, 32) == 1 && out == 32;
    EVP_MAC_CTX_free(c);
    return ok;
}

/* Whether bcrypt accepted this password for this integration lately. */
static int seen_lately(const bkm_integrasjon_t *in, const unsigned char *mac)
{
    bkm_seen_t *e;
    int hit = 0;

    if (!seen_lock) {
        return 0;
    }
    apr_thread_mutex_lock(seen_lock);
    e = apr_hash_get(seen, in->id, APR_HASH_KEY_STRING);
    hit = e && e->until > apr_time_now()
          && CRYPTO_memcmp(e->mac, mac, 32) == 0;
    apr_thread_mutex_unlock(seen_lock);
    return hit;
}

static void remember(const bkm_integrasjon_t *in, const unsigned char *mac)
{
    bkm_seen_t *e;

    if (!seen_lock) {
        return;
    }
    apr_thread_mutex_lock(seen_lock);
    /* One entry per integration of the registry: bounded by it. */
    if (!(e = apr_hash_get(seen, in->id, APR_HASH_KEY_STRING))) {
        e = apr_palloc(seen_pool, sizeof(*e));
        apr_hash_set(seen, apr_pstrdup(seen_pool, in->id),
                     APR_HASH_KEY_STRING, e);
    }
    memcpy(e->mac, mac, 32);
    e->until = apr_time_now() + BKM_AUTH_REMEMBER;
    apr_thread_mutex_unlock(seen_lock);
}

/* How far the token issuer's clock may be ahead of ours. */
#define BKM_TOKEN_SKEW 60

/* The token's claims, from the JWT that mod_auth_openidc validated (its
 * signature covers exactly these bytes).  The environment's OIDC_CLAIM_*
 * cannot be used: arrays arrive joined, so ["x"] reads as "x". */
static json_t *token_claims(request_rec *r)
{
    const char *jwt = apr_table_get(r->subprocess_env, "OIDC_access_token");
    const char *dot1, *dot2;
    char *b64, *raw;
    apr_size_t n, i;
    int len;

    if (!jwt || !(dot1 = strchr(jwt, '.'))
        || !(dot2 = strchr(dot1 + 1, '.'))) {
        return NULL;
    }
    n = (apr_size_t)(dot2 - dot1 - 1);
    if (n == 0 || n > 16384) {
        return NULL;
    }
    /* base64url to base64, padded */
    b64 = apr_palloc(r->pool, n + 4);
    for (i = 0; i < n; i++) {
        char c = dot1[1 + i];
        if (c == '-') {
            c = '+';
        }
        else if (c == '_') {
            c = '/';
        }
        else if (!apr_isalnum(c)) {
            return NULL;
        }
        b64[i] = c;
    }
    while (i % 4) {
        b64[i++] = '=';
    }
    b64[i] = '\0';
    raw = apr_palloc(r->pool, apr_base64_decode_len(b64) + 1);
    len = apr_base64_decode(raw, b64);
    return bkm_json_own(r->pool, json_loadb(raw, (size_t)len,
                                            JSON_REJECT_DUPLICATES, NULL));
}

/* NULL when the claims are what we require, else which check failed (for
 * the log: names, never the token's values). */
static const char *token_refusal(request_rec *r)
{
    const bkm_dir_cfg_t *d = bkm_dir_cfg(r);
    json_t *c = token_claims(r), *v;
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());

    if (!d->token_issuer) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      BKMLOGNO(02902) "no " BKM_DIR_MASKINPORTEN
                                      " for %s: refusing "
                                      "every machine client",
                      r->uri);
        return "no " BKM_DIR_MASKINPORTEN " here";
    }
    if (!json_is_object(c)) {
        return "the validated token's claims cannot be read";
    }
    v = json_object_get(c, "iss");
    if (!json_is_string(v)
        || strcmp(json_string_value(v), d->token_issuer) != 0) {
        return "iss is not exactly the configured issuer";
    }
    v = json_object_get(c, "aud");
    if (!json_is_string(v)
        || strcmp(json_string_value(v), d->token_audience) != 0) {
        return "aud is not exactly the configured audience";
    }
    /* Times are NumericDate: numbers of seconds (RFC 7519 §2). */
    v = json_object_get(c, "exp");
    if (!json_is_number(v) || json_number_value(v) <= (double)now) {
        return "exp is missing or passed";
    }
    v = json_object_get(c, "iat");
    if (!json_is_number(v)
        || json_number_value(v) > (double)(now + BKM_TOKEN_SKEW)) {
        return "iat is missing or in the future";
    }
    v = json_object_get(c, "nbf");
    if (v
        && (!json_is_number(v)
            || json_number_value(v) > (double)(now + BKM_TOKEN_SKEW))) {
        return "nbf is in the future";
    }
    return NULL;
}

/* 401, and why in the log: DONE. */
static int refuse(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  BKMLOGNO(00501) "integration refused: %s", why);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   "Bearer error=\"invalid_token\"");
    bkm_reply_error(r, HTTP_UNAUTHORIZED, "ikke-autentisert",
                    "a valid Maskinporten token and IntegrasjonId / "
                    "IntegrasjonPassord of the same organisation are "
                    "required");
    return DONE;
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

int bkm_integrasjon_authenticate(request_rec *r,
                                 const bkm_integrasjon_t **out)
{
    const bkm_registry_t *reg = bkm_srv_cfg(r->server)->registry;
    const char *id = apr_table_get(r->headers_in, "IntegrasjonId");
    const char *pw = apr_table_get(r->headers_in, "IntegrasjonPassord");
    const bkm_integrasjon_t *in;
    unsigned char mac[32];
    const char *org, *why;
    int ok, mac_ok, seen, wait;

    if (!r->user || !apr_table_get(r->subprocess_env, "OIDC_CLAIM_iss")) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, BKMLOGNO(00502)
                      "%s is not behind AuthType oauth20: refusing every "
                      "call", r->uri);
        return refuse(r, "no validated bearer token");
    }
    if ((why = token_refusal(r))) {
        return refuse(r, why);
    }
    if (!id || !pw) {
        return refuse(r, "IntegrasjonId or IntegrasjonPassord missing");
    }
    in = apr_hash_get(reg->integrasjon_by_id, id, APR_HASH_KEY_STRING);
    mac_ok = in && password_mac(in, pw, mac);
    seen = mac_ok && seen_lately(in, mac);
    /* Before anything is said about the password: a throttled client
     * learns nothing (server/throttle.c). */
    if ((wait = bkm_throttle_begin(r, id, !seen))) {
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_itoa(r->pool, wait));
        bkm_reply_error(r, HTTP_TOO_MANY_REQUESTS, "for-mange-forsok",
                        "too many failed logins from this address or for "
                        "this integration; try again after Retry-After "
                        "seconds");
        return DONE;
    }
    ok = seen;
    if (!seen) {
        /* An unknown id costs one bcrypt too, at the registry's cost
         * (bkm_registry_t.dummy_hash): its refusal takes as long. */
        ok = apr_password_validate(pw,
                                   in ? in->passord_hash : reg->dummy_hash)
                 == APR_SUCCESS
             && in;
        if (mac_ok && ok) {
            remember(in, mac);
        }
        bkm_throttle_end(r, id, !ok);
    }
    if (!ok) {
        return refuse(r, "unknown IntegrasjonId or wrong password");
    }
    org = consumer_orgnr(r);
    if (!org || strcmp(org, in->orgnr) != 0) {
        return refuse(r, apr_psprintf(r->pool,
                                      "token's consumer is not "
                                      "organisation %s of integration %s",
                                      in->orgnr, in->id));
    }
    *out = in;
    return OK;
}
