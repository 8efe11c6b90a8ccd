/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CMS with OpenSSL 3: encrypt to a recipient, sign detached, and check a
 * producer's ciphertext without any private key.
 *
 * Every OpenSSL object is handed to a pool cleanup the moment it exists, so
 * no error path can leak one.  Per-call objects live in a subpool that is
 * destroyed before the function returns: the CMS structures (which hold the
 * content-encryption key until freed) are gone as soon as the caller has
 * its DER, not at the end of the request.
 */
#include "bkm_cms.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

struct bkm_signer_t {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) * chain; /* intermediates to ship; may be empty */
};

/* ---- pool cleanups, one per OpenSSL type ---- */

static apr_status_t bio_cleanup(void *b)
{
    BIO_free(b);
    return APR_SUCCESS;
}

static apr_status_t x509_cleanup(void *x)
{
    X509_free(x);
    return APR_SUCCESS;
}

static apr_status_t pkey_cleanup(void *k)
{
    EVP_PKEY_free(k);
    return APR_SUCCESS;
}

static apr_status_t chain_cleanup(void *c)
{
    sk_X509_pop_free(c, X509_free);
    return APR_SUCCESS;
}

static apr_status_t cms_cleanup(void *c)
{
    CMS_ContentInfo_free(c);
    return APR_SUCCESS;
}

#define BKM_OWN(pool, obj, fn) \
    apr_pool_cleanup_register((pool), (obj), (fn), apr_pool_cleanup_null)

/*
 * "what failed: OpenSSL's reason".  Drains this thread's error queue so the
 * next call starts clean.  ERR_error_string_n() gives only the library's
 * code and reason text, never the extra data some errors carry (which could
 * quote input), so nothing of the payload reaches the message.
 */
static const char *ossl_fail(apr_pool_t *p, const char *what)
{
    unsigned long e, first = 0;
    char buf[256];

    while ((e = ERR_get_error()) != 0) {
        if (!first) {
            first = e;
        }
    }
    if (!first) {
        return apr_pstrcat(p, what, " failed", NULL);
    }
    ERR_error_string_n(first, buf, sizeof(buf));
    return apr_pstrcat(p, what, " failed: ", buf, NULL);
}

/* A read-only memory BIO over caller memory: no copy of the data. */
static const char *mem_bio(apr_pool_t *tmp, const void *data, apr_size_t len,
                           BIO **out)
{
    BIO *b = NULL;

    if (len > INT_MAX) {
        return "input too large";
    }
    b = BIO_new_mem_buf(len ? data : "", (int)len);
    if (!b) {
        return ossl_fail(tmp, "BIO_new_mem_buf");
    }
    BKM_OWN(tmp, b, bio_cleanup);
    *out = b;
    return NULL;
}

/* Recipients' certificates, parsed once per process (issue 17: reading
 * a PEM certificate and decoding its key took 160 us, twice per report,
 * 7 % of sealing one).  They are the registry's, a few per district, so
 * the cache holds the first BKM_CMS_CERTS seen and parses any beyond
 * that each time, as before.  Keyed by the PEM text itself (a hash, then
 * the whole text), so a new configuration's certificate is a new entry.
 * The X509 objects are shared between threads by reference count, as
 * the signer's certificate always was; their lazily computed parts (the
 * key, the extensions) are computed before they are shared. */
#define BKM_CMS_CERTS 512

typedef struct {
    unsigned long hash;
    char *pem;
    X509 *x;
} bkm_cms_cert_t;

static pthread_mutex_t bkm_cms_certs_lock = PTHREAD_MUTEX_INITIALIZER;
static bkm_cms_cert_t bkm_cms_certs[BKM_CMS_CERTS];
static int bkm_cms_ncerts;

static unsigned long pem_hash(const char *s, size_t n)
{
    unsigned long h = 14695981039346656037UL;
    size_t i;

    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 1099511628211UL;
    }
    return h;
}

