/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_kjede.h
 * @brief The tamper-evident trail (issue 16, item 4): hash chains over the
 *        timelines (bkm_hendelse) and the audit (bkm_revisjon), their
 *        anchors, and the walk that verifies them.  httpd-free.
 *
 * The chains.  Each report's timeline is one chain, in the order of its
 * events' nr (1, 2, 3 ...): an event is written under the report's row
 * lock (PostgreSQL) or the one writer (SQLite), so no two writers fork
 * it.  The audit is one chain for the whole portal, in the order of its
 * rows' nr; its head (bkm_kjede, navn 'revisjon': the last nr and its
 * hash) is locked and moved in the transaction that appends a row.
 *
 * A row's hash (its column kjede, 64 lower-case hex digits) is
 *   SHA-256( "bkm-kjede-1" LF  KIND LF  FIELD...  PREV LF )
 * where KIND is "hendelse" or "revisjon", PREV the previous row's kjede
 * in its chain (64 ASCII characters; 64 "0" for a chain's first row),
 * and each FIELD, in this order,
 *   hendelse: melding_id, nr, tidspunkt, tilstand, hendelse, aktor,
 *             beskrivelse
 *   revisjon: nr, id, tidspunkt, aktor, handling, kommunenummer,
 *             melding_id, begrunnelse
 * is written as "-" LF when it is NULL or empty, else as its length in
 * bytes in decimal, ":", its bytes (UTF-8 as stored) and LF.  Integers
 * (nr, tidspunkt: microseconds since 1970 UTC) are written in decimal
 * without leading zeros or sign ("1718000000000000").
 *
 * Anchors.  The escalation pass appends, when events arrived since its
 * last, an audit row with handling "KJEDEANKER", aktor "kjede" and
 * begrunnelse "hendelser=N sha256=D": it marks those N events with its nr
 * (their column anker), and D is the SHA-256 of their lines
 * "melding_id SP nr SP kjede LF", sorted by melding_id (bytes) and nr.
 * So the audit chain's head covers every timeline too; the pass logs it
 * and /helse shows it.  A chain rewritten consistently (every hash
 * recomputed, anchors too) is caught by an earlier head kept outside the
 * database: its row no longer has that hash.
 *
 * Rows from before migration 0014 have no kjede: a chain may start with
 * such rows (counted as unchained), after which its first hashed row
 * links to 64 zeros.
 */
#ifndef BKM_KJEDE_H
#define BKM_KJEDE_H

#include "bkm_db.h"

extern const bkm_sql_t bkm_kjede_sql[];

/** The hash of a chain's first row's predecessor. */
#define BKM_KJEDE_START \
    "0000000000000000000000000000000000000000000000000000000000000000"

/** The hash of a row of kind @p kind ("hendelse", "revisjon") with its
 *  @p n fields (NULL allowed) after @p prev; 64 hex digits from @p p. */
const char *bkm_kjede_hash(apr_pool_t *p, const char *kind,
                           const char *const *fields, int n,
                           const char *prev);

/** Add an event to a report's timeline chain (inside the transaction
 *  that holds the report's row): the next nr and its hash. */
apr_status_t bkm_kjede_hendelse(bkm_db_t *db, const char *melding_id,
                                apr_time_t tid, const char *tilstand,
                                const char *hendelse, const char *aktor,
                                const char *beskrivelse);

/** The first event of a report inserted by the caller's transaction (the
 *  report's intake): nr 1 after BKM_KJEDE_START, without asking for the
 *  chain's last row (one statement fewer for each report). */
apr_status_t bkm_kjede_forste(bkm_db_t *db, const char *melding_id,
                              apr_time_t tid, const char *tilstand,
                              const char *hendelse, const char *aktor,
                              const char *beskrivelse);

/** Issue 17: a report's place in its timeline chain, read with its row
 *  held: the last event's nr (0 when none) and kjede (NULL when none or
 *  not chained). */
typedef struct {
    const char *melding_id;
    apr_int64_t nr;
    const char *forrige;
} bkm_kjede_neste_t;

/** The same event on @p n reports' timelines (inside the transaction that
 *  holds their rows), each chained to @p ev[i]: what @p n calls of
 *  bkm_kjede_hendelse write, in a few multi-row INSERTs. */
apr_status_t bkm_kjede_hendelser(bkm_db_t *db, int n,
                                 const bkm_kjede_neste_t *ev, apr_time_t tid,
                                 const char *tilstand, const char *hendelse,
                                 const char *aktor, const char *beskrivelse);

/** Each of @p ids' (const char *) place in its chain (inside the
 *  transaction that holds their rows), in @p ev (room for ids->nelts), in
 *  a few look-ups.  @return APR_SUCCESS when all were found */
apr_status_t bkm_kjede_siste(bkm_db_t *db, const apr_array_header_t *ids,
                             bkm_kjede_neste_t *ev, int *n);

/** Append an audit row to the audit chain (in the caller's transaction,
 *  else in one of its own). */
apr_status_t bkm_kjede_revisjon(bkm_db_t *db, apr_time_t tid,
                                const char *aktor, const char *handling,
                                const char *kommunenummer,
                                const char *melding_id,
                                const char *begrunnelse);

/** The audit chain's head: its last nr and hash (BKM_KJEDE_START when
 *  no row is chained yet). */
apr_status_t bkm_kjede_hode(bkm_db_t *db, apr_int64_t *nr, const char **hode);

/** Anchor the events that have none yet (one transaction): *n of them,
 *  0 when there were none (then nothing is written).  The head after it
 *  in *nr and *hode (as bkm_kjede_hode). */
apr_status_t bkm_kjede_anchor(bkm_db_t *db, apr_time_t now, int *n,
                              apr_int64_t *nr, const char **hode);

/** What a walk found. */
typedef struct {
    int ok;                 /**< 1: every chain and anchor holds */
    apr_int64_t hendelser;  /**< events read */
    apr_int64_t meldinger;  /**< timelines (reports) read */
    apr_int64_t revisjoner; /**< audit rows read */
    apr_int64_t ankre;      /**< anchors checked */
    apr_int64_t ukjedet;    /**< rows from before the chains */
    /* the first broken link, when !ok */
    const char *kjede;      /**< "hendelse" or "revisjon" */
    const char *melding_id; /**< the timeline's report (hendelse) */
    apr_int64_t nr;         /**< the row's nr in its chain */
    const char *grunn;      /**< why, in English (one line) */
    apr_int64_t hode_nr;    /**< the audit chain's head */
    const char *hode;
} bkm_kjede_sjekk_t;

/**
 * Walk every chain: each row's hash against its content and its
 * predecessor, no nr missing, the audit chain ending at its head, each
 * anchor's digest against its events; and, when @p anker is given as
 * "NR:HASH" (a head logged or shown earlier), that row NR still has that
 * hash.  The first broken link in @p out (timelines first, in the order
 * of their reports' ids, then the audit).
 * @return APR_SUCCESS (see out->ok), APR_EINVAL a malformed @p anker, or
 *         APR_EGENERAL (database)
 */
apr_status_t bkm_kjede_verify(bkm_db_t *db, const char *anker,
                              bkm_kjede_sjekk_t *out);

#endif
