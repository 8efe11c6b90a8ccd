/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CMS: what bkm_cms produces is checked by an independent implementation,
 * the openssl CLI (decrypt, verify, and the printed ASN.1 structure), and
 * what the producer API accepts is tried with ciphertexts the CLI made.
 * Keys and certificates are made with the CLI in the test directory.
 */
#include "unit.h"
#include "bkm_cms.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <apr_strings.h>
#include <apr_time.h>
#include <apr_thread_proc.h>

#define PAYLOAD_LEN (100 * 1024)

static char dir[512]; /* <test dir>/cms */
static unsigned char payload[PAYLOAD_LEN];

static const char *path(const char *name)
{
    return apr_pstrcat(bkm_test_pool, dir, "/", name, NULL);
}

static void make_keys(void)
{
    static const char head[] =
        "{\"melding\": \"Bl\xc3\xa5"
        "b\xc3\xa6r\"}"
        "\r\n\n\r\0x";
    static int made;
    const char *const names[] = { "portal", "fag", "other", NULL };
    int i;

    if (made) {
        return;
    }
    snprintf(dir, sizeof(dir), "%s/cms", bkm_test_dir());
    bkm_test_make_certs(dir, names);
    /* A signer issued by a CA, its file carrying the CA certificate too,
     * and an EC certificate (not usable for RSAES-OAEP). */
    ck_assert_int_eq(
        bkm_test_run("cd %s && openssl req -x509 -newkey rsa:2048 "
                     "-nodes -days 30 -subj /CN=ca -keyout ca.key "
                     "-out ca.pem 2>/dev/null && openssl req -new "
                     "-newkey rsa:2048 -nodes -subj /CN=leaf "
                     "-keyout leaf.key -out leaf.csr 2>/dev/null && "
                     "openssl x509 -req -in leaf.csr -CA ca.pem "
                     "-CAkey ca.key -CAcreateserial -days 30 "
                     "-out leaf.pem 2>/dev/null && "
                     "cat leaf.pem ca.pem > leaf-chain.pem && "
                     "openssl req -x509 -newkey ec "
                     "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
                     "-subj /CN=ec -keyout ec.key -out ec.pem "
                     "2>/dev/null && openssl pkey -in portal.key "
                     "-aes256 -passout pass:x -out locked.key",
                     dir),
        0);
    /* Binary data with NULs, CR, LF and CRLF, which a text-mode path
     * would alter. */
    for (i = 0; i < PAYLOAD_LEN; i++) {
        payload[i] = (unsigned char)((i * 2654435761u) >> 13);
    }
    memcpy(payload, head, sizeof(head) - 1);
    made = 1;
}

static void setup(void)
{
    bkm_test_pool_setup();
    make_keys();
}

static const char *pem(const char *name)
{
    return bkm_test_slurp(dir, name, NULL);
}

