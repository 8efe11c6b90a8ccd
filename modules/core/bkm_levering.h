/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_levering.h
 * @brief The delivery rules without httpd or a database: the state
 *        machine (state x event -> new state, what to record and how to
 *        answer), the receipt rules beside it, the deadlines, and the byte
 *        ranges that make a fetch complete.
 *
 * bkm_leveranse.c reads the facts in a transaction that holds the
 * report's row, asks bkm_levering_next() and writes what it says; the
 * handlers only turn HTTP into events.  t/unit/test_levering.c tests the
 * whole decision table.
 */
#ifndef BKM_LEVERING_H
#define BKM_LEVERING_H

#include <apr_pools.h>
#include <apr_time.h>

#include "bkm_registry.h"
#include "bkm_lagringskvittering.h"

/** A report's state (bkm_melding.tilstand; the producer API's status). */
typedef enum {
    BKM_DS_AKSEPTERT = 0,
    BKM_DS_SENDT_FAGSYSTEM,
    BKM_DS_AVVIST_FAGSYSTEM,
    BKM_DS_SENDT_PRINT,
    BKM_DS_AVVIST_PRINT,
    BKM_DS_LEVERT,
    BKM_DS_COUNT
} bkm_ds_e;

/** What happens to a report. */
typedef enum {
    BKM_DE_HENTET = 0,    /**< the recipient's copy went out completely */
    BKM_DE_MOTTATT,       /**< a plain mottatt from the recipient */
    BKM_DE_LAGRET,        /**< a verified stored-receipt */
    BKM_DE_FEILET,        /**< feilet from the recipient */
    BKM_DE_FRIST,         /**< the deadline passed */
    BKM_DE_PRINT_HENTET,  /**< the print provider fetched its copy */
    BKM_DE_PRINT_MOTTATT, /**< handed to the post */
    BKM_DE_PRINT_FEILET,  /**< the print provider could not print */
    BKM_DE_HANDTERT,      /**< administrator: handled outside */
    BKM_DE_TILBAKE,       /**< administrator: back to the case system */
    BKM_DE_PRINT_PA_NYTT, /**< administrator: print again */
    BKM_DE_COUNT
} bkm_de_e;

/** The recipient's answer so far (bkm_leveranse.svar). */
typedef enum {
    BKM_DA_INGEN = 0,
    BKM_DA_MOTTATT,
    BKM_DA_LAGRET,
    BKM_DA_FEILET
} bkm_da_e;

/** The facts a decision needs, read with the report's row held. */
typedef struct {
    bkm_ds_e tilstand;
    int frist;        /**< a deadline runs (print not ordered) */
    int levert;       /**< delivered (bkm_melding.levert set) */
    int oppfolging;   /**< flagged for manual follow-up */
    int hentet;       /**< the message for this event's account was
                             fetched completely (bkm_leveranse.hentet) */
    int manuell;      /**< the recipient downloads by hand */
    int krev_lagring; /**< the district requires stored-receipts */
    bkm_da_e svar;    /**< this message's answer so far */
    int samme;        /**< a receipt of the kind already given is the
                             same (feilet: its text; stored-receipt: its
                             arkivreferanse) */
} bkm_dfakta_t;

/** How the request that carried the event is answered. */
typedef enum {
    BKM_DU_ANVENDT = 0,  /**< applied; its event is recorded */
    BKM_DU_GJENTATT,     /**< the answer already given: nothing changes */
    BKM_DU_MOTSTRIDENDE, /**< contradicts the answer given: 409, recorded */
    BKM_DU_IKKE_HENTET,  /**< a receipt for a message not completely
                                 fetched: 409 ikke-hentet, recorded, the
                                 deadline keeps running */
    BKM_DU_NEKTET        /**< not possible in this state (an
                                 administrator's action): nothing written */
} bkm_du_e;

/** The decision: what to write and what to answer. */
typedef struct {
    bkm_du_e utfall;
    bkm_ds_e tilstand;    /**< the state afterwards */
    int levert;           /**< afterwards: delivered */
    int oppfolging;       /**< afterwards: flagged for follow-up */
    int skriv_tilstand;   /**< bkm_melding is to be updated */
    int bestill_print;    /**< order print (clears the deadline) */
    int ny_frist;         /**< a new deadline from now (requeue) */
    bkm_da_e svar;        /**< the message's answer to store, or INGEN
                                 for no change */
    const char *hendelse; /**< the timeline event, NULL for none */
    const char *tekst;    /**< its text (the receiver's may follow) */
} bkm_dvalg_t;

/** What the server's configuration decides about delivery: the glue fills
 *  it from BekymringReceiptDeadline, BekymringManualDeadline and the
 *  registry; the core never reads configuration. */
