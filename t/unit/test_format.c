/* SPDX-License-Identifier: Apache-2.0 */
/* ISO weeks, and dates and numbers in the page's language (issue 14,
 * item 4: the statistics counted weeks from the period's first day and
 * wrote "33.3 %" in Norwegian). */
#include "unit.h"
#include "bkm_format.h"
#include "bkm_time.h"

static const struct {
    int y, m, d, week, iso_year;
} weeks[] = {
    { 2026, 1, 1, 1, 2026 },    /* a Thursday: week 1 */
    { 2025, 12, 29, 1, 2026 },  /* Monday of that week: last year's days */
    { 2025, 12, 28, 52, 2025 }, /* the Sunday before */
    { 2027, 1, 1, 53, 2026 },   /* a Friday: 2026 has 53 weeks */
    { 2027, 1, 4, 1, 2027 },    /* 2027's first Monday */
    { 2026, 12, 3, 49, 2026 },  { 2021, 1, 3, 53, 2020 },
    { 2024, 12, 30, 1, 2025 },  { 2023, 1, 1, 52, 2022 }, /* a Sunday */
    { 2023, 1, 2, 1, 2023 },
};

START_TEST(iso_weeks)
{
    int y = 0;
    int w = bkm_iso_week(bkm_days_from_civil(weeks[_i].y, weeks[_i].m,
                                             weeks[_i].d),
                         &y);

    ck_assert_int_eq(w, weeks[_i].week);
    ck_assert_int_eq(y, weeks[_i].iso_year);
}
END_TEST

START_TEST(dates)
{
    /* 3 December 2026, 10:15 in Oslo (winter: UTC+1). */
    apr_time_t t = bkm_test_utc(2026, 12, 3, 9, 15);

    ck_assert_str_eq(bkm_format_date(bkm_test_pool, "nb", t),
                     "3. desember 2026");
    ck_assert_str_eq(bkm_format_date(bkm_test_pool, "nn", t),
                     "3. desember 2026");
    ck_assert_str_eq(bkm_format_date(bkm_test_pool, "en", t),
                     "3 December 2026");
    ck_assert_str_eq(bkm_format_datetime(bkm_test_pool, "nb", t),
                     "3. desember 2026 kl. 10:15");
    ck_assert_str_eq(bkm_format_datetime(bkm_test_pool, "en", t),
                     "3 December 2026, 10:15");
    /* Late on New Year's Eve in UTC is New Year's Day in Oslo. */
    ck_assert_str_eq(bkm_format_date(bkm_test_pool, "nn",
                                     bkm_test_utc(2026, 12, 31, 23, 30)),
                     "1. januar 2027");
    ck_assert(bkm_oslo_days(bkm_test_utc(2026, 12, 31, 23, 30))
              == bkm_days_from_civil(2027, 1, 1));
}
END_TEST

START_TEST(numbers)
{
    ck_assert_str_eq(bkm_format_percent(bkm_test_pool, "nb", 100.0 / 3),
                     "33,3\xc2\xa0%");
    ck_assert_str_eq(bkm_format_percent(bkm_test_pool, "nn", 6),
                     "6,0\xc2\xa0%");
    ck_assert_str_eq(bkm_format_percent(bkm_test_pool, "en", 100.0 / 3),
                     "33.3%");
    ck_assert_str_eq(bkm_format_count(bkm_test_pool, "nb", 1234567),
                     "1\xc2\xa0"
                     "234\xc2\xa0"
                     "567");
    ck_assert_str_eq(bkm_format_count(bkm_test_pool, "en", 1234567),
                     "1,234,567");
    ck_assert_str_eq(bkm_format_count(bkm_test_pool, "nb", 999), "999");
    ck_assert_str_eq(bkm_format_count(bkm_test_pool, "en", 0), "0");
    ck_assert_str_eq(bkm_format_count(bkm_test_pool, "en", -1000),
                     "\xe2\x88\x92"
                     "1,000");
}
END_TEST

Suite *bkm_suite_format(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("format");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_loop_test(tc, iso_weeks, 0, sizeof(weeks) / sizeof(weeks[0]));
    tcase_add_test(tc, dates);
    tcase_add_test(tc, numbers);
    suite_add_tcase(s, tc);
    return s;
}