static bkm_signer_t *portal(void)
{
    bkm_signer_t *s = NULL;
    const char *err = bkm_signer_load(&s, bkm_test_pool, path("portal.pem"),
                                      path("portal.key"));

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Encrypt the payload (or its first @p len bytes) to fag.pem. */
static void encrypt_to(const char *cert, apr_size_t len, int gcm,
                       const char *out)
{
    const unsigned char *der = NULL;
    apr_size_t der_len = 0;
    const char *err = bkm_cms_encrypt(bkm_test_pool, pem(cert), payload, len,
                                      gcm, &der, &der_len);

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert(der != NULL && der_len > len);
    ck_assert_int_eq(der[0], 0x30); /* a DER SEQUENCE */
    bkm_test_put(dir, out, der, der_len);
}

static int decrypt(const char *in, const char *key, const char *cert,
                   const char *out)
{
    return bkm_test_run(
        "openssl cms -decrypt -binary -inform DER -in %s -inkey %s "
        "%s%s -out %s 2>/dev/null",
        path(in), path(key), cert ? "-recip " : "", cert ? path(cert) : "",
        path(out));
}

static const char *print(const char *in)
{
    ck_assert_int_eq(
        bkm_test_run("openssl cms -cmsout -print -inform DER -in %s "
                     "> %s",
                     path(in), path("print.txt")),
        0);
    return bkm_test_slurp(dir, "print.txt", NULL);
}

/* The incumbent's key transport: RSAES-OAEP, hash SHA-256, MGF1 with
 * SHA-256, and no label parameter (the empty default). */
static void assert_oaep_sha256(const char *txt)
{
    const char *oaep = strstr(txt,
                              "algorithm: rsaesOaep "
                              "(1.2.840.113549.1.1.7)");
    const char *hash, *mgf1, *mgf1_hash;

    ck_assert_msg(oaep != NULL, "no rsaesOaep in:\n%s", txt);
    hash = strstr(oaep, "cont [ 0 ]");
    ck_assert_ptr_nonnull(hash);
    ck_assert_ptr_nonnull(strstr(hash, ":sha256"));
    mgf1 = strstr(oaep, ":mgf1");
    ck_assert_msg(mgf1 != NULL, "no mgf1");
    mgf1_hash = strstr(mgf1, ":sha256");
    ck_assert_ptr_nonnull(mgf1_hash);
    ck_assert_msg(mgf1_hash < strstr(oaep, "encryptedKey"),
                  "MGF1 hash is not SHA-256");
    ck_assert_msg(strstr(oaep, "cont [ 2 ]") == NULL,
                  "an explicit OAEP label parameter is present");
    ck_assert_ptr_null(strstr(txt, "sha1"));
}

START_TEST(encrypt_cbc)
{
    const char *txt;

    encrypt_to("fag.pem", PAYLOAD_LEN, 0, "cbc.cms");
    ck_assert_int_eq(decrypt("cbc.cms", "fag.key", "fag.pem", "cbc.out"), 0);
    bkm_test_same_as(dir, "cbc.out", payload, PAYLOAD_LEN);
    /* without -recip openssl tries the key on every recipient */
    ck_assert_int_eq(decrypt("cbc.cms", "fag.key", NULL, "cbc.out2"), 0);
    bkm_test_same_as(dir, "cbc.out2", payload, PAYLOAD_LEN);

    txt = print("cbc.cms");
    ck_assert_ptr_nonnull(strstr(txt,
                                 "contentType: pkcs7-envelopedData "
                                 "(1.2.840.113549.1.7.3)"));
    ck_assert_ptr_nonnull(strstr(txt,
                                 "algorithm: aes-256-cbc "
                                 "(2.16.840.1.101.3.4.1.42)"));
    ck_assert_ptr_nonnull(strstr(txt, "d.issuerAndSerialNumber"));
    ck_assert_ptr_nonnull(strstr(txt, "issuer: CN=fag"));
    assert_oaep_sha256(txt);

    ck_assert_int_ne(decrypt("cbc.cms", "other.key", "other.pem", "w.out"),
                     0);
    ck_assert_int_ne(decrypt("cbc.cms", "other.key", NULL, "w.out"), 0);
    ck_assert_int_ne(decrypt("cbc.cms", "other.key", "fag.pem", "w.out"), 0);
}
END_TEST

START_TEST(encrypt_gcm)
{
    const char *txt;
    unsigned char *der;
    apr_size_t len;

    encrypt_to("fag.pem", PAYLOAD_LEN, 1, "gcm.cms");
    ck_assert_int_eq(decrypt("gcm.cms", "fag.key", "fag.pem", "gcm.out"), 0);
    bkm_test_same_as(dir, "gcm.out", payload, PAYLOAD_LEN);

    txt = print("gcm.cms");
    ck_assert_ptr_nonnull(strstr(txt,
                                 "contentType: "
                                 "id-smime-ct-authEnvelopedData "
                                 "(1.2.840.113549.1.9.16.1.23)"));
    ck_assert_ptr_nonnull(strstr(txt,
                                 "algorithm: aes-256-gcm "
                                 "(2.16.840.1.101.3.4.1.46)"));
    assert_oaep_sha256(txt);

    ck_assert_int_ne(decrypt("gcm.cms", "other.key", "other.pem", "w.out"),
                     0);
    /* GCM authenticates: one flipped ciphertext bit is refused (the
     * content sits well before the 16-byte tag at the end). */
    der = (unsigned char *)bkm_test_slurp(dir, "gcm.cms", &len);
    der[len - 1000] ^= 0x01;
    bkm_test_put(dir, "gcm-bad.cms", der, len);
    ck_assert_int_ne(decrypt("gcm-bad.cms", "fag.key", "fag.pem", "w.out"),
                     0);
}
END_TEST

START_TEST(encrypt_small)
{
    /* An empty and a one-byte message round-trip too. */
    encrypt_to("fag.pem", 0, 0, "empty.cms");
    ck_assert_int_eq(decrypt("empty.cms", "fag.key", "fag.pem", "e.out"), 0);
    bkm_test_same_as(dir, "e.out", payload, 0);
    encrypt_to("fag.pem", 1, 1, "one.cms");
    ck_assert_int_eq(decrypt("one.cms", "fag.key", "fag.pem", "o.out"), 0);
    bkm_test_same_as(dir, "o.out", payload, 1);
}
END_TEST

START_TEST(encrypt_errors)
{
    const unsigned char *der = (const unsigned char *)"x";
    apr_size_t len = 1;
    const char *err;

    err = bkm_cms_encrypt(bkm_test_pool, "not a certificate", payload, 10, 0,
                          &der, &len);
    ck_assert_msg(err && strstr(err, "reading the PEM certificate"), "%s",
                  err);
    ck_assert_ptr_null(der);
    ck_assert_int_eq(len, 0);
    err = bkm_cms_encrypt(bkm_test_pool, NULL, payload, 10, 0, &der, &len);
    ck_assert_msg(err && strstr(err, "no certificate"), "%s", err);
    err = bkm_cms_encrypt(bkm_test_pool, pem("ec.pem"), payload, 10, 0, &der,
                          &len);
    ck_assert_msg(err && strstr(err, "RSA"), "%s", err);
    ck_assert_ptr_null(der);
}
END_TEST

START_TEST(sign_detached)
{
    const unsigned char *der = NULL;
    apr_size_t len = 0;
    const char *txt, *err;
    bkm_signer_t *s = portal();

    err = bkm_cms_sign_detached(bkm_test_pool, s, payload, PAYLOAD_LEN, &der,
                                &len);
    ck_assert_msg(err == NULL, "%s", err);
    bkm_test_put(dir, "sig.p7s", der, len);
    bkm_test_put(dir, "data", payload, PAYLOAD_LEN);
    ck_assert_int_eq(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("sig.p7s"), path("data"), path("portal.pem")),
        0);
    /* one changed byte, and a different trust anchor, both fail */
    payload[PAYLOAD_LEN / 2] ^= 0x20;
    bkm_test_put(dir, "data2", payload, PAYLOAD_LEN);
    payload[PAYLOAD_LEN / 2] ^= 0x20;
    ck_assert_int_ne(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("sig.p7s"), path("data2"), path("portal.pem")),
        0);
    ck_assert_int_ne(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("sig.p7s"), path("data"), path("other.pem")),
        0);

    txt = print("sig.p7s");
    ck_assert_ptr_nonnull(strstr(txt, "contentType: pkcs7-signedData"));
    ck_assert_ptr_nonnull(strstr(txt, "eContent: <ABSENT>")); /* detached */
    ck_assert_ptr_nonnull(strstr(strstr(txt, "signerInfos:"),
                                 "algorithm: sha256 "
                                 "(2.16.840.1.101.3.4.2.1)"));
    ck_assert_ptr_nonnull(strstr(txt, "sha256WithRSAEncryption"));
    ck_assert_ptr_nonnull(strstr(txt, "subject: CN=portal")); /* cert in */
    ck_assert_ptr_nonnull(strstr(txt, "object: contentType"));
    ck_assert_ptr_nonnull(strstr(txt, "object: signingTime"));
    ck_assert_ptr_nonnull(strstr(txt, "object: messageDigest"));
    ck_assert_ptr_nonnull(strstr(txt, "id-smime-aa-signingCertificateV2"));
    ck_assert_ptr_null(strstr(txt, "SMIMECapabilities"));
}
END_TEST

