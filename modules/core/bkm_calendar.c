/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_calendar.h"
#include "bkm_time.h"

void bkm_easter(int y, int *month, int *day)
{
    /* The anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;

    *month = (h + l - 7 * m + 114) / 31;
    *day = (h + l - 7 * m + 114) % 31 + 1;
}

int bkm_is_holiday(int y, int m, int d)
{
    static const int easter_offsets[] = { -3, -2, 1, 39, 50 };
    int em, ed, i;
    long long day, easter;

    if ((m == 1 && d == 1) || (m == 5 && (d == 1 || d == 17))
        || (m == 12 && (d == 25 || d == 26))) {
        return 1;
    }
    bkm_easter(y, &em, &ed);
    easter = bkm_days_from_civil(y, (unsigned)em, (unsigned)ed);
    day = bkm_days_from_civil(y, (unsigned)m, (unsigned)d);
    for (i = 0; i < (int)(sizeof(easter_offsets) / sizeof(int)); i++) {
        if (day == easter + easter_offsets[i]) {
            return 1;
        }
    }
    return 0;
}

int bkm_is_working_day(int y, int m, int d)
{
    int wday = bkm_weekday(bkm_days_from_civil(y, (unsigned)m, (unsigned)d));

    return wday != 0 && wday != 6 && !bkm_is_holiday(y, m, d);
}

apr_time_t bkm_business_deadline(apr_time_t start,
                                 apr_interval_time_t business,
                                 const bkm_calendar_t *cal)
{
    apr_interval_time_t left = business;
    apr_time_t t = start;
    int guard;

    /* Walk local days; at most a few holidays in a row, so the guard only
     * stops a nonsense input (a business time of years). */
    for (guard = 0; guard < 20000; guard++) {
        apr_time_exp_t x;
        apr_interval_time_t off = bkm_time_oslo_offset(t);
        apr_time_t midnight, from, to;

        bkm_time_oslo(&x, t);
        /* local midnight of t's local day, as UTC */
        midnight = t
                   - apr_time_from_sec(x.tm_hour * 3600 + x.tm_min * 60
                                       + x.tm_sec)
                   - x.tm_usec;
        from = midnight + apr_time_from_sec(cal->from_min * 60);
        to = midnight + apr_time_from_sec(cal->to_min * 60);
        if (bkm_is_working_day(x.tm_year + 1900, x.tm_mon + 1, x.tm_mday)
            && t < to) {
            if (t < from) {
                t = from;
            }
            if (t + left <= to) {
                return t + left;
            }
            left -= to - t;
        }
        /* On to the next local midnight; the offset may change overnight
         * (only into a Sunday), so step a whole day and recompute. */
        t = midnight + apr_time_from_sec(86400);
        if (bkm_time_oslo_offset(t) != off) {
            t += off - bkm_time_oslo_offset(t);
        }
    }
    return t;
}

apr_interval_time_t bkm_business_span(apr_interval_time_t deadline,
                                      const bkm_calendar_t *cal)
{
    apr_interval_time_t day = apr_time_from_sec(86400);

    if (deadline > 0 && deadline % day == 0) {
        return deadline / day
               * apr_time_from_sec((cal->to_min - cal->from_min) * 60);
    }
    return deadline;
}
