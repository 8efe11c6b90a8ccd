/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_besittelse.h
 * @brief Proof of possession (issue 12, items 4 and 6): a per-report
 * random secret that only someone who decrypted the report can know, and
 * the HMACs a case system computes with it.
 *
 * A hash of the ciphertext proves nothing: the portal publishes it (the
 * listing, ETag, Repr-Digest).  The secret is sealed with the report
 * instead: inside the encrypted ASiC-E container the portal builds
 * (BKM_BESITTELSE_FILE), or, for a container a producer sealed, in a CMS
 * message of its own to the same recipient certificate.  A stored-receipt
 * v2 carries HMAC-SHA256(secret, BKM_BESITTELSE_KVITTERING "\n" meldingId
 * "\n" sha256 "\n" arkivreferanse); a post-delivery challenge is answered
 * with HMAC-SHA256(secret, BKM_BESITTELSE_KONTROLL "\n" kontrollId "\n"
 * meldingId "\n" nonce).  The labels keep one proof from answering the
 * other; the ids keep one report's proof from answering another's.
 *
 * The secret is 32 bytes from OpenSSL's CSPRNG, written as 64 lower-case
 * hex digits everywhere (file, database, HMAC key as those 32 bytes).
 * Never logged.  httpd-free: APR and OpenSSL 3 only.  Thread-safe.
 */
#ifndef BKM_BESITTELSE_H
#define BKM_BESITTELSE_H

#include <apr_pools.h>

/** The file inside the portal's ASiC-E container that holds the secret. */
#define BKM_BESITTELSE_FILE "META-INF/bekymring-besittelse.json"
/** What the file and the producer's challenge decrypt to. */
#define BKM_BESITTELSE_MEDIA_TYPE "application/json"
/** The HMAC label of a stored-receipt v2's besittelsesbevis. */
#define BKM_BESITTELSE_KVITTERING "bekymringsmelding-lagringskvittering-v2"
/** The HMAC label of an answer to a post-delivery challenge. */
#define BKM_BESITTELSE_KONTROLL "bekymringsmelding-kontroll-v1"

/**
 * A new secret: 64 lower-case hex digits from 32 random bytes.
 * @return NULL when the CSPRNG failed (then nothing may be sealed)
 */
const char *bkm_besittelse_new(apr_pool_t *p);

/**
 * The JSON document that carries the secret to the case system:
 * {"versjon":1,"bekymringsmeldingId":"...","hemmelighet":"<64 hex>"}.
 */
const char *bkm_besittelse_document(apr_pool_t *p,
                                    const char *bekymringsmelding_id,
                                    const char *secret, apr_size_t *len);

/**
 * The stored-receipt v2's besittelsesbevis (64 lower-case hex digits).
 * @return NULL when @p secret is not 64 hex digits
 */
const char *bkm_besittelse_bevis(apr_pool_t *p, const char *secret,
                                 const char *melding_id, const char *sha256,
                                 const char *arkivreferanse);

/** The answer to post-delivery challenge @p kontroll_id (64 hex digits),
 *  NULL when @p secret is not 64 hex digits. */
const char *bkm_besittelse_svar(apr_pool_t *p, const char *secret,
                                const char *kontroll_id,
                                const char *melding_id, const char *nonce);

/** Whether two proofs are equal, in time independent of where they
 *  differ (@p given comes from outside; NULL never equals). */
int bkm_besittelse_equal(const char *expected, const char *given);

#endif
