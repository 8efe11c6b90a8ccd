/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stored-receipts: a compact JWS (RFC 7515) from a case system, verified
 * against the certificates registered for its account.
 *
 * The order of the checks is deliberate.  The outer form (size, alphabet,
 * three segments) and the protected header are checked first, because the
 * header decides how to verify.  The signature comes next and the payload
 * last, so that nothing in an unsigned payload is interpreted beyond
 * decoding it.
 *
 * Nothing a JOSE library would be lenient about is accepted: the alg is
 * chosen by us from three, never "none" or an HMAC (the registered
 * certificates are public, so an HMAC keyed with one would let anybody
 * sign); keys never come from the header (jwk, x5c, jku, x5u), only from
 * the registry; "crit" is refused because we implement no extension;
 * unknown members are refused rather than ignored, in the header and in
 * the payload; base64url must be canonical and unpadded.  Each such rule
 * removes a way for two different byte strings to mean the same receipt,
 * or for a receipt to mean something we did not read.
 *
 * Every OpenSSL and jansson object is either freed where it is made or
 * handed to a cleanup on a subpool destroyed before returning, as in
 * bkm_cms.c.
 */
#include "bkm_lagringskvittering.h"
#include "bkm_digest.h"
#include "bkm_utf8.h"

#include <limits.h>
#include <string.h>

#include <apr_strings.h>

#include <jansson.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used". */
#define BKM_LAGRINGSKVITTERING_RSA_MIN_BITS 2048
/* RFC 7518 §3.5: the PSS salt is as long as the hash output. */
#define BKM_LAGRINGSKVITTERING_PSS_SALT 32
/* ES256: R and S, 32 bytes each, big-endian (RFC 7518 §3.4). */
#define BKM_LAGRINGSKVITTERING_ES256_LEN 64
#define BKM_LAGRINGSKVITTERING_ARKIVREF_MAX 200

typedef enum {
    BKM_RCPT_PKCS1,
    BKM_RCPT_PSS,
    BKM_RCPT_ECDSA
} bkm_rcpt_scheme_e;

typedef struct {
    const char *name;
    bkm_rcpt_scheme_e scheme;
} bkm_rcpt_alg_t;

static const bkm_rcpt_alg_t bkm_rcpt_algs[] = { { "RS256", BKM_RCPT_PKCS1 },
                                                { "PS256", BKM_RCPT_PSS },
                                                { "ES256", BKM_RCPT_ECDSA },
                                                { NULL, 0 } };

/* Named in their refusals, so that a vendor who tried one learns why. */
static const char *const bkm_rcpt_hmac[] = { "HS256", "HS384", "HS512",
                                             NULL };

/* ---- cleanups ---- */

static apr_status_t x509_cleanup(void *x)
{
    X509_free(x);
    return APR_SUCCESS;
}

static apr_status_t json_cleanup(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

#define BKM_OWN(pool, obj, fn) \
    apr_pool_cleanup_register((pool), (obj), (fn), apr_pool_cleanup_null)

/* Messages are built in tmp, then copied to p, so that destroying tmp
 * never leaves the caller with a dangling string. */
static const char *done(apr_pool_t *p, apr_pool_t *tmp, const char *err)
{
    if (err) {
        err = apr_pstrdup(p, err);
    }
    apr_pool_destroy(tmp);
    return err;
}

/* ---- base64url (RFC 4648 §5), strict ---- */

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

/*
 * Decode one segment into a NUL-terminated buffer from @p tmp.  Refused:
 * padding, any character outside the alphabet, a length no encoding has
 * (4k+1), and non-zero bits after the last whole byte (RFC 4648 §3.5 lets
 * a decoder refuse them; we do, so each value has one encoding only).
 */
static const char *b64url_decode(apr_pool_t *tmp, const char *what,
                                 const char *s, apr_size_t n,
                                 unsigned char **out, apr_size_t *out_len)
{
    unsigned char *buf;
    apr_size_t i, o = 0;
    unsigned long acc = 0;
    int bits = 0, v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '=') {
            return apr_pstrcat(tmp, what,
                               ": '=' padding is not allowed "
                               "(base64url without padding)",
                               NULL);
        }
        if (b64url_value((unsigned char)s[i]) < 0) {
            return apr_pstrcat(tmp, what,
                               ": character outside the "
                               "base64url alphabet",
                               NULL);
        }
    }
    if (n % 4 == 1) {
        return apr_pstrcat(tmp, what,
                           ": not valid base64url (impossible "
                           "length)",
                           NULL);
    }
    buf = apr_palloc(tmp, n / 4 * 3 + 3);
    for (i = 0; i < n; i++) {
        v = b64url_value((unsigned char)s[i]);
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1UL << bits) - 1;
        }
    }
    if (acc != 0) {
        return apr_pstrcat(tmp, what,
                           ": not canonical base64url (non-zero "
                           "bits after the last byte)",
                           NULL);
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return NULL;
}

