/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_printjob.h
 * @brief The print manifest: the plain XML that travels beside a report
 * escalated to letter post and tells the print provider where to post it.
 *
 * A print job is a message on the print provider's account: the report's
 * PDF, already sealed (CMS) to the print provider's certificate, and this
 * manifest.  The manifest is deliberately not encrypted and holds no report
 * content: only identifiers, the recipient child welfare service's postal
 * address, the SHA-256 and size of the sealed document (so the provider can
 * tell that what it decrypts is what was ordered) and the print options.
 * Its format is schema/print/utskrift.xsd, documented for the provider in
 * schema/print/README.md; every value is checked here against the same
 * rules as the XSD, so a manifest this writes always validates.
 *
 * httpd-free: APR and libxml2 (tree API only, so text is escaped by
 * construction).  In a threaded process, libxml2 must have been
 * initialised first (bkm_asice_init()).
 */
#ifndef BKM_PRINTJOB_H
#define BKM_PRINTJOB_H

#include <apr_pools.h>
#include <apr_time.h>

#include "bkm_registry.h" /* bkm_postadresse_t */

/** XML namespace of the print manifest (schema/print/utskrift.xsd). */
#define BKM_PRINTJOB_NS "urn:no:bekymringsmelding:utskrift:v1"
/** Media type of the manifest, as served on the print account. */
#define BKM_PRINTJOB_MEDIA_TYPE "application/xml"
/** The manifest's versjon attribute. */
#define BKM_PRINTJOB_VERSJON "1"
/** The only sealed document type a print job carries today. */
#define BKM_PRINTJOB_DOKUMENT_TYPE "application/pkcs7-mime"

/** Address lines a print job may have: as many as the registry allows
 *  (schema/registry.schema.json) and as Norwegian letter post prints
 *  between the recipient's name and the postcode line. */
#define BKM_PRINTJOB_MAX_ADRESSELINJER 3
/** Longest name (kommunenavn, bydelsnavn, mottaker) or address line, in
 *  characters (Unicode code points, as the XSD's maxLength counts). */
#define BKM_PRINTJOB_MAX_TEKST 200
/** Longest poststed, in characters. */
#define BKM_PRINTJOB_MAX_POSTSTED 100

/** One print job, as the escalation builds it.  Every field is required. */
typedef struct {
    const char *utskrift_id;          /**< the print job's id (its
                                             meldingId on the print
                                             account), lower-case UUID */
    const char *bekymringsmelding_id; /**< the report's lower-case UUID */
    const char *referanse;            /**< the reporter-visible reference,
                                             e.g. 7K4Q-9XHT (upper case) */
    const char *kommunenummer;        /**< four digits */
    const char *kommunenavn;
    const char *bydelsnummer; /**< two digits; "00" for none */
    const char *bydelsnavn;
    const bkm_postadresse_t *adresse; /**< recipient's postal address
                                             (the child welfare service) */
    const char *dokument_sha256;      /**< lower-case hex SHA-256 of the
                                             sealed PDF (CMS DER) */
    apr_off_t dokument_storrelse;     /**< its size in bytes, > 0 */
    const char *dokument_type;        /**< media type of the sealed
                                             document,
                                             BKM_PRINTJOB_DOKUMENT_TYPE */
    apr_time_t bestilt;               /**< when the print was ordered */
    const char *arsak;                /**< why: "feilet" (the case system
                                             failed), "frist" (the deadline
                                             passed), "manuell" (ordered by
                                             a person) */
} bkm_printjob_t;

/**
 * The manifest as UTF-8 XML with an XML declaration, allocated from @p p.
 *
 * Texts must be valid UTF-8 of at most BKM_PRINTJOB_MAX_TEKST characters
 * (poststed BKM_PRINTJOB_MAX_POSTSTED), without control characters and
 * without leading or trailing white space: a line break inside an address
 * line would move the rest of the address on the envelope.
 *
 * @param xml  set to the document (NUL-terminated as a convenience), or
 *             NULL on error
 * @param len  set to its length in bytes, without the NUL
 * @return NULL, or a message naming the missing or invalid field (never
 *         its value)
 */
const char *bkm_printjob_manifest(apr_pool_t *p, const bkm_printjob_t *job,
                                  char **xml, apr_size_t *len);

/** Whether a postal address can be printed (what the manifest needs):
 *  NULL, or a message naming the field.  The registry loader uses it, so
 *  an address that could not be posted is refused at start-up, not when a
 *  report must go to print. */
const char *bkm_printjob_check_adresse(apr_pool_t *p,
                                       const bkm_postadresse_t *a);

/** The same for one name that is printed (kommunenavn, bydelsnavn). */
const char *bkm_printjob_check_text(apr_pool_t *p, const char *field,
                                    const char *s);

#endif
