/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stored-receipts (bkm_lagringskvittering.h): a compact JWS from a case system,
 * verified against the account's certificates.  Two kinds of input:
 *  - a JWS as posted (no BKM_FUZZ_SEP in it): the framing, base64url, the
 *    header and the signature checks;
 *  - a header and a payload (JSON text) separated by BKM_FUZZ_SEP: this
 *    target encodes them and signs them with ES256 under a key it made at
 *    start, so that the payload's rules (reached only after a signature
 *    verifies) are fuzzed too.
 * What verifies must hold what the header promises: the canonical forms.
 */
#include "fuzz.h"
#include "bkm_lagringskvittering.h"

#include <string.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static EVP_PKEY *key;
static apr_array_header_t *certs;

/* A self-signed P-256 certificate for the key made here. */
static const char *make_cert(apr_pool_t *p)
{
    X509 *x = X509_new();
    X509_NAME *name;
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    long n;

    key = EVP_EC_gen("P-256");
    if (!x || !b || !key) {
        bkm_fuzz_fail("cannot make a P-256 key");
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"fuzz", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(b, x)) {
        bkm_fuzz_fail("cannot make a certificate");
    }
    n = BIO_get_mem_data(b, &pem);
    pem = apr_pstrmemdup(p, pem, (apr_size_t)n);
    BIO_free(b);
    X509_free(x);
    return pem;
}

static void init(void)
{
    apr_pool_t *p;

    if (certs) {
        return;
    }
    bkm_fuzz_keep_begin();
    p = bkm_fuzz_pool();
    certs = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(certs, const char *) = bkm_fuzz_cert_pem; /* RSA */
    APR_ARRAY_PUSH(certs, const char *) = make_cert(p);
    bkm_fuzz_keep_end();
}

static char *b64url(apr_pool_t *p, const unsigned char *d, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = apr_palloc(p, n / 3 * 4 + 5), *o = out;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        *o++ = abc[d[i] >> 2];
        *o++ = abc[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
        *o++ = abc[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
        *o++ = abc[d[i + 2] & 63];
    }
    if (n - i == 1) {
        *o++ = abc[d[i] >> 2];
        *o++ = abc[(d[i] & 3) << 4];
    }
    else if (n - i == 2) {
        *o++ = abc[d[i] >> 2];
        *o++ = abc[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
        *o++ = abc[(d[i + 1] & 15) << 2];
    }
    *o = '\0';
    return out;
}

/* "header.payload.signature" with an ES256 signature (R || S). */
static const char *sign(apr_pool_t *p, const char *hdr, size_t hlen,
                        const char *pld, size_t plen)
{
    const char *input =
        apr_pstrcat(p, b64url(p, (const unsigned char *)hdr, hlen), ".",
                    b64url(p, (const unsigned char *)pld, plen), NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80], raw[64];
    const unsigned char *q = der;
    size_t dlen = sizeof(der);
    ECDSA_SIG *sig;

    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1
        || EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)input,
                          strlen(input))
               != 1
        || !(sig = d2i_ECDSA_SIG(NULL, &q, (long)dlen))) {
        bkm_fuzz_fail("cannot sign");
    }
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) != 32
        || BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) != 32) {
        bkm_fuzz_fail("cannot encode the signature");
    }
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
    return apr_pstrcat(p, input, ".", b64url(p, raw, sizeof(raw)), NULL);
}

static int lower_hex(const char *s, size_t n)
{
    size_t i;

    if (!s || strlen(s) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *field[2];
    size_t len[2];
    bkm_lagringskvittering_t out;
    const char *jws;
    size_t jlen;

    init();
    p = bkm_fuzz_pool();
    if (bkm_fuzz_split(p, data, size, field, len, 2) == 2) {
        jws = sign(p, field[0], len[0], field[1], len[1]);
        jlen = strlen(jws);
    }
    else {
        jws = (const char *)data; /* in place: over-reads are caught */
        jlen = size;
    }
    if (!bkm_lagringskvittering_verify(p, jws, jlen, certs, &out)) {
        if (!out.melding_id || strlen(out.melding_id) != 36
            || !out.bekymringsmelding_id
            || strlen(out.bekymringsmelding_id) != 36
            || !lower_hex(out.sha256, 64) || !out.arkivreferanse || !out.alg
            || out.cert_index < 0 || out.cert_index > 1
            || (out.versjon != 1 && out.versjon != 2)
            || (out.versjon == 2) != (out.besittelsesbevis != NULL)
            || (out.besittelsesbevis
                && !lower_hex(out.besittelsesbevis, 64))) {
            bkm_fuzz_fail("a receipt verified but is not in canonical form");
        }
    }
    else if (out.melding_id || out.cert_index != -1) {
        bkm_fuzz_fail("a refused receipt left fields filled in");
    }
    apr_pool_destroy(p);
    return 0;
}
