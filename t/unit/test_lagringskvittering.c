/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stored-receipts: JWSs signed by an independent signer, the openssl CLI,
 * with keys and certificates made at test time, then every rule of the
 * verifier broken once.  The ES256 signature is turned from DER into R||S
 * here by hand, not by the code under test.  The payload schema of
 * schema/lagringskvittering is run over the same payloads as the verifier,
 * and the README's shell recipe is run as written.
 */
#include "unit.h"
#include "bkm_lagringskvittering.h"
#include "bkm_jsonschema.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/err.h>

/* Tests run in t/unit. */
#define SCHEMAS "../../schema/lagringskvittering"

#define MID "6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b"
#define BID "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
/* Distinctive, so a message that quotes it is caught. */
#define ARK "ARKIVREF-SECRET-2025/01234-7"

#define HDR_RS "{\"alg\":\"RS256\"}"
#define HDR_PS "{\"alg\":\"PS256\"}"
#define HDR_ES "{\"alg\":\"ES256\"}"

#define GOOD \
    "{\"meldingId\":\"" MID "\",\"bekymringsmeldingId\":\"" BID \
    "\",\"sha256\":\"" SHA "\",\"arkivreferanse\":\"" ARK "\"}"

#define NOT_VERIFIED \
    "signature does not verify with any certificate " \
    "registered for the account"

static char dir[512]; /* <test dir>/receipt */
static bkm_lagringskvittering_t got;

static void make_keys(void)
{
    static int made;
    const char *const names[] = { "rsa1", "rsa2", NULL };

    if (made) {
        return;
    }
    snprintf(dir, sizeof(dir), "%s/receipt", bkm_test_dir());
    bkm_test_make_certs(dir, names);
    /* P-256 for ES256; P-384 and 1024-bit RSA that no alg may use. */
    ck_assert_int_eq(
        bkm_test_run("cd %s && "
                     "openssl req -x509 -newkey ec "
                     "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
                     "-subj /CN=ec -keyout ec.key -out ec.pem "
                     "2>/dev/null && "
                     "openssl req -x509 -newkey ec "
                     "-pkeyopt ec_paramgen_curve:P-384 -nodes -days 30 "
                     "-subj /CN=p384 -keyout p384.key -out p384.pem "
                     "2>/dev/null && "
                     "openssl req -x509 -newkey rsa:1024 -nodes -days 30 "
                     "-subj /CN=small -keyout small.key -out small.pem "
                     "2>/dev/null",
                     dir),
        0);
    made = 1;
}

static void setup(void)
{
    bkm_test_pool_setup();
    make_keys();
}

/* ---- an independent signer ---- */

