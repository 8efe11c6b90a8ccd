/* SPDX-License-Identifier: Apache-2.0 */
/* Strict UTF-8 (bkm_utf8): the well-formed sequences of the Unicode
 * Standard's table 3-7 and nothing else -- no overlong forms, no
 * surrogates, nothing above U+10FFFF, nothing cut off. */
#include "unit.h"
#include "bkm_utf8.h"

#include <string.h>

static const struct {
    const char *bytes;
    apr_size_t n; /* 0: strlen(bytes) */
    long cp;      /* -1: refused */
} cases[] = {
    { "A", 0, 0x41 },
    { "\x7f", 0, 0x7f },
    { "", 1, 0 },            /* NUL is ASCII */
    { "\xc2\x80", 0, 0x80 }, /* the smallest of each length */
    { "\xe0\xa0\x80", 0, 0x800 },
    { "\xf0\x90\x80\x80", 0, 0x10000 },
    { "\xdf\xbf", 0, 0x7ff }, /* the largest of each length */
    { "\xef\xbf\xbf", 0, 0xffff },
    { "\xf4\x8f\xbf\xbf", 0, 0x10ffff },
    { "\xc3\xa5", 0, 0xe5 },            /* å */
    { "\xe2\x82\xac", 0, 0x20ac },      /* € */
    { "\xf0\x9f\x98\x80", 0, 0x1f600 }, /* an emoji */
    { "\xed\x9f\xbf", 0, 0xd7ff },      /* either side of the surrogates */
    { "\xee\x80\x80", 0, 0xe000 },
    { "\xef\xbb\xbf", 0, 0xfeff }, /* a BOM is a character */
    /* overlong forms */
    { "\xc0\xaf", 0, -1 }, /* '/' */
    { "\xc0\x80", 0, -1 }, /* NUL (modified UTF-8) */
    { "\xc1\xbf", 0, -1 },
    { "\xe0\x80\xaf", 0, -1 },
    { "\xe0\x9f\xbf", 0, -1 },
    { "\xf0\x80\x80\xaf", 0, -1 },
    { "\xf0\x8f\xbf\xbf", 0, -1 },
    /* UTF-16 surrogates, alone and as a CESU-8 pair */
    { "\xed\xa0\x80", 0, -1 },
    { "\xed\xbf\xbf", 0, -1 },
    { "\xed\xa0\xbd\xed\xb8\x80", 0, -1 },
    /* above U+10FFFF, and the old five- and six-byte forms */
    { "\xf4\x90\x80\x80", 0, -1 },
    { "\xf5\x80\x80\x80", 0, -1 },
    { "\xf7\xbf\xbf\xbf", 0, -1 },
    { "\xf8\x88\x80\x80\x80", 0, -1 },
    { "\xfc\x84\x80\x80\x80\x80", 0, -1 },
    { "\xfe", 0, -1 },
    { "\xff", 0, -1 },
    /* a continuation byte without a lead */
    { "\x80", 0, -1 },
    { "\xbf", 0, -1 },
    /* cut off by the end of the bytes, even where more follow them */
    { "\xc3", 0, -1 },
    { "\xe2\x82", 0, -1 },
    { "\xf0\x9f\x98", 0, -1 },
    { "\xc3\xa5", 1, -1 },
    { "\xe2\x82\xac", 2, -1 },
    { "\xf0\x9f\x98\x80", 3, -1 },
    /* cut off by a NUL or by another character */
    { "\xc3\0", 2, -1 },
    { "\xe2\x82\0", 3, -1 },
    { "\xf0\x9f\0\x80", 4, -1 },
    { "\xc3\x41", 0, -1 },
    { "\xe2\x28\xa1", 0, -1 },
    { "\xe2\x82\xc3\xa5", 0, -1 },
    { "\xf0\x9f\x98\xf0", 0, -1 },
};

START_TEST(known_sequences)
{
    const unsigned char *s = (const unsigned char *)cases[_i].bytes;
    apr_size_t n = cases[_i].n ? cases[_i].n : strlen(cases[_i].bytes);
    apr_size_t i = 0;
    long cp = bkm_utf8_next(s, n, &i);

    ck_assert_msg(cp == cases[_i].cp, "case %d: %ld, expected %ld", _i, cp,
                  cases[_i].cp);
    if (cp < 0) {
        ck_assert_msg(i == 0, "case %d: moved on after an error", _i);
    }
    else {
        ck_assert_uint_eq(i, cp < 0x80      ? 1
                             : cp < 0x800   ? 2
                             : cp < 0x10000 ? 3
                                            : 4);
    }
}
END_TEST

/* A text read to its end, from where the previous character ended. */
START_TEST(whole_text)
{
    static const char text[] = "Blåbær €\xf0\x9f\x98\x80.";
    static const long want[] = { 'B', 'l', 0xe5,   'b',     0xe6,
                                 'r', ' ', 0x20ac, 0x1f600, '.' };
    const unsigned char *s = (const unsigned char *)text;
    apr_size_t i = 0, n = sizeof(text) - 1;
    int k = 0;

    while (i < n) {
        long cp = bkm_utf8_next(s, n, &i);

        ck_assert_int_lt(k, (int)(sizeof(want) / sizeof(want[0])));
        ck_assert_int_eq(cp, want[k]);
        k++;
    }
    ck_assert_int_eq(k, (int)(sizeof(want) / sizeof(want[0])));
    ck_assert_uint_eq(i, n);
    /* Starting in the middle: from the second byte of å, nothing. */
    i = 3;
    ck_assert_int_eq(bkm_utf8_next(s, n, &i), -1);
    ck_assert_uint_eq(i, 3);
    /* The end counts from the start of the bytes, not from *i. */
    i = 9;
    ck_assert_int_eq(bkm_utf8_next(s, 11, &i), -1);
    ck_assert_uint_eq(i, 9);
    ck_assert_int_eq(bkm_utf8_next(s, 12, &i), 0x20ac);
    ck_assert_uint_eq(i, 12);
}
END_TEST

