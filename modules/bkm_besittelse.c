/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_besittelse.h"

#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define BKM_SECRET_LEN 32

static const char hexdigits[] = "0123456789abcdef";

static char *to_hex(apr_pool_t *p, const unsigned char *b, apr_size_t n)
{
    char *s = apr_palloc(p, 2 * n + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = hexdigits[b[i] >> 4];
        s[2 * i + 1] = hexdigits[b[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The secret's 32 bytes; 0 when it is not 64 lower-case hex digits. */
static int from_hex(const char *s, unsigned char *out)
{
    int i, hi, lo;

    if (!s || strlen(s) != 2 * BKM_SECRET_LEN) {
        return 0;
    }
    for (i = 0; i < BKM_SECRET_LEN; i++) {
        if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0) {
            return 0;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

const char *bkm_besittelse_new(apr_pool_t *p)
{
    unsigned char b[BKM_SECRET_LEN];
    const char *s;

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return NULL;
    }
    s = to_hex(p, b, sizeof(b));
    OPENSSL_cleanse(b, sizeof(b));
    return s;
}

const char *bkm_besittelse_document(apr_pool_t *p,
                                    const char *bekymringsmelding_id,
                                    const char *secret, apr_size_t *len)
{
    /* Both values are hex and a UUID: nothing to escape. */
    const char *doc = apr_psprintf(p, "{\"versjon\":1,"
                                   "\"bekymringsmeldingId\":\"%s\","
                                   "\"hemmelighet\":\"%s\"}",
                                   bekymringsmelding_id, secret);
    *len = strlen(doc);
    return doc;
}

/* HMAC-SHA256 keyed by the secret over the fields joined by "\n". */
static const char *hmac(apr_pool_t *p, const char *secret,
                        const char *const *fields, int n)
{
    unsigned char key[BKM_SECRET_LEN], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const char *msg;
    int i;

    if (!from_hex(secret, key)) {
        return NULL;
    }
    msg = fields[0];
    for (i = 1; i < n; i++) {
        msg = apr_pstrcat(p, msg, "\n", fields[i] ? fields[i] : "", NULL);
    }
    if (!HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)msg,
              strlen(msg), md, &mdlen)) {
        OPENSSL_cleanse(key, sizeof(key));
        return NULL;
    }
    OPENSSL_cleanse(key, sizeof(key));
    return to_hex(p, md, mdlen);
}

const char *bkm_besittelse_bevis(apr_pool_t *p, const char *secret,
                                 const char *melding_id, const char *sha256,
                                 const char *arkivreferanse)
{
    const char *f[4] = {
        BKM_BESITTELSE_KVITTERING, melding_id, sha256, arkivreferanse
    };

    return hmac(p, secret, f, 4);
}

const char *bkm_besittelse_svar(apr_pool_t *p, const char *secret,
                                const char *kontroll_id,
                                const char *melding_id, const char *nonce)
{
    const char *f[4] = {
        BKM_BESITTELSE_KONTROLL, kontroll_id, melding_id, nonce
    };

    return hmac(p, secret, f, 4);
}

int bkm_besittelse_equal(const char *expected, const char *given)
{
    size_t n;

    if (!expected || !given || (n = strlen(expected)) != strlen(given)) {
        return 0;
    }
    return CRYPTO_memcmp(expected, given, n) == 0;
}