/* ---- UTF-8 ---- */

static int utf8_valid(const unsigned char *s, apr_size_t n)
{
    apr_size_t i = 0;

    while (i < n) {
        if (bkm_utf8_next(s, n, &i) < 0) {
            return 0;
        }
    }
    return 1;
}

/* ---- JSON ---- */

static const char *load_object(apr_pool_t *tmp, const char *what,
                               const unsigned char *buf, apr_size_t n,
                               json_t **out)
{
    json_error_t e;
    json_t *j;

    if (!utf8_valid(buf, n)) {
        return apr_pstrcat(tmp, what, ": not valid UTF-8", NULL);
    }
    /* JSON_REJECT_DUPLICATES: with two "sha256" members, which one did
     * the signer mean?  jansson would silently keep the last.  (Its error
     * text is not passed on: it can quote the input.) */
    j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        if (json_error_code(&e) == json_error_duplicate_key) {
            return apr_pstrcat(tmp, what, ": duplicate member name", NULL);
        }
        return apr_pstrcat(tmp, what, ": not valid JSON", NULL);
    }
    BKM_OWN(tmp, j, json_cleanup);
    if (!json_is_object(j)) {
        return apr_pstrcat(tmp, what, ": not a JSON object", NULL);
    }
    *out = j;
    return NULL;
}

/* ---- the protected header ---- */

static const char *check_header(apr_pool_t *tmp, const json_t *h,
                                const bkm_rcpt_alg_t **alg)
{
    const char *key, *name;
    json_t *v;
    int i;

    json_object_foreach((json_t *)h, key, v) {
        if (strcmp(key, "alg") == 0) {
            continue;
        }
        if (strcmp(key, "kid") == 0) {
            if (!json_is_string(v)) {
                return "header: kid must be a string";
            }
        }
        else if (strcmp(key, "typ") == 0) {
            /* Exact: RFC 7515 would also let "application/..." and other
             * letter cases through, but one spelling is enough. */
            if (!json_is_string(v)
                || strcmp(json_string_value(v), BKM_LAGRINGSKVITTERING_TYP)
                       != 0) {
                return "header: typ must be \"" BKM_LAGRINGSKVITTERING_TYP
                       "\" "
                       "when present";
            }
        }
        else if (strcmp(key, "crit") == 0) {
            return "header: crit is not accepted (no extensions are "
                   "defined for stored-receipts)";
        }
        else if (strcmp(key, "jwk") == 0 || strcmp(key, "jku") == 0
                 || strcmp(key, "x5c") == 0 || strcmp(key, "x5u") == 0
                 || strcmp(key, "x5t") == 0 || strcmp(key, "x5t#S256") == 0) {
            return "header: keys and certificates in the header are not "
                   "accepted; only the certificates registered for the "
                   "account count";
        }
        else {
            return "header: unknown member (allowed: alg, kid, typ)";
        }
    }

    v = json_object_get(h, "alg");
    if (!v) {
        return "header: alg is missing";
    }
    if (!json_is_string(v)) {
        return "header: alg must be a string";
    }
    name = json_string_value(v);
    if (strcmp(name, "none") == 0) {
        return "header: alg none is not accepted";
    }
    for (i = 0; bkm_rcpt_hmac[i]; i++) {
        if (strcmp(name, bkm_rcpt_hmac[i]) == 0) {
            return apr_pstrcat(tmp, "header: alg ", bkm_rcpt_hmac[i],
                               " is not accepted: stored-receipts are "
                               "signed with the private key of a "
                               "registered certificate",
                               NULL);
        }
    }
    for (i = 0; bkm_rcpt_algs[i].name; i++) {
        if (strcmp(name, bkm_rcpt_algs[i].name) == 0) {
            *alg = &bkm_rcpt_algs[i];
            return NULL;
        }
    }
    return "header: alg must be RS256, PS256 or ES256";
}

