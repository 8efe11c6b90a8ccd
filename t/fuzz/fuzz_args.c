/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small readers of request arguments: ids in paths (bkm_uuid_valid,
 * bkm_reference_valid), dates in the administration's queries
 * (bkm_time_oslo_day), and the page's language from the "sprak" argument,
 * the login's locale and Accept-Language (bkm_i18n_lang, bkm_i18n_pick),
 * and a case system's proofs of possession and answers to a challenge
 * (bkm_sha256_hex_valid, bkm_besittelse_equal).  Every field of the input (separated by BKM_FUZZ_SEP) goes through each.
 */
#include "fuzz.h"
#include "bkm_besittelse.h"
#include "bkm_digest.h"
#include "bkm_i18n.h"
#include "bkm_ids.h"
#include "bkm_time.h"

#include <string.h>

#define MAX_FIELDS 3

static int is_lang(const char *l)
{
    return l
           && (strcmp(l, "nb") == 0 || strcmp(l, "nn") == 0
               || strcmp(l, "en") == 0);
}

#define PROOF \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void one(apr_pool_t *p, const char *s, size_t n)
{
    apr_time_t t;
    const char *l;
    size_t i;

    if (bkm_uuid_valid(s, 0)) {
        if (strlen(s) != 36 || !bkm_uuid_valid(s, 1)) {
            bkm_fuzz_fail("uuid \"%s\"", s);
        }
        for (i = 0; i < 36; i++) {
            if (s[i] >= 'A' && s[i] <= 'F') {
                bkm_fuzz_fail("upper-case uuid \"%s\" taken", s);
            }
        }
    }
    if (bkm_uuid_valid(s, 1) && strlen(s) != 36) {
        bkm_fuzz_fail("uuid \"%s\"", s);
    }
    if (bkm_reference_valid(s) && strlen(s) != 9) {
        bkm_fuzz_fail("reference \"%s\"", s);
    }
    t = bkm_time_oslo_day(s);
    if (t != -1) {
        char buf[20];

        bkm_time_oslo_format(buf, t);
        if (bkm_time_oslo_midnight(t) != t || strncmp(buf, s, 10) != 0
            || strcmp(buf + 10, "T00:00:00") != 0) {
            bkm_fuzz_fail("day \"%s\" is %s", s, buf);
        }
    }
    l = bkm_i18n_lang(s);
    if (l && !is_lang(l)) {
        bkm_fuzz_fail("language \"%s\"", l);
    }
    if (!is_lang(bkm_i18n_pick(NULL, NULL, s))
        || !is_lang(bkm_i18n_pick(s, s, s))) {
        bkm_fuzz_fail("no language picked");
    }
    if (bkm_sha256_hex_valid(s, n)
        && (n != 64 || strspn(s, "0123456789abcdef") != 64)) {
        bkm_fuzz_fail("digest \"%s\"", s);
    }
    if (bkm_besittelse_equal(PROOF, s) != (strcmp(PROOF, s) == 0)
        || bkm_besittelse_equal(PROOF, NULL)) {
        bkm_fuzz_fail("proof \"%s\"", s);
    }
    (void)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = bkm_fuzz_pool();
    char *field[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    int n, i;

    n = bkm_fuzz_split(p, data, size, field, len, MAX_FIELDS);
    for (i = 0; i < n; i++) {
        one(p, field[i], len[i]);
    }
    if (n == 3 && !is_lang(bkm_i18n_pick(field[0], field[1], field[2]))) {
        bkm_fuzz_fail("no language picked");
    }
    apr_pool_destroy(p);
    return 0;
}
