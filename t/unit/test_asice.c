/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ASiC-E container, checked with tools that share no code with the
 * builder's zip writer or signer: unzip for the layout and contents, the raw
 * bytes for the mimetype rule, xmllint for the manifest, `openssl dgst` for
 * its digests, `openssl cms -verify` for the signature, and finally the
 * whole encrypt -> `openssl cms -decrypt` -> unzip round trip.
 */
#include "unit.h"
#include "bkm_asice.h"
#include "bkm_cms.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#define JSON_LEN (3 * 1024)
#define PDF_LEN (60 * 1024)

static char dir[512]; /* <test dir>/asice */
static char json[JSON_LEN + 1];
static unsigned char pdf[PDF_LEN];
static bkm_signer_t *signer; /* lives in the suite's own pool */
static apr_pool_t *suite_pool;

static const char *path(const char *name)
{
    return apr_pstrcat(bkm_test_pool, dir, "/", name, NULL);
}

/* A command's standard output, without the trailing newline. */
static const char *output(const char *cmd)
{
    char *s;
    apr_size_t n;

    ck_assert_msg(bkm_test_run("%s > %s", cmd, path("out.txt")) == 0,
                  "failed: %s", cmd);
    s = bkm_test_slurp(dir, "out.txt", &n);
    while (n > 0 && s[n - 1] == '\n') {
        s[--n] = '\0';
    }
    return s;
}

static void make_fixtures(void)
{
    static const char words[] =
        "Blåbærsyltetøy på Ærø, Čáhppes Đuottar "
        "Ŋálla Šiellá Ŧ Žž «sitat» – ";
    const char *const names[] = { "portal", "fag", NULL };
    const char *err;
    apr_size_t n, w = sizeof(words) - 1;
    int i;

    if (signer) {
        return;
    }
    snprintf(dir, sizeof(dir), "%s/asice", bkm_test_dir());
    bkm_test_make_certs(dir, names);
    /* 3 KB of JSON with Norwegian and Sami letters, and a 60 KB "PDF" of
     * incompressible bytes (real ones are mostly deflated streams). */
    n = (apr_size_t)snprintf(json, sizeof(json), "{\"melding\": \"");
    while (n + w + 3 <= JSON_LEN) {
        memcpy(json + n, words, w);
        n += w;
    }
    while (n + 2 < JSON_LEN) {
        json[n++] = 'x';
    }
    memcpy(json + n, "\"}", 3);
    ck_assert_int_eq(strlen(json), JSON_LEN);
    for (i = 0; i < PDF_LEN; i++) {
        pdf[i] = (unsigned char)(((unsigned)i * 2654435761u) >> 11);
    }
    memcpy(pdf, "%PDF-1.7\n", 9);
    memcpy(pdf + PDF_LEN - 6, "%%EOF\n", 6);

    apr_pool_create(&suite_pool, NULL);
    err = bkm_signer_load(&signer, suite_pool,
                          apr_pstrcat(suite_pool, dir, "/portal.pem", NULL),
                          apr_pstrcat(suite_pool, dir, "/portal.key", NULL));
    ck_assert_msg(err == NULL, "%s", err);
    bkm_asice_init();
}

static void setup(void)
{
    bkm_test_pool_setup();
    make_fixtures();
}

static void build(const char *name, const unsigned char **zip,
                  apr_size_t *len)
{
    const char *err = bkm_asice_build(bkm_test_pool, signer, json, JSON_LEN,
                                      pdf, PDF_LEN, zip, len);

    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_ptr_nonnull(*zip);
    bkm_test_put(dir, name, *zip, *len);
}

static unsigned le16(const unsigned char *b)
{
    return b[0] | (unsigned)b[1] << 8;
}

static unsigned long le32(const unsigned char *b)
{
    return le16(b) | (unsigned long)le16(b + 2) << 16;
}

