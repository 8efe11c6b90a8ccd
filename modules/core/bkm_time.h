/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_time.h
 * @brief Norwegian local time, independent of the server's time zone.
 *
 * The protocol's sendingstidspunkt is Norwegian local time without an offset
 * ("2020-03-17T00:31:56"), and servers often run in UTC, so Oslo time is
 * computed here from the EU summer-time rule that Norway follows (CEST from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
 * October, CET otherwise) rather than from the process's TZ.  httpd-free.
 */
#ifndef BKM_TIME_H
#define BKM_TIME_H

#include <apr_time.h>
#include <apr_pools.h>

/** Days from 1970-01-01 to a Gregorian date (month 1-12), negative
 *  before it. */
long long bkm_days_from_civil(long long y, unsigned m, unsigned d);

/** The day of the week of a day number: 0 Sunday to 6 Saturday. */
int bkm_weekday(long long days);

/** The offset of Oslo time from UTC at @p t: 1 or 2 hours. */
apr_interval_time_t bkm_time_oslo_offset(apr_time_t t);

/** @p t broken down in Oslo time. */
void bkm_time_oslo(apr_time_exp_t *out, apr_time_t t);

/** @p t as "YYYY-MM-DDTHH:MM:SS" in Oslo time; @p buf holds 20 bytes. */
void bkm_time_oslo_format(char buf[20], apr_time_t t);

/** A date "YYYY-MM-DD" (years 2000-2200) as the start of that day in
 *  Oslo; -1 when it is not one. */
apr_time_t bkm_time_oslo_day(const char *date);

/** The start, in Oslo, of the day @p t falls in. */
apr_time_t bkm_time_oslo_midnight(apr_time_t t);

/** RFC 3339 in UTC with seconds and "Z" (e.g. 2026-11-23T10:00:00Z), as
 *  the incumbent's validFrom/validTo and our API's times. */
const char *bkm_time_utc(apr_pool_t *p, apr_time_t t);

#endif