static const char *b64url(const void *data, apr_size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *d = data;
    char *out = apr_palloc(bkm_test_pool, n / 3 * 4 + 5), *o = out;
    apr_size_t i;

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

static const char *b64s(const char *s)
{
    return b64url(s, strlen(s));
}

/* X9.62 ECDSA-Sig-Value (SEQUENCE of two INTEGERs) to JWS R||S. */
static void der_to_raw(const unsigned char *d, apr_size_t n,
                       unsigned char raw[64])
{
    apr_size_t i = 2, len, vl;
    const unsigned char *v;
    int k;

    ck_assert(n > 8 && d[0] == 0x30 && d[1] < 0x80 && d[1] + 2u == n);
    for (k = 0; k < 2; k++) {
        ck_assert(i + 2 <= n && d[i] == 0x02);
        len = d[i + 1];
        i += 2;
        ck_assert(len >= 1 && i + len <= n);
        v = d + i;
        vl = len;
        while (vl > 32 && *v == 0) { /* the sign byte of a DER INTEGER */
            v++;
            vl--;
        }
        ck_assert(vl <= 32);
        memset(raw + 32 * k, 0, 32 - vl);
        memcpy(raw + 32 * k + 32 - vl, v, vl);
        i += len;
    }
    ck_assert(i == n);
}

/* The raw signature of @p tbs by @p key with openssl dgst: scheme "RS"
 * (PKCS#1 v1.5), "PS" (PSS, salt 32), "PS20" (PSS, salt 20), "ES" (R||S)
 * or "ESDER" (the DER as openssl writes it). */
static const unsigned char *sign_raw(const char *tbs, const char *key,
                                     const char *scheme, apr_size_t *n)
{
    const char *opts = "";
    unsigned char *sig;
    unsigned char *raw;

    if (strcmp(scheme, "PS") == 0) {
        opts =
            "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
            "-sigopt rsa_mgf1_md:sha256";
    }
    else if (strcmp(scheme, "PS20") == 0) {
        opts = "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20";
    }
    bkm_test_put(dir, "tbs", tbs, strlen(tbs));
    ck_assert_int_eq(bkm_test_run("openssl dgst -sha256 -sign %s/%s.key %s "
                                  "-out %s/sig.bin %s/tbs",
                                  dir, key, opts, dir, dir),
                     0);
    sig = (unsigned char *)bkm_test_slurp(dir, "sig.bin", n);
    if (strcmp(scheme, "ES") == 0) {
        raw = apr_palloc(bkm_test_pool, 64);
        der_to_raw(sig, *n, raw);
        *n = 64;
        return raw;
    }
    return sig;
}

static const char *sign(const char *tbs, const char *key, const char *scheme)
{
    apr_size_t n;
    const unsigned char *sig = sign_raw(tbs, key, scheme, &n);

    return b64url(sig, n);
}

/* header.payload.signature over the given JSON texts. */
static const char *jws(const char *header, const char *payload,
                       const char *key, const char *scheme)
{
    const char *tbs = apr_pstrcat(bkm_test_pool, b64s(header), ".",
                                  b64s(payload), NULL);

    return apr_pstrcat(bkm_test_pool, tbs, ".", sign(tbs, key, scheme), NULL);
}

/* ---- the verifier ---- */

/* The PEM texts of a comma-separated list of certificate names ("rsa1"
 * is rsa1.pem; a name with a dot is taken as it is). */
static apr_array_header_t *certs(const char *names)
{
    apr_array_header_t *a = apr_array_make(bkm_test_pool, 2,
                                           sizeof(const char *));
    char *list = apr_pstrdup(bkm_test_pool, names), *last, *name;

    for (name = apr_strtok(list, ",", &last); name;
         name = apr_strtok(NULL, ",", &last)) {
        APR_ARRAY_PUSH(a, const char *) =
            bkm_test_slurp(dir,
                           strchr(name, '.')
                               ? name
                               : apr_pstrcat(bkm_test_pool, name, ".pem",
                                             NULL),
                           NULL);
    }
    return a;
}

static const char *verify_n(const char *token, apr_size_t len,
                            const char *names)
{
    const char *err = bkm_lagringskvittering_verify(bkm_test_pool, token, len,
                                                    certs(names), &got);

    /* failure leaves nothing that looks like a receipt, and no OpenSSL
     * error for a later caller to find */
    if (err) {
        ck_assert_ptr_null(got.melding_id);
        ck_assert_ptr_null(got.sha256);
        ck_assert_ptr_null(got.arkivreferanse);
        ck_assert_ptr_null(got.alg);
        ck_assert_int_eq(got.cert_index, -1);
    }
    ck_assert_msg(ERR_peek_error() == 0, "OpenSSL error queue not empty");
    return err;
}

static const char *verify(const char *token, const char *names)
{
    return verify_n(token, strlen(token), names);
}

#define ACCEPTED(token, names) \
    do { \
        const char *err_ = verify((token), (names)); \
        ck_assert_msg(err_ == NULL, "refused: %s", err_); \
    } while (0)

#define REFUSED(token, names, msg) \
    do { \
        const char *err_ = verify((token), (names)); \
        ck_assert_msg(err_ != NULL && strcmp(err_, (msg)) == 0, \
                      "expected \"%s\", got \"%s\"", (msg), \
                      err_ ? err_ : "(accepted)"); \
    } while (0)

/* A payload signed correctly by rsa1, for the payload rules. */
#define PAYLOAD_ACCEPTED(payload) \
    ACCEPTED(jws(HDR_RS, (payload), "rsa1", "RS"), "rsa1")
#define PAYLOAD_REFUSED(payload, msg) \
    REFUSED(jws(HDR_RS, (payload), "rsa1", "RS"), "rsa1", (msg))

/* GOOD with one member's JSON text replaced, or the member left out when
 * @p value is NULL. */
static const char *good_with(const char *member, const char *value)
{
    static const char *const names[] = { "meldingId", "bekymringsmeldingId",
                                         "sha256", "arkivreferanse", NULL };
    static const char *const values[] = { "\"" MID "\"", "\"" BID "\"",
                                          "\"" SHA "\"", "\"" ARK "\"" };
    const char *out = "{", *sep = "";
    int i, found = 0;

    for (i = 0; names[i]; i++) {
        const char *v = values[i];

        if (strcmp(names[i], member) == 0) {
            found = 1;
            if (!value) {
                continue;
            }
            v = value;
        }
        out = apr_psprintf(bkm_test_pool, "%s%s\"%s\":%s", out, sep, names[i],
                           v);
        sep = ",";
    }
    if (!found && value) {
        out = apr_psprintf(bkm_test_pool, "%s,\"%s\":%s", out, member, value);
    }
    return apr_pstrcat(bkm_test_pool, out, "}", NULL);
}

/* A JSON string of @p n copies of the UTF-8 text @p unit. */
static const char *repeat(const char *unit, int n)
{
    const char *out = "\"";
    int i;

    for (i = 0; i < n; i++) {
        out = apr_pstrcat(bkm_test_pool, out, unit, NULL);
    }
    return apr_pstrcat(bkm_test_pool, out, "\"", NULL);
}

/* ---- valid receipts ---- */

START_TEST(rs256_valid)
{
    const char *payload = good_with("lagret",
                                    "\"2025-03-04T09:15:02+01:00\"");

    ACCEPTED(jws(HDR_RS, payload, "rsa1", "RS"), "rsa1");
    ck_assert_str_eq(got.melding_id, MID);
    ck_assert_str_eq(got.bekymringsmelding_id, BID);
    ck_assert_str_eq(got.sha256, SHA);
    ck_assert_str_eq(got.arkivreferanse, ARK);
    ck_assert_str_eq(got.lagret, "2025-03-04T09:15:02+01:00");
    ck_assert_str_eq(got.alg, "RS256");
    ck_assert_int_eq(got.cert_index, 0);

    /* lagret is optional; typ and kid may be there */
    ACCEPTED(jws("{\"typ\":\"" BKM_LAGRINGSKVITTERING_TYP
                 "\",\"alg\":\"RS256\","
                 "\"kid\":\"2025-1\"}",
                 GOOD, "rsa1", "RS"),
             "rsa1");
    ck_assert_ptr_null(got.lagret);
    ck_assert_str_eq(got.arkivreferanse, ARK);

    /* UUIDs in upper case come back in lower case */
    ACCEPTED(jws(HDR_RS,
                 good_with("meldingId",
                           "\"6F1E2D3C-4B5A-4987-8A6B-"
                           "5C4D3E2F1A0B\""),
                 "rsa1", "RS"),
             "rsa1");
    ck_assert_str_eq(got.melding_id, MID);

    /* a PSS signature under alg RS256 is not RS256 */
    REFUSED(jws(HDR_RS, GOOD, "rsa1", "PS"), "rsa1", NOT_VERIFIED);
}
END_TEST

START_TEST(ps256_valid)
{
    ACCEPTED(jws(HDR_PS, GOOD, "rsa1", "PS"), "rsa1");
    ck_assert_str_eq(got.alg, "PS256");
    ck_assert_str_eq(got.sha256, SHA);
    ck_assert_int_eq(got.cert_index, 0);
    /* the salt is 32 bytes, not any length; nor is PKCS#1 v1.5 PS256 */
    REFUSED(jws(HDR_PS, GOOD, "rsa1", "PS20"), "rsa1", NOT_VERIFIED);
    REFUSED(jws(HDR_PS, GOOD, "rsa1", "RS"), "rsa1", NOT_VERIFIED);
}
END_TEST

START_TEST(es256_valid)
{
    const char *tbs = apr_pstrcat(bkm_test_pool, b64s(HDR_ES), ".",
                                  b64s(GOOD), NULL);
    apr_size_t n;
    const unsigned char *raw = sign_raw(tbs, "ec", "ES", &n);
    unsigned char bad[64];

    ACCEPTED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(raw, n), NULL),
             "ec");
    ck_assert_str_eq(got.alg, "ES256");
    ck_assert_str_eq(got.melding_id, MID);
    ck_assert_int_eq(got.cert_index, 0);

    /* one bit of S */
    memcpy(bad, raw, 64);
    bad[63] ^= 0x01;
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(bad, 64), NULL), "ec",
            NOT_VERIFIED);
    /* R and S swapped */
    memcpy(bad, raw + 32, 32);
    memcpy(bad + 32, raw, 32);
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(bad, 64), NULL), "ec",
            NOT_VERIFIED);
    /* the DER that openssl writes is not the JWS form */
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", sign(tbs, "ec", "ESDER"),
                        NULL),
            "ec", "signature: ES256 takes exactly 64 bytes (R||S)");
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(raw, 63), NULL), "ec",
            "signature: ES256 takes exactly 64 bytes (R||S)");
}
END_TEST

START_TEST(second_certificate)
{
    ACCEPTED(jws(HDR_RS, GOOD, "rsa2", "RS"), "rsa1,rsa2");
    ck_assert_int_eq(got.cert_index, 1);
    ACCEPTED(jws(HDR_RS, GOOD, "rsa1", "RS"), "rsa1,rsa2");
    ck_assert_int_eq(got.cert_index, 0);
    /* keys that do not suit the alg are skipped, not tried */
    ACCEPTED(jws(HDR_RS, GOOD, "rsa2", "RS"), "ec,rsa2");
    ck_assert_int_eq(got.cert_index, 1);
    ACCEPTED(jws(HDR_ES, GOOD, "ec", "ES"), "rsa1,p384,ec");
    ck_assert_int_eq(got.cert_index, 2);
}
END_TEST

