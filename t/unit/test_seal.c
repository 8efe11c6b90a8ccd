/* SPDX-License-Identifier: Apache-2.0 */
/* A report sealed for its recipients (bkm_seal): each copy is opened by
 * an independent decrypter, `openssl cms -decrypt`, with its recipient's
 * key and only with it, and holds what that recipient gets -- the signed
 * ASiC-E container for a case system, the PDF for manual download and
 * for the print provider -- in the district's choice of encryption. */
#include "unit.h"
#include "bkm_seal.h"
#include "bkm_asice.h"
#include "bkm_sertifikat.h"

#include <stdio.h>
#include <string.h>
#include <apr_strings.h>

#define PDF_LEN (20 * 1024)

static char dir[512]; /* <test dir>/seal */
static const char json[] = "{\"melding\": \"Bekymring for Ola (7 år)\"}";
static unsigned char pdf[PDF_LEN];
static bkm_cert_t fag, manuell, print;

static const char *path(const char *name)
{
    return apr_pstrcat(bkm_test_pool, dir, "/", name, NULL);
}

static void make_fixtures(void)
{
    static apr_pool_t *pool; /* the certificates' text, for the run */
    const char *const names[] = { "portal", "fag", "manuell", "print", NULL };
    int i;

    if (pool) {
        return;
    }
    apr_pool_create(&pool, NULL);
    snprintf(dir, sizeof(dir), "%s/seal", bkm_test_dir());
    bkm_test_make_certs(dir, names);
    fag.pem = apr_pstrdup(pool, bkm_test_slurp(dir, "fag.pem", NULL));
    manuell.pem = apr_pstrdup(pool, bkm_test_slurp(dir, "manuell.pem", NULL));
    print.pem = apr_pstrdup(pool, bkm_test_slurp(dir, "print.pem", NULL));
    /* A "PDF" of binary bytes, NULs and line ends included. */
    for (i = 0; i < PDF_LEN; i++) {
        pdf[i] = (unsigned char)(((unsigned)i * 2654435761u) >> 11);
    }
    memcpy(pdf, "%PDF-1.7\r\n\0\n", 13);
    bkm_asice_init();
}

static void setup(void)
{
    bkm_test_pool_setup();
    make_fixtures();
}

static const bkm_signer_t *portal(void)
{
    bkm_signer_t *s = NULL;
    const char *err = bkm_signer_load(&s, bkm_test_pool, path("portal.pem"),
                                      path("portal.key"));

    ck_assert_msg(err == NULL, "%s", err);
    return s;
}

static bkm_bydel_t district(bkm_kanal_e kanal, int gcm)
{
    bkm_bydel_t b;

    memset(&b, 0, sizeof(b));
    b.nummer = "01";
    b.navn = "Gamle Oslo";
    b.kanal = kanal;
    b.gcm = gcm;
    b.cert_fagsystem = kanal == BKM_KANAL_FAGSYSTEM ? &fag : NULL;
    b.cert_manuell = kanal == BKM_KANAL_MANUELL ? &manuell : NULL;
    b.cert_print = &print;
    return b;
}

/* Store a sealed copy as NAME.cms; check its CMS content type. */
static void put_sealed(const bkm_sealed_t *s, const char *name, int gcm)
{
    const char *cms = apr_pstrcat(bkm_test_pool, name, ".cms", NULL);
    const char *txt = apr_pstrcat(bkm_test_pool, name, ".txt", NULL);
    const char *printed;

    ck_assert_ptr_nonnull(s->data);
    ck_assert_uint_gt(s->len, 0);
    /* Nothing readable of the report in it. */
    ck_assert(memmem(s->data, s->len, "Bekymring for", 13) == NULL);
    ck_assert(memmem(s->data, s->len, "%PDF", 4) == NULL);
    bkm_test_put(dir, cms, s->data, s->len);
    ck_assert_int_eq(bkm_test_run("openssl cms -cmsout -print -inform DER "
                                  "-in %s > %s",
                                  path(cms), path(txt)),
                     0);
    printed = bkm_test_slurp(dir, txt, NULL);
    ck_assert_msg(strstr(printed, gcm ? "contentType: "
                                        "id-smime-ct-authEnvelopedData"
                                      : "contentType: pkcs7-envelopedData"),
                  "%s is not %s", name,
                  gcm ? "AuthEnvelopedData" : "EnvelopedData");
}

/* Decrypt NAME.cms with KEY's key and certificate into NAME.out. */
static int decrypt(const char *name, const char *key)
{
    return bkm_test_run(
        "openssl cms -decrypt -binary -inform DER -in "
        "%s/%s.cms -inkey %s/%s.key -recip %s/%s.pem "
        "-out %s/%s.out 2>/dev/null",
        dir, name, dir, key, dir, key, dir, name);
}

