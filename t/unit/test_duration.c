/* SPDX-License-Identifier: Apache-2.0 */
#include "unit.h"
#include "bkm_duration.h"
#include "bkm_registry.h"

static const struct {
    const char *in;
    char default_unit;
    long long seconds; /* -1: must be refused */
} cases[] = {
    { "40h", 0, 40 * 3600 },
    { "2d", 0, 2 * 86400 },
    { "90s", 0, 90 },
    { "15m", 0, 900 },
    { "30", 'd', 30 * 86400 },
    { "3650d", 0, 3650LL * 86400 },
    { "40", 0, -1 }, /* a unit is required */
    { "", 0, -1 },
    { "h", 0, -1 },
    { "0h", 0, -1 },
    { "-1h", 0, -1 },
    { "+1h", 0, -1 },
    { " 1h", 0, -1 },
    { "1h ", 0, -1 },
    { "1.5h", 0, -1 },
    { "40hh", 0, -1 },
    { "40x", 0, -1 },
    { "1h30m", 0, -1 },
    { "3661d", 0, -1 }, /* over ten years */
    { "99999999999999999999d", 0, -1 },
};

START_TEST(duration_table)
{
    apr_interval_time_t t = 12345;
    const char *err = bkm_duration_parse(&t, cases[_i].in,
                                         cases[_i].default_unit);

    if (cases[_i].seconds < 0) {
        ck_assert_msg(err != NULL, "\"%s\" was accepted", cases[_i].in);
        ck_assert_int_eq(t, 12345); /* untouched on error */
    }
    else {
        ck_assert_msg(err == NULL, "\"%s\": %s", cases[_i].in, err);
        ck_assert_int_eq(t, apr_time_from_sec(cases[_i].seconds));
    }
}
END_TEST

START_TEST(kommunenummer)
{
    ck_assert(bkm_kommunenummer_known("0301"));  /* Oslo */
    ck_assert(bkm_kommunenummer_known("4601"));  /* Bergen */
    ck_assert(bkm_kommunenummer_known("5001"));  /* Trondheim */
    ck_assert(bkm_kommunenummer_known("5601"));  /* Alta, 2024 */
    ck_assert(!bkm_kommunenummer_known("5401")); /* Tromsø before 2024 */
    ck_assert(!bkm_kommunenummer_known("2100")); /* Svalbard */
    ck_assert(!bkm_kommunenummer_known("0300"));
    ck_assert(!bkm_kommunenummer_known("9999"));
    ck_assert(!bkm_kommunenummer_known("030"));
    ck_assert(!bkm_kommunenummer_known("03011"));
    ck_assert(!bkm_kommunenummer_known("03a1"));
    ck_assert(!bkm_kommunenummer_known(""));
    ck_assert(!bkm_kommunenummer_known(NULL));
}
END_TEST

Suite *bkm_suite_duration(void)
{
    Suite *s = suite_create("duration");
    TCase *tc = tcase_create("parse");

    tcase_add_loop_test(tc, duration_table, 0,
                        sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, kommunenummer);
    suite_add_tcase(s, tc);
    return s;
}