/* ---- the signature ---- */

static const char *read_cert(apr_pool_t *tmp, const char *pem, int i,
                             EVP_PKEY **pub)
{
    X509 *x = NULL;
    BIO *b;

    if (pem && *pem && strlen(pem) <= INT_MAX) {
        b = BIO_new_mem_buf(pem, (int)strlen(pem));
        if (b) {
            x = PEM_read_bio_X509(b, NULL, NULL, NULL);
            BIO_free(b);
        }
    }
    if (x) {
        BKM_OWN(tmp, x, x509_cleanup);
        *pub = X509_get0_pubkey(x);
    }
    /* Our configuration, not the caller's receipt: say so, and fail
     * rather than quietly trying fewer keys than were registered. */
    if (!x || !*pub) {
        ERR_clear_error();
        return apr_psprintf(tmp,
                            "certificate %d registered for the account "
                            "cannot be read",
                            i + 1);
    }
    return NULL;
}

/* Whether @p pub is a key @p alg is defined for (RFC 7518 §3.3-3.5). */
static int key_suits(EVP_PKEY *pub, const bkm_rcpt_alg_t *alg)
{
    char group[64];
    size_t glen = 0;

    if (alg->scheme == BKM_RCPT_ECDSA) {
        /* A named curve only: explicit parameters have no group name. */
        return EVP_PKEY_is_a(pub, "EC")
               && EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen)
                      == 1
               && OBJ_sn2nid(group) == NID_X9_62_prime256v1;
    }
    /* "RSA" only: an id-RSASSA-PSS key carries its own restrictions,
     * which we would have to reconcile with the alg. */
    return EVP_PKEY_is_a(pub, "RSA")
           && EVP_PKEY_get_bits(pub) >= BKM_LAGRINGSKVITTERING_RSA_MIN_BITS;
}

/*
 * JWS carries an ECDSA signature as R||S, 32 bytes each (RFC 7518 §3.4);
 * OpenSSL verifies the DER ECDSA-Sig-Value of X9.62.
 */
static const char *es256_to_der(apr_pool_t *tmp, const unsigned char *raw,
                                unsigned char **der, apr_size_t *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL);
    BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *q;
    int n;

    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return "signature: cannot convert R||S (out of memory)";
    }
    /* r and s belong to sig now */
    n = i2d_ECDSA_SIG(sig, NULL);
    if (n <= 0) {
        ECDSA_SIG_free(sig);
        return "signature: cannot convert R||S";
    }
    *der = q = apr_palloc(tmp, (apr_size_t)n);
    if (i2d_ECDSA_SIG(sig, &q) != n) {
        ECDSA_SIG_free(sig);
        return "signature: cannot convert R||S";
    }
    ECDSA_SIG_free(sig);
    *der_len = (apr_size_t)n;
    return NULL;
}

/* 1 if @p sig is @p alg's signature of @p tbs by @p pub, else 0. */
static int verify_one(const bkm_rcpt_alg_t *alg, EVP_PKEY *pub,
                      const unsigned char *tbs, apr_size_t tbs_len,
                      const unsigned char *sig, apr_size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL; /* owned by md */
    int ok = 0;

    if (!md
        || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub) != 1) {
        goto out;
    }
    /* Said out loud rather than left to defaults: PKCS#1 v1.5 for RS256;
     * for PS256 MGF1 with SHA-256 and a salt of exactly 32 bytes (OpenSSL
     * then refuses any other salt length, as RFC 7518 §3.5 wants). */
    if (alg->scheme == BKM_RCPT_PKCS1
        && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
        goto out;
    }
    if (alg->scheme == BKM_RCPT_PSS
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(
                   pctx, BKM_LAGRINGSKVITTERING_PSS_SALT)
                   <= 0)) {
        goto out;
    }
    ok = EVP_DigestVerify(md, sig, sig_len, tbs, tbs_len) == 1;
out:
    EVP_MD_CTX_free(md);
    /* A failed verification leaves its reasons queued; they are the
     * sender's, and must not surface in an unrelated later message. */
    ERR_clear_error();
    return ok;
}