static void assert_pdf_for(const bkm_sealed_t *s, const char *mottaker,
                           const char *key, int gcm)
{
    const char *name = apr_pstrcat(bkm_test_pool, mottaker,
                                   gcm ? "-gcm" : "-cbc", NULL);

    ck_assert_str_eq(s->mottaker, mottaker);
    ck_assert_str_eq(s->innholdstype, "application/pdf");
    put_sealed(s, name, gcm);
    ck_assert_int_eq(decrypt(name, key), 0);
    bkm_test_same_as(dir, apr_pstrcat(bkm_test_pool, name, ".out", NULL), pdf,
                     PDF_LEN);
}

/* The case system's copy: the signed container, with the besittelse
 * document when there is one. */
static void assert_container_for_fag(const bkm_sealed_t *s, int gcm,
                                     const char *besittelse)
{
    const char *name = gcm ? "fag-gcm" : "fag-cbc";
    int rc;

    ck_assert_str_eq(s->mottaker, "fagsystem");
    ck_assert_str_eq(s->innholdstype, BKM_ASICE_MIMETYPE);
    put_sealed(s, name, gcm);
    ck_assert_int_eq(decrypt(name, "fag"), 0);
    rc = bkm_test_run(
        "rm -rf %s/x && mkdir %s/x && cd %s/x && unzip -q "
        "../%s.out",
        dir, dir, dir, name);
    ck_assert_int_eq(rc, 0);
    bkm_test_same_as(dir, "x/" BKM_ASICE_JSON, json, strlen(json));
    bkm_test_same_as(dir, "x/" BKM_ASICE_PDF, pdf, PDF_LEN);
    bkm_test_same_as(dir, "x/mimetype", BKM_ASICE_MIMETYPE,
                     strlen(BKM_ASICE_MIMETYPE));
    rc = bkm_test_run(
        "openssl cms -verify -binary -inform DER -in "
        "%s/x/" BKM_ASICE_SIGNATURE " -content %s/x/" BKM_ASICE_MANIFEST
        " -CAfile %s/portal.pem -purpose "
        "any -out /dev/null 2>/dev/null",
        dir, dir, dir);
    ck_assert_msg(rc == 0, "the portal's signature does not verify");
    if (besittelse) {
        bkm_test_same_as(dir, "x/" BKM_ASICE_BESITTELSE, besittelse,
                         strlen(besittelse));
    }
    else {
        ck_assert_int_ne(bkm_test_run("test -e %s/x/" BKM_ASICE_BESITTELSE,
                                      dir),
                         0);
    }
}

