/* SPDX-License-Identifier: Apache-2.0 */
/*
 * make bench: the cost of taking one report in, without HTTP or database:
 * validate a typical public report (about 3 KB of JSON), render its 2-page
 * PDF, build and sign the ASiC-E container, and seal it for the case
 * system and the print provider.  Prints medians over N runs (after one
 * warm-up) beside the target.
 *
 * It prepares the process as a child's child_init does (issue 17, item
 * 6): the heap's thresholds (bkm_heap_tune) and the PDF's fonts warmed
 * (bkm_pdf_warm), and prints what that took, the first report after it
 * beside the median, a first report in a new thread, and the page faults
 * per report (getrusage's minor faults over the timed runs).
 * Usage: bench_seal PKI_DIR [N]   (PKI_DIR from build/dev-tree)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_thread_proc.h>
#include <jansson.h>

#include "bkm_embedded.h"
#include "bkm_jsonschema.h"
#include "bkm_pdf.h"
#include "bkm_asice.h"
#include "bkm_cms.h"
#include "bkm_registry.h"
#include "bkm_heap.h"
#include "bkm_seal.h"

static const char *report_json =
    "{\"kommunenummer\":\"0301\",\"kommunenavn\":\"Oslo\",\"bydelsnummer\":\"01\","
    "\"bydelsnavn\":\"Gamle Oslo\",\"offentligMelder\":{\"personnavn\":"
    "\"Kari Nordmann\",\"rolle\":\"Helsesykepleier\",\"telefonnummer\":"
    "\"22 33 44 55\",\"epost\":\"kari@skole.example\",\"virksomhet\":{\"navn\":"
    "\"Grønland skole\",\"organisasjonsnummer\":\"974778874\",\"adresse\":"
    "{\"adresselinje1\":\"Tøyengata 1\",\"postnummer\":\"0190\",\"poststed\":"
    "\"Oslo\"},\"telefonnummer\":\"22 00 00 00\"}},\"offentligBarn\":[{\"fnr\":"
    "\"\",\"ufoedt\":false,\"personnavn\":\"Ola Barn\",\"adresse\":"
    "{\"adresselinje1\":\"Storgata 3\",\"postnummer\":\"0155\",\"poststed\":"
    "\"Oslo\"},\"orientert\":true}],\"foresatte\":[{\"personnavn\":"
    "\"Per Forelder\",\"adresse\":{\"adresselinje1\":\"Storgata 3\","
    "\"postnummer\":\"0155\",\"poststed\":\"Oslo\"},\"telefonnummer\":"
    "\"90000000\",\"orientert\":true}],\"melding\":{\"melding\":\"%s\","
    "\"historie\":\"%s\",\"andreSynspunkter\":\"Eleven sier selv at det er "
    "vanskelig hjemme.\"},\"behovForTolk\":\"Nei\",\"andreHjelpeinstanser\":"
    "\"PPT\",\"sendingstidspunkt\":\"2026-11-23T09:15:00\","
    "\"leveringskanal\":\"Fagsystem\"}";

/* One report, start to end, as the loop below does it (for the thread). */
typedef struct {
    const bkm_jsonschema_t *schema;
    json_t *report;
    bkm_signer_t *signer;
    const char *fag, *print;
    apr_interval_time_t took;
} one_t;

static void *APR_THREAD_FUNC one_report(apr_thread_t *th, void *arg)
{
    one_t *o = arg;
    apr_pool_t *p;
    const unsigned char *pdf, *zip, *der;
    apr_size_t pdf_len, zip_len, der_len;
    char *json;
    apr_time_t start = apr_time_now();

    apr_pool_create_unmanaged(&p);
    json = json_dumps(o->report, JSON_COMPACT);
    if (!bkm_jsonschema_validate(o->schema, o->report, p, NULL)
        || bkm_pdf_render(p, o->report,
                          "no.ks.fiks.bekymringsmelding.offentlig.v2",
                          "7K4Q-9XHT", &pdf, &pdf_len)
        || bkm_asice_build(p, o->signer, json, strlen(json), pdf, pdf_len,
                           &zip, &zip_len)
        || bkm_cms_encrypt(p, o->fag, zip, zip_len, 0, &der, &der_len)
        || bkm_cms_encrypt(p, o->print, pdf, pdf_len, 0, &der, &der_len)) {
        o->took = -1;
    }
    else {
        o->took = apr_time_now() - start;
    }
    free(json);
    apr_pool_destroy(p);
    return NULL;
}

