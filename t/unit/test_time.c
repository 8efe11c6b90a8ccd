/* SPDX-License-Identifier: Apache-2.0 */
/* Oslo time without the process's TZ, and identifiers. */
#include "unit.h"
#include "bkm_time.h"
#include "bkm_ids.h"

#include <string.h>
#include <apr_hash.h>
#include <apr_lib.h>

static const struct {
    int y, mo, d, h, mi; /* UTC */
    const char *oslo;
} cases[] = {
    { 2020, 3, 16, 23, 31, "2020-03-17T00:31:00" },  /* winter: +1 */
    { 2026, 3, 29, 0, 59, "2026-03-29T01:59:00" },   /* before switch */
    { 2026, 3, 29, 1, 0, "2026-03-29T03:00:00" },    /* 02:00 -> 03:00 */
    { 2026, 7, 1, 12, 0, "2026-07-01T14:00:00" },    /* summer: +2 */
    { 2026, 10, 25, 0, 59, "2026-10-25T02:59:00" },  /* before switch */
    { 2026, 10, 25, 1, 0, "2026-10-25T02:00:00" },   /* 03:00 -> 02:00 */
    { 2026, 12, 31, 23, 30, "2027-01-01T00:30:00" }, /* new year */
    { 2024, 2, 29, 12, 0, "2024-02-29T13:00:00" },   /* leap day */
    { 2025, 3, 30, 1, 0, "2025-03-30T03:00:00" },    /* 2025's switch */
    { 2025, 10, 26, 0, 30, "2025-10-26T02:30:00" },
};

START_TEST(oslo_format)
{
    char buf[20];

    bkm_time_oslo_format(buf,
                         bkm_test_utc(cases[_i].y, cases[_i].mo, cases[_i].d,
                                      cases[_i].h, cases[_i].mi));
    ck_assert_str_eq(buf, cases[_i].oslo);
}
END_TEST

START_TEST(uuids)
{
    apr_hash_t *seen = apr_hash_make(bkm_test_pool);
    int i;

    for (i = 0; i < 1000; i++) {
        const char *u = bkm_uuid(bkm_test_pool);
        ck_assert_ptr_nonnull(u);
        ck_assert_int_eq(strlen(u), 36);
        ck_assert_int_eq(u[14], '4');
        ck_assert(strchr("89ab", u[19]) != NULL);
        ck_assert_ptr_null(apr_hash_get(seen, u, APR_HASH_KEY_STRING));
        apr_hash_set(seen, u, APR_HASH_KEY_STRING, u);
    }
}
END_TEST

START_TEST(references)
{
    apr_hash_t *seen = apr_hash_make(bkm_test_pool);
    int i, dup = 0;

    for (i = 0; i < 10000; i++) {
        const char *r = bkm_reference(bkm_test_pool);
        ck_assert_ptr_nonnull(r);
        ck_assert_msg(bkm_reference_valid(r), "%s", r);
        ck_assert(strpbrk(r, "01OILU") == NULL);
        dup += apr_hash_get(seen, r, APR_HASH_KEY_STRING) != NULL;
        apr_hash_set(seen, r, APR_HASH_KEY_STRING, r);
    }
    ck_assert_int_le(dup, 1); /* 40 bits: a clash in 10^4 is ~1e-4 */
    ck_assert(bkm_reference_valid("7k4q-9xht"));
    ck_assert(!bkm_reference_valid("7K4Q9XHT"));
    ck_assert(!bkm_reference_valid("7K4Q-9XH0"));
    ck_assert(!bkm_reference_valid("7K4Q-9XHTT"));
    ck_assert(!bkm_reference_valid(""));
    ck_assert(!bkm_reference_valid(NULL));
}
END_TEST

/* The administration's dates: a day's start in Oslo, winter and summer. */
START_TEST(oslo_days)
{
    ck_assert(bkm_time_oslo_day("2026-01-15")
              == bkm_test_utc(2026, 1, 14, 23, 0));
    ck_assert(bkm_time_oslo_day("2026-07-01")
              == bkm_test_utc(2026, 6, 30, 22, 0));
    ck_assert(bkm_time_oslo_midnight(bkm_test_utc(2026, 7, 1, 21, 59))
              == bkm_test_utc(2026, 6, 30, 22, 0));
    ck_assert(bkm_time_oslo_midnight(bkm_test_utc(2026, 7, 1, 22, 0))
              == bkm_test_utc(2026, 7, 1, 22, 0));
    ck_assert_int_eq(bkm_time_oslo_day("2026-13-01"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2026-1-015"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2026-01-15x"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("+026-01-15"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("1999-12-31"), -1);
    ck_assert_int_eq(bkm_time_oslo_day(NULL), -1);
    /* Days the month lacks, and signs or blanks for digits (fuzzing). */
    ck_assert_int_eq(bkm_time_oslo_day("2026-02-29"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2100-02-29"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2026-04-31"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2026-+1-15"), -1);
    ck_assert_int_eq(bkm_time_oslo_day("2026-01- 5"), -1);
    ck_assert(bkm_time_oslo_day("2028-02-29")
              == bkm_test_utc(2028, 2, 28, 23, 0));
    ck_assert(bkm_time_oslo_day("2000-02-29")
              == bkm_test_utc(2000, 2, 28, 23, 0));
}
END_TEST

Suite *bkm_suite_time(void)
{
    Suite *s = suite_create("time+ids");
    TCase *tc = tcase_create("oslo");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_loop_test(tc, oslo_format, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, uuids);
    tcase_add_test(tc, references);
    tcase_add_test(tc, oslo_days);
    suite_add_tcase(s, tc);
    return s;
}
