/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_duration.h"

#include <apr_lib.h>

/* Ten years: far beyond any deadline or retention period, and small enough
 * that the microsecond value cannot overflow. */
#define BKM_DURATION_MAX_SEC (10LL * 366 * 24 * 3600)

const char *bkm_duration_parse(apr_interval_time_t *out, const char *s,
                               char default_unit)
{
    long long n = 0, unit;
    const char *p = s;
    char u;

    if (!s || !apr_isdigit(*s)) {
        return "a duration is a whole number followed by s, m, h or d "
               "(for example 40h)";
    }
    while (apr_isdigit(*p)) {
        n = n * 10 + (*p - '0');
        if (n > BKM_DURATION_MAX_SEC) {
            return "duration too long (at most ten years)";
        }
        p++;
    }
    u = *p ? *p++ : default_unit;
    if (!u) {
        return "the duration needs a unit: s, m, h or d (for example 40h)";
    }
    if (*p) {
        return "a duration is a whole number followed by one unit: "
               "s, m, h or d (for example 40h)";
    }
    switch (u) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return "unknown duration unit (use s, m, h or d)";
    }
    if (n * unit > BKM_DURATION_MAX_SEC) {
        return "duration too long (at most ten years)";
    }
    if (n == 0) {
        return "a duration must be greater than zero";
    }
    *out = apr_time_from_sec(n * unit);
    return NULL;
}
