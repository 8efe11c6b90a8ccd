/* SPDX-License-Identifier: Apache-2.0 */
/* Boxes (bkm_box): AES-256-GCM as nonce || ciphertext || tag.  The format
 * is checked both ways against others: boxes built from the GCM
 * specification's test vectors open, and a box we seal opens in Node's
 * crypto (OpenSSL under another API).  Any change, a wrong key or a cut
 * box opens nothing.  And the hex helpers that draw and read keys. */
#include "unit.h"
#include "bkm_box.h"

#include <stdio.h>
#include <string.h>
#include <apr_strings.h>

static char dir[512]; /* <test dir>/box */

static void setup(void)
{
    bkm_test_pool_setup();
    snprintf(dir, sizeof(dir), "%s/box", bkm_test_dir());
    ck_assert_int_eq(bkm_test_run("mkdir -p %s", dir), 0);
}

static const unsigned char *bytes(const char *hex, apr_size_t *n)
{
    unsigned char *b = apr_palloc(bkm_test_pool, strlen(hex) / 2 + 1);

    ck_assert_int_eq(bkm_unhex(hex, b, strlen(hex) / 2), 0);
    if (n) {
        *n = strlen(hex) / 2;
    }
    return b;
}

static const unsigned char *key_of(int seed)
{
    unsigned char *k = apr_palloc(bkm_test_pool, BKM_BOX_KEY);
    int i;

    for (i = 0; i < BKM_BOX_KEY; i++) {
        k[i] = (unsigned char)(seed * 131 + i * 7);
    }
    return k;
}

/* McGrew and Viega, "The Galois/Counter Mode of Operation", test cases
 * 13-15 (256-bit keys, 96-bit IVs, no additional data), as boxes. */
static const struct {
    const char *key, *iv, *plain, *cipher, *tag;
} gcm_spec[] = {
    { "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", "", "",
      "530f8afbc74536b9a963b4f1c4cb738b" },
    { "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", "00000000000000000000000000000000",
      "cea7403d4d606b6e074ec5d3baf39d18",
      "d0d1c8a799996bf0265b98b5d48ab919" },
    { "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
      "b094dac5d93471bdec1a502270e3cc6c" },
};

START_TEST(opens_spec_vectors)
{
    const char *box_hex = apr_pstrcat(bkm_test_pool, gcm_spec[_i].iv,
                                      gcm_spec[_i].cipher, gcm_spec[_i].tag,
                                      NULL);
    apr_size_t box_len, want_len, len = 99;
    const unsigned char *box = bytes(box_hex, &box_len);
    const unsigned char *want = bytes(gcm_spec[_i].plain, &want_len);
    unsigned char *plain = NULL;
    const char *err;

    err = bkm_box_open(bkm_test_pool, bytes(gcm_spec[_i].key, NULL), box,
                       box_len, &plain, &len);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_uint_eq(len, want_len);
    ck_assert(memcmp(plain, want, len) == 0);
    ck_assert_int_eq(plain[len], '\0');
}
END_TEST

START_TEST(round_trip)
{
    static const char text[] = "Blåbærsyltetøy\0med NUL\r\n";
    const unsigned char *k = key_of(1);
    unsigned char *box, *box2, *plain;
    apr_size_t len, len2, plain_len;
    const char *err;

    err = bkm_box_seal(bkm_test_pool, k, text, sizeof(text), &box, &len);
    ck_assert_msg(err == NULL, "%s", err);
    /* GCM pads nothing: the nonce, as many bytes as the text, the tag. */
    ck_assert_uint_eq(len, 12 + sizeof(text) + 16);
    ck_assert(memmem(box, len, "Blåbær", 6) == NULL);
    err = bkm_box_open(bkm_test_pool, k, box, len, &plain, &plain_len);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_uint_eq(plain_len, sizeof(text));
    ck_assert(memcmp(plain, text, sizeof(text)) == 0);
    ck_assert_int_eq(plain[plain_len], '\0');
    /* A fresh nonce each time: the same text never seals the same. */
    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, k, text, sizeof(text),
                                    &box2, &len2));
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(box, box2, 12) != 0);
    ck_assert(memcmp(box + 12, box2 + 12, len - 12) != 0);
    /* Nothing to seal seals too. */
    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, k, "", 0, &box, &len));
    ck_assert_uint_eq(len, 28);
    ck_assert_ptr_null(bkm_box_open(bkm_test_pool, k, box, len, &plain,
                                    &plain_len));
    ck_assert_uint_eq(plain_len, 0);
    ck_assert_str_eq((const char *)plain, "");
}
END_TEST

