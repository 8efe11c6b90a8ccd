/* SPDX-License-Identifier: Apache-2.0 */
/* Dates, weeks and numbers in the page's language (bkm_format.h). */
#include "bkm_format.h"
#include "bkm_time.h"

#include <apr_strings.h>
#include <stdio.h>
#include <string.h>

#define NBSP "\xc2\xa0"

static int norwegian(const char *lang)
{
    return lang && (strcmp(lang, "nb") == 0 || strcmp(lang, "nn") == 0);
}

int bkm_iso_week(long long days, int *iso_year)
{
    /* The week's Thursday decides the year (ISO 8601 4.1.4): Monday is
     * day 1 of the week, Sunday day 7. */
    int wd = bkm_weekday(days); /* 0 Sunday */
    long long thursday = days + 3 - (wd == 0 ? 6 : wd - 1);
    long long y = 1970 + thursday / 366, jan1;

    /* The calendar year of that Thursday. */
    while (bkm_days_from_civil(y + 1, 1, 1) <= thursday) {
        y++;
    }
    while (bkm_days_from_civil(y, 1, 1) > thursday) {
        y--;
    }
    jan1 = bkm_days_from_civil(y, 1, 1);
    if (iso_year) {
        *iso_year = (int)y;
    }
    return (int)((thursday - jan1) / 7 + 1);
}

long long bkm_oslo_days(apr_time_t t)
{
    apr_time_exp_t x;

    bkm_time_oslo(&x, t);
    return bkm_days_from_civil(x.tm_year + 1900, (unsigned)x.tm_mon + 1,
                               (unsigned)x.tm_mday);
}

static const char *const months_nb[12] = {
    "januar", "februar", "mars",      "april",   "mai",      "juni",
    "juli",   "august",  "september", "oktober", "november", "desember"
};
static const char *const months_en[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"
};

const char *bkm_format_date(apr_pool_t *p, const char *lang, apr_time_t t)
{
    apr_time_exp_t x;

    bkm_time_oslo(&x, t);
    /* Bokmål and nynorsk name the months alike. */
    return norwegian(lang)
               ? apr_psprintf(p, "%d. %s %d", x.tm_mday, months_nb[x.tm_mon],
                              x.tm_year + 1900)
               : apr_psprintf(p, "%d %s %d", x.tm_mday, months_en[x.tm_mon],
                              x.tm_year + 1900);
}

const char *bkm_format_datetime(apr_pool_t *p, const char *lang, apr_time_t t)
{
    apr_time_exp_t x;

    bkm_time_oslo(&x, t);
    return apr_psprintf(p,
                        norwegian(lang) ? "%s kl. %02d:%02d"
                                        : "%s, %02d:%02d",
                        bkm_format_date(p, lang, t), x.tm_hour, x.tm_min);
}

const char *bkm_format_percent(apr_pool_t *p, const char *lang, double v)
{
    char *s = apr_psprintf(p, "%.1f", v), *dot;

    if (!norwegian(lang)) {
        return apr_pstrcat(p, s, "%", NULL);
    }
    if ((dot = strchr(s, '.'))) {
        *dot = ',';
    }
    return apr_pstrcat(p, s, NBSP "%", NULL);
}

const char *bkm_format_count(apr_pool_t *p, const char *lang, long long n)
{
    const char *sep = norwegian(lang) ? NBSP : ",";
    char digits[32];
    const char *out = "";
    int len, i;

    len = snprintf(digits, sizeof(digits), "%lld", n < 0 ? -n : n);
    for (i = 0; i < len; i++) {
        out = apr_pstrcat(p, out, i && (len - i) % 3 == 0 ? sep : "",
                          apr_pstrndup(p, digits + i, 1), NULL);
    }
    /* A minus sign, not a hyphen, in both languages' typography. */
    return n < 0 ? apr_pstrcat(p, "\xe2\x88\x92", out, NULL) : out;
}
