/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer API's multipart/form-data (bkm_multipart.h): the
 * Content-Type header, then the body, as api/produsent.c reads
 * them.  Input: the header's value, BKM_FUZZ_SEP, the body.  The body is
 * given in place, at the end of libFuzzer's buffer, so that reading one
 * byte past it is caught.
 */
#include "fuzz.h"
#include "bkm_multipart.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = bkm_fuzz_pool();
    char *field[2];
    size_t len[2];
    const char *boundary = NULL, *body;
    apr_array_header_t *parts = NULL;
    int n, i;

    n = bkm_fuzz_split(p, data, size, field, len, 2);
    if (n == 2 && !bkm_multipart_boundary(p, field[0], &boundary)) {
        /* The boundary as given, or one the body may use (the header's
         * own grammar is fuzzed above). */
        body = (const char *)data + size - len[1];
        if (!bkm_multipart_parse(p, boundary, body, len[1], 2, &parts)) {
            for (i = 0; i < parts->nelts; i++) {
                const bkm_part_t *pt = &APR_ARRAY_IDX(parts, i, bkm_part_t);
                if (!pt->name || !*pt->name || pt->data < body
                    || pt->len > len[1]
                    || pt->data + pt->len > body + len[1]) {
                    bkm_fuzz_fail("part %d outside the body", i);
                }
            }
            (void)bkm_multipart_get(parts, "bekymringsmelding");
            (void)bkm_multipart_get(parts, "asice");
        }
    }
    else if (n == 1) {
        /* Without a separator: a body with the boundary of the seeds. */
        if (!bkm_multipart_parse(p, "XYZ", (const char *)data, size, 2,
                                 &parts)) {
            (void)bkm_multipart_get(parts, "asice");
        }
    }
    apr_pool_destroy(p);
    return 0;
}