static const char *verify_sig(apr_pool_t *tmp, const bkm_rcpt_alg_t *alg,
                              const apr_array_header_t *certs,
                              const unsigned char *tbs, apr_size_t tbs_len,
                              const unsigned char *sig, apr_size_t sig_len,
                              int *index)
{
    const char *err;
    EVP_PKEY *pub = NULL;
    unsigned char *der;
    int i, usable = 0;

    if (!certs || certs->nelts < 1) {
        return "no certificate is registered for the account";
    }
    if (alg->scheme == BKM_RCPT_ECDSA) {
        /* Refused outright: a DER signature here would be an
         * implementation's mistake that another verifier might forgive. */
        if (sig_len != BKM_LAGRINGSKVITTERING_ES256_LEN) {
            return "signature: ES256 takes exactly 64 bytes (R||S)";
        }
        if ((err = es256_to_der(tmp, sig, &der, &sig_len))) {
            return err;
        }
        sig = der;
    }
    for (i = 0; i < certs->nelts; i++) {
        if ((err = read_cert(tmp, APR_ARRAY_IDX(certs, i, const char *), i,
                             &pub))) {
            return err;
        }
        if (!key_suits(pub, alg)) {
            continue;
        }
        usable++;
        if (verify_one(alg, pub, tbs, tbs_len, sig, sig_len)) {
            *index = i;
            return NULL;
        }
    }
    if (!usable) {
        return apr_pstrcat(tmp, "header: alg ", alg->name,
                           " does not match "
                           "the key of any certificate registered for the "
                           "account",
                           NULL);
    }
    return "signature does not verify with any certificate registered for "
           "the account";
}

/* ---- the payload ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The canonical 8-4-4-4-12 form in lower case, or NULL.  Either case is
 * accepted (RFC 9562 §4: UUIDs compare case-insensitively); we store and
 * compare lower case. */
static const char *uuid_lower(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out;
    apr_size_t i;

    if (n != 36) {
        return NULL;
    }
    out = apr_pstrmemdup(p, s, n);
    for (i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return NULL;
            }
        }
        else if (!is_hex(s[i])) {
            return NULL;
        }
        else if (s[i] >= 'A' && s[i] <= 'F') {
            out[i] = (char)(s[i] - 'A' + 'a');
        }
    }
    return out;
}

static int num(const char *s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/*
 * RFC 3339 §5.6 date-time with a real calendar check: full-date "T"
 * full-time, fractions of 1 to 9 digits, "Z" or +hh:mm / -hh:mm.  Stricter
 * than the RFC in two spellings nobody needs: "T" and "Z" in upper case
 * only, and no more than nanoseconds.
 */
static int rfc3339(const char *s, apr_size_t n)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };
    int y, mo, d, h, mi, sec, oh, om;
    apr_size_t i = 19, f;

    if (n < 20 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo)
        || s[7] != '-' || !num(s + 8, 2, &d) || s[10] != 'T'
        || !num(s + 11, 2, &h) || s[13] != ':' || !num(s + 14, 2, &mi)
        || s[16] != ':' || !num(s + 17, 2, &sec)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]
        || (mo == 2 && d == 29
            && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        || h > 23 || mi > 59 || sec > 60) { /* 60: a leap second */
        return 0;
    }
    if (s[i] == '.') {
        f = ++i;
        while (i < n && is_digit(s[i])) {
            i++;
        }
        if (i == f || i - f > 9) {
            return 0;
        }
    }
    if (i < n && s[i] == 'Z') {
        return i + 1 == n;
    }
    return i + 6 == n && (s[i] == '+' || s[i] == '-')
           && num(s + i + 1, 2, &oh) && s[i + 3] == ':'
           && num(s + i + 4, 2, &om) && oh <= 23 && om <= 59;
}

/* 1..200 code points, none of them a control character (Unicode Cc:
 * C0, DEL and C1), so the value can go into a log line or a column
 * without escaping surprises. */
static const char *check_arkivreferanse(const char *s, apr_size_t n)
{
    apr_size_t i = 0, count = 0;
    long cp;

    if (n == 0) {
        return "payload: arkivreferanse must not be empty";
    }
    while (i < n) {
        cp = bkm_utf8_next((const unsigned char *)s, n, &i);
        if (cp < 0) {
            return "payload: arkivreferanse is not valid UTF-8";
        }
        if (bkm_utf8_is_control(cp)) {
            return "payload: arkivreferanse must not contain control "
                   "characters";
        }
        count++;
    }
    if (count > BKM_LAGRINGSKVITTERING_ARKIVREF_MAX) {
        return "payload: arkivreferanse must be at most 200 characters";
    }
    return NULL;
}

