/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_ids.h"

#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_lib.h>

static const char bkm_ref_alphabet[] = "23456789ABCDEFGHJKMNPQRSTVWXYZ";

const char *bkm_uuid(apr_pool_t *p)
{
    unsigned char b[16];

    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        return NULL;
    }
    b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
    b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    return apr_psprintf(p,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                        "%02x%02x%02x%02x%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
                        b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

const char *bkm_reference(apr_pool_t *p)
{
    unsigned char b[8];
    char *ref = apr_palloc(p, 10);
    int i, j = 0;
    const int n = sizeof(bkm_ref_alphabet) - 1;

    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        return NULL;
    }
    for (i = 0; i < 8; i++) {
        if (i == 4) {
            ref[j++] = '-';
        }
        /* 256 % 30 != 0 leaves a bias of under 1 %: harmless for an id
         * whose uniqueness the database enforces. */
        ref[j++] = bkm_ref_alphabet[b[i] % n];
    }
    ref[j] = '\0';
    return ref;
}

int bkm_reference_valid(const char *s)
{
    int i;

    if (!s || strlen(s) != 9 || s[4] != '-') {
        return 0;
    }
    for (i = 0; i < 9; i++) {
        if (i != 4 && !strchr(bkm_ref_alphabet, apr_toupper(s[i]))) {
            return 0;
        }
    }
    return 1;
}

int bkm_uuid_valid(const char *s, int any_case)
{
    int i;

    for (i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23
                ? c != '-'
                : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                    || (any_case && c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return s[36] == '\0';
}
