/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_token.h"
#include "bkm_box.h"
#include "bkm_digest.h"

#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* HMAC-SHA256 over the concatenation of the NUL-terminated strings in
 * @p parts, each followed by a zero byte so that ("ab","c") and
 * ("a","bc") differ.  @return 0 or -1. */
static int mac(const unsigned char *key, const char *const *parts, int n,
               unsigned char out[32])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[2];
    size_t len = 0;
    int i, rv = -1;

    params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx && EVP_MAC_init(ctx, key, 32, params)) {
        for (i = 0; i < n; i++) {
            if (!EVP_MAC_update(ctx, (const unsigned char *)parts[i],
                                strlen(parts[i]) + 1)) {
                break;
            }
        }
        if (i == n && EVP_MAC_final(ctx, out, &len, 32) && len == 32) {
            rv = 0;
        }
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rv;
}

static int derive(const unsigned char *secret, apr_size_t len,
                  const char *purpose, unsigned char out[32])
{
    size_t outlen = 0;
    char label[64];

    apr_snprintf(label, sizeof(label), "bkm-token:%s", purpose);
    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, len,
                     (const unsigned char *)label, strlen(label), out, 32,
                     &outlen)
                   && outlen == 32
               ? 0
               : -1;
}

int bkm_token_keys(const unsigned char *secret, apr_size_t len,
                   bkm_token_keys_t *k)
{
    if (!secret || len < 32) {
        return -1;
    }
    return derive(secret, len, "person", k->person)
                   || derive(secret, len, "form", k->form)
                   || derive(secret, len, "csrf", k->csrf)
                   || derive(secret, len, "evidence", k->evidence)
                   || derive(secret, len, "status", k->status)
               ? -1
               : 0;
}

const char *bkm_token_person(apr_pool_t *p, const bkm_token_keys_t *k,
                             const char *pid)
{
    const char *parts[] = { pid };
    unsigned char out[32];

    if (!pid || mac(k->person, parts, 1, out)) {
        return NULL;
    }
    return bkm_hex(p, out, BKM_TOKEN_TAG_HEX / 2);
}

/* A form token is nonce (16 bytes) || MAC(tag, nonce) (first 16 bytes),
 * in hex: the shape the form always had (64 hex digits). */
static int form_mac(const bkm_token_keys_t *k, const char *tag,
                    const char *nonce_hex, unsigned char out[32])
{
    const char *parts[] = { "skjema", tag, nonce_hex };

    return mac(k->form, parts, 3, out);
}

const char *bkm_token_form_new(apr_pool_t *p, const bkm_token_keys_t *k,
                               const char *tag)
{
    const char *nonce = bkm_random_hex(p, 16);
    unsigned char m[32];

    if (!nonce || !tag || form_mac(k, tag, nonce, m)) {
        return NULL;
    }
    return apr_pstrcat(p, nonce, bkm_hex(p, m, 16), NULL);
}

int bkm_token_form_ok(const bkm_token_keys_t *k, const char *tag,
                      const char *token)
{
    unsigned char m[32], given[16], raw[16];
    char nonce[33];

    /* Exactly 64 lower-case hex digits: bkm_unhex checks each half. */
    if (!tag || !token || strlen(token) != BKM_TOKEN_FORM_HEX) {
        return 0;
    }
    memcpy(nonce, token, 32);
    nonce[32] = '\0';
    if (bkm_unhex(nonce, raw, 16) || bkm_unhex(token + 32, given, 16)
        || form_mac(k, tag, nonce, m)) {
        return 0;
    }
    return CRYPTO_memcmp(m, given, 16) == 0;
}

