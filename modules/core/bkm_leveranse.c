/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delivery: the state of each report on its way to a recipient, changed
 * only here.  ARCHITECTURE §2: every report ends confirmed by its
 * recipient or printed and posted, never silently stuck.
 *
 *   AKSEPTERT --fetch--> SENDT_FAGSYSTEM --mottatt--> LEVERT
 *       |                      |  (where the district requires stored-
 *       |                      |   receipts: only a verified one)
 *       |                 feilet: AVVIST_FAGSYSTEM
 *       +--deadline--+---------+
 *                    v
 *               SENDT_PRINT --print mottatt--> LEVERT
 *                    +-------print feilet----> AVVIST_PRINT (+ oppfolging)
 *
 * bkm_melding.frist is the escalation deadline while nothing has settled
 * the report; it is cleared when print is ordered or the report is
 * delivered.  So "frist IS NOT NULL" is exactly "still waiting for its
 * recipient, print not ordered", and ordering print is one conditional
 * UPDATE: of two nodes (or a receipt and a pass) racing for a report, one
 * changes the row and the other finds nothing to change.  PostgreSQL
 * holds the row lock until commit and re-checks the condition after it;
 * SQLite has one writer at a time.
 *
 * Every change is an event on the report's timeline (bkm_hendelse) with
 * time and actor, written in the same transaction as the change.
 *
 * What a fetch, a receipt or an administrator's action does is decided by
 * the state machine in bkm_levering.c (no database; tested as a decision
 * table); this file reads its facts with the report's row held and writes
 * what it decided.  No httpd either: the glue passes the policy it read
 * from the configuration (bkm_levering_policy_t), and
 * t/unit/test_leveranse.c runs all of it on a real SQLite file.
 */
#include "bkm_leveranse.h"
#include "bkm_avvik.h"
#include "bkm_ids.h"
#include "bkm_kjede.h"

#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>

/* Upper bound for "is the deadline passed": any deadline is. */
#define BKM_TIME_MAX APR_INT64_C(0x7fffffffffffffff)

/* A message of an account with its report's and ciphertext's metadata,
 * in the column order bkm_leveranse_load() reads. */
#define LEVERANSE_COLUMNS \
    "l.melding_id, l.mottaker, l.meldingstype, l.hentet, l.svar, " \
    "l.arkivreferanse, m.kommunenummer, m.bydelsnummer, m.referanse, " \
    "c.innholdstype, c.sha256, c.storrelse, m.tilstand, m.levert, " \
    "l.opprettet, l.arsak"
#define LEVERANSE_FROM \
    "FROM bkm_leveranse l JOIN bkm_melding m ON m.id = l.melding_id " \
    "LEFT JOIN bkm_chiffer c ON c.melding_id = l.melding_id " \
    "AND c.mottaker = l.mottaker WHERE l.id = %s AND l.konto_id = %s"

/* Issue 17: multi-row statements of bkm_order_print_due. */
#define IDS5 "%s, %s, %s, %s, %s"
#define IDS10 IDS5 ", " IDS5
#define IDS50 IDS10 ", " IDS10 ", " IDS10 ", " IDS10 ", " IDS10
#define JOB1 "(%s, %s, %s, 'print', %s, %lld, %s)"
#define JOB5 JOB1 ", " JOB1 ", " JOB1 ", " JOB1 ", " JOB1
#define JOB10 JOB5 ", " JOB5
#define JOB50 JOB10 ", " JOB10 ", " JOB10 ", " JOB10 ", " JOB10
#define JOB_INSERT \
    "INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, " \
    "meldingstype, opprettet, arsak) VALUES "

