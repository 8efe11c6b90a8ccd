/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_sertifikat.h
 * @brief Key rotation without a gap: which of a channel's certificates
 * seals at a given time, which are published, and the alert before one
 * expires.
 *
 * A channel (a district's case system, manual download or print, the
 * national print provider, a district's stored-receipt signers) lists one
 * certificate or several (the registry, bkm_registry.h).  Each is valid
 * from its X.509 notBefore to its notAfter; nothing else in the registry
 * says when.  Rules:
 *   - sealing uses the newest valid one: of those valid at the time, the
 *     one with the latest notBefore (bkm_sertifikat_velg).  When none is
 *     valid, the one with the latest notAfter: a report is never refused
 *     for an expired key (a single certificate behaves as it always did),
 *     and the alert below has said so;
 *   - the keys endpoint publishes every one valid now or later;
 *   - a stored-receipt verifies against any one valid at the time (none
 *     valid: the one bkm_sertifikat_velg chooses, as sealing does).
 * The alert: every pass, each certificate that expires within the
 * warning period (BekymringCertificateWarning) is an ALERT line that says
 * whether a next one is in place, and a channel with no valid certificate
 * at all is another; both are counted per process for metrics.
 * httpd-free: APR only (and bkm_log).
 */
#ifndef BKM_SERTIFIKAT_H
#define BKM_SERTIFIKAT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "bkm_registry.h"

/** Whether @p c is valid at @p t (notBefore <= t < notAfter). */
int bkm_sertifikat_gyldig(const bkm_cert_t *c, apr_time_t t);

/** The number of certificates of a channel: the list's, else 1 for
 *  @p single, else 0 (callers that fill a bkm_bydel_t by hand set only
 *  cert_*). */
int bkm_sertifikat_antall(const apr_array_header_t *list,
                          const bkm_cert_t *single);

/** The @p i th certificate of a channel (as bkm_sertifikat_antall). */
const bkm_cert_t *bkm_sertifikat_nr(const apr_array_header_t *list,
                                    const bkm_cert_t *single, int i);

/** The certificate that seals at @p t: the valid one with the latest
 *  notBefore (ties: the latest notAfter, then the first listed); none
 *  valid, the one with the latest notAfter; NULL for an empty channel. */
const bkm_cert_t *bkm_sertifikat_velg(const apr_array_header_t *list,
                                      const bkm_cert_t *single, apr_time_t t);

/** The PEM texts of a channel's certificates valid at @p t (an array of
 *  const char *, allocated from @p p; empty when none is). */
apr_array_header_t *bkm_sertifikat_gyldige_pem(apr_pool_t *p,
                                               const apr_array_header_t *list,
                                               apr_time_t t);

/** Whether the keys endpoint publishes @p c at @p t: valid now or later
 *  (notAfter after @p t), or the one that seals at @p t. */
int bkm_sertifikat_publisert(const apr_array_header_t *list,
                             const bkm_cert_t *single, const bkm_cert_t *c,
                             apr_time_t t);

/** A district's channel by the name bkm_sealed_t uses: "fagsystem",
 *  "manuell" or "print" (the list, or NULL, in *list; cert_* in
 *  *single). */
void bkm_sertifikat_kanal(const bkm_bydel_t *b, const char *mottaker,
                          const apr_array_header_t **list,
                          const bkm_cert_t **single);

/** What one check found. */
typedef struct {
    int utloper;    /**< certificates expiring within the warning period */
    int uten_neste; /**< of those, how many have no next certificate */
    int ugyldig;    /**< channels with no certificate valid now */
} bkm_sertifikat_varsel_t;

/**
 * Look at every certificate of @p reg at @p now: an ALERT line for each
 * that expires within @p warn (BKM05201, naming the channel, serial,
 * subject, expiry and the next certificate, or that there is none) and
 * for each channel with no valid certificate (BKM05202).  @p warn 0 turns
 * the check off.  Adds to the process's counts (bkm_sertifikat_counts).
 * @param log  the bkm_log baton for the lines
 */
void bkm_sertifikat_sjekk(apr_pool_t *p, const bkm_registry_t *reg,
                          apr_time_t now, apr_interval_time_t warn, void *log,
                          bkm_sertifikat_varsel_t *out);

/** The process's counts since it started, for metrics: [0] expiring
 *  certificates alerted, [1] of those without a next one, [2] channels
 *  alerted for having no valid certificate.  @return 3 */
int bkm_sertifikat_counts(apr_uint32_t *out, int n);

#endif