static X509 *cert_cached(const char *pem, unsigned long h)
{
    X509 *x = NULL;
    int i;

    pthread_mutex_lock(&bkm_cms_certs_lock);
    for (i = 0; i < bkm_cms_ncerts; i++) {
        if (bkm_cms_certs[i].hash == h
            && strcmp(bkm_cms_certs[i].pem, pem) == 0) {
            x = bkm_cms_certs[i].x;
            X509_up_ref(x);
            break;
        }
    }
    pthread_mutex_unlock(&bkm_cms_certs_lock);
    return x;
}

static void cert_keep(const char *pem, size_t n, unsigned long h, X509 *x)
{
    char *copy;

    /* what would be computed on first use, computed now, alone */
    if (!X509_get0_pubkey(x)) {
        return;
    }
    X509_check_purpose(x, -1, 0);
    pthread_mutex_lock(&bkm_cms_certs_lock);
    if (bkm_cms_ncerts < BKM_CMS_CERTS && (copy = malloc(n + 1))) {
        memcpy(copy, pem, n + 1);
        X509_up_ref(x);
        bkm_cms_certs[bkm_cms_ncerts].hash = h;
        bkm_cms_certs[bkm_cms_ncerts].pem = copy;
        bkm_cms_certs[bkm_cms_ncerts].x = x;
        bkm_cms_ncerts++;
    }
    pthread_mutex_unlock(&bkm_cms_certs_lock);
}

static const char *parse_cert(apr_pool_t *tmp, const char *pem, X509 **out)
{
    const char *err;
    BIO *b = NULL;
    X509 *x;
    size_t n;
    unsigned long h;

    if (!pem || !*pem) {
        return "no certificate given";
    }
    n = strlen(pem);
    h = pem_hash(pem, n);
    if ((x = cert_cached(pem, h))) {
        BKM_OWN(tmp, x, x509_cleanup);
        *out = x;
        return NULL;
    }
    if ((err = mem_bio(tmp, pem, n, &b))) {
        return err;
    }
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    if (!x) {
        return ossl_fail(tmp, "reading the PEM certificate");
    }
    BKM_OWN(tmp, x, x509_cleanup);
    cert_keep(pem, n, h, x);
    *out = x;
    return NULL;
}

/* Copy the ContentInfo's DER encoding into @p p. */
static const char *to_der(apr_pool_t *p, apr_pool_t *tmp,
                          CMS_ContentInfo *cms, const unsigned char **der,
                          apr_size_t *der_len)
{
    int n = i2d_CMS_ContentInfo(cms, NULL);
    unsigned char *buf, *q;

    if (n <= 0) {
        return ossl_fail(tmp, "i2d_CMS_ContentInfo");
    }
    buf = q = apr_palloc(p, (apr_size_t)n);
    if (i2d_CMS_ContentInfo(cms, &q) != n) {
        return ossl_fail(tmp, "i2d_CMS_ContentInfo");
    }
    *der = buf;
    *der_len = (apr_size_t)n;
    return NULL;
}

/* Every function's messages are built in tmp, then copied to p, so that
 * destroying tmp never leaves the caller with a dangling string. */
static const char *done(apr_pool_t *p, apr_pool_t *tmp, const char *err)
{
    if (err) {
        err = apr_pstrdup(p, err);
    }
    apr_pool_destroy(tmp);
    return err;
}

/* ---- the signer ---- */