static long minflt(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* CPU time in the kernel and in all, in microseconds. */
static void cpu_times(double *sys, double *all)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    *sys = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
    *all = *sys + ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec;
}

static int cmp(const void *a, const void *b)
{
    apr_interval_time_t x = *(const apr_interval_time_t *)a;
    apr_interval_time_t y = *(const apr_interval_time_t *)b;
    return x < y ? -1 : x > y;
}

static char *slurp(apr_pool_t *p, const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *s;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    rewind(f);
    s = apr_palloc(p, (apr_size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        exit(2);
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    apr_pool_t *root, *p;
    bkm_jsonschema_set_t *set;
    const bkm_jsonschema_t *schema;
    const bkm_embedded_t *e;
    bkm_signer_t *signer;
    const char *pki, *fag, *print, *err;
    apr_interval_time_t *t;
    json_t *report;
    char *text, *long_text, *history;
    int i, n;
    long faults = 0;
    double sys0 = 0, all0 = 0, sys1, all1;
    apr_time_t warm, warm_fonts;
    json_t *warm_report;
    unsigned int kits;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_seal PKI_DIR [N]\n");
        return 2;
    }
    pki = argv[1];
    n = argc > 2 ? atoi(argv[2]) : 200;
    apr_initialize();
    apr_pool_create(&root, NULL);
    /* what child_init does (report/mottak.c) */
    warm = apr_time_now();
    if (bkm_heap_tune() != 0) {
        fprintf(stderr, "mallopt refused the heap's thresholds\n");
    }
    bkm_asice_init();
    warm = apr_time_now() - warm;
    set = bkm_jsonschema_set_make(root);
    for (e = bkm_report_schemas; e->name; e++) {
        bkm_jsonschema_add(set, e->name, e->data, e->len);
    }
    if ((err = bkm_jsonschema_compile(set, "offentlig.v2.json", &schema))
        || (err = bkm_signer_load(&signer, root,
                                  apr_pstrcat(root, pki, "/portal.pem", NULL),
                                  apr_pstrcat(root, pki, "/portal.key",
                                              NULL)))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    fag = slurp(root, apr_pstrcat(root, pki, "/0301-01-fagsystem.pem", NULL));
    print = slurp(root, apr_pstrcat(root, pki, "/print.pem", NULL));
    long_text = apr_pstrdup(root, "");
    while (strlen(long_text) < 1800) {
        long_text = apr_pstrcat(root, long_text,
                                "Eleven har over tid virket "
                                "sliten og lei seg, og har fortalt om "
                                "krangling hjemme. ",
                                NULL);
    }
    history = apr_pstrdup(root,
                          "Skolen har hatt samtaler med foreldrene "
                          "to ganger i høst uten bedring.");
    text = apr_psprintf(root, report_json, long_text, history);
    report = json_loads(text, 0, NULL);
    if (!report) {
        fprintf(stderr, "bad bench report\n");
        return 1;
    }

    /* the rest of child_init (report/mottak.c), once the signer and the
     * schemas are loaded as post_config loads them */
    warm_fonts = apr_time_now();
    kits = bkm_pdf_warm(1);
    apr_pool_create(&p, root);
    warm_report = bkm_pdf_warm_report();
    for (e = bkm_report_schemas; e->name; e++) {
        const bkm_jsonschema_t *sc;

        if (!bkm_jsonschema_compile(set, e->name, &sc)) {
            bkm_jsonschema_validate(sc, warm_report, p, NULL);
        }
    }
    json_decref(warm_report);
    if ((err = bkm_seal_warm(p, signer, print))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    apr_pool_destroy(p);
    warm += apr_time_now() - warm_fonts;

    t = apr_palloc(root, sizeof(*t) * (apr_size_t)(n + 1) * 5);
    for (i = 0; i <= n; i++) {
        const unsigned char *pdf, *zip, *der;
        apr_size_t pdf_len, zip_len, der_len;
        char *json;
        apr_time_t start = apr_time_now();

        apr_time_t t1, t2, t3;

        if (i == 1) {
            faults = minflt();
            cpu_times(&sys0, &all0);
        }
        apr_pool_create(&p, root);
        if (!bkm_jsonschema_validate(schema, report, p, NULL)) {
            fprintf(stderr, "the bench report is not valid\n");
            return 1;
        }
        json = json_dumps(report, JSON_COMPACT);
        t1 = apr_time_now();
        if ((err = bkm_pdf_render(p, report,
                                  "no.ks.fiks.bekymringsmelding.offentlig.v2",
                                  "7K4Q-9XHT", &pdf, &pdf_len))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        t2 = apr_time_now();
        if ((err = bkm_asice_build(p, signer, json, strlen(json), pdf,
                                   pdf_len, &zip, &zip_len))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        t3 = apr_time_now();
        if ((err = bkm_cms_encrypt(p, fag, zip, zip_len, 0, &der, &der_len))
            || (err = bkm_cms_encrypt(p, print, pdf, pdf_len, 0, &der,
                                      &der_len))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        free(json);
        apr_pool_destroy(p);
        t[i] = apr_time_now() - start;
        t[(n + 1) + i] = t1 - start;              /* validate + serialise */
        t[2 * (n + 1) + i] = t2 - t1;             /* PDF */
        t[3 * (n + 1) + i] = t3 - t2;             /* container + signature */
        t[4 * (n + 1) + i] = apr_time_now() - t3; /* two CMS envelopes */
    }
    faults = minflt() - faults;
    cpu_times(&sys1, &all1);
    for (i = 0; i < 5; i++) {
        qsort(t + i * (n + 1) + 1, (size_t)n, sizeof(*t), cmp);
    }
    printf(
        "child_init's warm-up (heap, fonts for %u render%s, validator, "
        "seal): %.2f ms\n",
        kits, kits == 1 ? "" : "s", warm / 1000.0);
    printf(
        "first report in a process, after the warm-up: %.2f ms (the median "
        "below: %.2f ms)\n"
        "  of which: validate %.2f ms, PDF %.2f ms, ASiC-E + signature "
        "%.2f ms, CMS x2 %.2f ms\n",
        t[0] / 1000.0, t[1 + n / 2] / 1000.0, t[n + 1] / 1000.0,
        t[2 * (n + 1)] / 1000.0, t[3 * (n + 1)] / 1000.0,
        t[4 * (n + 1)] / 1000.0);
    {
        one_t o = { schema, report, signer, fag, print, 0 };
        apr_thread_t *th;
        apr_status_t rv;

        apr_thread_create(&th, NULL, one_report, &o, root);
        apr_thread_join(&rv, th);
        printf("first report in a new thread: %.2f ms (%u font map%s)\n",
               o.took / 1000.0, bkm_pdf_kit_count(),
               bkm_pdf_kit_count() == 1 ? "" : "s");
    }
    printf(
        "page faults per report: %.2f (getrusage minflt over %d runs); "
        "the kernel's share of their CPU: %.1f %% (target < 5 %%)\n",
        (double)faults / n, n,
        all1 > all0 ? 100.0 * (sys1 - sys0) / (all1 - all0) : 0.0);
    printf(
        "  of which: validate %.2f ms, PDF %.2f ms, ASiC-E + signature "
        "%.2f ms, CMS x2 %.2f ms (medians)\n",
        t[(n + 1) + 1 + n / 2] / 1000.0, t[2 * (n + 1) + 1 + n / 2] / 1000.0,
        t[3 * (n + 1) + 1 + n / 2] / 1000.0,
        t[4 * (n + 1) + 1 + n / 2] / 1000.0);
    printf(
        "validate + render + sign + seal, %zu bytes of JSON: median "
        "%.2f ms, p90 %.2f ms over %d runs (target: median <= 5 ms)\n",
        strlen(text), t[1 + n / 2] / 1000.0, t[1 + n * 9 / 10] / 1000.0, n);
    /* A hostile report: one 100,000-letter word without a break.  Pango
     * is quadratic in such words (30 s for 200,000 letters before bkm_pdf
     * inserted break opportunities). */
    {
        const unsigned char *pdf;
        apr_size_t pdf_len;
        char *word = apr_palloc(root, 100001);
        json_t *hostile = json_deep_copy(report);
        apr_time_t start;

        memset(word, 'x', 100000);
        word[100000] = '\0';
        json_object_set_new(json_object_get(hostile, "melding"), "melding",
                            json_string(word));
        apr_pool_create(&p, root);
        start = apr_time_now();
        err = bkm_pdf_render(p, hostile,
                             "no.ks.fiks.bekymringsmelding.offentlig.v2",
                             "7K4Q-9XHT", &pdf, &pdf_len);
        printf(
            "a 100,000-letter word without a break: %.0f ms%s "
            "(a limit on hostile input: well under a second)\n",
            (apr_time_now() - start) / 1000.0, err ? " (failed)" : "");
        apr_pool_destroy(p);
        json_decref(hostile);
    }
    json_decref(report);
    apr_terminate();
    return 0;
}