const bkm_sql_t bkm_leveranse_sql[] = {
    { BKM_SQL_LEVERANSE_PRINT,
      "INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, "
      "meldingstype, opprettet, arsak) VALUES (%s, %s, %s, 'print', %s, "
      "%lld, %s)" },
    { BKM_SQL_LEVERANSE_GET, "SELECT " LEVERANSE_COLUMNS " " LEVERANSE_FROM },
    /* The same with the ciphertext, for a download: one round trip. */
    { BKM_SQL_LEVERANSE_FETCH,
      "SELECT " LEVERANSE_COLUMNS ", c.innhold " LEVERANSE_FROM },
    { BKM_SQL_LEVERANSE_HENTET,
      "UPDATE bkm_leveranse SET hentet = %lld, hentet_av = %s "
      "WHERE id = %s AND hentet IS NULL" },
    { BKM_SQL_LEVERANSE_SVAR,
      "UPDATE bkm_leveranse SET svar = %s, svar_tid = %lld, "
      "arkivreferanse = %s WHERE id = %s" },
    { BKM_SQL_MELDING_LOCK,
      "UPDATE bkm_melding SET endret = %lld WHERE id = %s" },
    { BKM_SQL_MELDING_STATE,
      "SELECT tilstand, frist, levert, oppfolging FROM bkm_melding "
      "WHERE id = %s" },
    { BKM_SQL_MELDING_SET,
      "UPDATE bkm_melding SET tilstand = %s, frist = CASE WHEN %lld IS NULL "
      "THEN frist ELSE NULL END, levert = COALESCE(levert, %lld), "
      "oppfolging = %d, endret = %lld WHERE id = %s" },
    { BKM_SQL_MELDING_TO_PRINT,
      "UPDATE bkm_melding SET tilstand = 'SENDT_PRINT', frist = NULL, "
      "endret = %lld WHERE id = %s AND levert IS NULL "
      "AND frist IS NOT NULL AND frist <= %lld AND kilde <> 'kontroll'" },
    /* The administrators' actions, and their audit. */
    { BKM_SQL_LEVERANSE_NULLSTILL,
      "UPDATE bkm_leveranse SET svar = NULL, svar_tid = NULL, hentet = NULL, "
      "hentet_av = NULL, arkivreferanse = NULL, dekket = NULL "
      "WHERE melding_id = %s AND mottaker = %s" },
    { BKM_SQL_MELDING_TILBAKE,
      "UPDATE bkm_melding SET tilstand = 'AKSEPTERT', frist = %lld, "
      "endret = %lld WHERE id = %s AND levert IS NULL" },
    /* Receipts: the message's answer so far, and the text of a feilet
     * (the latest event of its kind), read after the report's row is
     * locked (bkm_levering_answer). */
    { BKM_SQL_LEVERANSE_SVAR_GET,
      "SELECT svar, arkivreferanse FROM bkm_leveranse WHERE id = %s" },
    { BKM_SQL_HENDELSE_SISTE,
      "SELECT beskrivelse FROM bkm_hendelse WHERE melding_id = %s "
      "AND hendelse = %s ORDER BY nr DESC LIMIT 1" },
    /* Issue 12: the byte ranges of a message sent so far (a fetch counts
     * once they cover it). */
    { BKM_SQL_LEVERANSE_DEKKET_GET,
      "SELECT dekket, hentet FROM bkm_leveranse WHERE id = %s" },
    { BKM_SQL_LEVERANSE_DEKKET_SET,
      "UPDATE bkm_leveranse SET dekket = %s WHERE id = %s "
      "AND hentet IS NULL" },
    /* Issue 17: print for the due as a set (bkm_order_print_due).  The
     * claim: one conditional UPDATE, the same condition as
     * BKM_SQL_MELDING_TO_PRINT's, on the oldest due.  On PostgreSQL a
     * row another transaction changed meanwhile is waited for and its
     * condition checked again on its new version (EvalPlanQual): a
     * report already ordered (frist NULL) or delivered is left out, so
     * each is claimed by one transaction only.  SQLite has one writer.
     * The check is a CASE, which no index serves, so that both engines
     * reach the claimed rows by their primary key only: written plainly,
     * PostgreSQL's planner (with statistics from before the deadlines
     * passed) joined them the other way round, scanning all the due for
     * each claimed one -- 0.5 s per batch.  A join (UPDATE ... FROM, not
     * IN): the rows are then locked in the look's order (frist, the index's), the
     * same on every node, so two passes wait for each other rather than
     * deadlock (with IN, PostgreSQL locked them in a hash table's
     * order). */
    { BKM_SQL_MELDING_TO_PRINT_DUE,
      "UPDATE bkm_melding SET tilstand = 'SENDT_PRINT', frist = NULL, "
      "endret = %lld FROM (SELECT id AS kid FROM bkm_melding "
      "WHERE frist IS NOT NULL AND frist <= %lld AND levert IS NULL "
      "AND kilde <> 'kontroll' ORDER BY frist LIMIT %d) AS krav "
      "WHERE bkm_melding.id = krav.kid "
      "AND CASE WHEN frist IS NOT NULL AND frist <= %lld AND levert IS NULL "
      "AND kilde <> 'kontroll' THEN 1 ELSE 0 END = 1 RETURNING bkm_melding.id" },
    /* Then, in a statement of its own (on PostgreSQL a new snapshot: it
     * sees an event a receipt committed while the claim waited for its
     * row), each claimed report's last event, for its chain, and whether
     * it has a print job already.  BKM_PRINT_CHUNK ids, padded with
     * repeats. */
    { BKM_SQL_MELDING_TO_PRINT_KJEDE,
      "SELECT m.id, h.nr, h.kjede, (SELECT COUNT(*) FROM bkm_leveranse l "
      "WHERE l.melding_id = m.id AND l.mottaker = 'print') "
      "FROM bkm_melding m LEFT JOIN bkm_hendelse h ON h.melding_id = m.id "
      "AND h.nr = (SELECT MAX(x.nr) FROM bkm_hendelse x "
      "WHERE x.melding_id = m.id) WHERE m.id IN (" IDS50 ")" },
    { BKM_SQL_LEVERANSE_PRINT_50, JOB_INSERT JOB50 },
    { BKM_SQL_LEVERANSE_PRINT_10, JOB_INSERT JOB10 },
    { NULL, NULL }
};

