/* SPDX-License-Identifier: Apache-2.0 */
/* Digests in hex (bkm_digest): SHA-256 against the FIPS 180-2 examples,
 * HMAC-SHA256 against RFC 4231's test cases, and the one spelling of a
 * digest that we store. */
#include "unit.h"
#include "bkm_digest.h"

#include <string.h>
#include <apr_strings.h>

static const struct {
    const char *data;
    const char *sha256;
} sha256_cases[] = {
    { "",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

START_TEST(sha256_vectors)
{
    const char *data = sha256_cases[_i].data;
    const char *hex = bkm_sha256_hex(bkm_test_pool, data, strlen(data));

    ck_assert_ptr_nonnull(hex);
    ck_assert_str_eq(hex, sha256_cases[_i].sha256);
}
END_TEST

/* One million times 'a', and bytes that are no C string. */
START_TEST(sha256_long_and_binary)
{
    static const unsigned char nul3[3] = { 0, 0, 0 };
    apr_size_t n = 1000000;
    char *a = apr_palloc(bkm_test_pool, n);

    memset(a, 'a', n);
    ck_assert_str_eq(
        bkm_sha256_hex(bkm_test_pool, a, n),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    ck_assert_str_eq(
        bkm_sha256_hex(bkm_test_pool, nul3, sizeof(nul3)),
        "709e80c88487a2411e1ee4dfb9f22a861492d20c4765150c0c794abd70f8147c");
}
END_TEST

/* RFC 4231 section 4: test cases 1-4, 6 and 7 (5 is a truncated MAC). */
START_TEST(hmac_rfc4231)
{
    unsigned char k3[20], d3[50], k4[25], d4[50], k6[131];
    apr_size_t i;
    const char *mac;

    mac = bkm_hmac_sha256_hex(bkm_test_pool,
                              "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
                              "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b",
                              20, "Hi There", 8);
    ck_assert_str_eq(
        mac,
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    mac = bkm_hmac_sha256_hex(bkm_test_pool, "Jefe", 4,
                              "what do ya want for nothing?", 28);
    ck_assert_str_eq(
        mac,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k3, 0xaa, sizeof(k3));
    memset(d3, 0xdd, sizeof(d3));
    mac = bkm_hmac_sha256_hex(bkm_test_pool, k3, sizeof(k3), d3, sizeof(d3));
    ck_assert_str_eq(
        mac,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (i = 0; i < sizeof(k4); i++) {
        k4[i] = (unsigned char)(i + 1);
    }
    memset(d4, 0xcd, sizeof(d4));
    mac = bkm_hmac_sha256_hex(bkm_test_pool, k4, sizeof(k4), d4, sizeof(d4));
    ck_assert_str_eq(
        mac,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* Keys longer than SHA-256's block are hashed first. */
    memset(k6, 0xaa, sizeof(k6));
    mac = bkm_hmac_sha256_hex(
        bkm_test_pool, k6, sizeof(k6),
        "Test Using Larger Than Block-Size Key - Hash Key First", 54);
    ck_assert_str_eq(
        mac,
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    mac = bkm_hmac_sha256_hex(
        bkm_test_pool, k6, sizeof(k6),
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.",
        152);
    ck_assert_str_eq(
        mac,
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

/* The MAC depends on every byte of the key and of the data. */
START_TEST(hmac_sensitivity)
{
    const char *a = bkm_hmac_sha256_hex(bkm_test_pool, "key-1", 5,
                                        "01017012345", 11);

    ck_assert_ptr_nonnull(a);
    ck_assert(bkm_sha256_hex_valid(a, strlen(a)));
    ck_assert_str_eq(a, bkm_hmac_sha256_hex(bkm_test_pool, "key-1", 5,
                                            "01017012345", 11));
    ck_assert_str_ne(a, bkm_hmac_sha256_hex(bkm_test_pool, "key-2", 5,
                                            "01017012345", 11));
    ck_assert_str_ne(a, bkm_hmac_sha256_hex(bkm_test_pool, "key-1", 5,
                                            "01017012346", 11));
    /* The whole key counts, not its first bytes.  (A key is padded with
     * zeros to SHA-256's block, so "key-1" and "key-1\0" are one key:
     * ours are random bytes of a fixed length, never text.) */
    ck_assert_str_ne(a, bkm_hmac_sha256_hex(bkm_test_pool, "key-1x", 6,
                                            "01017012345", 11));
    ck_assert_str_eq(a, bkm_hmac_sha256_hex(bkm_test_pool, "key-1", 6,
                                            "01017012345", 11));
    /* And no plain SHA-256 of the data. */
    ck_assert_str_ne(a, bkm_sha256_hex(bkm_test_pool, "01017012345", 11));
}
END_TEST

START_TEST(hex)
{
    static const unsigned char b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };

    ck_assert_str_eq(bkm_hex(bkm_test_pool, b, sizeof(b)), "00017f80abff");
    ck_assert_str_eq(bkm_hex(bkm_test_pool, b, 0), "");
}
END_TEST

START_TEST(hex_valid)
{
    const char *d =
        "e3b0c44298fc1c149afbf4c8996fb924"
        "27ae41e4649b934ca495991b7852b855";
    char s[66];

    ck_assert(bkm_sha256_hex_valid(d, 64));
    /* n counts, not the NUL: a digest followed by more text is one. */
    ck_assert(bkm_sha256_hex_valid(apr_pstrcat(bkm_test_pool, d, "!", NULL),
                                   64));
    ck_assert(!bkm_sha256_hex_valid(d, 63));
    ck_assert(!bkm_sha256_hex_valid(d, 0));
    memcpy(s, d, 65);
    s[64] = '0';
    s[65] = '\0';
    ck_assert(!bkm_sha256_hex_valid(s, 65));
    /* Upper case, other letters and NUL are other spellings. */
    s[64] = '\0';
    s[10] = 'A';
    ck_assert(!bkm_sha256_hex_valid(s, 64));
    s[10] = 'g';
    ck_assert(!bkm_sha256_hex_valid(s, 64));
    s[10] = ' ';
    ck_assert(!bkm_sha256_hex_valid(s, 64));
    s[10] = '\0';
    ck_assert(!bkm_sha256_hex_valid(s, 64));
    s[10] = '9';
    ck_assert(bkm_sha256_hex_valid(s, 64));
}
END_TEST

Suite *bkm_suite_digest(void)
{
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("digest");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_loop_test(tc, sha256_vectors, 0,
                        sizeof(sha256_cases) / sizeof(sha256_cases[0]));
    tcase_add_test(tc, sha256_long_and_binary);
    tcase_add_test(tc, hmac_rfc4231);
    tcase_add_test(tc, hmac_sensitivity);
    tcase_add_test(tc, hex);
    tcase_add_test(tc, hex_valid);
    suite_add_tcase(s, tc);
    return s;
}
