/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key rotation without a gap (bkm_sertifikat): which certificate of a
 * channel seals at a time, which are valid and published, and the alert
 * before one expires -- over certificates whose validity is set by hand
 * (the dates are all that the rules read).
 */
#include "unit.h"
#include "bkm_sertifikat.h"

#include <string.h>
#include <apr_strings.h>

#define DAY apr_time_from_sec(86400)

static bkm_cert_t certs[4];

/* A channel of @p n certificates from certs[], each valid from
 * from[i] to to[i] days after day 0 (day 0 is 2026-01-01). */
static apr_array_header_t *channel(int n, const int *from, const int *to)
{
    apr_array_header_t *list = apr_array_make(bkm_test_pool, n,
                                              sizeof(const bkm_cert_t *));
    apr_time_t day0 = bkm_test_utc(2026, 1, 1, 0, 0);
    int i;

    for (i = 0; i < n; i++) {
        memset(&certs[i], 0, sizeof(certs[i]));
        certs[i].pem = apr_psprintf(bkm_test_pool, "PEM %d", i);
        certs[i].serial = apr_psprintf(bkm_test_pool, "%d", 100 + i);
        certs[i].subject = "CN=test";
        certs[i].not_before = day0 + from[i] * DAY;
        certs[i].not_after = day0 + to[i] * DAY;
        APR_ARRAY_PUSH(list, const bkm_cert_t *) = &certs[i];
    }
    return list;
}

static apr_time_t day(int d)
{
    return bkm_test_utc(2026, 1, 1, 0, 0) + d * DAY;
}

START_TEST(velg_newest_valid)
{
    /* A: days 0-100; B (next): days 80-400. */
    static const int from[] = { 0, 80 }, to[] = { 100, 400 };
    apr_array_header_t *l = channel(2, from, to);

    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(10)), &certs[0]);
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(80) - 1), &certs[0]);
    /* The overlap: B is the newest valid. */
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(80)), &certs[1]);
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(99)), &certs[1]);
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(200)), &certs[1]);
    /* None valid: the one that lasts longest, never nothing. */
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(500)), &certs[1]);
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(-5)), &certs[1]);
    /* Without a list, the single certificate (as before rotation). */
    ck_assert_ptr_eq(bkm_sertifikat_velg(NULL, &certs[0], day(500)),
                     &certs[0]);
    ck_assert_ptr_null(bkm_sertifikat_velg(NULL, NULL, day(1)));
    ck_assert_int_eq(bkm_sertifikat_antall(l, &certs[0]), 2);
    ck_assert_int_eq(bkm_sertifikat_antall(NULL, &certs[0]), 1);
    ck_assert_ptr_eq(bkm_sertifikat_nr(NULL, &certs[0], 0), &certs[0]);
    ck_assert_ptr_null(bkm_sertifikat_nr(NULL, &certs[0], 1));
}
END_TEST

START_TEST(velg_order_does_not_matter)
{
    /* The next listed first: the same choice. */
    static const int from[] = { 80, 0 }, to[] = { 400, 100 };
    apr_array_header_t *l = channel(2, from, to);

    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(10)), &certs[1]);
    ck_assert_ptr_eq(bkm_sertifikat_velg(l, NULL, day(90)), &certs[0]);
}
END_TEST

START_TEST(gyldige_and_publisert)
{
    /* Old (expired), current, next. */
    static const int from[] = { -100, 0, 80 }, to[] = { -1, 100, 400 };
    apr_array_header_t *l = channel(3, from, to);
    apr_array_header_t *pems;

    pems = bkm_sertifikat_gyldige_pem(bkm_test_pool, l, day(90));
    ck_assert_int_eq(pems->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(pems, 0, const char *), "PEM 1");
    ck_assert_str_eq(APR_ARRAY_IDX(pems, 1, const char *), "PEM 2");
    pems = bkm_sertifikat_gyldige_pem(bkm_test_pool, l, day(10));
    ck_assert_int_eq(pems->nelts, 1);
    pems = bkm_sertifikat_gyldige_pem(bkm_test_pool, l, day(900));
    ck_assert_int_eq(pems->nelts, 0);
    /* Published: valid now or later; the expired one not. */
    ck_assert(!bkm_sertifikat_publisert(l, NULL, &certs[0], day(10)));
    ck_assert(bkm_sertifikat_publisert(l, NULL, &certs[1], day(10)));
    ck_assert(bkm_sertifikat_publisert(l, NULL, &certs[2], day(10)));
    /* After all expired, the one that still seals is published. */
    ck_assert(bkm_sertifikat_publisert(l, NULL, &certs[2], day(900)));
    ck_assert(!bkm_sertifikat_publisert(l, NULL, &certs[1], day(900)));
}
END_TEST