apr_status_t bkm_event(bkm_db_t *db, const char *melding_id, apr_time_t tid,
                       const char *hendelse, const char *tilstand,
                       const char *aktor, const char *beskrivelse)
{
    /* Chained to the report's previous event (bkm_kjede.h): the report's
     * row is locked (or the SQLite writer held) by the transaction, so no
     * two compete for its next nr. */
    apr_status_t rv = bkm_kjede_hendelse(db, melding_id, tid, tilstand,
                                         hendelse, aktor, beskrivelse);

    /* Every timeline event is recorded here, whoever records it: an
     * assurance failure marks its report in the same transaction (and is
     * logged as an ALERT), so no caller can forget it (bkm_avvik.h). */
    return rv ? rv
              : bkm_avvik_note(db, melding_id, apr_off_t_toa(db->pool, tid),
                               hendelse);
}

apr_status_t bkm_order_print(bkm_db_t *db, const bkm_levering_policy_t *pol,
                             const char *melding_id, apr_time_t now,
                             apr_time_t due_by, const char *arsak,
                             const char *aktor, const char *beskrivelse,
                             int *ordered)
{
    const char *upd[3] = { apr_off_t_toa(db->pool, now), melding_id,
                           apr_off_t_toa(db->pool, due_by) };
    const char *job[6];
    apr_status_t rv;
    int n = 0;

    *ordered = 0;
    if ((rv = bkm_db_run(db, BKM_SQL_MELDING_TO_PRINT, &n, 3, upd))) {
        return rv;
    }
    if (n == 0) {
        return APR_SUCCESS; /* delivered, already ordered, or not yet due */
    }
    /* A report printed once may be ordered again: a late receipt made it
     * delivered, then a reconciliation or a check after delivery found
     * its case system without it and put it back in the queue.  Its print
     * job then waits again (the print provider answers it anew), rather
     * than a second job that the table refuses -- which once made every
     * pass fail, for every report. */
    job[0] = melding_id;
    job[1] = "print";
    if ((rv = bkm_db_run(db, BKM_SQL_LEVERANSE_NULLSTILL, &n, 2, job))) {
        return rv;
    }
    if (n == 0) {
        job[0] = bkm_uuid(db->pool);
        job[1] = melding_id;
        job[2] = pol->print_konto_id;
        job[3] = BKM_TYPE_UTSKRIFT;
        job[4] = upd[0];
        job[5] = arsak;
        if ((rv = bkm_db_run(db, BKM_SQL_LEVERANSE_PRINT, NULL, 6, job))) {
            return rv;
        }
    }
    if ((rv = bkm_event(db, melding_id, now, "SENDT_PRINT", "SENDT_PRINT",
                        aktor, beskrivelse))) {
        return rv;
    }
    *ordered = 1;
    return APR_SUCCESS;
}

/* The chain's places and existing print jobs of the claimed @p ids
 * (bkm_order_print_due): @p ev[i] and @p has_job[i] per row found, *n
 * of them. */
static apr_status_t claimed_facts(bkm_db_t *db, apr_array_header_t *ids,
                                  bkm_kjede_neste_t *ev, int *has_job, int *n)
{
    const char *args[BKM_PRINT_CHUNK];
    int i;

    *n = 0;
    for (i = 0; i < ids->nelts; i += BKM_PRINT_CHUNK) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;

        bkm_db_ids_batch(ids, i, args, BKM_PRINT_CHUNK);
        if (bkm_db_select(db, BKM_SQL_MELDING_TO_PRINT_KJEDE, &res,
                          BKM_PRINT_CHUNK, args)) {
            return APR_EGENERAL;
        }
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            const char *nr = bkm_db_value(db, row, 1);
            const char *jobs = bkm_db_value(db, row, 3);

            if (*n >= ids->nelts) {
                continue; /* read to the end; counted below */
            }
            ev[*n].melding_id = bkm_db_value(db, row, 0);
            ev[*n].nr = nr ? apr_atoi64(nr) : 0;
            ev[*n].forrige = bkm_db_value(db, row, 2);
            has_job[*n] = jobs && apr_atoi64(jobs) > 0;
            (*n)++;
        }
    }
    return APR_SUCCESS;
}