START_TEST(wrong_key)
{
    REFUSED(jws(HDR_RS, GOOD, "rsa2", "RS"), "rsa1", NOT_VERIFIED);
    REFUSED(jws(HDR_PS, GOOD, "rsa1", "PS"), "rsa2", NOT_VERIFIED);
    REFUSED(jws(HDR_RS, GOOD, "rsa2", "RS"), "rsa1,ec", NOT_VERIFIED);
    /* the certificates are ours to get right */
    REFUSED(jws(HDR_RS, GOOD, "rsa1", "RS"), "",
            "no certificate is "
            "registered for the account");
    REFUSED(jws(HDR_RS, GOOD, "rsa1", "RS"), "rsa1.key",
            "certificate 1 "
            "registered for the account cannot be read");
    REFUSED(jws(HDR_RS, GOOD, "rsa1", "RS"), "rsa2,rsa1.key",
            "certificate "
            "2 registered for the account cannot be read");
    ck_assert_ptr_nonnull(bkm_lagringskvittering_verify(bkm_test_pool,
                                                        "a.b.c", 5, NULL,
                                                        &got));
}
END_TEST

START_TEST(tampered_payload)
{
    const char *token = jws(HDR_RS, GOOD, "rsa1", "RS");
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    const char *other = good_with("sha256",
                                  "\""
                                  "0000000000000000000000000000"
                                  "000000000000000000000000000000000000\"");
    char *copy;

    ACCEPTED(token, "rsa1");
    /* another well-formed payload under the same signature */
    REFUSED(apr_pstrcat(bkm_test_pool, b64s(HDR_RS), ".", b64s(other), dot2,
                        NULL),
            "rsa1", NOT_VERIFIED);
    /* one character of the payload segment */
    copy = apr_pstrdup(bkm_test_pool, token);
    copy[dot1 - token + 5] = copy[dot1 - token + 5] == 'A' ? 'B' : 'A';
    REFUSED(copy, "rsa1", NOT_VERIFIED);
    /* the header is signed too: add typ after signing */
    REFUSED(
        apr_pstrcat(
            bkm_test_pool,
            b64s("{\"alg\":\"RS256\",\"typ\":\"" BKM_LAGRINGSKVITTERING_TYP
                 "\"}"),
            dot1, NULL),
        "rsa1", NOT_VERIFIED);
}
END_TEST

START_TEST(tampered_signature)
{
    const char *tbs = apr_pstrcat(bkm_test_pool, b64s(HDR_RS), ".",
                                  b64s(GOOD), NULL);
    apr_size_t n;
    const unsigned char *sig = sign_raw(tbs, "rsa1", "RS", &n);
    unsigned char *bad = apr_pmemdup(bkm_test_pool, sig, n);

    ck_assert_int_eq(n, 256);
    ACCEPTED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(sig, n), NULL),
             "rsa1");
    bad[100] ^= 0x40;
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(bad, n), NULL),
            "rsa1", NOT_VERIFIED);
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(sig, n - 1), NULL),
            "rsa1", NOT_VERIFIED);
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", b64url(sig, n), "AAAA",
                        NULL),
            "rsa1", NOT_VERIFIED);
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", NULL), "rsa1",
            "signature: empty");
}
END_TEST

/* ---- the header ---- */

START_TEST(alg_none)
{
    const char *tbs = apr_pstrcat(bkm_test_pool, b64s("{\"alg\":\"none\"}"),
                                  ".", b64s(GOOD), NULL);

    /* the unsecured JWS of RFC 7515 appendix A.5, and one with a
     * signature anyway */
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", NULL), "rsa1",
            "header: alg none is not accepted");
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", sign(tbs, "rsa1", "RS"),
                        NULL),
            "rsa1", "header: alg none is not accepted");
    REFUSED(jws("{\"alg\":\"None\"}", GOOD, "rsa1", "RS"), "rsa1",
            "header: alg must be RS256, PS256 or ES256");
}
END_TEST

START_TEST(alg_hmac)
{
    const char *tbs = apr_pstrcat(bkm_test_pool, b64s("{\"alg\":\"HS256\"}"),
                                  ".", b64s(GOOD), NULL);
    const char *mac;

    /* the classic confusion: an HMAC keyed with the public certificate */
    bkm_test_put(dir, "tbs", tbs, strlen(tbs));
    ck_assert_int_eq(bkm_test_run("openssl dgst -sha256 -mac HMAC -macopt "
                                  "hexkey:$(od -An -tx1 %s/rsa1.pem | tr -d "
                                  "' \\n') -binary -out %s/mac.bin %s/tbs",
                                  dir, dir, dir),
                     0);
    mac = b64url(bkm_test_slurp(dir, "mac.bin", NULL), 32);
    REFUSED(apr_pstrcat(bkm_test_pool, tbs, ".", mac, NULL), "rsa1",
            "header: alg HS256 is not accepted: stored-receipts are signed "
            "with the private key of a registered certificate");
    REFUSED(jws("{\"alg\":\"HS512\"}", GOOD, "rsa1", "RS"), "rsa1",
            "header: alg HS512 is not accepted: stored-receipts are signed "
            "with the private key of a registered certificate");
    REFUSED(jws("{\"alg\":\"RS512\"}", GOOD, "rsa1", "RS"), "rsa1",
            "header: alg must be RS256, PS256 or ES256");
    REFUSED(jws("{\"alg\":\"rs256\"}", GOOD, "rsa1", "RS"), "rsa1",
            "header: alg must be RS256, PS256 or ES256");
    REFUSED(jws("{\"alg\":[\"RS256\"]}", GOOD, "rsa1", "RS"), "rsa1",
            "header: alg must be a string");
    REFUSED(jws("{\"typ\":\"" BKM_LAGRINGSKVITTERING_TYP "\"}", GOOD, "rsa1",
                "RS"),
            "rsa1", "header: alg is missing");
}
END_TEST

START_TEST(alg_key_mismatch)
{
    /* an EC signature under ES256 for an account with RSA keys only */
    REFUSED(jws(HDR_ES, GOOD, "ec", "ES"), "rsa1,rsa2",
            "header: alg ES256 "
            "does not match the key of any certificate registered for the "
            "account");
    /* RS256 and PS256 for an EC key */
    REFUSED(jws(HDR_RS, GOOD, "rsa1", "RS"), "ec",
            "header: alg RS256 does "
            "not match the key of any certificate registered for the "
            "account");
    REFUSED(jws(HDR_PS, GOOD, "rsa1", "PS"), "ec",
            "header: alg PS256 does "
            "not match the key of any certificate registered for the "
            "account");
    /* ES256 is P-256, not P-384; RSA needs 2048 bits */
    REFUSED(jws(HDR_ES, GOOD, "ec", "ES"), "p384",
            "header: alg ES256 "
            "does not match the key of any certificate registered for the "
            "account");
    REFUSED(jws(HDR_RS, GOOD, "small", "RS"), "small",
            "header: alg RS256 "
            "does not match the key of any certificate registered for the "
            "account");
}
END_TEST

