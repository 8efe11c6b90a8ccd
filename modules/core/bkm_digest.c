/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_digest.h"

#include <openssl/evp.h>

char *bkm_hex(apr_pool_t *p, const unsigned char *bytes, apr_size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = apr_palloc(p, 2 * n + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    hex[2 * n] = '\0';
    return hex;
}

const char *bkm_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NULL;
    }
    return bkm_hex(p, md, mdlen);
}

int bkm_sha256_hex_valid(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n != 64) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

const char *bkm_hmac_sha256_hex(apr_pool_t *p, const void *key,
                                apr_size_t keylen, const void *data,
                                apr_size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;

    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, data, len,
                   mac, sizeof(mac), &maclen)) {
        return NULL;
    }
    return bkm_hex(p, mac, maclen);
}