START_TEST(layout)
{
    const unsigned char *zip;
    apr_size_t len;
    const char *listing, *line;

    build("c.asice", &zip, &len);

    /* The first local file header, byte by byte (APPNOTE 4.3.7). */
    ck_assert(len > 100);
    ck_assert_int_eq(le32(zip), 0x04034b50);
    ck_assert_int_eq(le16(zip + 6) & 0x0009, 0); /* no data descriptor,
                                                       not encrypted */
    ck_assert_int_eq(le16(zip + 8), 0);          /* STORED */
    ck_assert_int_eq(le32(zip + 18), 31);        /* compressed size */
    ck_assert_int_eq(le32(zip + 22), 31);        /* size */
    ck_assert_int_eq(le16(zip + 26), 8);         /* name length */
    ck_assert_int_eq(le16(zip + 28), 0);         /* no extra field */
    ck_assert(memcmp(zip + 30, "mimetype", 8) == 0);
    ck_assert(memcmp(zip + 38, "application/vnd.etsi.asic-e+zip", 31) == 0);
    ck_assert_int_eq(le32(zip + 69), 0x04034b50); /* next entry follows */

    ck_assert_str_eq(output(apr_psprintf(bkm_test_pool, "unzip -Z1 %s",
                                         path("c.asice"))),
                     "mimetype\n"
                     "bekymringsmelding.json\n"
                     "bekymringsmelding.pdf\n"
                     "META-INF/asicmanifest.xml\n"
                     "META-INF/signature.p7s");
    listing = output(apr_psprintf(bkm_test_pool, "unzip -v %s",
                                  path("c.asice")));
    line = strstr(listing, "Stored");
    ck_assert_msg(line
                      && strncmp(strchr(line, '\n') - 9, " mimetype", 9) == 0,
                  "mimetype is not the first, stored entry:\n%s", listing);
    ck_assert_msg(strstr(listing, "Defl"), "nothing deflated:\n%s", listing);
    /* unpacked, the report is readable by its owner only */
    ck_assert_str_eq(output(apr_psprintf(bkm_test_pool,
                                         "zipinfo %s | "
                                         "grep -c '^-rw------- '",
                                         path("c.asice"))),
                     "5");
    ck_assert_int_eq(bkm_test_run("unzip -tq %s >/dev/null", path("c.asice")),
                     0);

    ck_assert_int_eq(bkm_test_run("unzip -p %s bekymringsmelding.json > %s",
                                  path("c.asice"), path("j.out")),
                     0);
    bkm_test_same_as(dir, "j.out", json, JSON_LEN);
    ck_assert_int_eq(bkm_test_run("unzip -p %s bekymringsmelding.pdf > %s",
                                  path("c.asice"), path("p.out")),
                     0);
    bkm_test_same_as(dir, "p.out", pdf, PDF_LEN);
    ck_assert_int_eq(bkm_test_run("unzip -p %s mimetype > %s",
                                  path("c.asice"), path("m.out")),
                     0);
    bkm_test_same_as(dir, "m.out", BKM_ASICE_MIMETYPE, 31);
}
END_TEST

/* With the proof-of-possession secret: a sixth file, last, readable by
 * its owner only, and not in the manifest. */
START_TEST(besittelse)
{
    static const char doc[] = "{\"versjon\":1,\"hemmelighet\":\"ab\"}";
    const unsigned char *zip;
    apr_size_t len;
    const char *err;

    err = bkm_asice_build_besittelse(bkm_test_pool, signer, json, JSON_LEN,
                                     pdf, PDF_LEN, doc, sizeof(doc) - 1, &zip,
                                     &len);
    ck_assert_msg(err == NULL, "%s", err);
    bkm_test_put(dir, "b.asice", zip, len);
    ck_assert_str_eq(output(apr_psprintf(bkm_test_pool, "unzip -Z1 %s",
                                         path("b.asice"))),
                     "mimetype\n"
                     "bekymringsmelding.json\n"
                     "bekymringsmelding.pdf\n"
                     "META-INF/asicmanifest.xml\n"
                     "META-INF/signature.p7s\n" BKM_ASICE_BESITTELSE);
    ck_assert_str_eq(output(apr_psprintf(bkm_test_pool,
                                         "zipinfo %s | "
                                         "grep -c '^-rw------- '",
                                         path("b.asice"))),
                     "6");
    ck_assert_int_eq(bkm_test_run("unzip -p %s " BKM_ASICE_BESITTELSE " > %s",
                                  path("b.asice"), path("b.out")),
                     0);
    bkm_test_same_as(dir, "b.out", doc, sizeof(doc) - 1);
    ck_assert_int_eq(bkm_test_run("unzip -p %s META-INF/asicmanifest.xml "
                                  "| grep -q besittelse",
                                  path("b.asice")),
                     1);
}
END_TEST

static const char *xpath(const char *expr)
{
    return output(apr_psprintf(bkm_test_pool, "xmllint --xpath \"%s\" %s",
                               expr, path("m.xml")));
}

#define DOR(uri) "/*/*[local-name()='DataObjectReference'][@URI='" uri "']"