START_TEST(header_members)
{
    REFUSED(jws("{\"alg\":\"RS256\",\"foo\":1}", GOOD, "rsa1", "RS"), "rsa1",
            "header: unknown member (allowed: alg, kid, typ)");
    REFUSED(jws("{\"alg\":\"RS256\",\"b64\":false}", GOOD, "rsa1", "RS"),
            "rsa1", "header: unknown member (allowed: alg, kid, typ)");
    REFUSED(jws("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", GOOD,
                "rsa1", "RS"),
            "rsa1",
            "header: crit is not accepted (no extensions are defined for "
            "stored-receipts)");
    REFUSED(jws("{\"alg\":\"RS256\",\"crit\":[]}", GOOD, "rsa1", "RS"),
            "rsa1",
            "header: crit is not accepted (no extensions are "
            "defined for stored-receipts)");
    REFUSED(jws("{\"alg\":\"RS256\",\"x5c\":[\"MII\"]}", GOOD, "rsa1", "RS"),
            "rsa1",
            "header: keys and certificates in the header are not "
            "accepted; only the certificates registered for the account "
            "count");
    REFUSED(jws("{\"alg\":\"RS256\",\"jwk\":{}}", GOOD, "rsa1", "RS"), "rsa1",
            "header: keys and certificates in the header are not "
            "accepted; only the certificates registered for the account "
            "count");
    REFUSED(jws("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", GOOD, "rsa1", "RS"),
            "rsa1",
            "header: typ must be \"" BKM_LAGRINGSKVITTERING_TYP
            "\" when "
            "present");
    REFUSED(
        jws("{\"alg\":\"RS256\",\"typ\":\"application/" BKM_LAGRINGSKVITTERING_TYP
            "\"}",
            GOOD, "rsa1", "RS"),
        "rsa1",
        "header: typ must be \"" BKM_LAGRINGSKVITTERING_TYP
        "\" when present");
    REFUSED(jws("{\"alg\":\"RS256\",\"typ\":null}", GOOD, "rsa1", "RS"),
            "rsa1",
            "header: typ must be \"" BKM_LAGRINGSKVITTERING_TYP
            "\" when "
            "present");
    REFUSED(jws("{\"alg\":\"RS256\",\"kid\":7}", GOOD, "rsa1", "RS"), "rsa1",
            "header: kid must be a string");
    /* not an object, not JSON, not UTF-8 */
    REFUSED(jws("[\"RS256\"]", GOOD, "rsa1", "RS"), "rsa1",
            "header: not a JSON object");
    REFUSED(jws("{\"alg\":\"RS256\"", GOOD, "rsa1", "RS"), "rsa1",
            "header: not valid JSON");
    REFUSED(jws("{\"alg\":\"RS256\",\"kid\":\"\xff\"}", GOOD, "rsa1", "RS"),
            "rsa1", "header: not valid UTF-8");
    REFUSED(jws("{\"alg\":\"RS256\",\"kid\":\"a\\u0000b\"}", GOOD, "rsa1",
                "RS"),
            "rsa1", "header: not valid JSON");
}
END_TEST

START_TEST(duplicate_members)
{
    REFUSED(jws("{\"alg\":\"RS256\",\"alg\":\"RS256\"}", GOOD, "rsa1", "RS"),
            "rsa1", "header: duplicate member name");
    /* "none" last, as a lenient parser would keep it */
    REFUSED(jws("{\"alg\":\"RS256\",\"alg\":\"none\"}", GOOD, "rsa1", "RS"),
            "rsa1", "header: duplicate member name");
    PAYLOAD_REFUSED(good_with("sha256", "\"" SHA "\",\"sha256\":\"" SHA "\""),
                    "payload: duplicate member name");
    PAYLOAD_REFUSED(good_with("lagret",
                              "\"2025-03-04T09:15:02Z\",\"lagret\":"
                              "\"2025-03-05T09:15:02Z\""),
                    "payload: duplicate member name");
}
END_TEST

/* ---- the compact serialization ---- */

START_TEST(base64url_form)
{
    /* a header of 25 bytes, 34 characters, that base64 would pad */
    const char *token = jws("{\"alg\":\"RS256\",\"kid\":\"a\"}", GOOD, "rsa1",
                            "RS");
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    const char *h = apr_pstrmemdup(bkm_test_pool, token, dot1 - token);
    const char *p = apr_pstrmemdup(bkm_test_pool, dot1 + 1, dot2 - dot1 - 1);
    const char *s = dot2 + 1;
    char *copy;

    ACCEPTED(token, "rsa1");
    /* padding: the 256-byte signature encodes to 4k+2 characters */
    ck_assert_int_eq(strlen(s) % 4, 2);
    REFUSED(apr_pstrcat(bkm_test_pool, token, "==", NULL), "rsa1",
            "signature: '=' padding is not allowed (base64url without "
            "padding)");
    ck_assert_int_eq(strlen(h) % 4, 2);
    REFUSED(apr_pstrcat(bkm_test_pool, h, "==", dot1, NULL), "rsa1",
            "header: '=' padding is not allowed (base64url without "
            "padding)");
    /* base64 instead of base64url; other characters */
    copy = apr_pstrdup(bkm_test_pool, token);
    copy[dot2 - token + 10] = '+';
    REFUSED(copy, "rsa1",
            "signature: character outside the base64url "
            "alphabet");
    copy = apr_pstrdup(bkm_test_pool, token);
    copy[dot1 - token + 3] = '/';
    REFUSED(copy, "rsa1",
            "payload: character outside the base64url "
            "alphabet");
    copy = apr_pstrdup(bkm_test_pool, token);
    copy[1] = '\xc3';
    REFUSED(copy, "rsa1",
            "header: character outside the base64url "
            "alphabet");
    /* whitespace anywhere, and the trailing newline of echo */
    REFUSED(apr_pstrcat(bkm_test_pool, token, "\n", NULL), "rsa1",
            "the stored-receipt must not contain whitespace or line breaks: "
            "send the compact JWS alone");
    REFUSED(apr_pstrcat(bkm_test_pool, h, ".", p, ".\r\n", s, NULL), "rsa1",
            "the stored-receipt must not contain whitespace or line breaks: "
            "send the compact JWS alone");
    REFUSED(apr_pstrcat(bkm_test_pool, " ", token, NULL), "rsa1",
            "the stored-receipt must not contain whitespace or line breaks: "
            "send the compact JWS alone");
    /* a length no encoding has, and non-zero bits after the last byte
     * ("e30" is "{}", "e31" the same bytes spelt another way) */
    ck_assert_str_eq(b64s("{}"), "e30");
    REFUSED(apr_pstrcat(bkm_test_pool, "e30AA.", p, ".", s, NULL), "rsa1",
            "header: not valid base64url (impossible length)");
    REFUSED(apr_pstrcat(bkm_test_pool, "e31.", p, ".", s, NULL), "rsa1",
            "header: not canonical base64url (non-zero bits after the last "
            "byte)");
}
END_TEST

