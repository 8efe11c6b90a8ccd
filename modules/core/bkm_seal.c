/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_seal.h"
#include "bkm_asice.h"

#include <apr_strings.h>

static const char *seal_one(apr_pool_t *p, const bkm_cert_t *cert, int gcm,
                            const char *mottaker, const char *innholdstype,
                            const void *data, apr_size_t len,
                            bkm_sealed_t *out)
{
    const char *err = bkm_cms_encrypt(p, cert->pem, data, len, gcm,
                                      &out->data, &out->len);

    if (err) {
        return apr_psprintf(p, "sealing for %s: %s", mottaker, err);
    }
    out->mottaker = mottaker;
    out->innholdstype = innholdstype;
    return NULL;
}

const char *bkm_seal_report(apr_pool_t *p, const bkm_signer_t *signer,
                            const bkm_bydel_t *b,
                            const char *json, apr_size_t json_len,
                            const unsigned char *pdf, apr_size_t pdf_len,
                            bkm_sealed_t *out, int *n)
{
    return bkm_seal_report_besittelse(p, signer, b, json, json_len, pdf,
                                      pdf_len, NULL, 0, out, n);
}

const char *bkm_seal_report_besittelse(apr_pool_t *p,
                                       const bkm_signer_t *signer,
                                       const bkm_bydel_t *b,
                                       const char *json, apr_size_t json_len,
                                       const unsigned char *pdf,
                                       apr_size_t pdf_len,
                                       const char *besittelse,
                                       apr_size_t besittelse_len,
                                       bkm_sealed_t *out, int *n)
{
    const unsigned char *zip;
    apr_size_t zip_len;
    const char *err;
    int gcm = b->gcm;

    *n = 0;
    if (b->kanal == BKM_KANAL_FAGSYSTEM) {
        if (!signer) {
            return "no portal certificate to sign the ASiC-E container "
                   "(BekymringPortalCertificate)";
        }
        if ((err = bkm_asice_build_besittelse(p, signer, json, json_len,
                                              pdf, pdf_len, besittelse,
                                              besittelse_len, &zip,
                                              &zip_len))
            || (err = seal_one(p, b->cert_fagsystem, gcm, "fagsystem",
                               "application/vnd.etsi.asic-e+zip", zip,
                               zip_len, &out[(*n)++]))) {
            return err;
        }
    }
    else if ((err = seal_one(p, b->cert_manuell, gcm, "manuell",
                             "application/pdf", pdf, pdf_len,
                             &out[(*n)++]))) {
        return err;
    }
    return seal_one(p, b->cert_print, gcm, "print", "application/pdf", pdf,
                    pdf_len, &out[(*n)++]);
}
