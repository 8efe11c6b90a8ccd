/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_leveranse.h
 * @brief A report's delivery in the database: its messages (one per
 *        account), the timeline, fetches, receipts, print orders and the
 *        administrators' actions -- each a transaction that holds the
 *        report's row, reads the facts, asks the state machine
 *        (bkm_levering.h) and writes what it decided.  httpd-free.
 *
 * Functions return apr_status_t as bkm_db.h says (APR_NOTFOUND for a
 * message that is not the account's, APR_EGENERAL when the database
 * failed, APR_EINVAL for an action the report's state does not allow).
 */
#ifndef BKM_LEVERANSE_H
#define BKM_LEVERANSE_H

#include <apr_time.h>

#include "bkm_db.h"
#include "bkm_levering.h"
#include "bkm_registry.h"

/** Message type of a print job on the print provider's account (ours:
 *  the incumbent printed internally; schema/print). */
#define BKM_TYPE_UTSKRIFT "no.ks.fiks.bekymringsmelding.utskrift.v1"
#define BKM_TYPE_MOTTATT "no.ks.fiks.bekymringsmelding.mottatt.v1"
#define BKM_TYPE_FEILET "no.ks.fiks.bekymringsmelding.feilet.v1"

/** The statements this file runs (bkm_core_sql lists them). */
extern const bkm_sql_t bkm_leveranse_sql[];
#define BKM_SQL_LEVERANSE_PRINT "bkm_leveranse_print"
#define BKM_SQL_LEVERANSE_GET "bkm_leveranse_get"
#define BKM_SQL_LEVERANSE_FETCH "bkm_leveranse_fetch"
#define BKM_SQL_LEVERANSE_HENTET "bkm_leveranse_hentet"
#define BKM_SQL_LEVERANSE_SVAR "bkm_leveranse_svar"
#define BKM_SQL_MELDING_LOCK "bkm_melding_lock"
#define BKM_SQL_MELDING_STATE "bkm_melding_state"
#define BKM_SQL_MELDING_SET "bkm_melding_set"
#define BKM_SQL_MELDING_TO_PRINT "bkm_melding_to_print"
#define BKM_SQL_LEVERANSE_NULLSTILL "bkm_leveranse_nullstill"
#define BKM_SQL_MELDING_TILBAKE "bkm_melding_tilbake"
#define BKM_SQL_LEVERANSE_SVAR_GET "bkm_leveranse_svar_get"
#define BKM_SQL_HENDELSE_SISTE "bkm_hendelse_siste"
#define BKM_SQL_LEVERANSE_DEKKET_GET "bkm_leveranse_dekket_get"
#define BKM_SQL_LEVERANSE_DEKKET_SET "bkm_leveranse_dekket_set"
#define BKM_SQL_MELDING_TO_PRINT_DUE "bkm_melding_to_print_due"
#define BKM_SQL_MELDING_TO_PRINT_KJEDE "bkm_melding_to_print_kjede"
#define BKM_SQL_LEVERANSE_PRINT_10 "bkm_leveranse_print_10"
#define BKM_SQL_LEVERANSE_PRINT_50 "bkm_leveranse_print_50"
/** Ids per look-up of bkm_order_print_due's second statement. */
#define BKM_PRINT_CHUNK 50

/** One message for one account (a row of bkm_leveranse with its
 *  report's and ciphertext's metadata). */
typedef struct {
    const char *id; /**< meldingId */
    const char *konto_id;
    const char *melding_id; /**< bekymringsmeldingId */
    const char *mottaker;   /**< fagsystem, manuell or print */
    const char *meldingstype;
    int hentet;       /**< fetched at least once */
    const char *svar; /**< NULL, mottatt, lagret or feilet */
    const char *arkivreferanse;
    const char *kommunenummer, *bydelsnummer, *referanse;
    const char *innholdstype; /**< NULL once retention deleted it */
    const char *sha256;
    apr_off_t storrelse;
    const char *tilstand; /**< the report's state */
    int levert;
    apr_time_t opprettet;
    const char *arsak;   /**< print jobs: "frist" or "feilet" */
    const char *innhold; /**< the ciphertext, when asked for */
    apr_size_t innhold_len;
} bkm_leveranse_t;

typedef enum {
    BKM_SVAR_MOTTATT = 1, /**< mottatt.v1 without proof */
    BKM_SVAR_LAGRET,      /**< mottatt.v1 with a verified stored-receipt */
    BKM_SVAR_FEILET       /**< feilet.v1 */
} bkm_svar_e;

/** A receipt that passed its checks. */
typedef struct {
    bkm_svar_e svar;
    int print;                  /**< from the print provider */
    int krev_lagring;           /**< the district requires stored-receipts */
    const char *aktor;          /**< the integration */
    const char *arkivreferanse; /**< from a stored-receipt, else NULL */
    const char *melding;        /**< feilet's text (shortened), or NULL */
} bkm_kvittering_in_t;

/** Add an event to a report's timeline (inside a transaction); an
 *  assurance failure also marks the report (bkm_avvik_note). */
apr_status_t bkm_event(bkm_db_t *db, const char *melding_id, apr_time_t tid,
                       const char *hendelse, const char *tilstand,
                       const char *aktor, const char *beskrivelse);

/** Order letter post if the report's deadline is at or before @p due_by
 *  and nothing settled it yet (inside a transaction): a print job on
 *  pol->print_konto_id.  *ordered is 1 when this call ordered it, 0 when
 *  there was nothing to do (delivered, ordered already, not yet due). */
apr_status_t bkm_order_print(bkm_db_t *db, const bkm_levering_policy_t *pol,
                             const char *melding_id, apr_time_t now,
                             apr_time_t due_by, const char *arsak,
                             const char *aktor, const char *beskrivelse,
                             int *ordered);

/** Issue 17: bkm_order_print for up to @p limit reports whose deadline
 *  passed at @p now, the oldest first, as a set (inside a transaction):
 *  one conditional UPDATE claims them -- of two nodes (or a receipt)
 *  racing for a report, one changes its row, the other finds nothing --
 *  then their print jobs and events in a few multi-row statements.
 *  *ordered counts those this call ordered (fewer than @p limit when
 *  another node took some or nothing more is due). */
apr_status_t bkm_order_print_due(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 apr_time_t now, int limit, const char *arsak,
                                 const char *aktor, const char *beskrivelse,
                                 int *ordered);

/** The message @p id of account @p konto_id (with its ciphertext when
 *  @p with_content).  @return APR_SUCCESS, APR_NOTFOUND (answer 404) or
 *  APR_EGENERAL (503). */
apr_status_t bkm_leveranse_load(bkm_db_t *db, const char *konto_id,
                                const char *id, int with_content,
                                bkm_leveranse_t *l);

/** Record the first download (SENDT_FAGSYSTEM on the timeline). */
apr_status_t bkm_levering_fetched(bkm_db_t *db, const bkm_leveranse_t *l,
                                  const char *aktor, apr_time_t now);

/** Bytes [@p start, @p end] of message @p l went out completely (a Range
 *  answer, or 0 to size - 1 for the whole): added to the ranges sent so
 *  far; once they cover the message, its fetch is recorded as
 *  bkm_levering_fetched() does.  @p complete is set when the message
 *  counts as fetched. */
apr_status_t bkm_levering_fetched_range(bkm_db_t *db,
                                        const bkm_leveranse_t *l,
                                        const char *aktor, apr_time_t now,
                                        apr_off_t start, apr_off_t end,
                                        int *complete);

/**
 * Take a receipt in one transaction that holds the report's row: read the
 * message's answer so far, then apply the receipt, or find it a repeat
 * (the same answer, a feilet with the same text, a plain mottatt after a
 * stored-receipt), or a contradiction (any other answer after one: feilet
 * after mottatt, another record id, feilet with another text), which is
 * refused and recorded.  A stored-receipt may follow a plain mottatt.  Of
 * two contradicting receipts sent at once, exactly one is applied.  A
 * feilet orders letter post (on @p pol's print account).
 * @return APR_SUCCESS (see out->utfall) or APR_EGENERAL (nothing changed)
 */
apr_status_t bkm_levering_answer(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 const bkm_leveranse_t *l,
                                 const bkm_kvittering_in_t *in,
                                 apr_time_t now, bkm_kvittering_t *out);

/** Record a refused receipt (contradiction, bad stored-receipt). */
apr_status_t bkm_levering_refused(bkm_db_t *db, const bkm_leveranse_t *l,
                                  const char *aktor, apr_time_t now,
                                  const char *why);

/** An administrator's action on a report (audited, with a reason). */
typedef struct {
    const char *handling; /**< handtert, tilbake or print */
    const char *melding_id;
    const char *kommunenummer;
    const char *aktor;                  /**< the role binding's name */
    const char *begrunnelse;            /**< the reason given */
    const char *hendelse, *beskrivelse; /**< set by the action */
} bkm_handling_t;

/**
 * Do an action in one transaction with its event and its audit line:
 * "handtert" (handled outside the portal: delivered, escalation stops),
 * "tilbake" (a case-system report of district @p b waits again as new,
 * with a new deadline by @p pol) or "print" (a rejected print job is
 * ordered again).
 * @return APR_SUCCESS done, APR_EINVAL the report's state does not allow
 *         it (or no such action), APR_EGENERAL database
 */
apr_status_t bkm_levering_action(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 bkm_handling_t *h, apr_time_t now,
                                 const bkm_bydel_t *b);

/** The audit line of an action (bkm_revisjon; inside the transaction
 *  that does it): who, what, on what, and the reason. */
apr_status_t bkm_audit(bkm_db_t *db, apr_time_t now, const bkm_handling_t *h);

#endif