START_TEST(segments)
{
    const char *token = jws(HDR_RS, GOOD, "rsa1", "RS");
    const char *three =
        "the stored-receipt must be a JWS in compact "
        "serialization: three base64url segments separated "
        "by '.'";
    const char *dot2 = strrchr(token, '.');
    char *copy;

    REFUSED(apr_pstrmemdup(bkm_test_pool, token, dot2 - token), "rsa1",
            three);
    REFUSED(apr_pstrcat(bkm_test_pool, token, ".", NULL), "rsa1", three);
    REFUSED(apr_pstrcat(bkm_test_pool, token, ".", b64s("x"), NULL), "rsa1",
            three);
    REFUSED(apr_pstrcat(bkm_test_pool, b64s(HDR_RS), ".", token, NULL),
            "rsa1", three);
    REFUSED(b64s(GOOD), "rsa1", three);
    REFUSED("..", "rsa1", "header: not valid JSON");
    REFUSED("", "rsa1", "the stored-receipt is empty");
    /* the JSON serialization (RFC 7515 §7.2) is not the compact one */
    REFUSED(apr_psprintf(bkm_test_pool, "{\"protected\":\"%s\"}",
                         b64s(HDR_RS)),
            "rsa1", three);
    /* a NUL inside, counted by the length */
    copy = apr_pstrdup(bkm_test_pool, token);
    copy[strlen(copy) - 3] = '\0';
    ck_assert_str_eq(verify_n(copy, strlen(token), "rsa1"),
                     "the stored-receipt contains a NUL byte");
    ck_assert_str_eq(bkm_lagringskvittering_verify(bkm_test_pool, NULL, 0,
                                                   certs("rsa1"), &got),
                     "the stored-receipt is empty");
    /* the length given is what counts, not the NUL */
    ck_assert_ptr_null(verify_n(apr_pstrcat(bkm_test_pool, token, "\n.x",
                                            NULL),
                                strlen(token), "rsa1"));
    ck_assert_str_eq(verify_n(token, strlen(token) - 1, "rsa1"),
                     "signature: not valid base64url (impossible length)");
}
END_TEST

START_TEST(oversized)
{
    static const char head[] = "{\"alg\":\"RS256\",\"kid\":\"";
    const char *token = NULL, *payload = NULL, *big;
    apr_size_t k = 0, len = 0;
    char *kid, *junk;
    int a;

    /* A valid receipt of exactly BKM_LAGRINGSKVITTERING_MAX bytes, grown with kid
     * (and arkivreferanse, since base64url has no length 4k+1).  The
     * lengths are worked out first: unpadded base64url of n bytes has
     * (4n + 2) / 3 characters, an RSA-2048 signature 342. */
    for (a = 1; a <= 4 && len != BKM_LAGRINGSKVITTERING_MAX; a++) {
        payload = good_with("arkivreferanse", repeat("x", a));
        for (k = 11000; k < 12500; k++) {
            len = (4 * (sizeof(head) - 1 + k + 2) + 2) / 3 + 1
                  + strlen(b64s(payload)) + 1 + 342;
            if (len == BKM_LAGRINGSKVITTERING_MAX) {
                break;
            }
        }
    }
    ck_assert_int_eq(len, BKM_LAGRINGSKVITTERING_MAX);
    kid = apr_palloc(bkm_test_pool, sizeof(head) + k + 2);
    memcpy(kid, head, sizeof(head) - 1);
    memset(kid + sizeof(head) - 1, 'k', k);
    memcpy(kid + sizeof(head) - 1 + k, "\"}", 3);
    token = jws(kid, payload, "rsa1", "RS");
    ck_assert_ptr_nonnull(token);
    ck_assert_int_eq(strlen(token), BKM_LAGRINGSKVITTERING_MAX);
    ACCEPTED(token, "rsa1");

    big = apr_pstrcat(bkm_test_pool, "A", token, NULL);
    REFUSED(big, "rsa1", "the stored-receipt is larger than 16384 bytes");
    junk = apr_palloc(bkm_test_pool, 1 << 20);
    memset(junk, 'A', 1 << 20);
    ck_assert_str_eq(verify_n(junk, 1 << 20, "rsa1"),
                     "the stored-receipt is larger than 16384 bytes");
}
END_TEST

/* ---- the payload ---- */

START_TEST(payload_required)
{
    static const char *const required[] = { "meldingId",
                                            "bekymringsmeldingId", "sha256",
                                            "arkivreferanse", NULL };
    int i;

    for (i = 0; required[i]; i++) {
        PAYLOAD_REFUSED(good_with(required[i], NULL),
                        apr_pstrcat(bkm_test_pool, "payload: ", required[i],
                                    " is missing", NULL));
        PAYLOAD_REFUSED(good_with(required[i], "null"),
                        apr_pstrcat(bkm_test_pool, "payload: ", required[i],
                                    " must be a string", NULL));
        PAYLOAD_REFUSED(good_with(required[i], "42"),
                        apr_pstrcat(bkm_test_pool, "payload: ", required[i],
                                    " must be a string", NULL));
    }
    PAYLOAD_REFUSED("{}", "payload: meldingId is missing");
    PAYLOAD_REFUSED("[]", "payload: not a JSON object");
    PAYLOAD_REFUSED("\"" SHA "\"", "payload: not valid JSON");
    PAYLOAD_REFUSED(GOOD "x", "payload: not valid JSON");
}
END_TEST

START_TEST(payload_unknown_member)
{
    const char *unknown =
        "payload: unknown member (allowed: meldingId, "
        "bekymringsmeldingId, sha256, arkivreferanse, "
        "lagret, versjon, besittelsesbevis)";

    PAYLOAD_REFUSED(good_with("kommentar", "\"x\""), unknown);
    PAYLOAD_REFUSED(good_with("meldingid", "\"" MID "\""), unknown);
    PAYLOAD_REFUSED(good_with("Lagret", "\"2025-03-04T09:15:02Z\""), unknown);
    /* even when something required is missing too */
    PAYLOAD_REFUSED("{\"x\":1}", unknown);
}
END_TEST

/* Versjon 2 (schema/lagringskvittering/v2.md): the proof's form here, its
 * value in api/kontroll.c. */
#define BEVIS "\"" SHA "\""
START_TEST(payload_versjon)
{
    const char *v2 = apr_pstrcat(bkm_test_pool,
                                 "{\"versjon\":2,"
                                 "\"besittelsesbevis\":" BEVIS ",",
                                 GOOD + 1, NULL);

    PAYLOAD_ACCEPTED(GOOD);
    ck_assert_int_eq(got.versjon, 1);
    ck_assert_ptr_null(got.besittelsesbevis);
    PAYLOAD_ACCEPTED(v2);
    ck_assert_int_eq(got.versjon, 2);
    ck_assert_str_eq(got.besittelsesbevis, SHA);
    PAYLOAD_ACCEPTED(good_with("versjon", "1"));
    ck_assert_int_eq(got.versjon, 1);
    PAYLOAD_REFUSED(good_with("versjon", "2"),
                    "payload: besittelsesbevis "
                    "is missing (required in versjon 2)");
    PAYLOAD_REFUSED(good_with("besittelsesbevis", BEVIS),
                    "payload: "
                    "besittelsesbevis belongs to versjon 2 (add "
                    "\"versjon\": 2)");
    PAYLOAD_REFUSED(good_with("versjon", "\"2\""),
                    "payload: versjon must be the integer 1 or 2");
    PAYLOAD_REFUSED(good_with("versjon", "2.0"),
                    "payload: versjon must be the integer 1 or 2");
    PAYLOAD_REFUSED(good_with("versjon", "3"),
                    "payload: versjon must be the integer 1 or 2");
    PAYLOAD_REFUSED(apr_pstrcat(bkm_test_pool,
                                "{\"versjon\":2,"
                                "\"besittelsesbevis\":\"AB\",",
                                GOOD + 1, NULL),
                    "payload: besittelsesbevis must be 64 lower-case hex "
                    "digits");
    PAYLOAD_REFUSED(apr_pstrcat(bkm_test_pool,
                                "{\"versjon\":2,"
                                "\"besittelsesbevis\":2,",
                                GOOD + 1, NULL),
                    "payload: besittelsesbevis must be a string");
}
END_TEST

