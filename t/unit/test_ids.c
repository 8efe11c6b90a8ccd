/* SPDX-License-Identifier: Apache-2.0 */
/* Identifiers (bkm_ids): version 4 UUIDs and reference numbers, their
 * shape, their alphabet and that they do not repeat. */
#include "unit.h"
#include "bkm_ids.h"

#include <string.h>
#include <apr_hash.h>

#define DRAWS 2000

START_TEST(uuids)
{
    apr_hash_t *seen = apr_hash_make(bkm_test_pool);
    int i, k;

    for (i = 0; i < DRAWS; i++) {
        const char *u = bkm_uuid(bkm_test_pool);

        ck_assert_ptr_nonnull(u);
        ck_assert_msg(strlen(u) == 36, "%s", u);
        for (k = 0; k < 36; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23) {
                ck_assert_msg(u[k] == '-', "%s", u);
            }
            else {
                ck_assert_msg(strchr("0123456789abcdef", u[k]) && u[k], "%s",
                              u);
            }
        }
        /* RFC 4122 section 4.4: version 4, variant 10x. */
        ck_assert_msg(u[14] == '4', "%s", u);
        ck_assert_msg(strchr("89ab", u[19]) && u[19], "%s", u);
        ck_assert_msg(bkm_uuid_valid(u, 0), "%s", u);
        ck_assert_msg(!apr_hash_get(seen, u, APR_HASH_KEY_STRING), "%s twice",
                      u);
        apr_hash_set(seen, u, APR_HASH_KEY_STRING, u);
    }
}
END_TEST

START_TEST(references)
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
    apr_hash_t *seen = apr_hash_make(bkm_test_pool);
    int count[256] = { 0 };
    int i, k;

    for (i = 0; i < DRAWS; i++) {
        const char *r = bkm_reference(bkm_test_pool);

        ck_assert_ptr_nonnull(r);
        ck_assert_msg(strlen(r) == 9 && r[4] == '-', "%s", r);
        for (k = 0; k < 9; k++) {
            if (k != 4) {
                ck_assert_msg(strchr(alphabet, r[k]) && r[k], "%s", r);
                count[(unsigned char)r[k]]++;
            }
        }
        ck_assert_msg(bkm_reference_valid(r), "%s", r);
        ck_assert_msg(!apr_hash_get(seen, r, APR_HASH_KEY_STRING), "%s twice",
                      r);
        apr_hash_set(seen, r, APR_HASH_KEY_STRING, r);
    }
    /* 16000 draws from 30 letters: each comes about 530 times (fewer
     * than 300 would be a broken generator, not bad luck), and the
     * look-alikes never. */
    for (k = 0; alphabet[k]; k++) {
        ck_assert_msg(count[(unsigned char)alphabet[k]] > 300, "%c: %d",
                      alphabet[k], count[(unsigned char)alphabet[k]]);
    }
    for (k = 0; k < 256; k++) {
        if (!strchr(alphabet, k) || !k) {
            ck_assert_msg(count[k] == 0, "%c drawn", k);
        }
    }
}
END_TEST

START_TEST(uuid_valid)
{
    static const char *const bad[] = {
        "",
        "123e4567-e89b-42d3-a456-42661417400",   /* 35 characters */
        "123e4567-e89b-42d3-a456-4266141740000", /* 37 */
        "123e4567e89b-42d3-a456-4266141740000",  /* a dash moved */
        "123e4567-e89b-42d3-a456_426614174000",
        "123e4567-e89b-42d3-a4567426614174000",
        "123e4567-e89b-42d3-a456-42661417400g",
        "{123e4567-e89b-42d3-a456-426614174000}",
        "urn:uuid:123e4567-e89b-42d3-a456-426614174000",
        " 123e4567-e89b-42d3-a456-426614174000",
        "123e4567-e89b-42d3-a456-426614174000 ",
        "123e4567-e89b-42d3-a456-426614174000\n",
        "123e4567 e89b 42d3 a456 426614174000",
        NULL
    };
    int i;

    ck_assert(bkm_uuid_valid("123e4567-e89b-42d3-a456-426614174000", 0));
    ck_assert(bkm_uuid_valid("00000000-0000-0000-0000-000000000000", 0));
    ck_assert(bkm_uuid_valid("ffffffff-ffff-ffff-ffff-ffffffffffff", 0));
    /* Upper case only when asked for. */
    ck_assert(!bkm_uuid_valid("123E4567-E89B-42D3-A456-426614174000", 0));
    ck_assert(bkm_uuid_valid("123E4567-E89B-42D3-A456-426614174000", 1));
    ck_assert(!bkm_uuid_valid("123e4567-e89b-42d3-a456-42661417400G", 1));
    for (i = 0; bad[i]; i++) {
        ck_assert_msg(!bkm_uuid_valid(bad[i], 0), "%s", bad[i]);
        ck_assert_msg(!bkm_uuid_valid(bad[i], 1), "%s", bad[i]);
    }
}
END_TEST

START_TEST(reference_valid)
{
    static const char *const bad[] = {
        "",          "7K4Q9XHT",  "7K4Q-9XH",   "7K4Q-9XHTA",
        "7K4Q_9XHT", "7K4-Q9XHT", " 7K4Q-9XHT", "7K4Q-9XHT ",
        "7K4Q--XHT", "0K4Q-9XHT", /* the look-alikes 0, O, 1, I, L and U */
        "OK4Q-9XHT", "1K4Q-9XHT", "IK4Q-9XHT",  "LK4Q-9XHT",
        "UK4Q-9XHT", "lK4Q-9XHT", "uK4Q-9XHT",  "\xc3\x86K4-9XHT",
        NULL
    };
    int i;

    ck_assert(bkm_reference_valid("7K4Q-9XHT"));
    ck_assert(bkm_reference_valid("2345-6789"));
    ck_assert(bkm_reference_valid("ZYXW-VTSR"));
    /* Read out on the phone and typed in lower case: the same number. */
    ck_assert(bkm_reference_valid("7k4q-9xht"));
    ck_assert(!bkm_reference_valid(NULL));
    for (i = 0; bad[i]; i++) {
        ck_assert_msg(!bkm_reference_valid(bad[i]), "%s", bad[i]);
    }
}
END_TEST

Suite *bkm_suite_ids(void)
{
    Suite *s = suite_create("ids");
    TCase *tc = tcase_create("ids");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, uuids);
    tcase_add_test(tc, references);
    tcase_add_test(tc, uuid_valid);
    tcase_add_test(tc, reference_valid);
    suite_add_tcase(s, tc);
    return s;
}