/* Without a callback OpenSSL would prompt on the terminal for the
 * passphrase of an encrypted key, which in httpd means blocking startup or
 * a child.  Refuse instead: the key file's permissions protect it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

const char *bkm_signer_load(bkm_signer_t **out, apr_pool_t *p,
                            const char *cert_pem_path,
                            const char *key_pem_path)
{
    bkm_signer_t *s;
    BIO *b = NULL;
    X509 *x;

    *out = NULL;
    ERR_clear_error();
    s = apr_pcalloc(p, sizeof(*s));

    b = BIO_new_file(cert_pem_path, "r");
    if (!b) {
        return apr_psprintf(p, "cannot read signing certificate %s",
                            cert_pem_path);
    }
    s->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    if (!s->cert) {
        BIO_free(b);
        return apr_psprintf(p, "%s: %s", cert_pem_path,
                            ossl_fail(p, "reading the PEM certificate"));
    }
    BKM_OWN(p, s->cert, x509_cleanup);
    s->chain = sk_X509_new_null();
    if (!s->chain) {
        BIO_free(b);
        return ossl_fail(p, "sk_X509_new_null");
    }
    BKM_OWN(p, s->chain, chain_cleanup);
    /* The rest of the file, if anything, is the chain up to (not
     * necessarily including) the root: recipients verify against their
     * own trust store. */
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(s->chain, x)) {
            X509_free(x);
            BIO_free(b);
            return ossl_fail(p, "sk_X509_push");
        }
    }
    BIO_free(b);
    ERR_clear_error(); /* the end of file ends the loop as an error */

    b = BIO_new_file(key_pem_path, "r");
    if (!b) {
        return apr_psprintf(p, "cannot read signing key %s", key_pem_path);
    }
    s->key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    if (!s->key) {
        return apr_psprintf(p, "%s: %s", key_pem_path,
                            ossl_fail(p,
                                      "reading the PEM private key "
                                      "(it must not be encrypted)"));
    }
    BKM_OWN(p, s->key, pkey_cleanup);
    if (X509_check_private_key(s->cert, s->key) != 1) {
        return apr_psprintf(p, "%s: %s", key_pem_path,
                            ossl_fail(p,
                                      "matching the key to the "
                                      "certificate"));
    }
    *out = s;
    return NULL;
}

/* ---- encryption ---- */

static const char *do_encrypt(apr_pool_t *p, apr_pool_t *tmp,
                              const char *cert_pem, const void *data,
                              apr_size_t len, int gcm,
                              const unsigned char **der, apr_size_t *der_len)
{
    const unsigned int flags = CMS_BINARY | CMS_PARTIAL;
    const char *err;
    X509 *cert = NULL;
    EVP_PKEY *pub;
    BIO *in = NULL;
    CMS_ContentInfo *cms;
    CMS_RecipientInfo *ri;
    EVP_PKEY_CTX *pctx;

    if ((err = parse_cert(tmp, cert_pem, &cert))) {
        return err;
    }
    pub = X509_get0_pubkey(cert);
    if (!pub) {
        return ossl_fail(tmp, "reading the certificate's public key");
    }
    /* The profile is RSAES-OAEP; anything else (EC, RSA-PSS-only) would
     * silently get another key-management scheme. */
    if (!EVP_PKEY_is_a(pub, "RSA")) {
        return "the recipient certificate does not hold an RSA key";
    }
    if ((err = mem_bio(tmp, data, len, &in))) {
        return err;
    }
    cms = CMS_encrypt(NULL, NULL, gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc(),
                      flags);
    if (!cms) {
        return ossl_fail(tmp, "CMS_encrypt");
    }
    BKM_OWN(tmp, cms, cms_cleanup);

    /* CMS_KEY_PARAM: leave the key-transport context open so that OAEP
     * can be chosen; the default would be PKCS#1 v1.5. */
    ri = CMS_add1_recipient_cert(cms, cert, flags | CMS_KEY_PARAM);
    if (!ri) {
        return ossl_fail(tmp, "CMS_add1_recipient_cert");
    }
    pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    if (!pctx) {
        return ossl_fail(tmp, "CMS_RecipientInfo_get0_pkey_ctx");
    }
    /* The label stays empty (the default), as the incumbent's. */
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0
        || EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0
        || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
        return ossl_fail(tmp, "setting RSAES-OAEP(SHA-256, MGF1-SHA-256)");
    }
    if (CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
        return ossl_fail(tmp, "CMS_final (encrypt)");
    }
    return to_der(p, tmp, cms, der, der_len);
}

const char *bkm_cms_encrypt(apr_pool_t *p, const char *cert_pem,
                            const void *data, apr_size_t len, int gcm,
                            const unsigned char **der, apr_size_t *der_len)
{
    apr_pool_t *tmp;

    *der = NULL;
    *der_len = 0;
    ERR_clear_error();
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    return done(p, tmp,
                do_encrypt(p, tmp, cert_pem, data, len, gcm, der, der_len));
}

/* ---- detached signature ---- */