/* A registry of one district whose case-system channel is @p l. */
static bkm_registry_t *registry(apr_array_header_t *l)
{
    bkm_registry_t *reg = apr_pcalloc(bkm_test_pool, sizeof(*reg));
    bkm_kommune_t *k = apr_pcalloc(bkm_test_pool, sizeof(*k));
    bkm_bydel_t *b = apr_pcalloc(bkm_test_pool, sizeof(*b));

    k->nummer = "0301";
    k->bydeler = apr_array_make(bkm_test_pool, 1, sizeof(bkm_bydel_t *));
    b->kommune = k;
    b->nummer = "01";
    b->fagsystem_sertifikater = l;
    b->cert_fagsystem = APR_ARRAY_IDX(l, 0, const bkm_cert_t *);
    APR_ARRAY_PUSH(k->bydeler, const bkm_bydel_t *) = b;
    reg->kommuner = apr_array_make(bkm_test_pool, 1, sizeof(bkm_kommune_t *));
    APR_ARRAY_PUSH(reg->kommuner, const bkm_kommune_t *) = k;
    return reg;
}

START_TEST(alert)
{
    static const int from[] = { 0, 80 }, to[] = { 100, 400 };
    bkm_registry_t *reg = registry(channel(2, from, to));
    bkm_sertifikat_varsel_t v;
    apr_uint32_t before[3], after[3];

    ck_assert_int_eq(bkm_sertifikat_counts(before, 3), 3);
    /* 30 days' warning: nothing on day 69, A on day 70 (with a next). */
    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(69), 30 * DAY, NULL, &v);
    ck_assert_int_eq(v.utloper, 0);
    ck_assert_int_eq(v.ugyldig, 0);
    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(70), 30 * DAY, NULL, &v);
    ck_assert_int_eq(v.utloper, 1);
    ck_assert_int_eq(v.uten_neste, 0);
    /* B near its end, nothing after it. */
    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(390), 30 * DAY, NULL, &v);
    ck_assert_int_eq(v.utloper, 1);
    ck_assert_int_eq(v.uten_neste, 1);
    ck_assert_int_eq(v.ugyldig, 0);
    /* All expired: the channel has no valid certificate. */
    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(401), 30 * DAY, NULL, &v);
    ck_assert_int_eq(v.utloper, 0);
    ck_assert_int_eq(v.ugyldig, 1);
    /* Off. */
    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(70), 0, NULL, &v);
    ck_assert_int_eq(v.utloper, 0);
    bkm_sertifikat_counts(after, 3);
    ck_assert_uint_eq(after[0] - before[0], 2);
    ck_assert_uint_eq(after[1] - before[1], 1);
    ck_assert_uint_eq(after[2] - before[2], 1);
}
END_TEST

START_TEST(alert_gap)
{
    /* B starts only after A has expired: A's alert says no next. */
    static const int from[] = { 0, 150 }, to[] = { 100, 400 };
    bkm_registry_t *reg = registry(channel(2, from, to));
    bkm_sertifikat_varsel_t v;

    bkm_sertifikat_sjekk(bkm_test_pool, reg, day(80), 30 * DAY, NULL, &v);
    ck_assert_int_eq(v.utloper, 1);
    ck_assert_int_eq(v.uten_neste, 1);
}
END_TEST

Suite *bkm_suite_sertifikat(void)
{
    Suite *s = suite_create("sertifikat");
    TCase *tc = tcase_create("sertifikat");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, velg_newest_valid);
    tcase_add_test(tc, velg_order_does_not_matter);
    tcase_add_test(tc, gyldige_and_publisert);
    tcase_add_test(tc, alert);
    tcase_add_test(tc, alert_gap);
    suite_add_tcase(s, tc);
    return s;
}