START_TEST(manifest)
{
    const unsigned char *zip;
    apr_size_t len;
    const char *xml;
    char *bad;

    build("c.asice", &zip, &len);
    ck_assert_int_eq(
        bkm_test_run("unzip -p %s META-INF/asicmanifest.xml > %s",
                     path("c.asice"), path("m.xml")),
        0);
    ck_assert_int_eq(bkm_test_run("xmllint --noout --nonet %s",
                                  path("m.xml")),
                     0);
    xml = bkm_test_slurp(dir, "m.xml", NULL);
    ck_assert_msg(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                          38)
                      == 0,
                  "%s", xml);

    ck_assert_str_eq(xpath("namespace-uri(/*)"),
                     "http://uri.etsi.org/02918/v1.2.1#");
    ck_assert_str_eq(xpath("local-name(/*)"), "ASiCManifest");
    ck_assert_str_eq(xpath("count(/*/*)"), "3");
    ck_assert_str_eq(xpath("local-name(/*/*[1])"), "SigReference");
    ck_assert_str_eq(xpath("namespace-uri(/*/*[1])"),
                     "http://uri.etsi.org/02918/v1.2.1#");
    ck_assert_str_eq(xpath("string(/*/*[1]/@URI)"), "META-INF/signature.p7s");
    ck_assert_str_eq(xpath("string(/*/*[1]/@MimeType)"),
                     "application/x-pkcs7-signature");
    ck_assert_str_eq(xpath("count(/*/*[local-name()='DataObjectReference'])"),
                     "2");
    ck_assert_str_eq(
        xpath("string(" DOR("bekymringsmelding.json") "/@MimeType)"),
        "application/json");
    ck_assert_str_eq(
        xpath("string(" DOR("bekymringsmelding.pdf") "/@MimeType)"),
        "application/pdf");
    ck_assert_str_eq(xpath("count(//*[namespace-uri()="
                           "'http://www.w3.org/2000/09/xmldsig#'])"),
                     "4");
    ck_assert_str_eq(
        xpath("string(" DOR(
            "bekymringsmelding.pdf") "/*[local-name()='DigestMethod']/@Algorithm)"),
        "http://www.w3.org/2001/04/xmlenc#sha256");

    /* The digests are those of the bytes in the zip, by openssl dgst. */
    bkm_test_put(dir, "j.in", json, JSON_LEN);
    bkm_test_put(dir, "p.in", pdf, PDF_LEN);
    ck_assert_str_eq(
        xpath("string(" DOR(
            "bekymringsmelding.json") "/*[local-name()='DigestValue'])"),
        output(apr_psprintf(bkm_test_pool,
                            "openssl dgst -sha256 -binary %s "
                            "| base64",
                            path("j.in"))));
    ck_assert_str_eq(
        xpath("string(" DOR(
            "bekymringsmelding.pdf") "/*[local-name()='DigestValue'])"),
        output(apr_psprintf(bkm_test_pool,
                            "openssl dgst -sha256 -binary %s "
                            "| base64",
                            path("p.in"))));

    /* The signature covers exactly the stored manifest. */
    ck_assert_int_eq(bkm_test_run("unzip -p %s META-INF/signature.p7s > %s",
                                  path("c.asice"), path("s.p7s")),
                     0);
    ck_assert_int_eq(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("s.p7s"), path("m.xml"), path("portal.pem")),
        0);
    ck_assert_int_ne(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("s.p7s"), path("m.xml"), path("fag.pem")),
        0);
    bad = apr_pstrdup(bkm_test_pool, xml);
    *strstr(bad, "bekymringsmelding.pdf") = 'B';
    bkm_test_put(dir, "m-bad.xml", bad, strlen(bad));
    ck_assert_int_ne(
        bkm_test_run("openssl cms -verify -binary -inform DER -in %s "
                     "-content %s -CAfile %s -purpose any -out /dev/null "
                     "2>/dev/null",
                     path("s.p7s"), path("m-bad.xml"), path("portal.pem")),
        0);
}
END_TEST

