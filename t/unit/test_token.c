/* SPDX-License-Identifier: Apache-2.0 */
/* Tokens bound to a person (bkm_token): each holds for its person and
 * purpose only, and each derived key follows from the secret alone (so
 * every node of a farm agrees). */
#include "unit.h"
#include "bkm_token.h"

#include <string.h>
#include <apr_strings.h>

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";

static bkm_token_keys_t keys(void)
{
    bkm_token_keys_t k;

    ck_assert_int_eq(bkm_token_keys(secret, sizeof(secret), &k), 0);
    return k;
}

START_TEST(person_tags)
{
    bkm_token_keys_t k = keys(), other;
    unsigned char secret2[32];
    const char *a = bkm_token_person(bkm_test_pool, &k, "01017012345");
    const char *b = bkm_token_person(bkm_test_pool, &k, "02028054321");

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(strlen(a), 32);
    ck_assert_str_eq(a, bkm_token_person(bkm_test_pool, &k, "01017012345"));
    ck_assert_str_ne(a, b);
    ck_assert_ptr_null(strstr(a, "01017012345"));
    memcpy(secret2, secret, 32);
    secret2[0] ^= 1;
    ck_assert_int_eq(bkm_token_keys(secret2, 32, &other), 0);
    ck_assert_str_ne(a,
                     bkm_token_person(bkm_test_pool, &other, "01017012345"));
    ck_assert_int_eq(bkm_token_keys(secret, 31, &other), -1);
}
END_TEST

START_TEST(form_tokens)
{
    bkm_token_keys_t k = keys();
    const char *kari = bkm_token_person(bkm_test_pool, &k, "01017012345");
    const char *ola = bkm_token_person(bkm_test_pool, &k, "02028054321");
    const char *t = bkm_token_form_new(bkm_test_pool, &k, kari);
    const char *t2 = bkm_token_form_new(bkm_test_pool, &k, kari);
    const char *d1, *d2, *d3;
    unsigned char r1[32], r2[32];
    char *bad;

    ck_assert_int_eq(strlen(t), 64);
    ck_assert_str_ne(t, t2);
    ck_assert(bkm_token_form_ok(&k, kari, t));
    /* The same token with another person, or changed anywhere, fails. */
    ck_assert(!bkm_token_form_ok(&k, ola, t));
    bad = apr_pstrdup(bkm_test_pool, t);
    bad[63] = bad[63] == '0' ? '1' : '0';
    ck_assert(!bkm_token_form_ok(&k, kari, bad));
    bad = apr_pstrdup(bkm_test_pool, t);
    bad[0] = bad[0] == '0' ? '1' : '0';
    ck_assert(!bkm_token_form_ok(&k, kari, bad));
    ck_assert(!bkm_token_form_ok(&k, kari, "x"));
    ck_assert(!bkm_token_form_ok(&k, kari,
                                 apr_pstrcat(bkm_test_pool, t, "0", NULL)));
    ck_assert(!bkm_token_form_ok(&k, kari, NULL));
    /* A client's own 64 hex digits are no token (the old attack). */
    ck_assert(!bkm_token_form_ok(&k, kari,
                                 "0000000000000000000000000000000000000000"
                                 "000000000000000000000000"));
    /* Keys: the same twice for the same person and token, else other. */
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, kari, t, "a", &d1,
                                         r1),
                     0);
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, kari, t, "a", &d2,
                                         r2),
                     0);
    ck_assert_str_eq(d1, d2);
    ck_assert_int_eq(strlen(d1), 64);
    ck_assert_mem_eq(r1, r2, 32);
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, kari, t2, "a",
                                         &d3, r2),
                     0);
    ck_assert_str_ne(d1, d3);
    ck_assert_mem_ne(r1, r2, 32);
    /* Another report under the same token is another report. */
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, kari, t, "b", &d3,
                                         r2),
                     0);
    ck_assert_str_ne(d1, d3);
    ck_assert_mem_ne(r1, r2, 32);
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, kari, t, NULL,
                                         &d3, r2),
                     -1);
    ck_assert_int_eq(bkm_token_form_keys(bkm_test_pool, &k, ola, t, "a", &d3,
                                         r2),
                     -1);
}
END_TEST