static const char *do_sign(apr_pool_t *p, apr_pool_t *tmp,
                           const bkm_signer_t *s, const void *data,
                           apr_size_t len, const unsigned char **der,
                           apr_size_t *der_len)
{
    /* CMS_CADES adds ESS signing-certificate-v2, which CAdES-BES (and so
     * an ASiC-E signature) requires; S/MIME capabilities mean nothing
     * outside e-mail and are left out. */
    const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL
                               | CMS_NOSMIMECAP | CMS_CADES;
    const char *err;
    BIO *in = NULL;
    CMS_ContentInfo *cms;
    int i;

    if (!s) {
        return "no signer loaded";
    }
    if ((err = mem_bio(tmp, data, len, &in))) {
        return err;
    }
    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (!cms) {
        return ossl_fail(tmp, "CMS_sign");
    }
    BKM_OWN(tmp, cms, cms_cleanup);
    /* The signer's objects are only reference-counted here (atomically),
     * so one signer serves all threads. */
    if (!CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags)) {
        return ossl_fail(tmp, "CMS_add1_signer");
    }
    for (i = 0; i < sk_X509_num(s->chain); i++) {
        if (!CMS_add1_cert(cms, sk_X509_value(s->chain, i))) {
            return ossl_fail(tmp, "CMS_add1_cert");
        }
    }
    if (CMS_final(cms, in, NULL, flags) != 1) {
        return ossl_fail(tmp, "CMS_final (sign)");
    }
    return to_der(p, tmp, cms, der, der_len);
}

const char *bkm_cms_sign_detached(apr_pool_t *p, const bkm_signer_t *s,
                                  const void *data, apr_size_t len,
                                  const unsigned char **der,
                                  apr_size_t *der_len)
{
    apr_pool_t *tmp;

    *der = NULL;
    *der_len = 0;
    ERR_clear_error();
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    return done(p, tmp, do_sign(p, tmp, s, data, len, der, der_len));
}

/* ---- the producer API's recipient check ---- */

static const char *do_check(apr_pool_t *tmp, const void *der, apr_size_t len,
                            const char *cert_pem)
{
    const unsigned char *q = der;
    const char *err;
    X509 *cert = NULL;
    CMS_ContentInfo *cms;
    STACK_OF(CMS_RecipientInfo) * ris;
    ASN1_OCTET_STRING **content;
    int nid, i;

    if ((err = parse_cert(tmp, cert_pem, &cert))) {
        return apr_pstrcat(tmp, "bad recipient certificate: ", err, NULL);
    }
    if (!der || len == 0 || len > LONG_MAX) {
        return "not DER CMS";
    }
    cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
    if (!cms) {
        return "not DER CMS";
    }
    BKM_OWN(tmp, cms, cms_cleanup);
    /* Trailing bytes would be carried along unchecked into storage and to
     * the recipient; a well-formed upload has none. */
    if (q != (const unsigned char *)der + len) {
        return "not DER CMS";
    }
    nid = OBJ_obj2nid(CMS_get0_type(cms));
    if (nid != NID_pkcs7_enveloped
        && nid != NID_id_smime_ct_authEnvelopedData) {
        return "not EnvelopedData";
    }
    /* A structure with its ciphertext detached parses, but delivers
     * nothing to the recipient. */
    content = CMS_get0_content(cms);
    if (!content || !*content) {
        return "no encrypted content";
    }
    ris = CMS_get0_RecipientInfos(cms);
    for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
        CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

        /* ktri_cert_cmp compares issuer+serial or the subjectKeyIdentifier,
         * whichever the recipient identifier holds. */
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS
            && CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0) {
            return NULL;
        }
    }
    return "not encrypted to the expected certificate";
}

const char *bkm_cms_check_recipient(apr_pool_t *p, const void *der,
                                    apr_size_t len, const char *cert_pem)
{
    apr_pool_t *tmp;
    const char *err;

    ERR_clear_error();
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    err = done(p, tmp, do_check(tmp, der, len, cert_pem));
    /* A refused upload leaves parser errors behind; they are the
     * uploader's, not ours, and must not surface in a later message. */
    ERR_clear_error();
    return err;
}
