/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_paminnelse.h
 * @brief Reminders before letter post (issue 16, item 6): which reports
 *        are due a reminder to their district's contact, claimed so that
 *        each is sent once per report and deadline, whichever node runs
 *        the pass; and the event on the timeline.  httpd-free.
 *
 * A step of the escalation pass (report/eskalering.c adds it): the glue
 * fills the policy and sends the mail (report/paminnelse.c);
 * t/unit/test_paminnelse.c runs it on a real SQLite file.
 */
#ifndef BKM_PAMINNELSE_H
#define BKM_PAMINNELSE_H

#include <apr_time.h>

#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_registry.h"

/** The statements the step runs (bkm_core_sql lists them). */
extern const bkm_sql_t bkm_paminnelse_sql[];
#define BKM_SQL_PAMINNELSE_DUE "bkm_paminnelse_due"
#define BKM_SQL_PAMINNELSE_CLAIM "bkm_paminnelse_claim"
#define BKM_SQL_PAMINNELSE_RELEASE "bkm_paminnelse_release"
#define BKM_SQL_PAMINNELSE_SENT "bkm_paminnelse_sent"

/** The timeline's event. */
#define BKM_PAMINNELSE_EVENT "PAMINNELSE_SENDT"

/** How long a claim whose mail was never marked sent (its node died while
 *  sending) holds before another pass sends it again. */
#define BKM_PAMINNELSE_LEASE apr_time_from_sec(15 * 60)

/** A report due a reminder: what the mail may name (never content). */
typedef struct {
    const char *melding_id;
    const char *referanse;
    const bkm_bydel_t *bydel; /**< its district (kommune, kontakt_epost) */
    apr_time_t frist;         /**< the deadline the reminder is for */
} bkm_paminnelse_t;

/** Send one reminder.  @return APR_SUCCESS when the mail was handed on;
 *  anything else: logged by the sender, tried again next pass. */
typedef apr_status_t bkm_paminnelse_send_fn(void *baton,
                                            const bkm_paminnelse_t *p,
                                            apr_pool_t *pool);

/** What the step goes by: the glue fills it from its configuration. */
typedef struct {
    const bkm_registry_t *registry;        /**< districts and contacts */
    const bkm_levering_policy_t *delivery; /**< the deadlines */
    int prosent;      /**< remind at this share of the deadline, 1-99
                             (BekymringReminderAt); 0: never */
    int select_limit; /**< rows per look (BKM_PASS_SELECT) */
    bkm_paminnelse_send_fn *send;
    void *baton;
    void *log; /**< the log baton of the step's lines */
} bkm_paminnelse_policy_t;

/**
 * The moment from which a report of district @p b whose deadline is at
 * most this is due a reminder at @p now: the deadline's business time
 * left is at most (100 - prosent) % of the district's deadline.  Pure.
 */
apr_time_t bkm_paminnelse_bound(const bkm_levering_policy_t *pol,
                                const bkm_bydel_t *b, int prosent,
                                apr_time_t now);

/**
 * Remind every report that is due at @p now, unconfirmed, of a district
 * with a kontaktEpost, and not reminded for its current deadline yet:
 * claim it (a conditional update only one node makes), send, then in one
 * transaction mark it sent and put BKM_PAMINNELSE_EVENT on its timeline.
 * A failed mail releases the claim: the next pass tries again; it never
 * fails the step.
 * @param sendt    reminders sent
 * @param feilet   mails that failed (retried next pass)
 * @return APR_SUCCESS, or APR_EGENERAL when the database failed
 */
apr_status_t bkm_paminnelse_run(bkm_db_t *db,
                                const bkm_paminnelse_policy_t *pol,
                                apr_time_t now, int *sendt, int *feilet);

#endif