START_TEST(fagsystem)
{
    int gcm = _i;
    bkm_bydel_t b = district(BKM_KANAL_FAGSYSTEM, gcm);
    bkm_sealed_t out[BKM_SEAL_MAX];
    int n = -1;
    const char *err;

    memset(out, 0, sizeof(out));
    err = bkm_seal_report(bkm_test_pool, portal(), &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(n, 2);
    assert_container_for_fag(&out[0], gcm, NULL);
    assert_pdf_for(&out[1], "print", "print", gcm);
    /* Each copy opens for its own recipient only. */
    ck_assert_int_ne(decrypt(gcm ? "fag-gcm" : "fag-cbc", "print"), 0);
    ck_assert_int_ne(decrypt(gcm ? "print-gcm" : "print-cbc", "fag"), 0);
    ck_assert_int_ne(decrypt(gcm ? "print-gcm" : "print-cbc", "manuell"), 0);
}
END_TEST

START_TEST(manuell_kanal)
{
    int gcm = _i;
    bkm_bydel_t b = district(BKM_KANAL_MANUELL, gcm);
    bkm_sealed_t out[BKM_SEAL_MAX];
    int n = -1;
    const char *err;

    /* No signer is needed: nothing is signed for manual download. */
    err = bkm_seal_report(bkm_test_pool, NULL, &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(n, 2);
    assert_pdf_for(&out[0], "manuell", "manuell", gcm);
    assert_pdf_for(&out[1], "print", "print", gcm);
    ck_assert_int_ne(decrypt(gcm ? "manuell-gcm" : "manuell-cbc", "print"),
                     0);
    ck_assert_int_ne(decrypt(gcm ? "manuell-gcm" : "manuell-cbc", "fag"), 0);
}
END_TEST

START_TEST(besittelse)
{
    static const char doc[] = "{\"versjon\": 1, \"hemmelighet\": \"abc\"}";
    bkm_bydel_t b = district(BKM_KANAL_FAGSYSTEM, 1);
    bkm_sealed_t out[BKM_SEAL_MAX];
    int n = -1;
    const char *err;

    err = bkm_seal_report_besittelse(bkm_test_pool, portal(), &b,
                                     apr_time_now(), json, strlen(json), pdf,
                                     PDF_LEN, doc, strlen(doc), out, &n);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(n, 2);
    assert_container_for_fag(&out[0], 1, doc);
    /* Not in the print provider's copy, which is the PDF alone. */
    assert_pdf_for(&out[1], "print", "print", 1);
    /* For manual download it is ignored. */
    b = district(BKM_KANAL_MANUELL, 0);
    err = bkm_seal_report_besittelse(bkm_test_pool, NULL, &b, apr_time_now(),
                                     json, strlen(json), pdf, PDF_LEN, doc,
                                     strlen(doc), out, &n);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(n, 2);
    assert_pdf_for(&out[0], "manuell", "manuell", 0);
}
END_TEST

START_TEST(errors)
{
    bkm_bydel_t b = district(BKM_KANAL_FAGSYSTEM, 0);
    bkm_cert_t broken;
    bkm_sealed_t out[BKM_SEAL_MAX];
    int n = -1;
    const char *err;

    err = bkm_seal_report(bkm_test_pool, NULL, &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err && strstr(err, "BekymringPortalCertificate"), "%s",
                  err);
    ck_assert_int_eq(n, 0);
    /* A certificate that is none: the message says whose it is. */
    memset(&broken, 0, sizeof(broken));
    broken.pem =
        "-----BEGIN CERTIFICATE-----\nAAAA\n"
        "-----END CERTIFICATE-----\n";
    b.cert_print = &broken;
    err = bkm_seal_report(bkm_test_pool, portal(), &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err && strncmp(err, "sealing for print: ", 19) == 0, "%s",
                  err);
    b = district(BKM_KANAL_MANUELL, 1);
    b.cert_manuell = &broken;
    err = bkm_seal_report(bkm_test_pool, NULL, &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err && strncmp(err, "sealing for manuell: ", 21) == 0, "%s",
                  err);
    b = district(BKM_KANAL_FAGSYSTEM, 1);
    b.cert_fagsystem = &broken;
    err = bkm_seal_report(bkm_test_pool, portal(), &b, apr_time_now(), json,
                          strlen(json), pdf, PDF_LEN, out, &n);
    ck_assert_msg(err && strncmp(err, "sealing for fagsystem: ", 23) == 0,
                  "%s", err);
}
END_TEST

/* Key rotation (issue 16, item 5): a manual-download district with a
 * current certificate A (the "manuell" pair) and a next one B (the
 * "fag" pair) that overlap.  Before B starts, A seals; once B is valid it
 * does (the newest valid); after A expires, B; when none is valid, the
 * one that lasts longest (B).  Each copy opens with the
 * key of the certificate it names and not with the other. */
START_TEST(rotation)
{
    static const struct {
        int t;
        int b;
    } at[] = {
        { 1100, 0 }, { 1600, 1 }, { 2500, 1 }, { 500, 1 }, { 3500, 1 },
    };
    bkm_cert_t a = manuell, b2 = fag;
    apr_array_header_t *list = apr_array_make(bkm_test_pool, 2,
                                              sizeof(const bkm_cert_t *));
    bkm_bydel_t b = district(BKM_KANAL_MANUELL, 0);
    bkm_sealed_t out[BKM_SEAL_MAX];
    const char *err, *name;
    int n;

    a.not_before = apr_time_from_sec(1000);
    a.not_after = apr_time_from_sec(2000);
    b2.not_before = apr_time_from_sec(1500);
    b2.not_after = apr_time_from_sec(3000);
    APR_ARRAY_PUSH(list, const bkm_cert_t *) = &a;
    APR_ARRAY_PUSH(list, const bkm_cert_t *) = &b2;
    b.manuell_sertifikater = list;
    name = apr_psprintf(bkm_test_pool, "rot%d", _i);
    err = bkm_seal_report(bkm_test_pool, NULL, &b,
                          apr_time_from_sec(at[_i].t), json, strlen(json),
                          pdf, PDF_LEN, out, &n);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_eq(out[0].cert, at[_i].b ? &b2 : &a);
    ck_assert_ptr_eq(out[1].cert, &print);
    put_sealed(&out[0], name, 0);
    ck_assert_int_eq(decrypt(name, at[_i].b ? "fag" : "manuell"), 0);
    ck_assert_int_ne(decrypt(name, at[_i].b ? "manuell" : "fag"), 0);
}
END_TEST

Suite *bkm_suite_seal(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = tcase_create("seal");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_loop_test(tc, fagsystem, 0, 2);
    tcase_add_loop_test(tc, manuell_kanal, 0, 2);
    tcase_add_test(tc, besittelse);
    tcase_add_test(tc, errors);
    tcase_add_loop_test(tc, rotation, 0, 5);
    suite_add_tcase(s, tc);
    return s;
}
