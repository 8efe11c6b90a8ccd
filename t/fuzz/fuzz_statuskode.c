/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reporter's status code as typed on /status (bkm_statuskode.h).
 * What parses must be a reference number and a secret of the alphabet,
 * and the code made for that reference must parse back to it and check.
 */
#include "fuzz.h"
#include "bkm_ids.h"
#include "bkm_statuskode.h"

#include <string.h>

#define FUZZ_SECRET "fuzz-secret-of-at-least-32-bytes"
#define ID "9d2e6b1a-0c3f-4a8e-b7d5-1f2e3a4b5c6d"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bkm_token_keys_t keys;
    static int made;
    apr_pool_t *p = bkm_fuzz_pool();
    const char *typed = bkm_fuzz_str(p, data, size), *code;
    char ref[10], secret[9], ref2[10], secret2[9];

    if (!made) {
        if (bkm_token_keys((const unsigned char *)FUZZ_SECRET, 32, &keys)) {
            bkm_fuzz_fail("bkm_token_keys failed");
        }
        made = 1;
    }
    if (bkm_statuskode_parse(typed, ref, secret) == 0) {
        if (strlen(ref) != 9 || strlen(secret) != BKM_STATUSKODE_SECRET
            || !bkm_reference_valid(ref)) {
            bkm_fuzz_fail("parsed into \"%s\" \"%s\"", ref, secret);
        }
        (void)bkm_statuskode_ok(&keys, ID, secret);
        if (!(code = bkm_statuskode(p, &keys, ref, ID))
            || bkm_statuskode_parse(code, ref2, secret2) != 0
            || strcmp(ref, ref2) != 0
            || !bkm_statuskode_ok(&keys, ID, secret2)) {
            bkm_fuzz_fail("the code of reference %s does not check", ref);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
