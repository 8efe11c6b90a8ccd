/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Durations in directives and the registry ("40h", bkm_duration.h), with
 * each default unit: what is accepted must be digits and at most one unit
 * letter, more than zero and at most ten years, and its value the number
 * times the unit.
 */
#include "fuzz.h"
#include "bkm_duration.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char units[] = { 0, 's', 'm', 'h', 'd', 'x' };
    apr_pool_t *p = bkm_fuzz_pool();
    const char *s = bkm_fuzz_str(p, data, size);
    size_t u, k, digits = strspn(s, "0123456789");

    for (u = 0; u < sizeof(units); u++) {
        apr_interval_time_t out = -1;
        long long n = 0, mult;
        char unit;

        if (bkm_duration_parse(&out, s, units[u])) {
            if (out != -1) {
                bkm_fuzz_fail("refused, yet the duration was set");
            }
            continue;
        }
        unit = s[digits] ? s[digits] : units[u];
        if (digits == 0 || (s[digits] && s[digits + 1])) {
            bkm_fuzz_fail("accepted \"%s\"", s);
        }
        for (k = 0; k < digits; k++) {
            n = n * 10 + (s[k] - '0');
        }
        mult = unit == 's'   ? 1
               : unit == 'm' ? 60
               : unit == 'h' ? 3600
               : unit == 'd' ? 86400
                             : 0;
        if (mult == 0 || n == 0 || n * mult > 10LL * 366 * 86400
            || out != apr_time_from_sec(n * mult)) {
            bkm_fuzz_fail("\"%s\" (default unit %d) gave %lld us", s,
                          units[u], (long long)out);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
