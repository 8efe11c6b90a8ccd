/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a person's browser sends back (bkm_token.h): the login evidence
 * cookie, the form's one-time token and the CSRF cookie and field, each
 * checked for the person's tag as pages/side.c and pages/skjema.c
 * check them.  Input: the evidence, the form token, the CSRF cookie and
 * the posted CSRF token, separated by BKM_FUZZ_SEP.  Also: what the server
 * issues for a tag and cookie made from the input checks, and bkm_unhex
 * reads only what it should.
 */
#include "fuzz.h"
#include "bkm_box.h"
#include "bkm_token.h"

#include <string.h>

#include <apr_time.h>

#define FUZZ_SECRET "fuzz-secret-of-at-least-32-bytes"
#define NOW APR_INT64_C(1767225600000000) /* 2026-01-01 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bkm_token_keys_t keys;
    static const char *tag;
    static apr_pool_t *kp;
    apr_pool_t *p;
    char *field[4];
    size_t len[4];
    unsigned char raw[64];
    const char *t, *ev, *form, *csrf;
    size_t hex;
    int n;

    if (!tag) {
        bkm_fuzz_keep_begin();
        kp = bkm_fuzz_pool();
        if (bkm_token_keys((const unsigned char *)FUZZ_SECRET, 32, &keys)
            || !(tag = bkm_token_person(kp, &keys, "01010112345"))) {
            bkm_fuzz_fail("cannot derive the keys");
        }
        bkm_fuzz_keep_end();
    }
    p = bkm_fuzz_pool();
    n = bkm_fuzz_split(p, data, size, field, len, 4);

    (void)bkm_token_evidence_tag(p, &keys, field[0], NOW);
    if (n > 1) {
        (void)bkm_token_form_ok(&keys, tag, field[1]);
    }
    if (n > 3) {
        (void)bkm_token_csrf_ok(&keys, field[2], tag, field[3]);
        (void)bkm_token_csrf_ok(&keys, field[2], "", field[3]);
    }
    hex = strlen(field[0]);
    if (bkm_unhex(field[0], raw,
                  hex / 2 < sizeof(raw) ? hex / 2 : sizeof(raw))
            == 0
        && (hex % 2 != 0 || hex > 2 * sizeof(raw))) {
        bkm_fuzz_fail("bkm_unhex took an odd number of digits");
    }

    /* Issued, then checked: the input's bytes as the cookie. */
    ev = bkm_token_evidence(p, &keys, tag, NOW + apr_time_from_sec(60));
    t = ev ? bkm_token_evidence_tag(p, &keys, ev, NOW) : NULL;
    if (!t || strcmp(t, tag) != 0
        || bkm_token_evidence_tag(p, &keys, ev,
                                  NOW + apr_time_from_sec(61))) {
        bkm_fuzz_fail("the evidence issued does not check as it should");
    }
    form = bkm_token_form_new(p, &keys, tag);
    csrf = bkm_token_csrf(p, &keys, field[n - 1], tag);
    if (!form || !bkm_token_form_ok(&keys, tag, form) || !csrf
        || !bkm_token_csrf_ok(&keys, field[n - 1], tag, csrf)) {
        bkm_fuzz_fail("a token issued does not check");
    }
    apr_pool_destroy(p);
    return 0;
}