apr_status_t bkm_order_print_due(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 apr_time_t now, int limit, const char *arsak,
                                 const char *aktor, const char *beskrivelse,
                                 int *ordered)
{
    static const char *const labels[3] = { BKM_SQL_LEVERANSE_PRINT_50,
                                           BKM_SQL_LEVERANSE_PRINT_10,
                                           BKM_SQL_LEVERANSE_PRINT };
    static const int sizes[3] = { 50, 10, 1 };
    const char *t = apr_off_t_toa(db->pool, now);
    const char *claim[4] = { t, t, apr_itoa(db->pool, limit), t };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *ids;
    bkm_kjede_neste_t *ev;
    const char **jobs;
    int *has_job, found = 0, njobs = 0, i;
    apr_status_t rv;

    *ordered = 0;
    if (bkm_db_select(db, BKM_SQL_MELDING_TO_PRINT_DUE, &res, 4, claim)) {
        return APR_EGENERAL;
    }
    ids = apr_array_make(db->pool, limit > 0 ? limit : 1,
                         sizeof(const char *));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(ids, const char *) = bkm_db_value(db, row, 0);
    }
    if (ids->nelts == 0) {
        return APR_SUCCESS; /* nothing due, or another node's */
    }
    ev = apr_pcalloc(db->pool, sizeof(*ev) * ids->nelts);
    has_job = apr_pcalloc(db->pool, sizeof(*has_job) * ids->nelts);
    if ((rv = claimed_facts(db, ids, ev, has_job, &found))) {
        return rv;
    }
    if (found != ids->nelts) {
        db->error = "escalation: a claimed report was not found again";
        return APR_EGENERAL; /* rolled back: the next pass tries again */
    }
    /* Print jobs: a new one each, or (rare: ordered before, then put back
     * in the queue) the old one waiting again, as bkm_order_print does. */
    jobs = apr_palloc(db->pool, sizeof(*jobs) * 6 * ids->nelts);
    for (i = 0; i < found; i++) {
        const char **j = jobs + 6 * njobs;

        if (has_job[i]) {
            const char *old[2] = { ev[i].melding_id, "print" };

            if ((rv = bkm_db_run(db, BKM_SQL_LEVERANSE_NULLSTILL, NULL, 2,
                                 old))) {
                return rv;
            }
            continue;
        }
        j[0] = bkm_uuid(db->pool);
        j[1] = ev[i].melding_id;
        j[2] = pol->print_konto_id;
        j[3] = BKM_TYPE_UTSKRIFT;
        j[4] = t;
        j[5] = arsak;
        njobs++;
    }
    if ((rv = bkm_db_run_rows(db, labels, sizes, 3, 6, njobs, jobs))
        || (rv = bkm_kjede_hendelser(db, found, ev, now, "SENDT_PRINT",
                                     "SENDT_PRINT", aktor, beskrivelse))) {
        return rv;
    }
    /* As bkm_event: an assurance failure marks its report (none today:
     * SENDT_PRINT is not one; kept so the list in bkm_avvik.h rules). */
    for (i = 0; i < found; i++) {
        if ((rv = bkm_avvik_note(db, ev[i].melding_id, t, "SENDT_PRINT"))) {
            return rv;
        }
    }
    *ordered = found;
    return APR_SUCCESS;
}

/* ---- the message a request is about --------------------------------- */

apr_status_t bkm_leveranse_load(bkm_db_t *db, const char *konto_id,
                                const char *id, int with_content,
                                bkm_leveranse_t *l)
{
    const char *args[2] = { id, konto_id };
    bkm_db_rows_t *rows = NULL;
    const char *v;
    apr_off_t n = 0;
    int found = 0;

    /* Rows read as stored: on PostgreSQL the ciphertext comes in binary,
     * not as hex text (issue 17), and no value is copied again. */
    if (bkm_db_select_rows(db,
                           with_content ? BKM_SQL_LEVERANSE_FETCH
                                        : BKM_SQL_LEVERANSE_GET,
                           2, args, &rows)
        != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    while (bkm_db_rows_next(rows)) {
        memset(l, 0, sizeof(*l));
        l->id = id;
        l->konto_id = konto_id;
        l->melding_id = bkm_db_rows_value(rows, 0);
        l->mottaker = bkm_db_rows_value(rows, 1);
        l->meldingstype = bkm_db_rows_value(rows, 2);
        l->hentet = bkm_db_rows_value(rows, 3) != NULL;
        l->svar = bkm_db_rows_value(rows, 4);
        l->arkivreferanse = bkm_db_rows_value(rows, 5);
        l->kommunenummer = bkm_db_rows_value(rows, 6);
        l->bydelsnummer = bkm_db_rows_value(rows, 7);
        l->referanse = bkm_db_rows_value(rows, 8);
        l->innholdstype = bkm_db_rows_value(rows, 9);
        l->sha256 = bkm_db_rows_value(rows, 10);
        n = 0;
        if ((v = bkm_db_rows_value(rows, 11))) {
            apr_strtoff(&n, v, NULL, 10);
        }
        l->storrelse = n;
        l->tilstand = bkm_db_rows_value(rows, 12);
        l->levert = bkm_db_rows_value(rows, 13) != NULL;
        n = 0;
        if ((v = bkm_db_rows_value(rows, 14))) {
            apr_strtoff(&n, v, NULL, 10);
        }
        l->opprettet = (apr_time_t)n;
        l->arsak = bkm_db_rows_value(rows, 15);
        if (with_content && l->sha256
            && bkm_db_rows_blob(rows, 16, &l->innhold, &l->innhold_len)
                   != APR_SUCCESS) {
            /* read to the end all the same: SQLite's statement stays
             * open otherwise */
            while (bkm_db_rows_next(rows)) {
            }
            return APR_EGENERAL;
        }
        found = 1;
    }
    return found ? APR_SUCCESS : APR_NOTFOUND;
}

/* ---- within one transaction: lock the report, read, decide, write ---- */

typedef struct {
    const char *tilstand;
    int frist; /* escalation pending */
    int levert;
    int oppfolging;
} state_t;

/* Take the report's row (PostgreSQL keeps the lock until commit, so a
 * concurrent receipt or pass waits here and then sees our result). */
static apr_status_t lock_state(bkm_db_t *db, const char *melding_id,
                               apr_time_t now, state_t *st)
{
    const char *lock[2] = { apr_off_t_toa(db->pool, now), melding_id };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;
    int n = 0;

    if ((rv = bkm_db_run(db, BKM_SQL_MELDING_LOCK, &n, 2, lock))) {
        return rv;
    }
    if (n != 1
        || bkm_db_select(db, BKM_SQL_MELDING_STATE, &res, 1, &melding_id)) {
        return APR_EGENERAL;
    }
    memset(st, 0, sizeof(*st));
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        const char *opp = bkm_db_value(db, row, 3);
        st->tilstand = bkm_db_value(db, row, 0);
        st->frist = bkm_db_value(db, row, 1) != NULL;
        st->levert = bkm_db_value(db, row, 2) != NULL;
        st->oppfolging = opp && atoi(opp);
    }
    return st->tilstand ? APR_SUCCESS : APR_EGENERAL;
}

