/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_statuskode.h"

#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* The reference numbers' alphabet (bkm_ids.c): no 0/O, 1/I/L or U, so a
 * code read out on the phone or copied by hand comes out right. */
static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
#define NALPHA (sizeof(alphabet) - 1)

/* The secret of report @p id: 8 characters and a NUL. */
static int secret_of(const bkm_token_keys_t *k, const char *id, char *out)
{
    static const char purpose[] = "status";
    unsigned char md[32], msg[sizeof(purpose) + 64];
    apr_size_t idlen = id ? strlen(id) : 0;
    apr_uint64_t v = 0;
    size_t mdlen = 0;
    int i;

    if (!id || idlen > 64) {
        return -1;
    }
    /* "status" NUL id: the purpose cannot run into the id. */
    memcpy(msg, purpose, sizeof(purpose));
    memcpy(msg + sizeof(purpose), id, idlen);
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->status,
                   sizeof(k->status), msg, sizeof(purpose) + idlen, md,
                   sizeof(md), &mdlen)
        || mdlen != sizeof(md)) {
        return -1;
    }
    for (i = 0; i < 8; i++) {
        v = v << 8 | md[i];
    }
    /* 64 bits into 8 digits of base 30 (30^8 < 2^40): the bias of the
     * remainder is below 2^-24, nothing a guesser can use. */
    for (i = 0; i < BKM_STATUSKODE_SECRET; i++) {
        out[i] = alphabet[v % NALPHA];
        v /= NALPHA;
    }
    out[BKM_STATUSKODE_SECRET] = '\0';
    memset(md, 0, sizeof(md));
    return 0;
}

const char *bkm_statuskode(apr_pool_t *p, const bkm_token_keys_t *k,
                           const char *referanse, const char *id)
{
    char s[BKM_STATUSKODE_SECRET + 1];

    if (!referanse || secret_of(k, id, s)) {
        return NULL;
    }
    return apr_psprintf(p, "%s-%.4s-%.4s", referanse, s, s + 4);
}

int bkm_statuskode_parse(const char *typed, char ref[10], char secret[9])
{
    char c[BKM_STATUSKODE_CHARS];
    apr_size_t n = 0;
    const char *s;

    if (!typed) {
        return -1;
    }
    for (s = typed; *s; s++) {
        char u = (char)apr_toupper((unsigned char)*s);
        if (*s == ' ' || *s == '-' || *s == '\t') {
            continue;
        }
        if (!(*s & 0x80) && u && strchr(alphabet, u) && n < sizeof(c)) {
            c[n++] = u;
            continue;
        }
        return -1; /* another character, or too many */
    }
    if (n != BKM_STATUSKODE_CHARS) {
        return -1;
    }
    memcpy(ref, c, 4);
    ref[4] = '-';
    memcpy(ref + 5, c + 4, 4);
    ref[9] = '\0';
    memcpy(secret, c + 8, BKM_STATUSKODE_SECRET);
    secret[BKM_STATUSKODE_SECRET] = '\0';
    return 0;
}

int bkm_statuskode_ok(const bkm_token_keys_t *k, const char *id,
                      const char *secret)
{
    char mine[BKM_STATUSKODE_SECRET + 1];

    if (!secret || strlen(secret) != BKM_STATUSKODE_SECRET
        || secret_of(k, id, mine)) {
        return 0;
    }
    return CRYPTO_memcmp(mine, secret, BKM_STATUSKODE_SECRET) == 0;
}
