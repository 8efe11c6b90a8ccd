/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report rendered as PDF (bkm_pdf.h): every value in it is what a
 * reporter typed.  The header promises that shapes other than the
 * schema's do not crash, so any JSON object is rendered, as a private or
 * public v2 report after the melder member it has.  Slow (a few
 * milliseconds a PDF): this target's executions are counted in thousands,
 * not millions.
 */
#include "fuzz.h"
#include "bkm_pdf.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int warm;
    apr_pool_t *p;
    json_t *report;
    const unsigned char *pdf = NULL;
    apr_size_t len = 0;
    const char *type;

    if (!warm) {
        /* The font map and fontconfig's caches are made once per thread
         * and kept: not a leak of the first input. */
        json_t *empty = json_object();
        bkm_fuzz_keep_begin();
        p = bkm_fuzz_pool();
        (void)bkm_pdf_render(p, empty,
                             "no.ks.fiks.bekymringsmelding."
                             "privat.v2",
                             "7K4Q-9XHT", &pdf, &len);
        apr_pool_destroy(p);
        json_decref(empty);
        bkm_fuzz_keep_end();
        warm = 1;
    }
    report = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                        NULL);
    if (!json_is_object(report)) {
        json_decref(report);
        return 0;
    }
    type = json_object_get(report, "offentligMelder")
               ? "no.ks.fiks.bekymringsmelding.offentlig.v2"
               : "no.ks.fiks.bekymringsmelding.privat.v2";
    p = bkm_fuzz_pool();
    if (!bkm_pdf_render(p, report, type, "7K4Q-9XHT", &pdf, &len)
        && (len < 5 || memcmp(pdf, "%PDF-", 5) != 0)) {
        bkm_fuzz_fail("rendered something that is not a PDF");
    }
    apr_pool_destroy(p);
    json_decref(report);
    return 0;
}
