/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_lagring.h
 * @brief Reports into the database: metadata, ciphertexts, the reporter's
 *        sealed copy, the proof-of-possession secret and the first
 *        timeline event, all or nothing; idempotency keys.  httpd-free
 *        (errors as bkm_db.h says).
 */
#ifndef BKM_LAGRING_H
#define BKM_LAGRING_H

#include <apr_time.h>

#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_registry.h"
#include "bkm_seal.h"

/** The statements this file runs (bkm_core_sql lists them; control
 *  messages insert with the same ones). */
extern const bkm_sql_t bkm_lagring_sql[];
#define BKM_SQL_MELDING_INSERT "bkm_melding_insert"
#define BKM_SQL_MELDING_INSERT_IDEM "bkm_melding_insert_idem"
#define BKM_SQL_CHIFFER_INSERT "bkm_chiffer_insert"
#define BKM_SQL_MELDING_BY_KEY "bkm_melding_by_key"
#define BKM_SQL_LEVERANSE_INSERT "bkm_leveranse_insert"
#define BKM_SQL_MELDING_BY_SKJEMA "bkm_melding_by_skjema"
#define BKM_SQL_KOPI_INSERT "bkm_kopi_insert"
#define BKM_SQL_KOPI_INSERT_TOM "bkm_kopi_insert_tom"
#define BKM_SQL_MELDING_BY_KEY_FP "bkm_melding_by_key_fp"
#define BKM_SQL_BESITTELSE_INSERT "bkm_besittelse_insert"

/** A report's metadata (nothing readable about the child or the reporter). */
typedef struct {
    const char *id;        /**< UUID */
    const char *referanse; /**< drawn by the caller (bkm_reference) */
    const char
        *meldingstype; /**< e.g. no.ks.fiks.bekymringsmelding.privat.v2 */
    int versjon;
    const char *kilde;            /**< "skjema" or "produsent" */
    const char *integrasjon_id;   /**< producer's integration, or NULL */
    const char *fra_org;          /**< producer's fraFiksOrgId, or NULL */
    const char *idempotensnokkel; /**< Idempotency-Key, or NULL */
    const bkm_bydel_t *bydel;
    apr_time_t mottatt;
    const char *aktor; /**< who caused the first event */
    /* The reporter's receipt (web form only): the SHA-256 (hex) of the key
     * in their browser, and for public reports the PDF sealed under that
     * key (bkm_box), stored with the report until kopi_utloper. */
    const unsigned char *kopi_nokkel; /**< BKM_BOX_KEY bytes, or NULL */
    int kopi_pdf;                     /**< 1: keep the sealed PDF as well */
    apr_time_t kopi_utloper;
    const unsigned char *kopi; /**< set by intake: the sealed PDF */
    apr_size_t kopi_len;
    /** The producer API: SHA-256 (hex) of the request the idempotency key
     *  came with (bkm_idempotency_fingerprint); NULL elsewhere. */
    const char *idempotens_fingeravtrykk;
    /* Proof of possession (bkm_besittelse.h), case-system reports only:
     * the secret sealed with the report, and for a producer's container
     * the secret's own CMS message (base64), NULL when inside the ASiC-E. */
    const char *besittelse;
    const char *besittelse_cms;
} bkm_melding_t;

/** How long an integration's Idempotency-Key is remembered (issue 12):
 *  a retry within it gets the first answer; afterwards the key is
 *  forgotten (escalation pass) and may name a new report. */
#define BKM_IDEMPOTENCY_TTL apr_time_from_sec(24 * 3600)
/** The fingerprint of a request: SHA-256 (hex) over its method, path and
 *  @p body_sha256 (hex, the caller's digest of what the body says), each
 *  ended by a newline. */
const char *bkm_idempotency_fingerprint(apr_pool_t *p, const char *method,
                                        const char *path,
                                        const char *body_sha256);

/**
 * Store a report, its ciphertexts and its first timeline event (AKSEPTERT)
 * in one transaction, with its escalation deadline by @p pol.
 * @return APR_SUCCESS; APR_EEXIST when the integration already used this
 *         idempotency key with the same request (then m->id and
 *         m->referanse are the first report's); APR_EMISMATCH when it used
 *         the key for another request (nothing stored); APR_EGENERAL when
 *         the database failed (logged, nothing stored).
 */
apr_status_t bkm_lagring_melding(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 bkm_melding_t *m, const bkm_sealed_t *c,
                                 int nc);

#endif
