/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_asice.h
 * @brief The ASiC-E container a case system receives: the report as JSON
 * and as PDF, a manifest of their SHA-256 digests, and the portal's
 * detached CMS signature over that manifest (ETSI EN 319 162-1, CAdES
 * flavour, as the incumbent's Fiks IO client writes it).
 *
 * Layout, in this order:
 *   - mimetype: STORED, no extra field, "application/vnd.etsi.asic-e+zip",
 *     so that the media type sits at byte 38 of the file;
 *   - bekymringsmelding.json, bekymringsmelding.pdf: deflated;
 *   - META-INF/asicmanifest.xml: ASiCManifest (namespace
 *     http://uri.etsi.org/02918/v1.2.1#) with a SigReference to
 *     META-INF/signature.p7s and one DataObjectReference per payload file;
 *   - META-INF/signature.p7s: detached CMS SignedData over the exact
 *     manifest bytes (bkm_cms_sign_detached()).
 *
 * The container holds the report in clear text: it exists only in memory
 * (no temporary files) and the caller encrypts it at once with
 * bkm_cms_encrypt().  httpd-free: APR, libzip, libxml2 and bkm_cms.
 */
#ifndef BKM_ASICE_H
#define BKM_ASICE_H

#include <apr_pools.h>

#include "bkm_cms.h"

#define BKM_ASICE_MIMETYPE "application/vnd.etsi.asic-e+zip"
#define BKM_ASICE_JSON "bekymringsmelding.json"
#define BKM_ASICE_PDF "bekymringsmelding.pdf"
#define BKM_ASICE_MANIFEST "META-INF/asicmanifest.xml"
#define BKM_ASICE_SIGNATURE "META-INF/signature.p7s"
/** The proof-of-possession secret (bkm_besittelse.h), when there is one. */
#define BKM_ASICE_BESITTELSE "META-INF/bekymring-besittelse.json"

/**
 * Initialise libxml2 for a threaded process.  Call it once per process
 * before any thread builds a container: mod_bekymring must call it from
 * its child_init hook, which runs before the MPM starts worker threads.
 * There is no matching cleanup on purpose: xmlCleanupParser() would pull
 * libxml2's global state from under every other module in the process that
 * uses it (mod_xml2enc, mod_proxy_html, mod_auth_openidc...).
 */
void bkm_asice_init(void);

/**
 * Build the container.
 * @param signer    the portal's signing identity (bkm_signer_load())
 * @param json      the report as JSON (UTF-8), @p json_len bytes
 * @param pdf       the report as PDF, @p pdf_len bytes
 * @param zip       set to the zip file, allocated from @p p
 * @return NULL on success, else what failed (never any of the content)
 */
const char *bkm_asice_build(apr_pool_t *p, const bkm_signer_t *signer,
                            const char *json, apr_size_t json_len,
                            const void *pdf, apr_size_t pdf_len,
                            const unsigned char **zip, apr_size_t *zip_len);

/**
 * The same container with one more file after the signature:
 * BKM_ASICE_BESITTELSE, holding @p besittelse (bkm_besittelse_document()).
 * It is not listed in the manifest and so not covered by the portal's
 * signature: META-INF holds no data objects in ASiC-E, readers that walk
 * the manifest see the same documents as before, and the secret needs no
 * signature -- it is inside the encryption, which only the recipient can
 * open.  @p besittelse NULL: exactly bkm_asice_build().
 */
const char *bkm_asice_build_besittelse(apr_pool_t *p,
                                       const bkm_signer_t *signer,
                                       const char *json, apr_size_t json_len,
                                       const void *pdf, apr_size_t pdf_len,
                                       const char *besittelse,
                                       apr_size_t besittelse_len,
                                       const unsigned char **zip,
                                       apr_size_t *zip_len);

#endif
