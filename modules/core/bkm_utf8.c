/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_utf8.h"

long bkm_utf8_next(const unsigned char *s, apr_size_t n, apr_size_t *i)
{
    unsigned char c = s[*i];
    long cp, min;
    int more, k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        more = 1;
        cp = c & 0x1f;
        min = 0x80;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        more = 2;
        cp = c & 0x0f;
        min = 0x800;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        more = 3;
        cp = c & 0x07;
        min = 0x10000;
    }
    else {
        return -1; /* a continuation byte, C0, C1 or F5-FF */
    }
    if (n - *i <= (apr_size_t)more) {
        return -1;
    }
    for (k = 1; k <= more; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            return -1;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return -1;
    }
    *i += (apr_size_t)more + 1;
    return cp;
}

int bkm_utf8_is_control(long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}