START_TEST(encrypted_round_trip)
{
    const unsigned char *zip, *der;
    apr_size_t len, der_len;
    const char *err, *cert = bkm_test_slurp(dir, "fag.pem", NULL);
    int gcm;

    build("c.asice", &zip, &len);
    for (gcm = 0; gcm <= 1; gcm++) {
        err = bkm_cms_encrypt(bkm_test_pool, cert, zip, len, gcm, &der,
                              &der_len);
        ck_assert_msg(err == NULL, "%s", err);
        ck_assert_ptr_null(bkm_cms_check_recipient(bkm_test_pool, der,
                                                   der_len, cert));
        bkm_test_put(dir, "c.cms", der, der_len);
        ck_assert_int_eq(
            bkm_test_run("openssl cms -decrypt -binary -inform DER "
                         "-in %s -inkey %s -recip %s -out %s",
                         path("c.cms"), path("fag.key"), path("fag.pem"),
                         path("d.asice")),
            0);
        bkm_test_same_as(dir, "d.asice", zip, len);
        ck_assert_int_eq(
            bkm_test_run("rm -rf %s && mkdir %s && cd %s && unzip -q %s",
                         path("x"), path("x"), path("x"), path("d.asice")),
            0);
        bkm_test_same_as(dir, "x/bekymringsmelding.json", json, JSON_LEN);
        bkm_test_same_as(dir, "x/bekymringsmelding.pdf", pdf, PDF_LEN);
        bkm_test_same_as(dir, "x/mimetype", BKM_ASICE_MIMETYPE, 31);
        ck_assert_int_eq(
            bkm_test_run("openssl cms -verify -binary -inform DER "
                         "-in %s -content %s -CAfile %s -purpose any "
                         "-out /dev/null 2>/dev/null",
                         path("x/META-INF/signature.p7s"),
                         path("x/META-INF/asicmanifest.xml"),
                         path("portal.pem")),
            0);
    }
}
END_TEST

START_TEST(errors)
{
    const unsigned char *zip = (const unsigned char *)"x";
    apr_size_t len = 1;
    const char *err;

    err = bkm_asice_build(bkm_test_pool, NULL, json, JSON_LEN, pdf, PDF_LEN,
                          &zip, &len);
    ck_assert_msg(err && strstr(err, "no signer"), "%s", err);
    ck_assert_ptr_null(zip);
    ck_assert_int_eq(len, 0);
    err = bkm_asice_build(bkm_test_pool, signer, json, 0, pdf, PDF_LEN, &zip,
                          &len);
    ck_assert_msg(err && strstr(err, "no JSON"), "%s", err);
    err = bkm_asice_build(bkm_test_pool, signer, json, JSON_LEN, NULL, 10,
                          &zip, &len);
    ck_assert_msg(err && strstr(err, "no PDF"), "%s", err);
}
END_TEST

/* Worker threads of one process build containers at once with one shared
 * signer, each in its own pool, as httpd's event MPM would. */
#define THREADS 4
#define PER_THREAD 25

typedef struct {
    const unsigned char *zip;
    apr_size_t len;
    const char *err;
} job_t;

static void *APR_THREAD_FUNC worker(apr_thread_t *t, void *data)
{
    job_t *job = data;
    apr_pool_t *p;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < PER_THREAD && !job->err; i++) {
        apr_pool_clear(p);
        job->err = bkm_asice_build(p, signer, json, JSON_LEN, pdf, PDF_LEN,
                                   &job->zip, &job->len);
    }
    /* malloc, not a shared pool: APR pools are not thread-safe */
    if (job->err) {
        job->err = strdup(job->err);
        job->zip = NULL;
    }
    else {
        unsigned char *copy = malloc(job->len);

        memcpy(copy, job->zip, job->len);
        job->zip = copy;
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(threads)
{
    apr_thread_t *t[THREADS];
    job_t jobs[THREADS];
    apr_status_t rv;
    int i;

    memset(jobs, 0, sizeof(jobs));
    for (i = 0; i < THREADS; i++) {
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, worker, &jobs[i],
                                           bkm_test_pool),
                         APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, t[i]);
    }
    for (i = 0; i < THREADS; i++) {
        ck_assert_msg(jobs[i].err == NULL, "thread %d: %s", i, jobs[i].err);
        bkm_test_put(dir, "t.asice", jobs[i].zip, jobs[i].len);
        free((void *)jobs[i].zip);
        ck_assert_int_eq(bkm_test_run("unzip -tq %s >/dev/null",
                                      path("t.asice")),
                         0);
        ck_assert_int_eq(
            bkm_test_run("unzip -p %s META-INF/signature.p7s > %s && "
                         "unzip -p %s META-INF/asicmanifest.xml > %s && "
                         "openssl cms -verify -binary -inform DER "
                         "-in %s -content %s -CAfile %s -purpose any "
                         "-out /dev/null 2>/dev/null",
                         path("t.asice"), path("t.p7s"), path("t.asice"),
                         path("t.xml"), path("t.p7s"), path("t.xml"),
                         path("portal.pem")),
            0);
    }
}
END_TEST

Suite *bkm_suite_asice(void)
{
    Suite *s = suite_create("asice");
    TCase *tc = tcase_create("asice");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_test(tc, layout);
    tcase_add_test(tc, besittelse);
    tcase_add_test(tc, manifest);
    tcase_add_test(tc, encrypted_round_trip);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, threads);
    suite_add_tcase(s, tc);
    return s;
}