START_TEST(large)
{
    apr_size_t n = 3 * 1024 * 1024 + 7, i, len, plain_len;
    unsigned char *data = apr_palloc(bkm_test_pool, n), *box, *plain;
    const unsigned char *k = key_of(2);

    for (i = 0; i < n; i++) {
        data[i] = (unsigned char)((i * 2654435761u) >> 13);
    }
    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, k, data, n, &box, &len));
    ck_assert_uint_eq(len, n + 28);
    ck_assert_ptr_null(bkm_box_open(bkm_test_pool, k, box, len, &plain,
                                    &plain_len));
    ck_assert_uint_eq(plain_len, n);
    ck_assert(memcmp(plain, data, n) == 0);
}
END_TEST

/* Every byte flipped, in the nonce, the ciphertext and the tag; every
 * shorter box; a byte more; another key. */
START_TEST(tamper)
{
    static const char text[] = "kopi av meldingen";
    const unsigned char *k = key_of(3);
    unsigned char *box, *bad, *plain = NULL, *k2;
    apr_size_t len, i, plain_len = 0;
    const char *err;

    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, k, text, strlen(text),
                                    &box, &len));
    bad = apr_palloc(bkm_test_pool, len + 1);
    for (i = 0; i < len; i++) {
        memcpy(bad, box, len);
        bad[i] ^= 0x01;
        err = bkm_box_open(bkm_test_pool, k, bad, len, &plain, &plain_len);
        ck_assert_msg(err != NULL, "byte %d changed, and it opened", (int)i);
        ck_assert_ptr_null(plain);
    }
    for (i = 0; i < len; i++) {
        err = bkm_box_open(bkm_test_pool, k, box, i, &plain, &plain_len);
        ck_assert_msg(err != NULL, "cut to %d bytes, and it opened", (int)i);
    }
    memcpy(bad, box, len);
    bad[len] = 0;
    ck_assert_ptr_nonnull(bkm_box_open(bkm_test_pool, k, bad, len + 1, &plain,
                                       &plain_len));
    /* The tail of a box of "" is no box of "". */
    ck_assert_ptr_nonnull(bkm_box_open(bkm_test_pool, k, box + len - 28, 28,
                                       &plain, &plain_len));
    k2 = apr_pmemdup(bkm_test_pool, k, BKM_BOX_KEY);
    for (i = 0; i < BKM_BOX_KEY; i += 31) {
        k2[i] ^= 0x80;
        err = bkm_box_open(bkm_test_pool, k2, box, len, &plain, &plain_len);
        ck_assert_str_eq(err, "the box does not open with this key");
        k2[i] ^= 0x80;
    }
    ck_assert_ptr_null(plain);
    ck_assert_uint_eq(plain_len, 0);
    /* And the right key still opens it. */
    ck_assert_ptr_null(bkm_box_open(bkm_test_pool, k2, box, len, &plain,
                                    &plain_len));
    ck_assert_str_eq((const char *)plain, text);
}
END_TEST

/* What we seal opens elsewhere: Node's AES-256-GCM, given our layout. */
static const char node_open[] =
    "const c = require('crypto'), fs = require('fs');\n"
    "const [box, key, out] = process.argv.slice(2);\n"
    "const b = fs.readFileSync(box);\n"
    "const d = c.createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'),\n"
    "                             b.subarray(0, 12));\n"
    "d.setAuthTag(b.subarray(b.length - 16));\n"
    "fs.writeFileSync(out, Buffer.concat([d.update(b.subarray(12,\n"
    "    b.length - 16)), d.final()]));\n";

