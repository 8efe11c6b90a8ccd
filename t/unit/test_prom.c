/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus' text format, written (bkm_prom). */
#include "unit.h"
#include "bkm_prom.h"
#include "bkm_buf.h"

#include <math.h>
#include <string.h>

START_TEST(family_and_samples)
{
    bkm_prom_t *m = bkm_prom_make(bkm_test_pool);
    const char *labels[] = { "kommune", "0301", "kanal", "fagsystem", NULL };
    apr_size_t len;
    const char *t;

    bkm_prom_family(m, "bekymring_meldinger", "gauge", "Reports by state.");
    bkm_prom_sample(m, "bekymring_meldinger", labels, 12);
    bkm_prom_sample(m, "bekymring_meldinger", NULL, 0.25);
    t = bkm_prom_text(m, &len);
    ck_assert_str_eq(t,
                     "# HELP bekymring_meldinger Reports by state.\n"
                     "# TYPE bekymring_meldinger gauge\n"
                     "bekymring_meldinger{kommune=\"0301\","
                     "kanal=\"fagsystem\"} 12\n"
                     "bekymring_meldinger 0.25\n");
    ck_assert_uint_eq(len, strlen(t));
    ck_assert_int_eq(m->invalid, 0);
}
END_TEST

START_TEST(escaping)
{
    bkm_prom_t *m = bkm_prom_make(bkm_test_pool);
    const char *labels[] = { "art", "a\"b\\c\nd", NULL };

    bkm_prom_family(m, "x_total", "counter", "Line one\nback\\slash \"q\"");
    bkm_prom_sample(m, "x_total", labels, 1);
    ck_assert_str_eq(bkm_prom_text(m, NULL),
                     "# HELP x_total Line one\\nback\\\\slash \"q\"\n"
                     "# TYPE x_total counter\n"
                     "x_total{art=\"a\\\"b\\\\c\\nd\"} 1\n");
}
END_TEST

START_TEST(values)
{
    bkm_prom_t *m = bkm_prom_make(bkm_test_pool);

    bkm_prom_sample(m, "a", NULL, 4294967296.0);
    bkm_prom_sample(m, "b", NULL, NAN);
    bkm_prom_sample(m, "c", NULL, INFINITY);
    bkm_prom_sample(m, "d", NULL, -1.5);
    ck_assert_str_eq(bkm_prom_text(m, NULL),
                     "a 4294967296\nb NaN\nc +Inf\nd -1.5\n");
}
END_TEST

START_TEST(invalid_names_left_out)
{
    bkm_prom_t *m = bkm_prom_make(bkm_test_pool);
    const char *bad_label[] = { "a:b", "x", NULL };
    const char *no_value[] = { "a", NULL, NULL };

    bkm_prom_family(m, "9lives", "gauge", "x");
    bkm_prom_family(m, "ok", "histogram", "x");
    bkm_prom_sample(m, "has space", NULL, 1);
    bkm_prom_sample(m, "ok", bad_label, 1);
    bkm_prom_sample(m, "ok", no_value, 1);
    ck_assert_str_eq(bkm_prom_text(m, NULL), "");
    ck_assert_int_eq(m->invalid, 5);
    ck_assert(bkm_prom_name_valid("bekymring:rate_5m"));
    ck_assert(!bkm_prom_name_valid(""));
    ck_assert(!bkm_prom_name_valid("æ"));
}
END_TEST

START_TEST(append)
{
    bkm_prom_t *a = bkm_prom_make(bkm_test_pool);
    bkm_prom_t *b = bkm_prom_make(bkm_test_pool);

    bkm_prom_sample(a, "a", NULL, 1);
    bkm_prom_sample(b, "b", NULL, 2);
    bkm_prom_sample(b, "b c", NULL, 2);
    bkm_prom_append(a, b);
    ck_assert_str_eq(bkm_prom_text(a, NULL), "a 1\nb 2\n");
    ck_assert_int_eq(a->invalid, 1);
}
END_TEST

/* The buffer underneath (bkm_buf): empty until written, always
 * NUL-terminated, and it keeps every byte as it doubles. */
START_TEST(buffer)
{
    bkm_buf_t b;
    char big[5000];
    int i;

    bkm_buf_init(&b, bkm_test_pool, 4);
    ck_assert_ptr_null(b.buf);
    bkm_buf_add(&b, "abc", 3);
    ck_assert_str_eq(b.buf, "abc");
    ck_assert_uint_eq(b.len, 3);
    memset(big, 'x', sizeof(big));
    for (i = 0; i < 3; i++) {
        bkm_buf_add(&b, big, sizeof(big));
    }
    ck_assert_uint_eq(b.len, 3 + 3 * sizeof(big));
    ck_assert_uint_gt(b.cap, b.len);
    ck_assert_int_eq(b.buf[b.len], '\0');
    ck_assert(strncmp(b.buf, "abcxxx", 6) == 0);
    bkm_buf_add(&b, "", 0);
    ck_assert_uint_eq(b.len, 3 + 3 * sizeof(big));
}
END_TEST

START_TEST(grows)
{
    bkm_prom_t *m = bkm_prom_make(bkm_test_pool);
    apr_size_t len;
    int i;

    for (i = 0; i < 2000; i++) {
        bkm_prom_sample(m, "bekymring_lang_metrikk_for_aa_fylle_bufferen",
                        NULL, i);
    }
    bkm_prom_text(m, &len);
    ck_assert_uint_gt(len, 4096 * 16);
    ck_assert(strstr(bkm_prom_text(m, NULL),
                     "bekymring_lang_metrikk_for_aa_fylle_bufferen 1999\n"));
}
END_TEST

Suite *bkm_suite_prom(void)
{
    Suite *s = suite_create("prom");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, family_and_samples);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, values);
    tcase_add_test(tc, invalid_names_left_out);
    tcase_add_test(tc, append);
    tcase_add_test(tc, buffer);
    tcase_add_test(tc, grows);
    suite_add_tcase(s, tc);
    return s;
}