/* Write the report's new state; delivered means no deadline any more. */
static apr_status_t set_state(bkm_db_t *db, const char *melding_id,
                              apr_time_t now, const char *tilstand,
                              int delivered, int oppfolging)
{
    const char *t = apr_off_t_toa(db->pool, now);
    const char *args[6] = { tilstand,
                            delivered ? t : NULL,
                            delivered ? t : NULL,
                            oppfolging ? "1" : "0",
                            t,
                            melding_id };

    return bkm_db_run(db, BKM_SQL_MELDING_SET, NULL, 6, args);
}

/* The facts of a report's row, for the state machine. */
static void facts_of(const state_t *st, bkm_dfakta_t *f)
{
    int t = bkm_ds_parse(st->tilstand);

    memset(f, 0, sizeof(*f));
    f->tilstand = t < 0 ? BKM_DS_AKSEPTERT : (bkm_ds_e)t;
    f->frist = st->frist;
    f->levert = st->levert;
    f->oppfolging = st->oppfolging;
}

/* Within a transaction that holds the report's row: the message's fetch
 * is complete (its hentet just set by us), so record it. */
static apr_status_t record_fetch(bkm_db_t *db, const bkm_leveranse_t *l,
                                 const char *aktor, apr_time_t now,
                                 state_t *st)
{
    int print = strcmp(l->mottaker, "print") == 0;
    bkm_dfakta_t f;
    bkm_dvalg_t v;
    apr_status_t rv;

    facts_of(st, &f);
    f.hentet = 0; /* before this fetch */
    f.manuell = strcmp(l->mottaker, "manuell") == 0;
    bkm_levering_next(&f, print ? BKM_DE_PRINT_HENTET : BKM_DE_HENTET, &v);
    if (v.utfall != BKM_DU_ANVENDT) {
        return APR_SUCCESS;
    }
    st->tilstand = bkm_ds_name(v.tilstand);
    rv = APR_SUCCESS;
    if (v.skriv_tilstand) {
        rv = set_state(db, l->melding_id, now, st->tilstand, v.levert,
                       v.oppfolging);
    }
    return rv ? rv
              : bkm_event(db, l->melding_id, now, v.hendelse, st->tilstand,
                          aktor, v.tekst);
}

apr_status_t bkm_levering_fetched(bkm_db_t *db, const bkm_leveranse_t *l,
                                  const char *aktor, apr_time_t now)
{
    const char *args[3] = { apr_off_t_toa(db->pool, now), aktor, l->id };
    apr_status_t rv;
    state_t st;
    int n = 0;

    if (l->hentet) {
        return APR_SUCCESS;
    }
    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = bkm_db_run(db, BKM_SQL_LEVERANSE_HENTET, &n, 3, args);
    if (rv == APR_SUCCESS && n == 1) { /* the first download, ours */
        rv = lock_state(db, l->melding_id, now, &st);
        if (rv == APR_SUCCESS) {
            rv = record_fetch(db, l, aktor, now, &st);
        }
    }
    return bkm_db_end(db, rv);
}

apr_status_t bkm_levering_fetched_range(bkm_db_t *db,
                                        const bkm_leveranse_t *l,
                                        const char *aktor, apr_time_t now,
                                        apr_off_t start, apr_off_t end,
                                        int *complete)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *dekket = NULL, *nytt;
    apr_status_t rv;
    int hentet = 0, n = 0;
    state_t st;

    *complete = 0;
    if (l->hentet) {
        *complete = 1;
        return APR_SUCCESS;
    }
    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    /* The report's row first: two ranges of one message sent at once
     * are added one after the other, none lost. */
    rv = lock_state(db, l->melding_id, now, &st);
    if (rv == 0) {
        const char *id = l->id;
        rv = bkm_db_select(db, BKM_SQL_LEVERANSE_DEKKET_GET, &res, 1, &id);
    }
    if (rv == 0) {
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            dekket = bkm_db_value(db, row, 0);
            hentet = bkm_db_value(db, row, 1) != NULL;
        }
    }
    if (rv == 0 && hentet) {
        *complete = 1;
        bkm_db_rollback(db); /* nothing to write */
        return APR_SUCCESS;
    }
    if (rv == 0) {
        *complete = bkm_range_cover(db->pool, dekket, start, end,
                                    l->storrelse, &nytt);
        if (*complete) {
            const char *args[3] = { apr_off_t_toa(db->pool, now), aktor,
                                    l->id };
            rv = bkm_db_run(db, BKM_SQL_LEVERANSE_HENTET, &n, 3, args);
            if (rv == 0 && n == 1) {
                rv = record_fetch(db, l, aktor, now, &st);
            }
        }
        else {
            const char *args[2] = { nytt, l->id };
            rv = bkm_db_run(db, BKM_SQL_LEVERANSE_DEKKET_SET, NULL, 2, args);
        }
    }
    return bkm_db_end(db, rv);
}