START_TEST(payload_uuid)
{
    static const char *const bad[] = {
        "\"6f1e2d3c4b5a49878a6b5c4d3e2f1a0b\"",
        "\"{6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b}\"",
        "\"urn:uuid:6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b\"",
        "\"6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0\"",
        "\"6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0bb\"",
        "\"6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0g\"",
        "\"6f1e2d3c-4b5a4-987-8a6b-5c4d3e2f1a0b\"",
        "\" 6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b\"",
        "\"\"",
        NULL
    };
    int i;

    for (i = 0; bad[i]; i++) {
        PAYLOAD_REFUSED(good_with("meldingId", bad[i]),
                        "payload: meldingId must be a UUID (8-4-4-4-12 hex "
                        "digits)");
    }
    PAYLOAD_REFUSED(good_with("bekymringsmeldingId", bad[2]),
                    "payload: bekymringsmeldingId must be a UUID "
                    "(8-4-4-4-12 hex digits)");
    PAYLOAD_ACCEPTED(good_with("bekymringsmeldingId",
                               "\"0A1B2C3D-4E5F-4A6B-"
                               "9C8D-7E6F5A4B3C2D\""));
    ck_assert_str_eq(got.bekymringsmelding_id, BID);
}
END_TEST

START_TEST(payload_sha256)
{
    const char *msg = "payload: sha256 must be 64 lower-case hex digits";

    PAYLOAD_REFUSED(good_with("sha256",
                              "\"9F86D081884C7D659A2FEAA0C55AD015"
                              "A3BF4F1B2B0B822CD15D6C15B0F00A08\""),
                    msg);
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"9f86d081884c7d659a2feaa0c55ad015"
                              "a3bf4f1b2b0b822cd15d6c15b0f00a0F\""),
                    msg);
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"9f86d081884c7d659a2feaa0c55ad015"
                              "a3bf4f1b2b0b822cd15d6c15b0f00a0\""),
                    msg);
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"9f86d081884c7d659a2feaa0c55ad015"
                              "a3bf4f1b2b0b822cd15d6c15b0f00a088\""),
                    msg);
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"9f86d081884c7d659a2feaa0c55ad015"
                              "a3bf4f1b2b0b822cd15d6c15b0f00a0g\""),
                    msg);
    /* the Repr-Digest form (base64) is not the payload form */
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V"
                              "1sFbDwCgg=\""),
                    msg);
    PAYLOAD_REFUSED(good_with("sha256",
                              "\"sha-256=:n4bQgYhMfWWaL+qgxVrQFaO/"
                              "TxsrC4Is0V1sFbDwCgg=:\""),
                    msg);
}
END_TEST

START_TEST(payload_arkivreferanse)
{
    const char *ctl =
        "payload: arkivreferanse must not contain control "
        "characters";

    /* 200 characters of two bytes each are 200, not 400 */
    PAYLOAD_ACCEPTED(good_with("arkivreferanse", repeat("\xc3\xb8", 200)));
    ck_assert_int_eq(strlen(got.arkivreferanse), 400);
    PAYLOAD_ACCEPTED(good_with("arkivreferanse", repeat("x", 200)));
    PAYLOAD_ACCEPTED(good_with("arkivreferanse",
                               "\"\\u00e6 \\ud83d\\ude00\""));
    ck_assert_str_eq(got.arkivreferanse, "\xc3\xa6 \xf0\x9f\x98\x80");
    PAYLOAD_REFUSED(good_with("arkivreferanse", repeat("x", 201)),
                    "payload: arkivreferanse must be at most 200 characters");
    PAYLOAD_REFUSED(good_with("arkivreferanse", repeat("\xc3\xb8", 201)),
                    "payload: arkivreferanse must be at most 200 characters");
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"\""),
                    "payload: arkivreferanse must not be empty");
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\t1\""), ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\n1\""), ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\u001f1\""), ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\u007f1\""), ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\u00851\""), ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse",
                              "\"2025\xc2\x9f"
                              "1\""),
                    ctl);
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"2025\\u0000\""),
                    "payload: not valid JSON");
    /* not UTF-8: Latin-1, an overlong '/', a surrogate, a cut sequence */
    PAYLOAD_REFUSED(good_with("arkivreferanse",
                              "\"Bl\xe5"
                              "b\xe6r\""),
                    "payload: not valid UTF-8");
    PAYLOAD_REFUSED(good_with("arkivreferanse",
                              "\"a\xc0\xaf"
                              "b\""),
                    "payload: not valid UTF-8");
    PAYLOAD_REFUSED(good_with("arkivreferanse",
                              "\"a\xed\xa0\x80"
                              "b\""),
                    "payload: not valid UTF-8");
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"a\xe2\x82\""),
                    "payload: not valid UTF-8");
    /* a lone surrogate escape is no character either */
    PAYLOAD_REFUSED(good_with("arkivreferanse", "\"a\\ud83d\""),
                    "payload: not valid JSON");
}
END_TEST

START_TEST(payload_lagret)
{
    static const char *const good[] = { "2025-03-04T09:15:02Z",
                                        "2025-03-04T09:15:02+01:00",
                                        "2025-03-04T09:15:02.123-00:00",
                                        "2024-02-29T23:59:59.123456789Z",
                                        "2016-12-31T23:59:60Z",
                                        "2000-02-29T00:00:00+14:00",
                                        NULL };
    static const char *const bad[] = { "2025-03-04T09:15:02",
                                       "2025-03-04 09:15:02Z",
                                       "2025-03-04t09:15:02Z",
                                       "2025-03-04T09:15:02z",
                                       "2025-03-04",
                                       "2025-3-4T09:15:02Z",
                                       "2025-02-29T09:15:02Z",
                                       "1900-02-29T09:15:02Z",
                                       "2025-04-31T09:15:02Z",
                                       "2025-13-01T09:15:02Z",
                                       "2025-00-01T09:15:02Z",
                                       "2025-03-00T09:15:02Z",
                                       "2025-03-04T24:00:00Z",
                                       "2025-03-04T09:60:02Z",
                                       "2025-03-04T09:15:61Z",
                                       "2025-03-04T09:15:02+0100",
                                       "2025-03-04T09:15:02+01",
                                       "2025-03-04T09:15:02+24:00",
                                       "2025-03-04T09:15:02.Z",
                                       "2025-03-04T09:15:02.1234567890Z",
                                       "2025-03-04T09:15:02Z ",
                                       "2025-03-04T09:15:02ZZ",
                                       "+2025-03-04T09:15:02Z",
                                       "",
                                       NULL };
    const char *msg =
        "payload: lagret must be an RFC 3339 date-time with an "
        "offset or Z (e.g. 2025-03-01T12:00:00+01:00)";
    int i;

    for (i = 0; good[i]; i++) {
        PAYLOAD_ACCEPTED(good_with("lagret",
                                   apr_pstrcat(bkm_test_pool, "\"", good[i],
                                               "\"", NULL)));
        ck_assert_str_eq(got.lagret, good[i]);
    }
    for (i = 0; bad[i]; i++) {
        PAYLOAD_REFUSED(good_with("lagret", apr_pstrcat(bkm_test_pool, "\"",
                                                        bad[i], "\"", NULL)),
                        msg);
    }
    PAYLOAD_REFUSED(good_with("lagret", "null"),
                    "payload: lagret must be a string");
    PAYLOAD_REFUSED(good_with("lagret", "1741076102"),
                    "payload: lagret must be a string");
}
END_TEST

