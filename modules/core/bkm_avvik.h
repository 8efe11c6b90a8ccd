/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_avvik.h
 * @brief Assurance failures ("avvik"): the timeline events that say the
 * portal could not be sure a recipient holds a report, and what marks
 * them.  httpd-free.
 *
 * This list is the one place that decides what counts.  An event named
 * here, whoever records it (bkm_event), marks its report
 * (bkm_melding.avvik: the overview's filter, the integration health's
 * count), is logged as an ALERT line with its own tag, and is counted per
 * process (bkm_avvik_counts).  A new kind of failure is one more line.
 */
#ifndef BKM_AVVIK_H
#define BKM_AVVIK_H

#include <apr.h>

#include "bkm_db.h"

/** X(name): one timeline event (bkm_hendelse.hendelse) per line. */
#define BKM_AVVIK_HENDELSER(X) \
    X(KVITTERING_AVVIST)  /* a receipt refused (contradiction, bad  */ \
                          /* stored-receipt)                        */ \
    X(AVVIST_PRINT)       /* the print provider could not print it  */ \
    X(KONTROLL_FEILET)    /* a check after delivery unanswered or   */ \
                          /* wrong; a control message that did not  */ \
                          /* come back verified                     */ \
    X(AVSTEMMING_MANGLER) /* delivered, but missing from the case   */ \
                          /* system's reconciliation                */ \
    X(AVSTEMMING_AVVIK)   /* reconciled under another record id     */

#define BKM_AVVIK_COUNT_ONE(name) +1
/** How many kinds there are. */
#define BKM_AVVIK_N (0 BKM_AVVIK_HENDELSER(BKM_AVVIK_COUNT_ONE))

/** The index of @p hendelse in the list, or -1 when it is no assurance
 *  failure (or NULL). */
int bkm_avvik_index(const char *hendelse);
/** The name of kind @p i (0 <= i < BKM_AVVIK_N), else NULL. */
const char *bkm_avvik_name(int i);

/** The statement that marks a report. */
extern const bkm_sql_t bkm_avvik_sql[];
#define BKM_SQL_MELDING_AVVIK "bkm_melding_avvik"

/** After an event is inserted (inside its transaction): when @p hendelse
 *  is an assurance failure, mark the report (bkm_melding.avvik), log an
 *  ALERT line and count it.  @return APR_SUCCESS or APR_EGENERAL. */
apr_status_t bkm_avvik_note(bkm_db_t *db, const char *melding_id,
                            const char *tid, const char *hendelse);
/** This process's ALERT counts since it started, by kind (the order of
 *  BKM_AVVIK_HENDELSER): @p out gets min(n, BKM_AVVIK_N) of them.
 *  @return BKM_AVVIK_N.  For metrics to export. */
int bkm_avvik_counts(apr_uint32_t *out, int n);

#endif
