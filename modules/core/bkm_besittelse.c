/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_besittelse.h"
#include "bkm_box.h"
#include "bkm_digest.h"

#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>

#define BKM_SECRET_LEN 32

const char *bkm_besittelse_new(apr_pool_t *p)
{
    return bkm_random_hex(p, BKM_SECRET_LEN);
}

const char *bkm_besittelse_document(apr_pool_t *p,
                                    const char *bekymringsmelding_id,
                                    const char *secret, apr_size_t *len)
{
    /* Both values are hex and a UUID: nothing to escape. */
    const char *doc = apr_psprintf(p,
                                   "{\"versjon\":1,"
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
    unsigned char key[BKM_SECRET_LEN];
    const char *msg, *mac;
    int i;

    if (bkm_unhex(secret, key, sizeof(key)) != 0) {
        return NULL;
    }
    msg = fields[0];
    for (i = 1; i < n; i++) {
        msg = apr_pstrcat(p, msg, "\n", fields[i] ? fields[i] : "", NULL);
    }
    mac = bkm_hmac_sha256_hex(p, key, sizeof(key), msg, strlen(msg));
    OPENSSL_cleanse(key, sizeof(key));
    return mac;
}

const char *bkm_besittelse_bevis(apr_pool_t *p, const char *secret,
                                 const char *melding_id, const char *sha256,
                                 const char *arkivreferanse)
{
    const char *f[4] = { BKM_BESITTELSE_KVITTERING, melding_id, sha256,
                         arkivreferanse };

    return hmac(p, secret, f, 4);
}

const char *bkm_besittelse_svar(apr_pool_t *p, const char *secret,
                                const char *kontroll_id,
                                const char *melding_id, const char *nonce)
{
    const char *f[4] = { BKM_BESITTELSE_KONTROLL, kontroll_id, melding_id,
                         nonce };

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
