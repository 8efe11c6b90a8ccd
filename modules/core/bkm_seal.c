/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_seal.h"
#include "bkm_asice.h"
#include "bkm_sertifikat.h"

#include <apr_strings.h>

static const char *seal_one(apr_pool_t *p, const bkm_bydel_t *b,
                            apr_time_t now, const char *mottaker,
                            const char *innholdstype, const void *data,
                            apr_size_t len, bkm_sealed_t *out)
{
    const apr_array_header_t *list;
    const bkm_cert_t *cert;
    const char *err;

    bkm_sertifikat_kanal(b, mottaker, &list, &cert);
    if (!(cert = bkm_sertifikat_velg(list, cert, now))) {
        return apr_psprintf(p, "sealing for %s: no certificate", mottaker);
    }
    err = bkm_cms_encrypt(p, cert->pem, data, len, b->gcm, &out->data,
                          &out->len);
    if (err) {
        return apr_psprintf(p, "sealing for %s: %s", mottaker, err);
    }
    out->mottaker = mottaker;
    out->innholdstype = innholdstype;
    out->cert = cert;
    return NULL;
}

const char *bkm_seal_report(apr_pool_t *p, const bkm_signer_t *signer,
                            const bkm_bydel_t *b, apr_time_t now,
                            const char *json, apr_size_t json_len,
                            const unsigned char *pdf, apr_size_t pdf_len,
                            bkm_sealed_t *out, int *n)
{
    return bkm_seal_report_besittelse(p, signer, b, now, json, json_len, pdf,
                                      pdf_len, NULL, 0, out, n);
}

const char *bkm_seal_report_besittelse(apr_pool_t *p,
                                       const bkm_signer_t *signer,
                                       const bkm_bydel_t *b, apr_time_t now,
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

    *n = 0;
    if (b->kanal == BKM_KANAL_FAGSYSTEM) {
        if (!signer) {
            return "no portal certificate to sign the ASiC-E container "
                   "(BekymringPortalCertificate)";
        }
        if ((err = bkm_asice_build_besittelse(p, signer, json, json_len, pdf,
                                              pdf_len, besittelse,
                                              besittelse_len, &zip, &zip_len))
            || (err = seal_one(p, b, now, "fagsystem",
                               "application/vnd.etsi.asic-e+zip", zip,
                               zip_len, &out[(*n)++]))) {
            return err;
        }
    }
    else if ((err = seal_one(p, b, now, "manuell", "application/pdf", pdf,
                             pdf_len, &out[(*n)++]))) {
        return err;
    }
    return seal_one(p, b, now, "print", "application/pdf", pdf, pdf_len,
                    &out[(*n)++]);
}

const char *bkm_seal_warm(apr_pool_t *p, const bkm_signer_t *signer,
                          const char *cert_pem)
{
    static const char json[] = "{\"warm\":true}";
    static const char pdf[] = "%PDF-1.5\n%%EOF\n";
    const unsigned char *zip = (const unsigned char *)pdf, *der;
    apr_size_t zip_len = sizeof(pdf) - 1, der_len;
    const char *err = NULL;

    if (signer) {
        err = bkm_asice_build(p, signer, json, sizeof(json) - 1, pdf,
                              sizeof(pdf) - 1, &zip, &zip_len);
    }
    if (!err && cert_pem) {
        err = bkm_cms_encrypt(p, cert_pem, zip, zip_len, 0, &der, &der_len);
    }
    if (!err && cert_pem) {
        err = bkm_cms_encrypt(p, cert_pem, zip, zip_len, 1, &der, &der_len);
    }
    return err;
}