START_TEST(sign_with_chain)
{
    const unsigned char *der;
    apr_size_t len;
    bkm_signer_t *s = NULL;
    const char *err = bkm_signer_load(&s, bkm_test_pool,
                                      path("leaf-chain.pem"),
                                      path("leaf.key"));
    const char *txt;

    ck_assert_msg(err == NULL, "%s", err);
    err = bkm_cms_sign_detached(bkm_test_pool, s, "abc", 3, &der, &len);
    ck_assert_msg(err == NULL, "%s", err);
    bkm_test_put(dir, "leaf.p7s", der, len);
    bkm_test_put(dir, "abc", "abc", 3);
    ck_assert_int_eq(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("leaf.p7s"), path("abc"), path("ca.pem")),
        0);
    txt = print("leaf.p7s");
    ck_assert_ptr_nonnull(strstr(txt, "subject: CN=leaf"));
    ck_assert_ptr_nonnull(strstr(txt, "subject: CN=ca"));
}
END_TEST

START_TEST(signer_errors)
{
    bkm_signer_t *s = (bkm_signer_t *)1;
    const unsigned char *der;
    apr_size_t len;
    const char *err;

    err = bkm_signer_load(&s, bkm_test_pool, path("none.pem"),
                          path("portal.key"));
    ck_assert_msg(err && strstr(err, "none.pem"), "%s", err);
    ck_assert_ptr_null(s);
    err = bkm_signer_load(&s, bkm_test_pool, path("portal.key"),
                          path("portal.key"));
    ck_assert_msg(err && strstr(err, "reading the PEM certificate"), "%s",
                  err);
    err = bkm_signer_load(&s, bkm_test_pool, path("portal.pem"),
                          path("fag.key"));
    ck_assert_msg(err && strstr(err, "matching the key"), "%s", err);
    err = bkm_signer_load(&s, bkm_test_pool, path("portal.pem"),
                          path("locked.key"));
    ck_assert_msg(err && strstr(err, "must not be encrypted"), "%s", err);
    err = bkm_signer_load(&s, bkm_test_pool, path("portal.pem"),
                          path("none.key"));
    ck_assert_msg(err && strstr(err, "none.key"), "%s", err);
    ck_assert_ptr_null(s);
    err = bkm_cms_sign_detached(bkm_test_pool, NULL, "x", 1, &der, &len);
    ck_assert_msg(err && strstr(err, "no signer"), "%s", err);
}
END_TEST

