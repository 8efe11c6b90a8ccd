/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_seal.h
 * @brief A report sealed for each of its recipients, the moment it arrives.
 */
#ifndef BKM_SEAL_H
#define BKM_SEAL_H

#include <apr_pools.h>
#include "bkm_registry.h"
#include "bkm_cms.h"

/** One sealed copy of a report. */
typedef struct {
    const char *mottaker;      /**< "fagsystem", "print" or "manuell" */
    const char *innholdstype;  /**< what it decrypts to */
    const unsigned char *data; /**< CMS DER */
    apr_size_t len;
    const bkm_cert_t *cert; /**< the certificate it is sealed for */
} bkm_sealed_t;

#define BKM_SEAL_MAX 3

/**
 * Seal a report for the district's recipients (ARCHITECTURE §2):
 *   - kanal fagsystem: the ASiC-E container (JSON + PDF, signed by the
 *     portal) to the case system's certificate;
 *   - kanal manuell: the PDF to the manual-download certificate;
 *   - always: the PDF to the print provider's certificate (letter post is
 *     the road when the digital one fails).
 * The district's "kryptering" chooses AES-256-CBC EnvelopedData (the
 * incumbent's profile) or AES-256-GCM AuthEnvelopedData.  Each copy is
 * sealed to its channel's certificate that seals at @p now (the newest
 * valid one during a key rotation: bkm_sertifikat_velg).  Nothing readable
 * leaves this function except through the caller's own buffers.
 * @param out  at least BKM_SEAL_MAX entries; @p n is set to those used
 * @return NULL or what failed
 */
const char *bkm_seal_report(apr_pool_t *p, const bkm_signer_t *signer,
                            const bkm_bydel_t *b, apr_time_t now,
                            const char *json, apr_size_t json_len,
                            const unsigned char *pdf, apr_size_t pdf_len,
                            bkm_sealed_t *out, int *n);

/**
 * bkm_seal_report() with the proof-of-possession document @p besittelse
 * (bkm_besittelse_document()) inside the case system's container
 * (bkm_asice_build_besittelse()); ignored for kanal manuell.
 */
const char *bkm_seal_report_besittelse(apr_pool_t *p,
                                       const bkm_signer_t *signer,
                                       const bkm_bydel_t *b, apr_time_t now,
                                       const char *json, apr_size_t json_len,
                                       const unsigned char *pdf,
                                       apr_size_t pdf_len,
                                       const char *besittelse,
                                       apr_size_t besittelse_len,
                                       bkm_sealed_t *out, int *n);

/**
 * What a child's first seal would pay once (OpenSSL's algorithm fetches
 * and tables, libzip, libxml2), paid in child_init instead (issue 17,
 * item 6): a small container signed by @p signer (if any) and sealed to
 * @p cert_pem (if any) in both of the registry's profiles (AES-256-CBC
 * and -GCM).  Nothing is kept.
 * @return NULL or what failed
 */
const char *bkm_seal_warm(apr_pool_t *p, const bkm_signer_t *signer,
                          const char *cert_pem);

#endif
