/* SPDX-License-Identifier: Apache-2.0 */
/* Proof of possession (bkm_besittelse.h): the secret's form, and the two
 * HMACs against values computed independently (Perl's Digest::SHA, and
 * the openssl dgst recipe of schema/lagringskvittering/v2.md). */
#include "unit.h"
#include "bkm_besittelse.h"

#include <string.h>
#include <apr_strings.h>

#define SECRET \
    "000102030405060708090a0b0c0d0e0f" \
    "101112131415161718191a1b1c1d1e1f"
#define OTHER \
    "ff0102030405060708090a0b0c0d0e0f" \
    "101112131415161718191a1b1c1d1e1f"
#define MID "6f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static int is_hex64(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

START_TEST(secret_form)
{
    const char *a = bkm_besittelse_new(bkm_test_pool);
    const char *b = bkm_besittelse_new(bkm_test_pool);
    apr_size_t len;
    const char *doc;

    ck_assert(is_hex64(a));
    ck_assert(is_hex64(b));
    ck_assert_str_ne(a, b);
    doc = bkm_besittelse_document(bkm_test_pool, MID, a, &len);
    ck_assert_uint_eq(len, strlen(doc));
    ck_assert_str_eq(doc, apr_pstrcat(bkm_test_pool,
                                      "{\"versjon\":1,"
                                      "\"bekymringsmeldingId\":\"" MID "\","
                                      "\"hemmelighet\":\"",
                                      a, "\"}", NULL));
}
END_TEST

START_TEST(known_answers)
{
    ck_assert_str_eq(bkm_besittelse_bevis(bkm_test_pool, SECRET, MID, SHA,
                                          "2025/01234-7"),
                     "ac671038b488266318420d4e6c3c83fc"
                     "5d6ca5aca2c1ce8c75d1b9197f0f4cfa");
    ck_assert_str_eq(bkm_besittelse_svar(bkm_test_pool, SECRET,
                                         "11111111-2222-4333-8444-"
                                         "555555555555",
                                         MID,
                                         "abababababababababababababababab"
                                         "abababababababababababababababab"),
                     "3d5a69f0c37221dcc5c0e76a67002989"
                     "f66010ef83c3b6d31873b546c42027b4");
}
END_TEST

START_TEST(bound_to_every_field)
{
    const char *p = bkm_besittelse_bevis(bkm_test_pool, SECRET, MID, SHA,
                                         "A");

    ck_assert_str_ne(p, bkm_besittelse_bevis(bkm_test_pool, SECRET, MID, SHA,
                                             "B"));
    ck_assert_str_ne(p, bkm_besittelse_bevis(bkm_test_pool, SECRET,
                                             "7f1e2d3c-4b5a-4987-8a6b-"
                                             "5c4d3e2f1a0b",
                                             SHA, "A"));
    ck_assert_str_ne(p, bkm_besittelse_bevis(bkm_test_pool, OTHER, MID, SHA,
                                             "A"));
    /* the labels keep a receipt's proof from answering a challenge */
    ck_assert_str_ne(p, bkm_besittelse_svar(bkm_test_pool, SECRET, MID, SHA,
                                            "A"));
}
END_TEST

START_TEST(bad_secret)
{
    ck_assert_ptr_null(bkm_besittelse_bevis(bkm_test_pool, NULL, MID, SHA,
                                            "A"));
    ck_assert_ptr_null(bkm_besittelse_bevis(bkm_test_pool, "00", MID, SHA,
                                            "A"));
    ck_assert_ptr_null(bkm_besittelse_bevis(bkm_test_pool,
                                            "0001020304050607080910111213141"
                                            "5161718191a1b1c1d1e1F",
                                            MID, SHA, "A"));
    ck_assert_ptr_null(bkm_besittelse_svar(bkm_test_pool, "xyz", "k", MID,
                                           "n"));
}
END_TEST

START_TEST(equal)
{
    ck_assert(bkm_besittelse_equal("abc", "abc"));
    ck_assert(!bkm_besittelse_equal("abc", "abd"));
    ck_assert(!bkm_besittelse_equal("abc", "abcd"));
    ck_assert(!bkm_besittelse_equal(NULL, "abc"));
    ck_assert(!bkm_besittelse_equal("abc", NULL));
    ck_assert(!bkm_besittelse_equal(NULL, NULL));
}
END_TEST

Suite *bkm_suite_besittelse(void)
{
    Suite *s = suite_create("besittelse");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, secret_form);
    tcase_add_test(tc, known_answers);
    tcase_add_test(tc, bound_to_every_field);
    tcase_add_test(tc, bad_secret);
    tcase_add_test(tc, equal);
    suite_add_tcase(s, tc);
    return s;
}
