/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report posted as JSON (the web form's JSON API, api/skjema.c,
 * and the intake of every report, report/mottak.c): read by jansson
 * as the module reads it, then validated against each report schema
 * compiled into the module (bkm_jsonschema.h).  Checks what the validator
 * promises: a bounded list of errors, each with a pointer, keyword and
 * message, and the same verdict with and without the list.
 */
#include "fuzz.h"
#include "bkm_jsonschema.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    json_t *report;
    int i, k;

    report = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                        NULL);
    if (!report) {
        return 0;
    }
    p = bkm_fuzz_pool();
    for (i = 0; bkm_fuzz_report_files[i]; i++) {
        const bkm_jsonschema_t *s =
            bkm_fuzz_report_schema(bkm_fuzz_report_files[i]);
        apr_array_header_t *errors =
            apr_array_make(p, 8, sizeof(bkm_jsonschema_error_t));
        int more = -1, ok, max = 1 + (int)(size % BKM_JSONSCHEMA_MAX_ERRORS);

        ok = bkm_jsonschema_validate_max(s, report, p, errors, max, &more);
        if (ok != bkm_jsonschema_validate(s, report, p, NULL)) {
            bkm_fuzz_fail("%s: the verdict depends on the error list",
                          bkm_fuzz_report_files[i]);
        }
        if (ok != (errors->nelts == 0) || errors->nelts > max
            || (more != 0 && more != 1) || (more && errors->nelts != max)) {
            bkm_fuzz_fail("%s: %d errors (max %d, more %d) for verdict %d",
                          bkm_fuzz_report_files[i], errors->nelts, max, more,
                          ok);
        }
        for (k = 0; k < errors->nelts; k++) {
            const bkm_jsonschema_error_t *e =
                &APR_ARRAY_IDX(errors, k, bkm_jsonschema_error_t);
            if (!e->pointer || !e->keyword || !e->message) {
                bkm_fuzz_fail("%s: error %d incomplete",
                              bkm_fuzz_report_files[i], k);
            }
        }
    }
    json_decref(report);
    apr_pool_destroy(p);
    return 0;
}