/* The event a feilet records: one per kind, with the receiver's text after
 * it, so that a repeat can be told from another text by the timeline. */
static void feilet_event(const bkm_kvittering_in_t *in, const char **hendelse,
                         const char **tekst)
{
    if (in->print) {
        *hendelse = "AVVIST_PRINT";
        *tekst =
            "Printleverandøren kunne ikke skrive ut; "
            "må følges opp manuelt";
    }
    else {
        *hendelse = "AVVIST_FAGSYSTEM";
        *tekst = "Fagsystemet meldte feil; sendes som brevpost";
    }
}

/* The event's text: ours, and the receiver's if it gave one ({} and
 * {"melding": ""} say the same). */
static const char *event_text(apr_pool_t *p, const char *tekst,
                              const bkm_kvittering_in_t *in)
{
    return in->melding && *in->melding
               ? apr_pstrcat(p, tekst, ": ", in->melding, NULL)
               : tekst;
}

static const char *svar_name(bkm_svar_e svar)
{
    return svar == BKM_SVAR_FEILET   ? "feilet"
           : svar == BKM_SVAR_LAGRET ? "lagret"
                                     : "mottatt";
}

/* The message's answer so far.  Read after lock_state(): a receipt that
 * held the report's row before us has committed by then, and PostgreSQL
 * (read committed) shows each statement what was committed before it
 * began; SQLite has one writer at a time.  Read before the transaction,
 * as it once was, two contradicting receipts both saw "no answer yet" and
 * both were applied (issue 11). */
static apr_status_t answer_so_far(bkm_db_t *db, const char *id,
                                  const char **svar,
                                  const char **arkivreferanse)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int found = 0;

    *svar = *arkivreferanse = NULL;
    if (bkm_db_select(db, BKM_SQL_LEVERANSE_SVAR_GET, &res, 1, &id)) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        *svar = bkm_db_value(db, row, 0);
        *arkivreferanse = bkm_db_value(db, row, 1);
        found = 1;
    }
    return found ? APR_SUCCESS : APR_EGENERAL;
}

/* Whether a feilet has the text of the feilet already recorded (the
 * latest event of its kind, which that one wrote). */
static apr_status_t same_feilet(bkm_db_t *db, const bkm_leveranse_t *l,
                                const bkm_kvittering_in_t *in, int *same)
{
    const char *hendelse, *tekst, *prev = NULL;
    const char *args[2];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    feilet_event(in, &hendelse, &tekst);
    args[0] = l->melding_id;
    args[1] = hendelse;
    if (bkm_db_select(db, BKM_SQL_HENDELSE_SISTE, &res, 2, args)) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        prev = bkm_db_value(db, row, 0);
    }
    *same = prev && strcmp(prev, event_text(db->pool, tekst, in)) == 0;
    return APR_SUCCESS;
}

static bkm_da_e answer_of(const char *svar)
{
    return !svar                         ? BKM_DA_INGEN
           : strcmp(svar, "feilet") == 0 ? BKM_DA_FEILET
           : strcmp(svar, "lagret") == 0 ? BKM_DA_LAGRET
                                         : BKM_DA_MOTTATT;
}

static bkm_de_e receipt_event(const bkm_kvittering_in_t *in)
{
    if (in->print) {
        return in->svar == BKM_SVAR_FEILET ? BKM_DE_PRINT_FEILET
                                           : BKM_DE_PRINT_MOTTATT;
    }
    return in->svar == BKM_SVAR_FEILET   ? BKM_DE_FEILET
           : in->svar == BKM_SVAR_LAGRET ? BKM_DE_LAGRET
                                         : BKM_DE_MOTTATT;
}

/* Whether this message was fetched completely, read with the report's
 * row held (a fetch that completed a moment ago counts). */
static apr_status_t fetched_now(bkm_db_t *db, const char *id, int *hentet)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    *hentet = 0;
    if (bkm_db_select(db, BKM_SQL_LEVERANSE_DEKKET_GET, &res, 1, &id)) {
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        *hentet = bkm_db_value(db, row, 1) != NULL;
    }
    return APR_SUCCESS;
}

/* Write a receipt the state machine applied (inside the transaction, row
 * locked). */
