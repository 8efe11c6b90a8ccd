/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer API's gate for uploaded ciphertexts (bkm_cms_check_
 * recipient, api/produsent.c): is the DER a CMS EnvelopedData or
 * AuthEnvelopedData, with nothing after it, that names the recipient's
 * certificate?  The recipient is bkm_fuzz_cert_pem; the seeds were
 * encrypted to it (AES-256-CBC and -GCM, RSAES-OAEP) by the openssl CLI.
 * Most of the parsing is OpenSSL's (not instrumented: libFuzzer sees
 * only our side of it), so this target mostly asks that nothing an
 * uploader sends can crash or leak.
 */
#include "fuzz.h"
#include "bkm_cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = bkm_fuzz_pool();

    (void)bkm_cms_check_recipient(p, data, size, bkm_fuzz_cert_pem);
    apr_pool_destroy(p);
    return 0;
}