static const char *check(const char *file, const char *cert)
{
    apr_size_t len;
    const char *der = bkm_test_slurp(dir, file, &len);

    return bkm_cms_check_recipient(bkm_test_pool, der, len, pem(cert));
}

#define NOT_FOR_US "not encrypted to the expected certificate"

START_TEST(check_recipient)
{
    const unsigned char *sig;
    apr_size_t len, siglen;
    const char *der, *err;
    char *copy;

    encrypt_to("fag.pem", 1000, 0, "r-cbc.cms");
    encrypt_to("fag.pem", 1000, 1, "r-gcm.cms");
    encrypt_to("other.pem", 1000, 0, "r-other.cms");
    ck_assert_ptr_null(check("r-cbc.cms", "fag.pem"));
    ck_assert_ptr_null(check("r-gcm.cms", "fag.pem"));
    ck_assert_str_eq(check("r-cbc.cms", "other.pem"), NOT_FOR_US);
    ck_assert_str_eq(check("r-other.cms", "fag.pem"), NOT_FOR_US);
    ck_assert_ptr_null(check("r-other.cms", "other.pem"));

    /* Ciphertexts from the CLI: the recipient named by
     * subjectKeyIdentifier, two recipients, PKCS#1 v1.5 key transport. */
    bkm_test_put(dir, "r.in", payload, 1000);
    ck_assert_int_eq(
        bkm_test_run("cd %s && openssl cms -encrypt -binary -aes-256-cbc "
                     "-in r.in -outform DER -out r-keyid.cms -keyid "
                     "-recip fag.pem -keyopt rsa_padding_mode:oaep && "
                     "openssl cms -encrypt -binary -aes-256-gcm "
                     "-in r.in -outform DER -out r-two.cms "
                     "other.pem fag.pem && "
                     "openssl cms -encrypt -binary -in r.in "
                     "-outform DER -out r-v15.cms fag.pem",
                     dir),
        0);
    print("r-keyid.cms");
    ck_assert_ptr_nonnull(strstr(bkm_test_slurp(dir, "print.txt", NULL),
                                 "d.subjectKeyIdentifier"));
    ck_assert_ptr_null(check("r-keyid.cms", "fag.pem"));
    ck_assert_str_eq(check("r-keyid.cms", "other.pem"), NOT_FOR_US);
    ck_assert_ptr_null(check("r-two.cms", "fag.pem"));
    ck_assert_ptr_null(check("r-two.cms", "other.pem"));
    ck_assert_str_eq(check("r-two.cms", "portal.pem"), NOT_FOR_US);
    ck_assert_ptr_null(check("r-v15.cms", "fag.pem"));

    /* Not enveloped: a SignedData, and a plain Data. */
    err = bkm_cms_sign_detached(bkm_test_pool, portal(), "x", 1, &sig,
                                &siglen);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, sig, siglen,
                                             pem("fag.pem")),
                     "not EnvelopedData");
    ck_assert_int_eq(bkm_test_run("cd %s && openssl cms -data_create -binary "
                                  "-in r.in -outform DER -out r-data.cms",
                                  dir),
                     0);
    ck_assert_str_eq(check("r-data.cms", "fag.pem"), "not EnvelopedData");

    /* Broken input. */
    der = bkm_test_slurp(dir, "r-cbc.cms", &len);
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, der, len - 1,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, der, len / 2,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, der, 2,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, der, 0,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, NULL, 10,
                                             pem("fag.pem")),
                     "not DER CMS");
    copy = apr_palloc(bkm_test_pool, len + 1);
    memcpy(copy, der, len);
    copy[len] = 0; /* one trailing byte */
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, copy, len + 1,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, payload, 4096,
                                             pem("fag.pem")),
                     "not DER CMS");
    ck_assert_str_eq(bkm_cms_check_recipient(bkm_test_pool, "%PDF-1.7", 8,
                                             pem("fag.pem")),
                     "not DER CMS");
    /* PEM-armoured CMS is not DER */
    ck_assert_int_eq(bkm_test_run("cd %s && openssl cms -cmsout -inform DER "
                                  "-in r-cbc.cms -outform PEM -out r-cbc.pem",
                                  dir),
                     0);
    ck_assert_str_eq(check("r-cbc.pem", "fag.pem"), "not DER CMS");

    /* A bad certificate is the caller's problem, and says so. */
    err = bkm_cms_check_recipient(bkm_test_pool, der, len, "junk");
    ck_assert_msg(err && strstr(err, "bad recipient certificate"), "%s", err);
}
END_TEST