typedef struct {
    apr_interval_time_t receipt_deadline; /**< case systems, where the
                                                 district has no svarfrist */
    apr_interval_time_t manual_deadline;  /**< manual download, likewise */
    const char *print_konto_id;           /**< the print provider's
                                                 account */
} bkm_levering_policy_t;

/** When a report accepted at @p from escalates to letter post unless its
 *  recipient confirms it: the district's svarfrist and office hours, else
 *  the policy's deadline for its channel, in business time. */
apr_time_t bkm_levering_deadline(const bkm_levering_policy_t *pol,
                                 const bkm_bydel_t *b, apr_time_t from);

/** The channel's name as stored (bkm_melding.kanal, bkm_leveranse.mottaker):
 *  "fagsystem" or "manuell". */
const char *bkm_kanal_name(bkm_kanal_e kanal);

/** The state machine: @p f in state, @p e happens; fills @p out.  Pure. */
void bkm_levering_next(const bkm_dfakta_t *f, bkm_de_e e, bkm_dvalg_t *out);

/** The name stored in the database and shown by the API. */
const char *bkm_ds_name(bkm_ds_e s);
/** The state of a name; -1 if it is none. */
int bkm_ds_parse(const char *name);
/** "applied", "repeat", ...: for logs. */
const char *bkm_du_name(bkm_du_e u);

/* ---- receipts ---------------------------------------------------------- */

/** What a receipt came to (bkm_levering_answer in bkm_leveranse.h): the
 *  state machine's answer, as the API tells it. */
typedef enum {
    BKM_KVITTERING_NY = 0,       /**< applied: its event is on the timeline */
    BKM_KVITTERING_GJENTATT,     /**< the answer already given: no change */
    BKM_KVITTERING_MOTSTRIDENDE, /**< contradicts the answer already given:
                                     refused, KVITTERING_AVVIST recorded */
    BKM_KVITTERING_IKKE_HENTET   /**< mottatt or a stored-receipt for a
                                     message not completely fetched:
                                     refused (409 ikke-hentet) and
                                     recorded; the deadline keeps running */
} bkm_kvittering_e;

typedef struct {
    bkm_kvittering_e utfall;
    const char *hendelse; /**< NY: the event recorded */
    const char *svar;     /**< the message's answer now: "mottatt",
                                     "lagret" or "feilet" */
    const char *hvorfor;  /**< MOTSTRIDENDE: why, in English, naming
                                     no content */
} bkm_kvittering_t;

/**
 * Whether a stored-receipt whose signature verified may be judged as the
 * receipt of the message it was sent for (@p id, of report @p melding_id,
 * its ciphertext's SHA-256 @p sha256, fetched completely or not): it must
 * name the message and the report, and the SHA-256 of exactly that
 * ciphertext, and nobody can have stored what never went out in full.
 * @return BKM_DU_ANVENDT when the state machine may judge it next;
 *         BKM_DU_NEKTET when it does not fit (422
 *         lagringskvittering-ugyldig) or BKM_DU_IKKE_HENTET (409
 *         ikke-hentet), with *why (English, naming no content): refused
 *         and recorded.
 */
bkm_du_e bkm_kvittering_fits(const bkm_lagringskvittering_t *lk,
                             const char *id, const char *melding_id,
                             const char *sha256, int hentet,
                             const char **why);

/** How a receipt's outcome is answered: NULL when it is answered 200
 *  (applied, or a repeat: "gjentatt"), else the API's errorId (409) with
 *  *why. */
const char *bkm_kvittering_refusal(const bkm_kvittering_t *k,
                                   const char **why);

/**
 * A Range header against a body of @p size bytes.  Only one range
 * "bytes=a-b", "bytes=a-" or "bytes=-n" is served as 206; several ranges
 * or a header that is not of this form are answered with the whole body
 * (RFC 9110 lets a server ignore Range).
 * @return 1 one range [*start, *end] (inclusive), 0 the whole body,
 *         -1 not satisfiable (416).
 */
int bkm_range_parse(const char *header, apr_off_t size, apr_off_t *start,
                    apr_off_t *end);

/** The most byte ranges remembered per message. */
#define BKM_RANGES_MAX 32

/**
 * Add the bytes [@p start, @p end] that went out to the ranges already
 * covered, @p dekket ("a-b,c-d", sorted, merged; NULL for none).  The
 * result, from @p p, is in @p out.  More than BKM_RANGES_MAX separate
 * ranges keep the first ones (a client that scatters ranges must fetch
 * the rest again).  A malformed @p dekket counts as none.
 * @return 1 if the ranges now cover all @p size bytes, else 0.
 */
int bkm_range_cover(apr_pool_t *p, const char *dekket, apr_off_t start,
                    apr_off_t end, apr_off_t size, const char **out);

#endif
