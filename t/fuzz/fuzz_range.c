/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Range header of a download (bkm_range_parse) and the record of the
 * byte ranges that went out (bkm_range_cover, whose list is stored and
 * read back).  Input: the body's size (decimal), the Range header, the
 * stored list, separated by BKM_FUZZ_SEP.  A range served must lie in
 * the body; the new list must be sorted, merged and read back the same.
 */
#include "fuzz.h"
#include "bkm_levering.h"

#include <stdlib.h>
#include <string.h>

/* Whether @p list is "a-b,c-d..." sorted with gaps between, within
 * [0, size), at most BKM_RANGES_MAX of them. */
static int well_formed(const char *list, apr_off_t size)
{
    long long prev = -2, a, b;
    int n = 0;
    char *e;

    while (*list) {
        a = strtoll(list, &e, 10);
        if (e == list || *e != '-' || a <= prev + 1) {
            return 0;
        }
        list = e + 1;
        b = strtoll(list, &e, 10);
        if (e == list || b < a || (*e && *e != ',') || ++n > BKM_RANGES_MAX) {
            return 0;
        }
        list = *e ? e + 1 : e;
        prev = b;
        (void)size;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = bkm_fuzz_pool();
    char *field[3];
    size_t len[3];
    apr_off_t body, start = -1, end = -1;
    const char *list, *again;
    int n, rc, full;

    n = bkm_fuzz_split(p, data, size, field, len, 3);
    body = n > 1 ? (apr_off_t)strtoll(field[0], NULL, 10) : 1000;
    if (body < 0 || body > ((apr_off_t)1 << 40)) {
        body = 1000;
    }
    rc = bkm_range_parse(n > 1 ? field[1] : field[0], body, &start, &end);
    if (rc < -1 || rc > 1
        || (rc == 1 && (start < 0 || end < start || end >= body))) {
        bkm_fuzz_fail("range %d: %lld-%lld of %lld", rc, (long long)start,
                      (long long)end, (long long)body);
    }
    if (rc != 1) {
        start = 0; /* the whole body went out */
        end = body - 1;
    }
    full = bkm_range_cover(p, n > 2 ? field[2] : NULL, start, end, body,
                           &list);
    if (!well_formed(list, body)) {
        bkm_fuzz_fail("bkm_range_cover wrote \"%s\"", list);
    }
    /* Read back with nothing new: the same list. */
    if (bkm_range_cover(p, list, -1, -1, body, &again) != full
        || strcmp(list, again) != 0) {
        bkm_fuzz_fail("\"%s\" read back as \"%s\"", list, again);
    }
    apr_pool_destroy(p);
    return 0;
}
