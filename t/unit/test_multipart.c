/* SPDX-License-Identifier: Apache-2.0 */
/* The producer API's multipart/form-data parser: good bodies (binary data
 * with CR, LF, NUL and boundary look-alikes intact) and each malformation. */
#include "unit.h"
#include "bkm_multipart.h"

#include <string.h>
#include <apr_strings.h>

#define CRLF "\r\n"

START_TEST(boundary_header)
{
    const char *b = NULL;

    ck_assert_ptr_null(bkm_multipart_boundary(
        bkm_test_pool, "multipart/form-data; boundary=abc123", &b));
    ck_assert_str_eq(b, "abc123");
    ck_assert_ptr_null(bkm_multipart_boundary(
        bkm_test_pool, "multipart/form-data; charset=x; boundary=\"a b:c\"",
        &b));
    ck_assert_str_eq(b, "a b:c");
    ck_assert_ptr_nonnull(bkm_multipart_boundary(bkm_test_pool,
                                                 "application/json", &b));
    ck_assert_ptr_nonnull(bkm_multipart_boundary(bkm_test_pool,
                                                 "multipart/form-data", &b));
    ck_assert_ptr_nonnull(bkm_multipart_boundary(
        bkm_test_pool, "multipart/form-data; boundary=", &b));
    ck_assert_ptr_nonnull(bkm_multipart_boundary(
        bkm_test_pool, "multipart/form-data; boundary=\"unterminated", &b));
    ck_assert_ptr_nonnull(bkm_multipart_boundary(
        bkm_test_pool, "multipart/form-data; boundary=bad<>chars", &b));
    ck_assert_ptr_nonnull(bkm_multipart_boundary(bkm_test_pool, NULL, &b));
}
END_TEST

START_TEST(two_binary_parts)
{
    /* look-alikes of the delimiter, but never CRLF "--XYZ" itself */
    static const char bin[] = "\x30\x82\r\n--XY\0--XYZ\r\n\xff";
    const char *body = apr_pstrcat(
        bkm_test_pool,
        "--XYZ" CRLF
        "Content-Disposition: form-data; name=\"bekymringsmelding\"; "
        "filename=\"b.pdf.cms\"" CRLF
        "Content-Type: application/pkcs7-mime" CRLF CRLF,
        NULL);
    apr_size_t n1 = strlen(body), blen = sizeof(bin) - 1, total;
    const char *mid = CRLF
        "--XYZ" CRLF "Content-Disposition: form-data; name=asice" CRLF CRLF
        "ZIPDATA" CRLF "--XYZ--" CRLF;
    char *all;
    apr_array_header_t *parts = NULL;
    const bkm_part_t *a, *b;
    const char *err;

    total = n1 + blen + strlen(mid);
    all = apr_palloc(bkm_test_pool, total);
    memcpy(all, body, n1);
    memcpy(all + n1, bin, blen);
    memcpy(all + n1 + blen, mid, strlen(mid));
    err = bkm_multipart_parse(bkm_test_pool, "XYZ", all, total, 4, &parts);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(parts->nelts, 2);
    a = bkm_multipart_get(parts, "bekymringsmelding");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->filename, "b.pdf.cms");
    ck_assert_str_eq(a->content_type, "application/pkcs7-mime");
    ck_assert_int_eq(a->len, blen);
    ck_assert(memcmp(a->data, bin, blen) == 0); /* bytes intact */
    b = bkm_multipart_get(parts, "asice");
    ck_assert_int_eq(b->len, 7);
    ck_assert(memcmp(b->data, "ZIPDATA", 7) == 0);
    ck_assert_ptr_null(b->filename);
    ck_assert_ptr_null(bkm_multipart_get(parts, "other"));
}
END_TEST

static const struct {
    const char *body;
    const char *expect;
} bad[] = {
    { "", "does not start" },
    { "preamble" CRLF "--B" CRLF, "does not start" },
    { "--B" CRLF "Content-Disposition: form-data; name=a" CRLF CRLF "x",
      "not terminated" },
    { "--B" CRLF "Content-Disposition: form-data; name=a" CRLF "x",
      "headers missing" },
    { "--B" CRLF "Content-Type: text/plain" CRLF CRLF "x" CRLF "--B--",
      "no Content-Disposition" },
    { "--B" CRLF "Content-Disposition: attachment; name=a" CRLF CRLF "x" CRLF
      "--B--",
      "not form-data" },
    { "--B" CRLF "Content-Disposition: form-data; name=\"\"" CRLF CRLF
      "x" CRLF "--B--",
      "no Content-Disposition name" },
    { "--B" CRLF "no colon here" CRLF CRLF "x" CRLF "--B--",
      "malformed part header" },
    { "--Bjunk", "malformed boundary line" },
    { "--B" CRLF "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF
      "--B" CRLF "Content-Disposition: form-data; name=b" CRLF CRLF "2" CRLF
      "--B" CRLF "Content-Disposition: form-data; name=c" CRLF CRLF "3" CRLF
      "--B--",
      "too many parts" },
};

START_TEST(malformed)
{
    apr_array_header_t *parts = NULL;
    const char *err = bkm_multipart_parse(bkm_test_pool, "B", bad[_i].body,
                                          strlen(bad[_i].body), 2, &parts);

    ck_assert_msg(err != NULL, "case %d accepted", _i);
    ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "case %d: %s", _i,
                  err);
}
END_TEST

START_TEST(header_limit)
{
    char *big = apr_palloc(bkm_test_pool, 6000);
    const char *body;
    apr_array_header_t *parts = NULL;

    memset(big, 'a', 5999);
    big[5999] = '\0';
    body = apr_pstrcat(bkm_test_pool,
                       "--B" CRLF
                       "Content-Disposition: form-data; name=a; x=",
                       big, CRLF CRLF "x" CRLF "--B--", NULL);
    ck_assert_ptr_nonnull(bkm_multipart_parse(bkm_test_pool, "B", body,
                                              strlen(body), 2, &parts));
}
END_TEST

Suite *bkm_suite_multipart(void)
{
    Suite *s = suite_create("multipart");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, boundary_header);
    tcase_add_test(tc, two_binary_parts);
    tcase_add_loop_test(tc, malformed, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, header_limit);
    suite_add_tcase(s, tc);
    return s;
}