/* A required (or, for lagret, optional) member that must be a string. */
static const char *get_str(apr_pool_t *tmp, const json_t *o, const char *key,
                           int required, const char **s, apr_size_t *n)
{
    json_t *v = json_object_get(o, key);

    *s = NULL;
    *n = 0;
    if (!v) {
        return required
                   ? apr_pstrcat(tmp, "payload: ", key, " is missing", NULL)
                   : NULL;
    }
    if (!json_is_string(v)) {
        return apr_pstrcat(tmp, "payload: ", key, " must be a string", NULL);
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return NULL;
}

static const char *check_payload(apr_pool_t *p, apr_pool_t *tmp,
                                 const json_t *o,
                                 bkm_lagringskvittering_t *out)
{
    static const char *const known[] = {
        "meldingId",        "bekymringsmeldingId",
        "sha256",           "arkivreferanse",
        "lagret",           "versjon",
        "besittelsesbevis", NULL
    };
    const char *key, *s, *err;
    apr_size_t n;
    json_t *v;
    int i;

    /* Unknown members first, over the whole object, so the answer does
     * not depend on the order of the members.  The name is not quoted:
     * it is the sender's text. */
    json_object_foreach((json_t *)o, key, v) {
        for (i = 0; known[i] && strcmp(key, known[i]) != 0; i++) {
        }
        if (!known[i]) {
            return "payload: unknown member (allowed: meldingId, "
                   "bekymringsmeldingId, sha256, arkivreferanse, lagret, "
                   "versjon, besittelsesbevis)";
        }
    }

    if ((err = get_str(tmp, o, "meldingId", 1, &s, &n))) {
        return err;
    }
    if (!(out->melding_id = uuid_lower(p, s, n))) {
        return "payload: meldingId must be a UUID "
               "(8-4-4-4-12 hex digits)";
    }
    if ((err = get_str(tmp, o, "bekymringsmeldingId", 1, &s, &n))) {
        return err;
    }
    if (!(out->bekymringsmelding_id = uuid_lower(p, s, n))) {
        return "payload: bekymringsmeldingId must be a UUID "
               "(8-4-4-4-12 hex digits)";
    }
    if ((err = get_str(tmp, o, "sha256", 1, &s, &n))) {
        return err;
    }
    if (!bkm_sha256_hex_valid(s, n)) {
        return "payload: sha256 must be 64 lower-case hex digits";
    }
    out->sha256 = apr_pstrmemdup(p, s, n);
    if ((err = get_str(tmp, o, "arkivreferanse", 1, &s, &n))
        || (err = check_arkivreferanse(s, n))) {
        return err;
    }
    out->arkivreferanse = apr_pstrmemdup(p, s, n);
    if ((err = get_str(tmp, o, "lagret", 0, &s, &n))) {
        return err;
    }
    if (s) {
        if (!rfc3339(s, n)) {
            return "payload: lagret must be an RFC 3339 date-time with an "
                   "offset or Z (e.g. 2025-03-01T12:00:00+01:00)";
        }
        out->lagret = apr_pstrmemdup(p, s, n);
    }
    /* The format's version: absent is 1, the format before proofs of
     * possession.  Exactly 1 or 2, an integer (not 2.0, not "2"). */
    v = json_object_get(o, "versjon");
    out->versjon = 1;
    if (v
        && (!json_is_integer(v)
            || (json_integer_value(v) != 1 && json_integer_value(v) != 2))) {
        return "payload: versjon must be the integer 1 or 2";
    }
    if (v) {
        out->versjon = (int)json_integer_value(v);
    }
    if ((err = get_str(tmp, o, "besittelsesbevis", 0, &s, &n))) {
        return err;
    }
    if (out->versjon == 2 && !s) {
        return "payload: besittelsesbevis is missing (required in versjon 2)";
    }
    if (out->versjon == 1 && s) {
        return "payload: besittelsesbevis belongs to versjon 2 (add "
               "\"versjon\": 2)";
    }
    if (s) {
        if (!bkm_sha256_hex_valid(s, n)) {
            return "payload: besittelsesbevis must be 64 lower-case hex "
                   "digits";
        }
        out->besittelsesbevis = apr_pstrmemdup(p, s, n);
    }
    return NULL;
}

/* ---- the receipt ---- */

static const char *do_verify(apr_pool_t *p, apr_pool_t *tmp, const char *jws,
                             apr_size_t len, const apr_array_header_t *certs,
                             bkm_lagringskvittering_t *out)
{
    const char *dot1, *dot2, *err;
    const bkm_rcpt_alg_t *alg = NULL;
    unsigned char *hdr, *pld, *sig;
    apr_size_t hdr_len, pld_len, sig_len, i;
    json_t *header = NULL, *payload = NULL;
    int dots = 0, index = -1;

    if (!jws || len == 0) {
        return "the stored-receipt is empty";
    }
    if (len > BKM_LAGRINGSKVITTERING_MAX) {
        return apr_psprintf(tmp,
                            "the stored-receipt is larger than %d "
                            "bytes",
                            BKM_LAGRINGSKVITTERING_MAX);
    }
    if (memchr(jws, '\0', len)) {
        return "the stored-receipt contains a NUL byte";
    }
    for (i = 0; i < len; i++) {
        /* The usual mistake (a trailing newline from echo or a pretty
         * printer) gets its own message. */
        if (jws[i] == ' ' || jws[i] == '\t' || jws[i] == '\r'
            || jws[i] == '\n' || jws[i] == '\v' || jws[i] == '\f') {
            return "the stored-receipt must not contain whitespace or line "
                   "breaks: send the compact JWS alone";
        }
        dots += jws[i] == '.';
    }
    if (dots != 2) {
        return "the stored-receipt must be a JWS in compact serialization: "
               "three base64url segments separated by '.'";
    }
    dot1 = memchr(jws, '.', len);
    dot2 = memchr(dot1 + 1, '.', (apr_size_t)(jws + len - dot1 - 1));

    if ((err = b64url_decode(tmp, "header", jws, (apr_size_t)(dot1 - jws),
                             &hdr, &hdr_len))
        || (err = b64url_decode(tmp, "payload", dot1 + 1,
                                (apr_size_t)(dot2 - dot1 - 1), &pld,
                                &pld_len))
        || (err = b64url_decode(tmp, "signature", dot2 + 1,
                                (apr_size_t)(jws + len - dot2 - 1), &sig,
                                &sig_len))) {
        return err;
    }
    if ((err = load_object(tmp, "header", hdr, hdr_len, &header))
        || (err = check_header(tmp, header, &alg))) {
        return err;
    }
    if (sig_len == 0) {
        return "signature: empty";
    }
    /* The signing input is the first two segments exactly as sent
     * (RFC 7515 §5.2 step 8), never a re-encoding of what we decoded. */
    if ((err = verify_sig(tmp, alg, certs, (const unsigned char *)jws,
                          (apr_size_t)(dot2 - jws), sig, sig_len, &index))) {
        return err;
    }
    if ((err = load_object(tmp, "payload", pld, pld_len, &payload))
        || (err = check_payload(p, tmp, payload, out))) {
        return err;
    }
    out->alg = alg->name;
    out->cert_index = index;
    return NULL;
}

const char *bkm_lagringskvittering_verify(apr_pool_t *p, const char *jws,
                                          apr_size_t len,
                                          const apr_array_header_t *certs,
                                          bkm_lagringskvittering_t *out)
{
    apr_pool_t *tmp;
    const char *err;

    memset(out, 0, sizeof(*out));
    out->cert_index = -1;
    ERR_clear_error();
    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return "apr_pool_create failed";
    }
    err = done(p, tmp, do_verify(p, tmp, jws, len, certs, out));
    if (err) {
        /* Half-filled fields must not be mistaken for a receipt. */
        memset(out, 0, sizeof(*out));
        out->cert_index = -1;
    }
    ERR_clear_error();
    return err;
}

const char *bkm_lagringskvittering_check_cert(apr_pool_t *p, const char *pem)
{
    const bkm_rcpt_alg_t *alg;
    EVP_PKEY *pub = NULL;
    apr_pool_t *tmp;
    const char *err;

    apr_pool_create(&tmp, p);
    if (!(err = read_cert(tmp, pem, 0, &pub))) {
        err =
            "its key suits none of RS256, PS256 (RSA of at least 2048 "
            "bits) and ES256 (EC P-256)";
        for (alg = bkm_rcpt_algs; alg->name; alg++) {
            if (key_suits(pub, alg)) {
                err = NULL;
                break;
            }
        }
    }
    return done(p, tmp, err);
}
