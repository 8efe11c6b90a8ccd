/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_eskalering.h
 * @brief The escalation pass: letter post for every report whose deadline
 *        passed without confirmation, retention for delivered reports, the
 *        counts of what needs a person, expired idempotency keys -- then
 *        the steps the caller adds (the post-delivery checks).  httpd-free.
 *
 * The glue fills the policy from its configuration (and its own steps),
 * runs the pass in the watchdog and on demand (report/eskalering.c);
 * t/unit/test_eskalering.c runs it on a real SQLite file with a fixed now.
 */
#ifndef BKM_ESKALERING_H
#define BKM_ESKALERING_H

#include <apr_time.h>

#include "bkm_db.h"
#include "bkm_levering.h"

/** The statements the pass runs (bkm_core_sql lists them). */
extern const bkm_sql_t bkm_eskalering_sql[];
#define BKM_SQL_VARSLER "bkm_varsler"
#define BKM_SQL_KOPI_EXPIRED "bkm_kopi_expired"
#define BKM_SQL_UTKAST_EXPIRED "bkm_utkast_expired"
#define BKM_SQL_IDEMPOTENS_UTLOPT "bkm_idempotens_utlopt"
#define BKM_SQL_CHIFFER_DELETE "bkm_chiffer_delete"
#define BKM_SQL_SLETTING_HOLD_SET "bkm_sletting_hold_set"
#define BKM_SQL_SLETTING_CLAIM "bkm_sletting_claim"
#define BKM_SQL_CHIFFER_DELETE_50 "bkm_chiffer_delete_50"
#define BKM_SQL_SLETTING_RECHECK_50 "bkm_sletting_recheck_50"

/** What a pass did. */
typedef struct {
    int eskalert;        /**< sent to letter post by this pass */
    int slettet;         /**< ciphertexts deleted after retention */
    int oppfolging;      /**< reports flagged for manual follow-up */
    int uavklart;        /**< undelivered after the retention period */
    int utlopt;          /**< expired receipt copies and drafts deleted */
    int kontroller;      /**< post-delivery challenges issued */
    int kontroll_feilet; /**< challenges unanswered in time: requeued */
    int uavstemt;        /**< accounts late to reconcile (alerted) */
    int kontrollmelding_laget;  /**< control messages made by this pass */
    int kontrollmelding_feilet; /**< control messages without a verified
                                 stored-receipt by their deadline */
    int paminnelser;            /**< reminders before letter post sent */
    int paminnelse_feilet;      /**< reminder mails that failed (retried) */
} bkm_pass_t;

/** A step the caller adds after the pass's own: fills its part of @p out.
 *  @return APR_SUCCESS, or anything else to fail the pass. */
typedef apr_status_t bkm_pass_step_fn(bkm_db_t *db, apr_time_t now,
                                      bkm_pass_t *out, void *baton);
typedef struct {
    bkm_pass_step_fn *fn;
    void *baton;
} bkm_pass_step_t;

/** Default limits. */
#define BKM_PASS_SELECT 1000 /**< ids read per look */
#define BKM_PASS_BATCH 200   /**< reports per transaction */

/** What a pass goes by: the glue fills it from its configuration. */
typedef struct {
    const bkm_levering_policy_t *delivery; /**< where print is ordered */
    apr_time_t now;                        /**< the pass's time */
    apr_interval_time_t retention; /**< ciphertexts are deleted this long
                                         after delivery (BekymringRetention);
                                         undelivered reports this old are
                                         alerted */
    int select_limit;              /**< ids per look (BKM_PASS_SELECT) */
    int batch;                     /**< reports per transaction
                                     (BKM_PASS_BATCH) */
    const bkm_pass_step_t *steps;  /**< run after the pass's own, in order */
    int nsteps;
    void *log; /**< the log baton of the pass's lines */
} bkm_pass_policy_t;

/**
 * One pass: escalation, retention, alerts, expired idempotency keys, then
 * @p pol's steps.  Safe on several nodes at once: every change is a
 * conditional update that one of them makes.  Logs its outcome (an ALERT
 * every pass while reports need a person).
 * @return APR_SUCCESS, or the first failure (APR_EGENERAL for the
 *         database; db->error has the driver's message): the next pass
 *         tries again
 */
apr_status_t bkm_eskalering_run(bkm_db_t *db, const bkm_pass_policy_t *pol,
                                bkm_pass_t *out);

#endif