START_TEST(messages_never_quote)
{
    /* Every kind of refusal with the value in play; none may echo it. */
    const char *payloads[] = { good_with("arkivreferanse", repeat(ARK, 10)),
                               good_with("arkivreferanse",
                                         "\"" ARK "\\u0007\""),
                               good_with("arkivreferanse", "\"" ARK "\xff\""),
                               good_with("sha256", "\"" ARK "\""),
                               good_with("meldingId", "\"" ARK "\""),
                               good_with("lagret", "\"" ARK "\""),
                               good_with(ARK, "\"" ARK "\""),
                               GOOD ",\"" ARK "\"",
                               NULL };
    const char *errs[16];
    int i, n = 0;

    for (i = 0; payloads[i]; i++) {
        errs[n++] = verify(jws(HDR_RS, payloads[i], "rsa1", "RS"), "rsa1");
    }
    errs[n++] = verify(jws(HDR_RS, GOOD, "rsa2", "RS"), "rsa1");
    errs[n++] = verify(jws("{\"alg\":\"" ARK "\"}", GOOD, "rsa1", "RS"),
                       "rsa1");
    errs[n++] = verify(jws("{\"alg\":\"RS256\",\"" ARK "\":1}", GOOD, "rsa1",
                           "RS"),
                       "rsa1");
    errs[n++] = verify(jws("{\"alg\":\"RS256\",\"typ\":\"" ARK "\"}", GOOD,
                           "rsa1", "RS"),
                       "rsa1");
    errs[n++] = verify(jws("{\"alg\":\"RS256\",\"kid\":\"" ARK "\"", GOOD,
                           "rsa1", "RS"),
                       "rsa1");
    for (i = 0; i < n; i++) {
        ck_assert_msg(errs[i] != NULL, "case %d accepted", i);
        ck_assert_msg(strstr(errs[i], "ARKIVREF") == NULL
                          && strstr(errs[i], "SECRET") == NULL,
                      "case %d quotes the input: %s", i, errs[i]);
    }
}
END_TEST

/* ---- the schemas agree with the C rules ---- */

static const bkm_jsonschema_t *compile_schema(const char *name)
{
    bkm_jsonschema_set_t *set = bkm_jsonschema_set_make(bkm_test_pool);
    const bkm_jsonschema_t *s = NULL;
    const char *err = bkm_jsonschema_add_file(set, name,
                                              apr_pstrcat(bkm_test_pool,
                                                          SCHEMAS "/", name,
                                                          NULL));

    ck_assert_msg(err == NULL, "%s: %s", name, err);
    err = bkm_jsonschema_compile(set, name, &s);
    ck_assert_msg(err == NULL, "%s: %s", name, err);
    return s;
}

static int schema_valid(const bkm_jsonschema_t *s, const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    int ok;

    ck_assert_msg(j != NULL, "fixture: %s", e.text);
    ok = bkm_jsonschema_validate(s, j, bkm_test_pool, NULL);
    json_decref(j);
    return ok;
}

START_TEST(schema_agrees)
{
    const bkm_jsonschema_t *payload = compile_schema(
        "lagringskvittering."
        "schema.json");
    const bkm_jsonschema_t *header = compile_schema("header.schema.json");
    const struct {
        const char *json;
        int valid;
    } payloads[] = {
        { GOOD, 1 },
        { good_with("lagret", "\"2025-03-04T09:15:02.5+01:00\""), 1 },
        { good_with("meldingId", "\"6F1E2D3C-4B5A-4987-8A6B-5C4D3E2F1A0B\""),
          1 },
        { good_with("arkivreferanse", repeat("\xc3\xb8", 200)), 1 },
        { good_with("arkivreferanse", "\"a\\u00a0b\""), 1 },
        { good_with("arkivreferanse", repeat("\xc3\xb8", 201)), 0 },
        { good_with("arkivreferanse", "\"\""), 0 },
        { good_with("arkivreferanse", "\"a\\u0007\""), 0 },
        { good_with("arkivreferanse", "\"a\\u0085\""), 0 },
        { good_with("arkivreferanse", "\"a\\u007f\""), 0 },
        { good_with("sha256",
                    "\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B"
                    "822CD15D6C15B0F00A08\""),
          0 },
        { good_with("meldingId", "\"6f1e2d3c4b5a49878a6b5c4d3e2f1a0b\""), 0 },
        { good_with("bekymringsmeldingId", "\"x\""), 0 },
        { good_with("sha256", NULL), 0 },
        { good_with("arkivreferanse", NULL), 0 },
        { good_with("meldingId", NULL), 0 },
        { good_with("bekymringsmeldingId", NULL), 0 },
        { good_with("lagret", "\"2025-03-04T09:15:02\""), 0 },
        { good_with("lagret", "\"2025-03-04T09:15:02.1234567890Z\""), 0 },
        { good_with("lagret", "null"), 0 },
        { good_with("ekstra", "\"x\""), 0 },
        { NULL, 0 }
    };
    const struct {
        const char *json;
        int valid;
    } headers[] = {
        { HDR_RS, 1 },
        { HDR_PS, 1 },
        { "{\"alg\":\"RS256\",\"kid\":\"k\",\"typ\":\"" BKM_LAGRINGSKVITTERING_TYP
          "\"}",
          1 },
        { "{\"alg\":\"none\"}", 0 },
        { "{\"alg\":\"HS256\"}", 0 },
        { "{\"alg\":\"RS256\",\"crit\":[]}", 0 },
        { "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", 0 },
        { "{\"alg\":\"RS256\",\"kid\":1}", 0 },
        { "{\"alg\":\"RS256\",\"x5c\":[]}", 0 },
        { "{\"typ\":\"" BKM_LAGRINGSKVITTERING_TYP "\"}", 0 },
        { NULL, 0 }
    };
    int i, c;

    for (i = 0; payloads[i].json; i++) {
        c = verify(jws(HDR_RS, payloads[i].json, "rsa1", "RS"), "rsa1")
            == NULL;
        ck_assert_msg(c == payloads[i].valid, "C rules: payload %d", i);
        ck_assert_msg(schema_valid(payload, payloads[i].json) == c,
                      "schema and C differ on payload %d: %s", i,
                      payloads[i].json);
    }
    /* ES256 needs an EC key, so the header cases sign with the key that
     * suits their alg */
    for (i = 0; headers[i].json; i++) {
        c = verify(jws(headers[i].json, GOOD, "rsa1",
                       strstr(headers[i].json, "PS256") ? "PS" : "RS"),
                   "rsa1")
            == NULL;
        ck_assert_msg(c == headers[i].valid, "C rules: header %d", i);
        ck_assert_msg(schema_valid(header, headers[i].json) == c,
                      "schema and C differ on header %d: %s", i,
                      headers[i].json);
    }
    ck_assert(schema_valid(header, HDR_ES));
    ACCEPTED(jws(HDR_ES, GOOD, "ec", "ES"), "ec");
}
END_TEST

