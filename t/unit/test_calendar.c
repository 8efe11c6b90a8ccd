/* SPDX-License-Identifier: Apache-2.0 */
/* Norwegian business time: Easter, holidays, and deadlines across
 * weekends, Easter, Christmas, summer time and an office-hours window. */
#include "unit.h"
#include "bkm_calendar.h"
#include "bkm_time.h"

#include <string.h>

START_TEST(easter)
{
    static const int known[][3] = {
        /* year, month, day */
        { 2000, 4, 23 }, { 2019, 4, 21 }, { 2024, 3, 31 }, { 2025, 4, 20 },
        { 2026, 4, 5 },  { 2027, 3, 28 }, { 2038, 4, 25 }, { 2285, 3, 22 },
    };
    int i, m, d;

    for (i = 0; i < (int)(sizeof(known) / sizeof(known[0])); i++) {
        bkm_easter(known[i][0], &m, &d);
        ck_assert_msg(m == known[i][1] && d == known[i][2],
                      "Easter %d: got %d-%d", known[i][0], m, d);
    }
}
END_TEST

START_TEST(holidays)
{
    /* 2026: Easter Sunday 5 April */
    ck_assert(bkm_is_holiday(2026, 1, 1));
    ck_assert(bkm_is_holiday(2026, 4, 2)); /* Maundy Thursday */
    ck_assert(bkm_is_holiday(2026, 4, 3)); /* Good Friday */
    ck_assert(bkm_is_holiday(2026, 4, 6)); /* Easter Monday */
    ck_assert(bkm_is_holiday(2026, 5, 1));
    ck_assert(bkm_is_holiday(2026, 5, 14)); /* Ascension Day */
    ck_assert(bkm_is_holiday(2026, 5, 17));
    ck_assert(bkm_is_holiday(2026, 5, 25)); /* Whit Monday */
    ck_assert(bkm_is_holiday(2026, 12, 25));
    ck_assert(bkm_is_holiday(2026, 12, 26));
    ck_assert(!bkm_is_holiday(2026, 12, 24)); /* Christmas Eve is not */
    ck_assert(!bkm_is_holiday(2026, 4, 1));
    ck_assert(!bkm_is_holiday(2026, 4, 7));
    ck_assert(bkm_is_holiday(2024, 3, 28)); /* Maundy Thursday 2024 */
    ck_assert(bkm_is_holiday(2024, 5, 9));  /* Ascension 2024 */

    ck_assert(bkm_is_working_day(2026, 11, 23));  /* Monday */
    ck_assert(bkm_is_working_day(2026, 12, 24));  /* Thursday */
    ck_assert(!bkm_is_working_day(2026, 11, 22)); /* Sunday */
    ck_assert(!bkm_is_working_day(2026, 11, 21)); /* Saturday */
    ck_assert(!bkm_is_working_day(2026, 4, 3));   /* Good Friday */
}
END_TEST

static const struct {
    const char *what;
    int start[5]; /* UTC */
    int hours;
    int from_min, to_min;
    const char *due_oslo; /* local time */
} deadlines[] = {
    { "Friday 14:00 + 40 h",
      { 2026, 11, 20, 13, 0 },
      40,
      0,
      1440,
      "2026-11-24T06:00:00" },
    { "across Easter",
      { 2026, 4, 1, 12, 0 },
      40,
      0,
      1440,
      "2026-04-08T06:00:00" },
    { "across Christmas",
      { 2026, 12, 23, 13, 0 },
      40,
      0,
      1440,
      "2026-12-28T06:00:00" },
    { "into summer time",
      { 2026, 3, 27, 13, 0 },
      40,
      0,
      1440,
      "2026-03-31T06:00:00" },
    { "out of summer time",
      { 2026, 10, 23, 12, 0 },
      40,
      0,
      1440,
      "2026-10-27T06:00:00" },
    { "office hours 08-16",
      { 2026, 11, 20, 13, 0 },
      40,
      480,
      960,
      "2026-11-27T14:00:00" },
    { "from a Saturday",
      { 2026, 11, 21, 9, 0 },
      1,
      0,
      1440,
      "2026-11-23T01:00:00" },
    { "from a Saturday, office hours",
      { 2026, 11, 21, 9, 0 },
      1,
      480,
      960,
      "2026-11-23T09:00:00" },
    { "after hours",
      { 2026, 11, 23, 19, 0 },
      2,
      480,
      960,
      "2026-11-24T10:00:00" },
    { "across New Year",
      { 2026, 12, 31, 11, 0 },
      24,
      0,
      1440,
      "2027-01-04T12:00:00" },
    { "zero", { 2026, 11, 23, 10, 0 }, 0, 0, 1440, "2026-11-23T11:00:00" },
};

START_TEST(deadline)
{
    bkm_calendar_t cal;
    apr_time_t due;
    char buf[20];

    cal.from_min = deadlines[_i].from_min;
    cal.to_min = deadlines[_i].to_min;
    due = bkm_business_deadline(bkm_test_utc(deadlines[_i].start[0],
                                             deadlines[_i].start[1],
                                             deadlines[_i].start[2],
                                             deadlines[_i].start[3],
                                             deadlines[_i].start[4]),
                                apr_time_from_sec(deadlines[_i].hours * 3600),
                                &cal);
    bkm_time_oslo_format(buf, due);
    ck_assert_msg(strcmp(buf, deadlines[_i].due_oslo) == 0,
                  "%s: due %s, expected %s", deadlines[_i].what, buf,
                  deadlines[_i].due_oslo);
}
END_TEST

/* Whole days count working days of the window; hours count hours. */
START_TEST(span)
{
    bkm_calendar_t office = { 480, 960 }, all = BKM_CALENDAR_ALL_DAY;
    char buf[20];

    ck_assert_int_eq(bkm_business_span(apr_time_from_sec(2 * 86400), &office),
                     apr_time_from_sec(16 * 3600));
    ck_assert_int_eq(bkm_business_span(apr_time_from_sec(2 * 86400), &all),
                     apr_time_from_sec(48 * 3600));
    ck_assert_int_eq(bkm_business_span(apr_time_from_sec(40 * 3600), &office),
                     apr_time_from_sec(40 * 3600));
    ck_assert_int_eq(bkm_business_span(0, &office), 0);
    /* Manual download, two working days of office hours from Friday 14:00
     * (Oslo): 2 h on Friday, 8 on Monday, 6 on Tuesday. */
    bkm_time_oslo_format(
        buf,
        bkm_business_deadline(bkm_test_utc(2026, 11, 20, 13, 0),
                              bkm_business_span(apr_time_from_sec(2 * 86400),
                                                &office),
                              &office));
    ck_assert_str_eq(buf, "2026-11-24T14:00:00");
}
END_TEST

Suite *bkm_suite_calendar(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("business time");

    tcase_add_test(tc, easter);
    tcase_add_test(tc, holidays);
    tcase_add_test(tc, span);
    tcase_add_loop_test(tc, deadline, 0,
                        sizeof(deadlines) / sizeof(deadlines[0]));
    suite_add_tcase(s, tc);
    return s;
}
