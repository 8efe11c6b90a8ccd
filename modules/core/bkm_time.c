/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_time.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil (proleptic Gregorian). */
long long bkm_days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

int bkm_weekday(long long days)
{
    int w = (int)((days + 4) % 7); /* 1970-01-01: Thursday */

    return w < 0 ? w + 7 : w;
}

/* 01:00 UTC on the last Sunday of month m (March or October) of year y. */
static apr_time_t last_sunday_0100_utc(long long y, unsigned m)
{
    long long days = bkm_days_from_civil(y, m, 31); /* both have 31 days */

    days -= bkm_weekday(days); /* back to Sunday */
    return apr_time_from_sec(days * 86400 + 3600);
}

apr_interval_time_t bkm_time_oslo_offset(apr_time_t t)
{
    apr_time_exp_t gmt;
    long long y;

    apr_time_exp_gmt(&gmt, t);
    y = gmt.tm_year + 1900;
    if (t >= last_sunday_0100_utc(y, 3) && t < last_sunday_0100_utc(y, 10)) {
        return apr_time_from_sec(2 * 3600);
    }
    return apr_time_from_sec(3600);
}

void bkm_time_oslo(apr_time_exp_t *out, apr_time_t t)
{
    apr_interval_time_t off = bkm_time_oslo_offset(t);

    apr_time_exp_gmt(out, t + off);
    out->tm_gmtoff = (apr_int32_t)apr_time_sec(off);
}

void bkm_time_oslo_format(char buf[20], apr_time_t t)
{
    apr_time_exp_t x;

    bkm_time_oslo(&x, t);
    apr_snprintf(buf, 20, "%04d-%02d-%02dT%02d:%02d:%02d", x.tm_year + 1900,
                 x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

const char *bkm_time_utc(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min,
                        x.tm_sec);
}

apr_time_t bkm_time_oslo_day(const char *date)
{
    static const int days[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    int y, m, d, i;
    char tail;
    apr_time_t utc;

    /* Digits where digits belong (sscanf alone takes "+1" and " 1"), and
     * a day the month has (2026-02-29 was read as 1 March; both found by
     * fuzzing, t/fuzz/fuzz_args.c). */
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-') {
        return -1;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && !apr_isdigit(date[i])) {
            return -1;
        }
    }
    if (sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 2000
        || y > 2200 || m < 1 || m > 12 || d < 1 || d > days[m - 1]
        || (m == 2 && d == 29
            && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))) {
        return -1;
    }
    utc = apr_time_from_sec(bkm_days_from_civil(y, (unsigned)m, (unsigned)d)
                            * 86400);
    return utc - bkm_time_oslo_offset(utc);
}

apr_time_t bkm_time_oslo_midnight(apr_time_t t)
{
    const apr_time_t day = apr_time_from_sec(86400);
    apr_interval_time_t off = bkm_time_oslo_offset(t);
    apr_time_t local = t + off;

    local -= local % day;
    return local - bkm_time_oslo_offset(local - off);
}
