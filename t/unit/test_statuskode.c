/* SPDX-License-Identifier: Apache-2.0 */
/* The reporter's status code (bkm_statuskode) and the list of assurance
 * failures (bkm_avvik). */
#include "unit.h"
#include "bkm_statuskode.h"
#include "bkm_avvik.h"
#include "bkm_ids.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
static const char *id1 = "3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
static const char *id2 = "3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5c";

START_TEST(codes)
{
    bkm_token_keys_t k, other;
    unsigned char secret2[32];
    const char *c = NULL, *c2;
    char ref[10], sec[9];
    int i;

    ck_assert_int_eq(bkm_token_keys(secret, sizeof(secret), &k), 0);
    c = bkm_statuskode(bkm_test_pool, &k, "7K4Q-9XHT", id1);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(strlen(c), 19);
    ck_assert(strncmp(c, "7K4Q-9XHT-", 10) == 0);
    ck_assert_int_eq(c[14], '-');
    /* Derived, so the same every time and on every node. */
    ck_assert_str_eq(c, bkm_statuskode(bkm_test_pool, &k, "7K4Q-9XHT", id1));
    c2 = bkm_statuskode(bkm_test_pool, &k, "7K4Q-9XHT", id2);
    ck_assert_str_ne(c + 10, c2 + 10);
    /* Its characters are the reference numbers'. */
    for (i = 10; i < 19; i++) {
        if (i != 14) {
            char probe[10] = "2222-2222";
            probe[0] = c[i];
            ck_assert_msg(bkm_reference_valid(probe), "%c", c[i]);
        }
    }
    /* Read back as typed: lower case, blanks, no hyphens. */
    ck_assert_int_eq(bkm_statuskode_parse(c, ref, sec), 0);
    ck_assert_str_eq(ref, "7K4Q-9XHT");
    ck_assert(bkm_statuskode_ok(&k, id1, sec));
    ck_assert(!bkm_statuskode_ok(&k, id2, sec));
    {
        char *low = apr_pstrdup(bkm_test_pool, c);
        char *spaced = apr_psprintf(bkm_test_pool, " %.4s %.4s  %.4s %.4s ",
                                    c, c + 5, c + 10, c + 15);
        for (i = 0; low[i]; i++) {
            low[i] = (char)apr_tolower(low[i]);
        }
        ck_assert_int_eq(bkm_statuskode_parse(low, ref, sec), 0);
        ck_assert(bkm_statuskode_ok(&k, id1, sec));
        ck_assert_int_eq(bkm_statuskode_parse(spaced, ref, sec), 0);
        ck_assert(bkm_statuskode_ok(&k, id1, sec));
    }
    /* Another secret key: another code. */
    memcpy(secret2, secret, 32);
    secret2[5] ^= 1;
    ck_assert_int_eq(bkm_token_keys(secret2, 32, &other), 0);
    ck_assert_int_eq(bkm_statuskode_parse(c, ref, sec), 0);
    ck_assert(!bkm_statuskode_ok(&other, id1, sec));
    /* A changed character fails. */
    sec[7] = sec[7] == '2' ? '3' : '2';
    ck_assert(!bkm_statuskode_ok(&k, id1, sec));
    ck_assert(!bkm_statuskode_ok(&k, id1, "2222222"));
    ck_assert(!bkm_statuskode_ok(&k, id1, NULL));
}
END_TEST

START_TEST(malformed)
{
    static const char *const bad[] = { "",
                                       "7K4Q-9XHT",
                                       "7K4Q-9XHT-ABCD-EFG",
                                       "7K4Q-9XHT-ABCD-EFGHJ",
                                       "7K4Q-9XHT-ABCD-EFG0",
                                       "7K4Q-9XHT-ABCD-EFGO",
                                       "7K4Q-9XHT-ABCD-EFGI",
                                       "7K4Q-9XHT-ABCD-EFGU",
                                       "7K4Q-9XHT-ABCD-EFG\xc3\x85",
                                       "7K4Q.9XHT.ABCD.EFGH",
                                       "7K4Q-9XHT-ABCD-EFGH%00",
                                       "7K4Q9XHTABCDEFGH7K4Q9XHTABCDEFGH",
                                       NULL };
    char ref[10], sec[9];
    int i;

    for (i = 0; bad[i]; i++) {
        ck_assert_msg(bkm_statuskode_parse(bad[i], ref, sec) == -1, "%s",
                      bad[i]);
    }
    ck_assert_int_eq(bkm_statuskode_parse(NULL, ref, sec), -1);
    ck_assert_int_eq(bkm_statuskode_parse("7k4q9xhtabcdefgh", ref, sec), 0);
    ck_assert_str_eq(ref, "7K4Q-9XHT");
    ck_assert_str_eq(sec, "ABCDEFGH");
}
END_TEST

START_TEST(avvik_list)
{
    ck_assert_int_ge(BKM_AVVIK_N, 2);
    ck_assert_int_ge(bkm_avvik_index("KVITTERING_AVVIST"), 0);
    ck_assert_int_ge(bkm_avvik_index("AVVIST_PRINT"), 0);
    ck_assert_int_eq(bkm_avvik_index("LEVERT"), -1);
    ck_assert_int_eq(bkm_avvik_index("KVITTERING_AVVIS"), -1);
    ck_assert_int_eq(bkm_avvik_index(NULL), -1);
    ck_assert_str_eq(bkm_avvik_name(bkm_avvik_index("AVVIST_PRINT")),
                     "AVVIST_PRINT");
    ck_assert_ptr_null(bkm_avvik_name(BKM_AVVIK_N));
    ck_assert_ptr_null(bkm_avvik_name(-1));
}
END_TEST

Suite *bkm_suite_statuskode(void)
{
    Suite *s = suite_create("statuskode");
    TCase *tc = tcase_create("statuskode");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, codes);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, avvik_list);
    suite_add_tcase(s, tc);
    return s;
}
