/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict UTF-8 (bkm_utf8.h), which guards what goes into stored-receipts
 * and print manifests, against a second decoder written here from the
 * Unicode Standard's table of well-formed byte sequences (chapter 3,
 * table 3-7): at every position both must agree on the code point and
 * its length, or on the refusal; and on which code points are controls.
 */
#include "fuzz.h"
#include "bkm_utf8.h"

/* The well-formed sequences: a lead byte range, then the range of the
 * second byte; third and fourth bytes are always 80..BF. */
static const struct {
    unsigned char lo, hi, len, lo2, hi2;
} table[] = {
    { 0x00, 0x7f, 1, 0, 0 },       { 0xc2, 0xdf, 2, 0x80, 0xbf },
    { 0xe0, 0xe0, 3, 0xa0, 0xbf }, { 0xe1, 0xec, 3, 0x80, 0xbf },
    { 0xed, 0xed, 3, 0x80, 0x9f }, { 0xee, 0xef, 3, 0x80, 0xbf },
    { 0xf0, 0xf0, 4, 0x90, 0xbf }, { 0xf1, 0xf3, 4, 0x80, 0xbf },
    { 0xf4, 0xf4, 4, 0x80, 0x8f },
};

/* The code point at s[i] and its length in *len, or -1. */
static long reference(const uint8_t *s, size_t n, size_t i, size_t *len)
{
    size_t t, k;
    long cp;

    for (t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
        if (s[i] < table[t].lo || s[i] > table[t].hi) {
            continue;
        }
        *len = table[t].len;
        if (i + *len > n) {
            return -1;
        }
        if (*len == 1) {
            return s[i];
        }
        if (s[i + 1] < table[t].lo2 || s[i + 1] > table[t].hi2) {
            return -1;
        }
        cp = s[i] & (0xff >> (*len + 1));
        for (k = 1; k < *len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        return cp;
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i, len = 0;

    for (i = 0; i < size; i++) {
        apr_size_t j = i;
        long want = reference(data, size, i, &len);
        long got = bkm_utf8_next(data, size, &j);

        if (got != want || (got >= 0 && j != i + len)
            || (got < 0 && j != i)) {
            bkm_fuzz_fail(
                "at byte %zu: bkm_utf8_next %ld (to %zu), "
                "the table %ld (length %zu)",
                i, got, (size_t)j, want, len);
        }
        if (got >= 0
            && bkm_utf8_is_control(got)
                   != (got < 0x20 || (got >= 0x7f && got <= 0x9f))) {
            bkm_fuzz_fail("U+%04lX: bkm_utf8_is_control wrong", got);
        }
    }
    return 0;
}
