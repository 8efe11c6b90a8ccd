/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_lagringskvittering.h
 * @brief The stored-receipt (lagringskvittering): a case system's signed
 * statement that it has stored the exact ciphertext it fetched.
 *
 * A plain "mottatt" receipt only says that a case system answered; a
 * district that sets "krevLagringskvittering" wants proof that the report
 * was stored, so that letter post is not cancelled by a system that fetched
 * and then lost it.  The proof is a JWS (RFC 7515) in compact serialization
 * whose payload names the delivery and the SHA-256 of the ciphertext bytes
 * as we served them, signed with a key whose X.509 certificate the district
 * registered ("kvitteringssertifikater").  The format for vendors is in
 * schema/lagringskvittering/README.md.
 *
 * The certificates are containers for registered public keys, nothing
 * more: registration is the trust, so there is no chain, no validity
 * period and no revocation check.  Rotating a key means registering the new
 * certificate next to the old one, then removing the old one.
 *
 * Parsing is strict, since every byte comes from outside: anything not
 * described here is refused rather than ignored, so a receipt means exactly
 * one thing.  Messages never quote the receipt's contents.
 *
 * httpd-free: APR, jansson and OpenSSL 3 only.  Thread-safe.
 */
#ifndef BKM_LAGRINGSKVITTERING_H
#define BKM_LAGRINGSKVITTERING_H

#include <apr_pools.h>
#include <apr_tables.h>

/** A verified stored-receipt; every string is allocated from the pool
 *  given to bkm_lagringskvittering_verify(). */
typedef struct {
    const char *melding_id;           /**< "meldingId": the delivery's UUID
                                           (lower-case canonical) */
    const char *bekymringsmelding_id; /**< "bekymringsmeldingId": the
                                           report's UUID (lower case) */
    const char *sha256;               /**< "sha256": 64 lower-case hex
                                           digits of the ciphertext */
    const char *arkivreferanse;       /**< "arkivreferanse": the case
                                           system's own record id, 1..200
                                           characters, valid UTF-8, no
                                           control characters */
    const char *lagret;               /**< "lagret": optional RFC 3339
                                           date-time with offset or Z, NULL
                                           when absent */
    const char *alg;                  /**< the JWS alg that verified:
                                           "RS256", "PS256" or "ES256" */
    int cert_index;                   /**< which of the given certificates
                                           verified it (0-based) */
    int versjon;                      /**< "versjon": 1 when absent, or 2:
                                           a v2 receipt carries
                                           besittelsesbevis */
    const char *besittelsesbevis;     /**< v2: 64 lower-case hex digits,
                                           HMAC-SHA256 with the report's
                                           secret (bkm_besittelse.h); the
                                           caller compares; NULL in v1 */
} bkm_lagringskvittering_t;

/** Media type of the body that carries one (RFC 7515 §9.2.1). */
#define BKM_LAGRINGSKVITTERING_MEDIA_TYPE "application/jose"
/** The JWS "typ" header value we define (optional in the header; if
 *  present must equal this). */
#define BKM_LAGRINGSKVITTERING_TYP "bekymringsmelding-lagringskvittering+jws"
/** Largest compact JWS we accept. */
#define BKM_LAGRINGSKVITTERING_MAX 16384

/**
 * Parse and verify a compact JWS stored-receipt.
 *
 * Only the form is checked here: whether meldingId, bekymringsmeldingId
 * and sha256 match the delivery the receipt was posted for is the caller's
 * comparison (the fields come back in the canonical forms we store).
 *
 * @param jws   the request body; need not be NUL-terminated
 * @param len   its length in bytes (at most BKM_LAGRINGSKVITTERING_MAX)
 * @param certs array of const char * PEM certificates registered for the
 *              account (1 or more), tried in order; the key of each must
 *              suit the alg (RSA of at least 2048 bits for RS256 and PS256,
 *              EC P-256 for ES256), others are skipped
 * @param out   filled in on success, zeroed on failure
 * @return NULL when the signature verifies with one of them and the
 *         payload is well-formed (filled into *out); else a short English
 *         message for the API caller and the log, never quoting payload
 *         values (e.g. "signature does not verify with any certificate
 *         registered for the account", "payload: sha256 must be 64
 *         lower-case hex digits", "header: alg none is not accepted")
 */
const char *bkm_lagringskvittering_verify(apr_pool_t *p, const char *jws,
                                          apr_size_t len,
                                          const apr_array_header_t *certs,
                                          bkm_lagringskvittering_t *out);

/** Whether a certificate's key can sign stored-receipts (the registry
 *  checks each of kvitteringssertifikater at start-up with it).
 *  @return NULL, or why not. */
const char *bkm_lagringskvittering_check_cert(apr_pool_t *p, const char *pem);

#endif