int bkm_token_form_keys(apr_pool_t *p, const bkm_token_keys_t *k,
                        const char *tag, const char *token,
                        const char *fingerprint, const char **dupkey,
                        unsigned char *receipt_key)
{
    const char *dup[] = { "duplikat", tag, token, fingerprint };
    const char *kopi[] = { "kvittering", tag, token, fingerprint };
    unsigned char d[32];

    if (!fingerprint || !bkm_token_form_ok(k, tag, token)
        || mac(k->form, dup, 4, d) || mac(k->form, kopi, 4, receipt_key)) {
        return -1;
    }
    *dupkey = bkm_hex(p, d, sizeof(d));
    memset(d, 0, sizeof(d));
    return 0;
}

const char *bkm_token_owner(apr_pool_t *p, const bkm_token_keys_t *k,
                            const char *tag)
{
    const char *parts[] = { "utkast", tag };
    unsigned char m[32];

    if (!tag || mac(k->form, parts, 2, m)) {
        return NULL;
    }
    return bkm_hex(p, m, 16);
}

const char *bkm_token_csrf(apr_pool_t *p, const bkm_token_keys_t *k,
                           const char *cookie, const char *tag)
{
    const char *parts[] = { cookie, tag ? tag : "" };
    unsigned char m[32];

    if (!cookie || mac(k->csrf, parts, 2, m)) {
        return NULL;
    }
    return bkm_hex(p, m, sizeof(m));
}

int bkm_token_csrf_ok(const bkm_token_keys_t *k, const char *cookie,
                      const char *tag, const char *posted)
{
    const char *parts[] = { cookie, tag ? tag : "" };
    unsigned char m[32], given[32];

    if (!cookie || !posted || bkm_unhex(posted, given, sizeof(given))
        || mac(k->csrf, parts, 2, m)) {
        return 0;
    }
    return CRYPTO_memcmp(m, given, sizeof(m)) == 0;
}

const char *bkm_token_evidence(apr_pool_t *p, const bkm_token_keys_t *k,
                               const char *tag, apr_time_t expires)
{
    const char *until = apr_psprintf(p, "%" APR_INT64_T_FMT,
                                     (apr_int64_t)apr_time_sec(expires));
    const char *parts[] = { tag, until };
    unsigned char m[32];

    if (!tag || mac(k->evidence, parts, 2, m)) {
        return NULL;
    }
    return apr_pstrcat(p, tag, ".", until, ".", bkm_hex(p, m, 16), NULL);
}

const char *bkm_token_evidence_tag(apr_pool_t *p, const bkm_token_keys_t *k,
                                   const char *value, apr_time_t now)
{
    const char *parts[2];
    unsigned char m[32], given[16], raw[BKM_TOKEN_TAG_HEX / 2];
    const char *dot1, *dot2;
    char *tag, *until, *end;
    apr_int64_t secs;

    if (!value || !(dot1 = strchr(value, '.'))
        || dot1 - value != BKM_TOKEN_TAG_HEX
        || !(dot2 = strchr(dot1 + 1, '.')) || dot2 - dot1 < 2
        || dot2 - dot1 > 21 || bkm_unhex(dot2 + 1, given, 16)) {
        return NULL;
    }
    tag = apr_pstrmemdup(p, value, BKM_TOKEN_TAG_HEX);
    until = apr_pstrmemdup(p, dot1 + 1, dot2 - dot1 - 1);
    if (bkm_unhex(tag, raw, sizeof(raw)) || until[0] < '1'
        || until[0] > '9') {
        return NULL;
    }
    secs = apr_strtoi64(until, &end, 10);
    /* 20 digits fit the cookie but not apr_time_t in microseconds: the
     * product would overflow (found by fuzzing, t/fuzz/fuzz_token.c). */
    if (*end || secs <= 0 || secs > APR_INT64_MAX / APR_USEC_PER_SEC
        || apr_time_from_sec(secs) <= now) {
        return NULL;
    }
    parts[0] = tag;
    parts[1] = until;
    if (mac(k->evidence, parts, 2, m) || CRYPTO_memcmp(m, given, 16) != 0) {
        return NULL;
    }
    return tag;
}
