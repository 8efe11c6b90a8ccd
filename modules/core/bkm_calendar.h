/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_calendar.h
 * @brief Norwegian business time: deadlines counted in hours of working
 * days, for escalation to letter post (ARCHITECTURE §2).
 *
 * Working days are Monday to Friday except the public holidays: 1 January,
 * Maundy Thursday, Good Friday, Easter Monday, 1 May, Ascension Day,
 * 17 May, Whit Monday, 25 and 26 December (the Easter-based ones computed).
 * Time is Norwegian local time (bkm_time.h), whatever the server's time
 * zone.  Summer time changes on Sundays, never on a working day, so within
 * a working day the offset from UTC is constant.  httpd-free.
 */
#ifndef BKM_CALENDAR_H
#define BKM_CALENDAR_H

#include <apr_time.h>

/** Which hours of a working day count. */
typedef struct {
    int from_min; /**< minutes after local midnight; 0 for the whole day */
    int to_min;   /**< minutes after local midnight; 1440 for the whole day */
} bkm_calendar_t;

/** The whole of every working day (no office-hours window). */
#define BKM_CALENDAR_ALL_DAY \
    { \
        0, 1440 \
    }

/** Easter Sunday of @p year (Gregorian): *month 3 or 4, *day. */
void bkm_easter(int year, int *month, int *day);

/** Whether a date (month 1-12) is a Norwegian public holiday. */
int bkm_is_holiday(int year, int month, int day);

/** Whether a date is a working day (Monday to Friday, not a holiday). */
int bkm_is_working_day(int year, int month, int day);

/**
 * The moment @p business of business time has passed after @p start: only
 * the window's hours of working days count.  A start outside business time
 * counts from the next business moment.
 */
apr_time_t bkm_business_deadline(apr_time_t start,
                                 apr_interval_time_t business,
                                 const bkm_calendar_t *cal);

/**
 * The business time a configured deadline stands for.  A deadline in whole
 * days ("2d", "48h") counts working days, each as long as the window (two
 * working days of 08:00-16:00 are 16 hours); any other counts hours of the
 * window ("40h").  So "2 business days" means the same to a district
 * whether or not it counts office hours.
 */
apr_interval_time_t bkm_business_span(apr_interval_time_t deadline,
                                      const bkm_calendar_t *cal);

#endif