/* Recipients' certificates are parsed once and kept (issue 17): the
 * same certificate again, from another copy of its text, another one in
 * between, and a damaged copy of a kept one (not taken from the cache),
 * each seals to the right key; threads seal to a kept one at once. */
typedef struct {
    const char *pem;
    int n;
    const char *err;
} seal_job_t;

static void *APR_THREAD_FUNC seal_job(apr_thread_t *t, void *arg)
{
    seal_job_t *job = arg;
    apr_pool_t *p;
    const unsigned char *der;
    apr_size_t len;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < 20 && !job->err; i++) {
        job->err = bkm_cms_encrypt(p, job->pem, payload, 1000, i & 1, &der,
                                   &len);
        job->n += !job->err;
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(kept_certificates)
{
    char *fag = apr_pstrdup(bkm_test_pool, pem("fag.pem")), *bad;
    const unsigned char *der;
    apr_size_t len;
    const char *err;
    apr_thread_t *t[4];
    seal_job_t job[4];
    apr_status_t rv;
    int i;

    encrypt_to("fag.pem", 1000, 0, "k1.cms");
    encrypt_to("other.pem", 1000, 0, "k2.cms");
    err = bkm_cms_encrypt(bkm_test_pool, fag, payload, 1000, 1, &der, &len);
    ck_assert_msg(err == NULL, "%s", err);
    bkm_test_put(dir, "k3.cms", der, len);
    ck_assert_int_eq(decrypt("k1.cms", "fag.key", "fag.pem", "k1.out"), 0);
    ck_assert_int_eq(decrypt("k2.cms", "other.key", "other.pem", "k2.out"),
                     0);
    ck_assert_int_ne(decrypt("k2.cms", "fag.key", "fag.pem", "k2.bad"), 0);
    ck_assert_int_eq(decrypt("k3.cms", "fag.key", "fag.pem", "k3.out"), 0);
    bkm_test_same_as(dir, "k3.out", payload, 1000);
    /* one letter of the base64 changed: the same length, not the same
     * certificate */
    bad = apr_pstrdup(bkm_test_pool, fag);
    bad[100] = bad[100] == 'A' ? 'B' : 'A';
    ck_assert_ptr_nonnull(bkm_cms_encrypt(bkm_test_pool, bad, payload, 10, 0,
                                          &der, &len));
    for (i = 0; i < 4; i++) {
        memset(&job[i], 0, sizeof(job[i]));
        job[i].pem = fag;
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, seal_job, &job[i],
                                           bkm_test_pool),
                         APR_SUCCESS);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&rv, t[i]);
        ck_assert_msg(job[i].err == NULL, "%s", job[i].err);
        ck_assert_int_eq(job[i].n, 20);
    }
}
END_TEST

Suite *bkm_suite_cms(void)
{
    Suite *s = suite_create("cms");
    TCase *tc = tcase_create("cms");

    /* key generation and ~40 openssl runs */
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, encrypt_cbc);
    tcase_add_test(tc, encrypt_gcm);
    tcase_add_test(tc, encrypt_small);
    tcase_add_test(tc, encrypt_errors);
    tcase_add_test(tc, sign_detached);
    tcase_add_test(tc, sign_with_chain);
    tcase_add_test(tc, signer_errors);
    tcase_add_test(tc, check_recipient);
    tcase_add_test(tc, kept_certificates);
    suite_add_tcase(s, tc);
    return s;
}
