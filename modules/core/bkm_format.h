/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_format.h
 * @brief Dates, weeks and numbers as a reader of the page's language
 * writes them (issue 14, item 4): "3. desember 2026" and "33,3 %" in
 * bokmål and nynorsk, "3 December 2026" and "33.3%" in English, and ISO
 * 8601 weeks (Monday first; week 1 holds the year's first Thursday).
 * Oslo time throughout (bkm_time.h).  httpd-free.
 */
#ifndef BKM_FORMAT_H
#define BKM_FORMAT_H

#include <apr_pools.h>
#include <apr_time.h>

/** The ISO 8601 week of day number @p days (bkm_days_from_civil), 1-53;
 *  its ISO year (which differs from the calendar year around New Year)
 *  in *iso_year. */
int bkm_iso_week(long long days, int *iso_year);

/** The day @p t falls on in Oslo, as a day number (bkm_days_from_civil). */
long long bkm_oslo_days(apr_time_t t);

/** The Oslo date of @p t written out: "3. desember 2026" (nb, nn),
 *  "3 December 2026" (en; any other language too). */
const char *bkm_format_date(apr_pool_t *p, const char *lang, apr_time_t t);

/** Date and time: "3. desember 2026 kl. 10:15" (nb, nn),
 *  "3 December 2026, 10:15" (en). */
const char *bkm_format_datetime(apr_pool_t *p, const char *lang,
                                apr_time_t t);

/** A percentage with one decimal: "33,3 %" (nb, nn: decimal comma and a
 *  no-break space, as Språkrådet writes it), "33.3%" (en). */
const char *bkm_format_percent(apr_pool_t *p, const char *lang, double v);

/** A whole number with thousands grouped: "12 345" (nb, nn: no-break
 *  space), "12,345" (en). */
const char *bkm_format_count(apr_pool_t *p, const char *lang, long long n);

#endif