static apr_status_t apply(bkm_db_t *db, const bkm_levering_policy_t *pol,
                          const bkm_leveranse_t *l,
                          const bkm_kvittering_in_t *in, apr_time_t now,
                          const bkm_dvalg_t *v)
{
    const char *args[4] = { svar_name(in->svar), apr_off_t_toa(db->pool, now),
                            in->arkivreferanse, l->id };
    const char *tilstand = bkm_ds_name(v->tilstand);
    apr_status_t rv;
    int ordered;

    rv = bkm_db_run(db, BKM_SQL_LEVERANSE_SVAR, NULL, 4, args);
    if (rv == 0) {
        rv = bkm_event(db, l->melding_id, now, v->hendelse, tilstand,
                       in->aktor, event_text(db->pool, v->tekst, in));
    }
    if (rv == 0 && v->skriv_tilstand) {
        rv = set_state(db, l->melding_id, now, tilstand, v->levert,
                       v->oppfolging);
    }
    if (rv == 0 && v->bestill_print) {
        rv = bkm_order_print(db, pol, l->melding_id, now, BKM_TIME_MAX,
                             "feilet", in->aktor,
                             "Brevpost bestilt: "
                             "fagsystemet meldte feil",
                             &ordered);
    }
    return rv;
}

apr_status_t bkm_levering_answer(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 const bkm_leveranse_t *l,
                                 const bkm_kvittering_in_t *in,
                                 apr_time_t now, bkm_kvittering_t *out)
{
    const char *svar = svar_name(in->svar), *prev = NULL;
    const char *prev_arkiv = NULL;
    bkm_dfakta_t f;
    bkm_dvalg_t v;
    apr_status_t rv;
    int same = 0;
    state_t st;

    memset(out, 0, sizeof(*out));
    if (bkm_db_begin(db)) {
        return APR_EGENERAL;
    }
    /* Hold the report's row (PostgreSQL: until commit, as SELECT ... FOR
     * UPDATE would), then read and decide: a receipt arriving meanwhile
     * waits, and then finds ours. */
    rv = lock_state(db, l->melding_id, now, &st);
    if (rv == 0) {
        rv = answer_so_far(db, l->id, &prev, &prev_arkiv);
    }
    facts_of(&st, &f);
    if (rv == 0) {
        rv = fetched_now(db, l->id, &f.hentet);
    }
    if (rv == 0 && prev && in->svar == BKM_SVAR_FEILET
        && strcmp(prev, svar) == 0) {
        rv = same_feilet(db, l, in, &same);
    }
    if (rv != 0) {
        bkm_db_end(db, rv);
        return APR_EGENERAL;
    }
    if (in->svar == BKM_SVAR_LAGRET) {
        same = prev_arkiv && in->arkivreferanse
               && strcmp(prev_arkiv, in->arkivreferanse) == 0;
    }
    f.svar = answer_of(prev);
    f.samme = same;
    f.manuell = strcmp(l->mottaker, "manuell") == 0;
    f.krev_lagring = in->krev_lagring;
    bkm_levering_next(&f, receipt_event(in), &v);
    out->svar = v.utfall == BKM_DU_ANVENDT || !prev ? svar : prev;
    switch (v.utfall) {
    case BKM_DU_GJENTATT:
        out->utfall = BKM_KVITTERING_GJENTATT;
        /* Nothing to write: not even the lock's touch of "endret". */
        bkm_db_rollback(db);
        return APR_SUCCESS;
    case BKM_DU_MOTSTRIDENDE:
    case BKM_DU_IKKE_HENTET:
        out->utfall = v.utfall == BKM_DU_IKKE_HENTET
                          ? BKM_KVITTERING_IKKE_HENTET
                          : BKM_KVITTERING_MOTSTRIDENDE;
        out->hvorfor = v.tekst;
        rv = bkm_event(db, l->melding_id, now, v.hendelse, st.tilstand,
                       in->aktor,
                       apr_pstrcat(db->pool, "Kvittering avvist: ", v.tekst,
                                   NULL));
        break;
    case BKM_DU_ANVENDT:
        out->utfall = BKM_KVITTERING_NY;
        out->hendelse = v.hendelse;
        rv = apply(db, pol, l, in, now, &v);
        break;
    default:
        rv = APR_EGENERAL;
        break;
    }
    return bkm_db_end(db, rv) == APR_SUCCESS ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t bkm_levering_refused(bkm_db_t *db, const bkm_leveranse_t *l,
                                  const char *aktor, apr_time_t now,
                                  const char *why)
{
    apr_status_t rv;
    state_t st;

    if ((rv = bkm_db_begin(db))) {
        return rv;
    }
    rv = lock_state(db, l->melding_id, now, &st);
    if (rv == 0) {
        rv = bkm_event(db, l->melding_id, now, "KVITTERING_AVVIST",
                       st.tilstand, aktor,
                       apr_pstrcat(db->pool, "Kvittering avvist: ", why,
                                   NULL));
    }
    return bkm_db_end(db, rv);
}

/* ---- what an administrator does (admin/forvaltning.c) -------------- */

apr_status_t bkm_audit(bkm_db_t *db, apr_time_t now, const bkm_handling_t *h)
{
    /* The audit chain's next row (bkm_kjede.h). */
    return bkm_kjede_revisjon(db, now, h->aktor, h->handling,
                              h->kommunenummer, h->melding_id,
                              h->begrunnelse);
}

/* An action's context: the policy (a requeued report's new deadline) and
 * the district. */
typedef struct {
    const bkm_levering_policy_t *pol;
    const bkm_bydel_t *b;
} act_ctx_t;

/* One action in one transaction: lock and read the report, and if @p can
 * allows it, @p act writes; the event and the audit line go with it.
 * @return APR_SUCCESS done, APR_EINVAL not in a state that allows it,
 * APR_EGENERAL database error. */
typedef apr_status_t (*act_fn)(bkm_db_t *db, const char *melding_id,
                               apr_time_t now, state_t *st,
                               const act_ctx_t *ctx);

static apr_status_t in_tx(bkm_db_t *db, const bkm_handling_t *h,
                          apr_time_t now, int (*can)(const state_t *st),
                          act_fn act, const act_ctx_t *ctx)
{
    apr_status_t rv;
    state_t st;
    int refused = 0;

    if ((rv = bkm_db_begin(db))) {
        return APR_EGENERAL;
    }
    rv = lock_state(db, h->melding_id, now, &st);
    if (rv == 0 && !can(&st)) {
        refused = 1;
        rv = APR_EINVAL;
    }
    if (rv == 0) {
        rv = act(db, h->melding_id, now, &st, ctx);
    }
    if (rv == 0) {
        rv = bkm_event(db, h->melding_id, now, h->hendelse, st.tilstand,
                       h->aktor, h->beskrivelse);
    }
    if (rv == 0) {
        rv = bkm_audit(db, now, h);
    }
    rv = bkm_db_end(db, rv);
    return refused             ? APR_EINVAL
           : rv == APR_SUCCESS ? APR_SUCCESS
                               : APR_EGENERAL;
}

/* Whether the state machine allows administrator event @p e. */
static int allows(const state_t *st, bkm_de_e e)
{
    bkm_dfakta_t f;
    bkm_dvalg_t v;

    facts_of(st, &f);
    bkm_levering_next(&f, e, &v);
    return v.utfall == BKM_DU_ANVENDT;
}

static int can_handle(const state_t *st)
{
    return allows(st, BKM_DE_HANDTERT);
}

static apr_status_t act_handle(bkm_db_t *db, const char *melding_id,
                               apr_time_t now, state_t *st,
                               const act_ctx_t *ctx)
{
    /* Handled outside the portal: delivered, and nothing escalates. */
    st->tilstand = "LEVERT";
    return set_state(db, melding_id, now, st->tilstand, 1, 0);
}

static int can_requeue(const state_t *st)
{
    return allows(st, BKM_DE_TILBAKE);
}

static apr_status_t act_requeue(bkm_db_t *db, const char *melding_id,
                                apr_time_t now, state_t *st,
                                const act_ctx_t *ctx)
{
    const char *args[2] = { melding_id, "fagsystem" };
    apr_status_t rv;
    int n = 0;

    /* Waiting again as if new; the deadline runs from now. */
    rv = bkm_db_run(db, BKM_SQL_LEVERANSE_NULLSTILL, &n, 2, args);
    if (rv == 0 && n != 1) {
        return APR_EGENERAL; /* not a case-system report */
    }
    if (rv == 0) {
        const char *upd[3] = {
            apr_off_t_toa(db->pool,
                          bkm_levering_deadline(ctx->pol, ctx->b, now)),
            apr_off_t_toa(db->pool, now), melding_id
        };
        st->tilstand = "AKSEPTERT";
        rv = bkm_db_run(db, BKM_SQL_MELDING_TILBAKE, NULL, 3, upd);
    }
    return rv;
}

static int can_reprint(const state_t *st)
{
    return allows(st, BKM_DE_PRINT_PA_NYTT);
}

static apr_status_t act_reprint(bkm_db_t *db, const char *melding_id,
                                apr_time_t now, state_t *st,
                                const act_ctx_t *ctx)
{
    const char *args[2] = { melding_id, "print" };
    apr_status_t rv;
    int n = 0;

    rv = bkm_db_run(db, BKM_SQL_LEVERANSE_NULLSTILL, &n, 2, args);
    if (rv == 0 && n != 1) {
        return APR_EGENERAL;
    }
    st->tilstand = "SENDT_PRINT";
    return rv ? rv : set_state(db, melding_id, now, st->tilstand, 0, 0);
}

apr_status_t bkm_levering_action(bkm_db_t *db,
                                 const bkm_levering_policy_t *pol,
                                 bkm_handling_t *h, apr_time_t now,
                                 const bkm_bydel_t *b)
{
    act_ctx_t ctx;

    ctx.pol = pol;
    ctx.b = b;
    if (strcmp(h->handling, "handtert") == 0) {
        h->hendelse = "HANDTERT_MANUELT";
        h->beskrivelse = "Markert som håndtert manuelt; eskalering stoppet";
        return in_tx(db, h, now, can_handle, act_handle, &ctx);
    }
    if (strcmp(h->handling, "tilbake") == 0) {
        h->hendelse = "LAGT_TILBAKE";
        h->beskrivelse = "Lagt tilbake til fagsystemet; ny frist";
        return in_tx(db, h, now, can_requeue, act_requeue, &ctx);
    }
    if (strcmp(h->handling, "print") == 0) {
        h->hendelse = "PRINT_PA_NYTT";
        h->beskrivelse = "Brevpost bestilt på nytt";
        return in_tx(db, h, now, can_reprint, act_reprint, &ctx);
    }
    return APR_EINVAL;
}