START_TEST(csrf_tokens)
{
    bkm_token_keys_t k = keys();
    const char *cookie =
        "ab"
        "ab"
        "ab"
        "ab"
        "ab"
        "ab"
        "ab"
        "ab";
    const char *kari = bkm_token_person(bkm_test_pool, &k, "01017012345");
    const char *ola = bkm_token_person(bkm_test_pool, &k, "02028054321");
    const char *t = bkm_token_csrf(bkm_test_pool, &k, cookie, kari);
    const char *anon = bkm_token_csrf(bkm_test_pool, &k, cookie, NULL);

    ck_assert_int_eq(strlen(t), 64);
    ck_assert(bkm_token_csrf_ok(&k, cookie, kari, t));
    ck_assert(!bkm_token_csrf_ok(&k, cookie, ola, t));
    ck_assert(!bkm_token_csrf_ok(&k, cookie, NULL, t));
    ck_assert(!bkm_token_csrf_ok(&k, "cd", kari, t));
    /* The cookie's own value is no token (the double-submit attack). */
    ck_assert(!bkm_token_csrf_ok(&k, cookie, kari, cookie));
    ck_assert(bkm_token_csrf_ok(&k, cookie, "", anon));
    ck_assert(!bkm_token_csrf_ok(&k, cookie, kari, anon));
    ck_assert(!bkm_token_csrf_ok(&k, NULL, kari, t));
    ck_assert(!bkm_token_csrf_ok(&k, cookie, kari, NULL));
}
END_TEST

START_TEST(login_evidence)
{
    bkm_token_keys_t k = keys();
    apr_time_t now = bkm_test_utc(2026, 12, 2, 12, 0);
    const char *kari = bkm_token_person(bkm_test_pool, &k, "01017012345");
    const char *ola = bkm_token_person(bkm_test_pool, &k, "02028054321");
    const char *e = bkm_token_evidence(bkm_test_pool, &k, kari,
                                       now + apr_time_from_sec(3600));
    const char *e2 = bkm_token_evidence(bkm_test_pool, &k, ola,
                                        now + apr_time_from_sec(3600));
    char *bad;

    ck_assert_str_eq(bkm_token_evidence_tag(bkm_test_pool, &k, e, now), kari);
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, e,
                                              now + apr_time_from_sec(3600)));
    /* Another person's tag with this MAC, or any byte changed: none. */
    bad = apr_pstrcat(bkm_test_pool, ola, strchr(e, '.'), NULL);
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, bad, now));
    bad = apr_pstrcat(bkm_test_pool, kari, strchr(e2, '.'), NULL);
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, bad, now));
    bad = apr_pstrdup(bkm_test_pool, e);
    bad[40] = bad[40] == '9' ? '8' : '9';
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, bad, now));
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, "", now));
    ck_assert_ptr_null(bkm_token_evidence_tag(
        bkm_test_pool, &k,
        apr_pstrcat(bkm_test_pool, kari, ".99999999999.",
                    "00000000000000000000000000000000", NULL),
        now));
    ck_assert_ptr_null(bkm_token_evidence_tag(bkm_test_pool, &k, NULL, now));
    /* An expiry too far for apr_time_t is refused before it is multiplied
     * (signed overflow; t/fuzz/corpus/token/far_future under UBSan). */
    ck_assert_ptr_null(bkm_token_evidence_tag(
        bkm_test_pool, &k,
        apr_pstrcat(bkm_test_pool, kari, ".99999999999999999999.",
                    "00000000000000000000000000000000", NULL),
        now));
    /* A draft's owner is neither the tag nor the same for two people. */
    ck_assert_str_ne(bkm_token_owner(bkm_test_pool, &k, kari), kari);
    ck_assert_str_ne(bkm_token_owner(bkm_test_pool, &k, kari),
                     bkm_token_owner(bkm_test_pool, &k, ola));
}
END_TEST

Suite *bkm_suite_token(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("token");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, person_tags);
    tcase_add_test(tc, form_tokens);
    tcase_add_test(tc, csrf_tokens);
    tcase_add_test(tc, login_evidence);
    suite_add_tcase(s, tc);
    return s;
}