START_TEST(opens_in_node)
{
    static const char text[] = "%PDF-1.7\n\xe2\x80\x94 a copy \x00\xff\n";
    const char *key_hex = bkm_random_hex(bkm_test_pool, BKM_BOX_KEY);
    const char *path = apr_pstrcat(bkm_test_pool, dir, "/", NULL);
    unsigned char k[BKM_BOX_KEY], *box;
    apr_size_t len;
    int rc;

    ck_assert_ptr_nonnull(key_hex);
    ck_assert_int_eq(bkm_unhex(key_hex, k, sizeof(k)), 0);
    ck_assert_ptr_null(bkm_box_seal(bkm_test_pool, k, text, sizeof(text),
                                    &box, &len));
    bkm_test_put(dir, "open.js", node_open, sizeof(node_open) - 1);
    bkm_test_put(dir, "b.box", box, len);
    rc = bkm_test_run("node %sopen.js %sb.box %s %sb.out", path, path,
                      key_hex, path);
    ck_assert_msg(rc == 0, "node does not open the box (is node installed?)");
    bkm_test_same_as(dir, "b.out", text, sizeof(text));
    /* With another key Node refuses it too. */
    key_hex = bkm_random_hex(bkm_test_pool, BKM_BOX_KEY);
    rc = bkm_test_run("node %sopen.js %sb.box %s %sc.out 2>/dev/null", path,
                      path, key_hex, path);
    ck_assert_int_ne(rc, 0);
}
END_TEST

START_TEST(random_hex)
{
    const char *a = bkm_random_hex(bkm_test_pool, 32);
    const char *b = bkm_random_hex(bkm_test_pool, 32);

    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(strlen(a), 64);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
    ck_assert_str_ne(a, b);
    ck_assert_str_eq(bkm_random_hex(bkm_test_pool, 0), "");
    ck_assert_uint_eq(strlen(bkm_random_hex(bkm_test_pool, 1)), 2);
    ck_assert_uint_eq(strlen(bkm_random_hex(bkm_test_pool, 64)), 128);
    ck_assert_ptr_null(bkm_random_hex(bkm_test_pool, 65));
}
END_TEST

START_TEST(unhex)
{
    unsigned char out[4] = { 1, 2, 3, 4 };

    ck_assert_int_eq(bkm_unhex("00ff7fa0", out, 4), 0);
    ck_assert_int_eq(out[0], 0x00);
    ck_assert_int_eq(out[1], 0xff);
    ck_assert_int_eq(out[2], 0x7f);
    ck_assert_int_eq(out[3], 0xa0);
    ck_assert_int_eq(bkm_unhex("", out, 0), 0);
    /* Exactly 2n digits, lower case only. */
    ck_assert_int_eq(bkm_unhex("00ff7f", out, 4), -1);
    ck_assert_int_eq(bkm_unhex("00ff7fa000", out, 4), -1);
    ck_assert_int_eq(bkm_unhex("00FF7FA0", out, 4), -1);
    ck_assert_int_eq(bkm_unhex("00ff7fg0", out, 4), -1);
    ck_assert_int_eq(bkm_unhex("00ff7f 0", out, 4), -1);
    ck_assert_int_eq(bkm_unhex("0xff7fa0", out, 4), -1);
    ck_assert_int_eq(bkm_unhex(NULL, out, 4), -1);
    ck_assert_int_eq(bkm_unhex("00ff7fa0", out, 3), -1);
}
END_TEST

Suite *bkm_suite_box(void)
{
    Suite *s = suite_create("box");
    TCase *tc = tcase_create("box");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, bkm_test_pool_teardown);
    tcase_add_loop_test(tc, opens_spec_vectors, 0,
                        sizeof(gcm_spec) / sizeof(gcm_spec[0]));
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, large);
    tcase_add_test(tc, tamper);
    tcase_add_test(tc, opens_in_node);
    tcase_add_test(tc, random_hex);
    tcase_add_test(tc, unhex);
    suite_add_tcase(s, tc);
    return s;
}