/* The README's recipe, as a vendor would paste it (the curl call left
 * out): sign, then check with the README's own openssl verification. */
static const char recipe[] =
    "b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }\n"
    "\n"
    "digest=$(openssl dgst -sha256 -r melding.cms | cut -c1-64)\n"
    "printf '{\"meldingId\":\"%s\",\"bekymringsmeldingId\":\"%s\","
    "\"sha256\":\"%s\",\"arkivreferanse\":\"%s\"}' \\\n"
    "    \"$MELDING_ID\" \"$BEKYMRINGSMELDING_ID\" \"$digest\" "
    "\"2025/01234-7\" > payload.json\n"
    "\n"
    "header=$(printf '%s' '{\"alg\":\"RS256\",\"typ\":"
    "\"bekymringsmelding-lagringskvittering+jws\"}' | b64url)\n"
    "payload=$(b64url < payload.json)\n"
    "signature=$(printf '%s.%s' \"$header\" \"$payload\" \\\n"
    "            | openssl dgst -sha256 -sign kvittering.key | b64url)\n"
    "printf '%s.%s.%s' \"$header\" \"$payload\" \"$signature\" "
    "> kvittering.jws\n"
    "\n"
    "cut -d. -f1,2 kvittering.jws | tr -d '\\n' > signed.txt\n"
    "cut -d. -f3 kvittering.jws | tr -- '-_' '+/' \\\n"
    "    | awk '{ while (length($0) % 4) $0 = $0 \"=\"; print }' \\\n"
    "    | openssl base64 -d -A > signature.bin\n"
    "openssl x509 -in kvittering.pem -pubkey -noout > public.pem\n"
    "openssl dgst -sha256 -verify public.pem -signature signature.bin "
    "signed.txt\n";

/* The v2 schema says what the C rules say about versjon 2 payloads. */
START_TEST(schema_v2_agrees)
{
    const bkm_jsonschema_t *v2 = compile_schema(
        "lagringskvittering-v2."
        "schema.json");
    const char *pre = "{\"versjon\":2,\"besittelsesbevis\":";
    const struct {
        const char *json;
        int valid;
    } cases[] = {
        { apr_pstrcat(bkm_test_pool, pre, BEVIS ",", GOOD + 1, NULL), 1 },
        { apr_pstrcat(bkm_test_pool, pre, "\"AB\",", GOOD + 1, NULL), 0 },
        { apr_pstrcat(bkm_test_pool,
                      "{\"versjon\":\"2\","
                      "\"besittelsesbevis\":" BEVIS ",",
                      GOOD + 1, NULL),
          0 },
        { apr_pstrcat(bkm_test_pool,
                      "{\"versjon\":3,"
                      "\"besittelsesbevis\":" BEVIS ",",
                      GOOD + 1, NULL),
          0 },
        { good_with("versjon", "2"), 0 },
        { NULL, 0 }
    };
    int i;

    for (i = 0; cases[i].json; i++) {
        const char *err = verify(jws(HDR_RS, cases[i].json, "rsa1", "RS"),
                                 "rsa1");
        ck_assert_msg(schema_valid(v2, cases[i].json) == cases[i].valid,
                      "schema, case %d", i);
        ck_assert_msg((err == NULL) == cases[i].valid, "C, case %d: %s", i,
                      err ? err : "accepted");
    }
}
END_TEST

START_TEST(readme_recipe)
{
    static const char cms[] = "\x30\x80\x06\x09 not really CMS\n";
    const char *readme = bkm_test_slurp(SCHEMAS, "README.md", NULL);
    const char *token;
    char *line, *copy, *last;

    /* every line of the recipe is in the README as written */
    copy = apr_pstrdup(bkm_test_pool, recipe);
    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ck_assert_msg(strstr(readme, line) != NULL, "not in the README: %s",
                      line);
    }
    bkm_test_put(dir, "recipe.sh", recipe, sizeof(recipe) - 1);
    bkm_test_put(dir, "melding.cms", cms, sizeof(cms) - 1);
    ck_assert_int_eq(bkm_test_run("cd %s && cp rsa1.key kvittering.key && "
                                  "cp rsa1.pem kvittering.pem && "
                                  "MELDING_ID=" MID
                                  " BEKYMRINGSMELDING_ID=" BID
                                  " bash -e recipe.sh >/dev/null",
                                  dir),
                     0);
    token = bkm_test_slurp(dir, "kvittering.jws", NULL);
    ACCEPTED(token, "rsa2,rsa1");
    ck_assert_int_eq(got.cert_index, 1);
    ck_assert_str_eq(got.melding_id, MID);
    ck_assert_str_eq(got.arkivreferanse, "2025/01234-7");
    /* the digest of the bytes, as sha256sum sees them */
    ck_assert_int_eq(bkm_test_run("cd %s && sha256sum melding.cms | "
                                  "grep -q '^%s '",
                                  dir, got.sha256),
                     0);
}
END_TEST

Suite *bkm_suite_lagringskvittering(void)
{
    Suite *s = suite_create("receipt");
    TCase *tc = tcase_create("receipt");

    /* key generation and some 200 openssl runs */
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, rs256_valid);
    tcase_add_test(tc, ps256_valid);
    tcase_add_test(tc, es256_valid);
    tcase_add_test(tc, second_certificate);
    tcase_add_test(tc, wrong_key);
    tcase_add_test(tc, tampered_payload);
    tcase_add_test(tc, tampered_signature);
    tcase_add_test(tc, alg_none);
    tcase_add_test(tc, alg_hmac);
    tcase_add_test(tc, alg_key_mismatch);
    tcase_add_test(tc, header_members);
    tcase_add_test(tc, duplicate_members);
    tcase_add_test(tc, base64url_form);
    tcase_add_test(tc, segments);
    tcase_add_test(tc, oversized);
    tcase_add_test(tc, payload_required);
    tcase_add_test(tc, payload_unknown_member);
    tcase_add_test(tc, payload_versjon);
    tcase_add_test(tc, payload_uuid);
    tcase_add_test(tc, payload_sha256);
    tcase_add_test(tc, payload_arkivreferanse);
    tcase_add_test(tc, payload_lagret);
    tcase_add_test(tc, messages_never_quote);
    tcase_add_test(tc, schema_agrees);
    tcase_add_test(tc, schema_v2_agrees);
    tcase_add_test(tc, readme_recipe);
    suite_add_tcase(s, tc);
    return s;
}