/* The length of the well-formed sequence at s (0: none), straight from
 * table 3-7 of the Unicode Standard (chapter 3, "Well-Formed UTF-8 Byte
 * Sequences"): a second formulation to compare with. */
static int table_3_7(const unsigned char *s, apr_size_t n)
{
    static const struct {
        unsigned char lo0, hi0, lo1, hi1;
        int len;
    } rows[] = {
        { 0x00, 0x7f, 0, 0, 1 },       { 0xc2, 0xdf, 0x80, 0xbf, 2 },
        { 0xe0, 0xe0, 0xa0, 0xbf, 3 }, { 0xe1, 0xec, 0x80, 0xbf, 3 },
        { 0xed, 0xed, 0x80, 0x9f, 3 }, { 0xee, 0xef, 0x80, 0xbf, 3 },
        { 0xf0, 0xf0, 0x90, 0xbf, 4 }, { 0xf1, 0xf3, 0x80, 0xbf, 4 },
        { 0xf4, 0xf4, 0x80, 0x8f, 4 },
    };
    apr_size_t r, k;

    for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0) {
            continue;
        }
        if (rows[r].len == 1) {
            return 1;
        }
        if ((apr_size_t)rows[r].len > n || s[1] < rows[r].lo1
            || s[1] > rows[r].hi1) {
            return 0;
        }
        for (k = 2; k < (apr_size_t)rows[r].len; k++) {
            if (s[k] < 0x80 || s[k] > 0xbf) {
                return 0;
            }
        }
        return rows[r].len;
    }
    return 0;
}

/* Every sequence of three bytes (and a fourth, 0x80), and every one of
 * two with nothing after it, against the table. */
START_TEST(all_short_sequences)
{
    unsigned char s[4];
    apr_size_t i;
    unsigned a, b, c;
    int want;
    long cp;

    s[3] = 0x80;
    for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            for (c = 0; c < 256; c++) {
                s[0] = (unsigned char)a;
                s[1] = (unsigned char)b;
                s[2] = (unsigned char)c;
                i = 0;
                cp = bkm_utf8_next(s, 4, &i);
                want = table_3_7(s, 4);
                if ((cp < 0) != (want == 0)
                    || (want && i != (apr_size_t)want)) {
                    ck_abort_msg(
                        "%02x %02x %02x 80: %ld after %d bytes, "
                        "expected %d bytes",
                        a, b, c, cp, (int)i, want);
                }
            }
            i = 0;
            cp = bkm_utf8_next(s, 2, &i);
            want = table_3_7(s, 2);
            if ((cp < 0) != (want == 0)) {
                ck_abort_msg("%02x %02x (end): %ld, expected %d bytes", a, b,
                             cp, want);
            }
        }
    }
}
END_TEST

/* Each code point that UTF-8 can carry, encoded the textbook way, comes
 * back as itself. */
START_TEST(every_scalar_value)
{
    unsigned char s[4];
    apr_size_t i, len;
    long c;

    for (c = 0; c <= 0x10ffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) {
            continue;
        }
        if (c < 0x80) {
            s[0] = (unsigned char)c;
            len = 1;
        }
        else if (c < 0x800) {
            s[0] = (unsigned char)(0xc0 | (c >> 6));
            s[1] = (unsigned char)(0x80 | (c & 0x3f));
            len = 2;
        }
        else if (c < 0x10000) {
            s[0] = (unsigned char)(0xe0 | (c >> 12));
            s[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
            s[2] = (unsigned char)(0x80 | (c & 0x3f));
            len = 3;
        }
        else {
            s[0] = (unsigned char)(0xf0 | (c >> 18));
            s[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
            s[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
            s[3] = (unsigned char)(0x80 | (c & 0x3f));
            len = 4;
        }
        i = 0;
        if (bkm_utf8_next(s, len, &i) != c || i != len) {
            ck_abort_msg("U+%04lX does not decode", c);
        }
    }
}
END_TEST

START_TEST(controls)
{
    static const long yes[] = { 0x00, 0x09, 0x0a, 0x0d, 0x1b,
                                0x1f, 0x7f, 0x80, 0x85, 0x9f };
    static const long no[] = { 0x20, 0x41,   0x7e,   0xa0,   0xad,
                               0xe5, 0x200b, 0x2028, 0xfeff, 0x10ffff };
    apr_size_t k;

    for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++) {
        ck_assert_msg(bkm_utf8_is_control(yes[k]), "U+%04lX", yes[k]);
    }
    for (k = 0; k < sizeof(no) / sizeof(no[0]); k++) {
        ck_assert_msg(!bkm_utf8_is_control(no[k]), "U+%04lX", no[k]);
    }
}
END_TEST

Suite *bkm_suite_utf8(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8");

    tcase_add_loop_test(tc, known_sequences, 0,
                        sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, whole_text);
    tcase_add_test(tc, all_short_sequences);
    tcase_add_test(tc, every_scalar_value);
    tcase_add_test(tc, controls);
    suite_add_tcase(s, tc);
    return s;
}
