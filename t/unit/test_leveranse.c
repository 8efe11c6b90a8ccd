/* SPDX-License-Identifier: Apache-2.0 */
/* Delivery in the database (bkm_leveranse.c) on a real SQLite file: what
 * the state machine decides is what is written -- the fetch, receipts
 * (new, repeat, contradiction, not fetched), letter post ordered, the
 * administrators' actions -- each with its event on the timeline, and
 * assurance failures marked and logged. */
#include "unit.h"
#include "bkm_avvik.h"

#include <string.h>
#include <apr_strings.h>

static bkm_db_t *db;
static bkm_bydel_t bydel;
static bkm_levering_policy_t pol;
static apr_time_t t0;
static const char *rid;     /* the report */
static bkm_leveranse_t lev; /* its message for the case system */

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("leveranse");
    bkm_test_bydel(&bydel, BKM_KANAL_FAGSYSTEM);
    bkm_test_policy(&pol);
    t0 = bkm_test_utc(2026, 3, 2, 9, 0);
    rid = bkm_test_store(db, &pol, &bydel, t0);
    bkm_test_load(db, BKM_TEST_KONTO, rid, &lev);
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

static void reload(void)
{
    ck_assert_int_eq(bkm_leveranse_load(db, BKM_TEST_KONTO, lev.id, 0, &lev),
                     APR_SUCCESS);
}

static void fetch_all(void)
{
    ck_assert_int_eq(bkm_levering_fetched(db, &lev, "fagsystem", t0 + 1),
                     APR_SUCCESS);
    reload();
}

static apr_status_t receipt(bkm_svar_e svar, const char *arkiv,
                            const char *melding, apr_time_t when,
                            bkm_kvittering_t *k)
{
    bkm_kvittering_in_t in;

    memset(&in, 0, sizeof(in));
    in.svar = svar;
    in.aktor = "integrasjon";
    in.arkivreferanse = arkiv;
    in.melding = melding;
    return bkm_levering_answer(db, &pol, &lev, &in, when, k);
}

START_TEST(load_is_the_accounts)
{
    bkm_leveranse_t l;

    ck_assert_int_eq(bkm_leveranse_load(db, BKM_TEST_KONTO_MANUELL, lev.id, 0,
                                        &l),
                     APR_NOTFOUND);
    ck_assert_int_eq(
        bkm_leveranse_load(db, BKM_TEST_KONTO,
                           "00000000-0000-4000-8000-000000000000", 0, &l),
        APR_NOTFOUND);
    ck_assert_str_eq(lev.melding_id, rid);
    ck_assert_str_eq(lev.tilstand, "AKSEPTERT");
    ck_assert_str_eq(lev.kommunenummer, "0301");
}
END_TEST

START_TEST(fetch_recorded_once)
{
    fetch_all();
    ck_assert_int_eq(lev.hentet, 1);
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_FAGSYSTEM");
    ck_assert_int_eq(bkm_test_events(db, rid, "HENTET"), 1);
    /* again: nothing more */
    lev.hentet = 0;
    ck_assert_int_eq(bkm_levering_fetched(db, &lev, "fagsystem", t0 + 2),
                     APR_SUCCESS);
    ck_assert_int_eq(bkm_test_events(db, rid, "HENTET"), 1);
}
END_TEST

/* Ranges count once together they cover every byte, in any order. */
START_TEST(ranges_cover)
{
    apr_off_t last = lev.storrelse - 1;
    int complete = -1;

    ck_assert_int_eq(bkm_levering_fetched_range(db, &lev, "fagsystem", t0 + 1,
                                                5, last, &complete),
                     APR_SUCCESS);
    ck_assert_int_eq(complete, 0);
    ck_assert_str_eq(bkm_test_state(db, rid), "AKSEPTERT");
    ck_assert_int_eq(bkm_test_events(db, rid, "HENTET"), 0);
    ck_assert_int_eq(bkm_levering_fetched_range(db, &lev, "fagsystem", t0 + 2,
                                                0, 3, &complete),
                     APR_SUCCESS);
    ck_assert_int_eq(complete, 0); /* byte 4 is missing */
    ck_assert_int_eq(bkm_levering_fetched_range(db, &lev, "fagsystem", t0 + 3,
                                                4, 4, &complete),
                     APR_SUCCESS);
    ck_assert_int_eq(complete, 1);
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_FAGSYSTEM");
    ck_assert_int_eq(bkm_test_events(db, rid, "HENTET"), 1);
    ck_assert_int_eq(db->in_tx, 0);
}
END_TEST

START_TEST(receipt_new_then_repeat)
{
    bkm_kvittering_t k;

    fetch_all();
    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 10, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(k.hendelse, "KVITTERT");
    ck_assert_str_eq(k.svar, "mottatt");
    ck_assert_str_eq(bkm_test_state(db, rid), "LEVERT");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT levert FROM bkm_melding "
                                  "WHERE id = '%s'",
                                  rid),
                     apr_off_t_toa(bkm_test_pool, t0 + 10));
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT frist FROM bkm_melding "
                                    "WHERE id = '%s'",
                                    rid));
    /* the same again: one event, answered as a repeat */
    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 20, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_GJENTATT);
    ck_assert_str_eq(k.svar, "mottatt");
    ck_assert_int_eq(bkm_test_events(db, rid, "KVITTERT"), 1);
    ck_assert_int_eq(db->in_tx, 0);
    ck_assert_ptr_null(db->error);
}
END_TEST

/* feilet after mottatt contradicts: refused, recorded, marked as an
 * assurance failure and logged as an ALERT (outside a request: its own
 * tag). */
START_TEST(receipt_contradiction)
{
    const char *why, *kode;
    bkm_kvittering_t k;

    fetch_all();
    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 10, &k),
                     APR_SUCCESS);
    bkm_test_log_reset();
    ck_assert_int_eq(receipt(BKM_SVAR_FEILET, NULL, "oops", t0 + 20, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_MOTSTRIDENDE);
    ck_assert_str_eq(k.svar, "mottatt");
    ck_assert_ptr_nonnull(k.hvorfor);
    kode = bkm_kvittering_refusal(&k, &why);
    ck_assert_str_eq(kode, "motstridende-kvittering");
    ck_assert_str_eq(why, k.hvorfor);
    ck_assert_str_eq(bkm_test_state(db, rid), "LEVERT");
    ck_assert_int_eq(bkm_test_events(db, rid, "KVITTERING_AVVIST"), 1);
    ck_assert_int_eq(bkm_test_events(db, rid, "AVVIST_FAGSYSTEM"), 0);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT avvik FROM bkm_melding WHERE "
                                  "id = '%s'",
                                  rid),
                     apr_off_t_toa(bkm_test_pool, t0 + 20));
    ck_assert_ptr_nonnull(strstr(
        bkm_test_log(),
        apr_psprintf(bkm_test_pool,
                     "[1] BKM03302: ALERT avvik KVITTERING_AVVIST: report "
                     "%s",
                     rid)));
    /* in a request's context the line has its own tag */
    db->log_request = 1;
    ck_assert_int_eq(receipt(BKM_SVAR_FEILET, NULL, "oops", t0 + 30, &k),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(), "BKM03301: ALERT avvik"));
}
END_TEST

/* mottatt for what never went out in full: refused and recorded, the
 * deadline keeps running. */
START_TEST(receipt_not_fetched)
{
    const char *why;
    bkm_kvittering_t k;

    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 10, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_IKKE_HENTET);
    ck_assert_str_eq(bkm_kvittering_refusal(&k, &why), "ikke-hentet");
    ck_assert_ptr_nonnull(strstr(why, "not fetched completely"));
    ck_assert_str_eq(bkm_test_state(db, rid), "AKSEPTERT");
    ck_assert_ptr_nonnull(bkm_test_sql(db,
                                       "SELECT frist FROM bkm_melding "
                                       "WHERE id = '%s'",
                                       rid));
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT svar FROM bkm_leveranse "
                                    "WHERE id = '%s'",
                                    lev.id));
    ck_assert_int_eq(bkm_test_events(db, rid, "KVITTERING_AVVIST"), 1);
    /* a stored-receipt likewise */
    ck_assert_int_eq(receipt(BKM_SVAR_LAGRET, "sak-1", NULL, t0 + 11, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_IKKE_HENTET);
    ck_assert_str_eq(bkm_test_state(db, rid), "AKSEPTERT");
}
END_TEST

/* feilet needs no fetch: letter post at once, on the print account; the
 * same text again is a repeat, another text a contradiction. */
START_TEST(feilet_orders_print)
{
    bkm_kvittering_t k;

    ck_assert_int_eq(receipt(BKM_SVAR_FEILET, NULL, "disk full", t0 + 10, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(k.hendelse, "AVVIST_FAGSYSTEM");
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_PRINT");
    ck_assert_int_eq(bkm_test_events(db, rid, "SENDT_PRINT"), 1);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT arsak FROM bkm_leveranse "
                                  "WHERE melding_id = '%s' AND konto_id = "
                                  "'%s'",
                                  rid, BKM_TEST_KONTO_PRINT),
                     "feilet");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT beskrivelse FROM bkm_hendelse "
                                  "WHERE melding_id = '%s' AND hendelse = "
                                  "'AVVIST_FAGSYSTEM'",
                                  rid),
                     "Fagsystemet meldte feil; sendes som brevpost: "
                     "disk full");
    ck_assert_int_eq(receipt(BKM_SVAR_FEILET, NULL, "disk full", t0 + 20, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_GJENTATT);
    ck_assert_int_eq(receipt(BKM_SVAR_FEILET, NULL, "another", t0 + 30, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_MOTSTRIDENDE);
    ck_assert_int_eq(bkm_test_events(db, rid, "AVVIST_FAGSYSTEM"), 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "melding_id = '%s'",
                                    rid),
                     2);
}
END_TEST

/* A stored-receipt after a plain mottatt counts; the same record id again
 * is a repeat, another record id contradicts; a plain mottatt after it
 * says less, not otherwise. */
START_TEST(stored_receipts)
{
    bkm_kvittering_t k;

    fetch_all();
    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 10, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(receipt(BKM_SVAR_LAGRET, "sak-1", NULL, t0 + 20, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(k.svar, "lagret");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT arkivreferanse FROM "
                                  "bkm_leveranse WHERE id = '%s'",
                                  lev.id),
                     "sak-1");
    ck_assert_int_eq(receipt(BKM_SVAR_LAGRET, "sak-1", NULL, t0 + 30, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_GJENTATT);
    ck_assert_int_eq(receipt(BKM_SVAR_LAGRET, "sak-2", NULL, t0 + 40, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_MOTSTRIDENDE);
    ck_assert_int_eq(receipt(BKM_SVAR_MOTTATT, NULL, NULL, t0 + 50, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_GJENTATT);
    ck_assert_str_eq(k.svar, "lagret");
}
END_TEST

/* Where the district requires a stored-receipt, a plain mottatt is
 * recorded and the deadline keeps running. */
START_TEST(stored_receipt_required)
{
    bkm_kvittering_in_t in;
    bkm_kvittering_t k;

    fetch_all();
    memset(&in, 0, sizeof(in));
    in.svar = BKM_SVAR_MOTTATT;
    in.krev_lagring = 1;
    in.aktor = "integrasjon";
    ck_assert_int_eq(bkm_levering_answer(db, &pol, &lev, &in, t0 + 10, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(k.hendelse, "KVITTERT");
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_FAGSYSTEM");
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT levert FROM bkm_melding "
                                    "WHERE id = '%s'",
                                    rid));
}
END_TEST

/* Letter post is ordered once, only when due; the print job of a report
 * printed before waits again instead of a second one. */
START_TEST(order_print_once)
{
    apr_time_t frist = bkm_levering_deadline(&pol, &bydel, t0);
    int ordered = -1;

    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_order_print(db, &pol, rid, frist - 1, frist - 1,
                                     "frist", "eskalering", "tekst",
                                     &ordered),
                     APR_SUCCESS);
    ck_assert_int_eq(ordered, 0); /* not yet due */
    ck_assert_int_eq(bkm_order_print(db, &pol, rid, frist, frist, "frist",
                                     "eskalering", "tekst", &ordered),
                     APR_SUCCESS);
    ck_assert_int_eq(ordered, 1);
    ck_assert_int_eq(bkm_order_print(db, &pol, rid, frist, frist, "frist",
                                     "eskalering", "tekst", &ordered),
                     APR_SUCCESS);
    ck_assert_int_eq(ordered, 0); /* ordered already */
    ck_assert_int_eq(bkm_db_end(db, APR_SUCCESS), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_PRINT");
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "melding_id = '%s' AND konto_id = '%s'",
                                    rid, BKM_TEST_KONTO_PRINT),
                     1);
}
END_TEST

static apr_status_t act(const char *handling, bkm_handling_t *h,
                        apr_time_t when)
{
    memset(h, 0, sizeof(*h));
    h->handling = handling;
    h->melding_id = rid;
    h->kommunenummer = "0301";
    h->aktor = "administrator: Kari";
    h->begrunnelse = "testet";
    return bkm_levering_action(db, &pol, h, when, &bydel);
}

START_TEST(actions)
{
    apr_time_t later = t0 + apr_time_from_sec(86400);
    bkm_handling_t h;

    /* print again: only a rejected print job */
    ck_assert_int_eq(act("print", &h, later), APR_EINVAL);
    ck_assert_int_eq(bkm_test_events(db, rid, "PRINT_PA_NYTT"), 0);
    /* back to the case system: a new deadline by the policy */
    fetch_all();
    ck_assert_int_eq(act("tilbake", &h, later), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_state(db, rid), "AKSEPTERT");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT frist FROM bkm_melding WHERE "
                                  "id = '%s'",
                                  rid),
                     apr_off_t_toa(bkm_test_pool,
                                   bkm_levering_deadline(&pol, &bydel,
                                                         later)));
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT hentet FROM bkm_leveranse "
                                    "WHERE id = '%s'",
                                    lev.id));
    ck_assert_int_eq(bkm_test_events(db, rid, "LAGT_TILBAKE"), 1);
    /* handled outside: delivered; not twice */
    ck_assert_int_eq(act("handtert", &h, later + 1), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_state(db, rid), "LEVERT");
    ck_assert_int_eq(act("handtert", &h, later + 2), APR_EINVAL);
    ck_assert_int_eq(act("tilbake", &h, later + 2), APR_EINVAL);
    ck_assert_int_eq(act("noe annet", &h, later + 2), APR_EINVAL);
    /* every action done is audited, with its reason */
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_revisjon WHERE "
                                    "melding_id = '%s' AND begrunnelse = "
                                    "'testet'",
                                    rid),
                     2);
    ck_assert_int_eq(db->in_tx, 0);
}
END_TEST

/* The print provider: mottatt delivers, feilet flags for follow-up and
 * "print again" orders it anew through the same job. */
START_TEST(print_provider)
{
    apr_time_t frist = bkm_levering_deadline(&pol, &bydel, t0);
    bkm_leveranse_t pj;
    bkm_kvittering_in_t in;
    bkm_kvittering_t k;
    bkm_handling_t h;
    int ordered;

    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_order_print(db, &pol, rid, frist, frist, "frist",
                                     "eskalering", "tekst", &ordered),
                     APR_SUCCESS);
    ck_assert_int_eq(bkm_db_end(db, APR_SUCCESS), APR_SUCCESS);
    bkm_test_load(db, BKM_TEST_KONTO_PRINT, rid, &pj);
    ck_assert_str_eq(pj.mottaker, "print");
    ck_assert_str_eq(pj.meldingstype, BKM_TYPE_UTSKRIFT);
    memset(&in, 0, sizeof(in));
    in.print = 1;
    in.svar = BKM_SVAR_FEILET;
    in.aktor = "print";
    ck_assert_int_eq(bkm_levering_answer(db, &pol, &pj, &in, frist + 1, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(bkm_test_state(db, rid), "AVVIST_PRINT");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT oppfolging FROM bkm_melding "
                                  "WHERE id = '%s'",
                                  rid),
                     "1");
    ck_assert_int_eq(act("print", &h, frist + 2), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_state(db, rid), "SENDT_PRINT");
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "melding_id = '%s' AND konto_id = '%s' "
                                    "AND svar IS NULL",
                                    rid, BKM_TEST_KONTO_PRINT),
                     1);
    in.svar = BKM_SVAR_MOTTATT;
    bkm_test_load(db, BKM_TEST_KONTO_PRINT, rid, &pj);
    ck_assert_int_eq(bkm_levering_answer(db, &pol, &pj, &in, frist + 3, &k),
                     APR_SUCCESS);
    ck_assert_str_eq(k.hendelse, "LEVERT");
    ck_assert_str_eq(bkm_test_state(db, rid), "LEVERT");
}
END_TEST

START_TEST(refused_is_recorded)
{
    ck_assert_int_eq(bkm_levering_refused(db, &lev, "integrasjon", t0 + 5,
                                          "bad signature"),
                     APR_SUCCESS);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT beskrivelse FROM bkm_hendelse "
                                  "WHERE melding_id = '%s' AND hendelse = "
                                  "'KVITTERING_AVVIST'",
                                  rid),
                     "Kvittering avvist: bad signature");
    ck_assert_str_eq(bkm_test_state(db, rid), "AKSEPTERT");
}
END_TEST

/* ---- the decision table, in the database ------------------------------- */

/* Each state with the facts it has in practice (as test_levering.c's
 * table), set on a stored report and on its print job; then each event
 * applied through the function that applies it in httpd.  What is written
 * must be what bkm_levering_next decides: the answer, the state after
 * (where print is ordered, SENDT_PRINT), delivered or not, and the events
 * on the timeline. */
typedef struct {
    const char *tilstand;
    int frist, levert, hentet;
    const char *svar;
} dbstate_t;

static const dbstate_t dbstates[BKM_DS_COUNT] = {
    { "AKSEPTERT", 1, 0, 0, NULL },
    { "SENDT_FAGSYSTEM", 1, 0, 1, NULL },
    { "AVVIST_FAGSYSTEM", 0, 0, 1, "feilet" },
    { "SENDT_PRINT", 0, 0, 1, NULL },
    { "AVVIST_PRINT", 0, 0, 1, NULL },
    { "LEVERT", 0, 1, 1, "mottatt" },
};

static void set_state(const dbstate_t *st, bkm_leveranse_t *pj)
{
    const char *t = apr_off_t_toa(bkm_test_pool, t0 + 1);

    bkm_test_sql(db,
                 "INSERT INTO bkm_leveranse (id, melding_id, konto_id, "
                 "mottaker, meldingstype, opprettet, arsak) VALUES "
                 "('p%.35s', '%s', '%s', 'print', '%s', %s, 'frist')",
                 rid, rid, BKM_TEST_KONTO_PRINT, BKM_TYPE_UTSKRIFT, t);
    bkm_test_sql(db,
                 "UPDATE bkm_melding SET tilstand = '%s', frist = %s, "
                 "levert = %s, oppfolging = %d WHERE id = '%s'",
                 st->tilstand,
                 st->frist
                     ? apr_off_t_toa(bkm_test_pool,
                                     bkm_levering_deadline(&pol, &bydel, t0))
                     : "NULL",
                 st->levert ? t : "NULL",
                 strcmp(st->tilstand, "AVVIST_PRINT") == 0, rid);
    bkm_test_sql(db,
                 "UPDATE bkm_leveranse SET hentet = %s, svar = %s%s%s "
                 "WHERE melding_id = '%s'",
                 st->hentet ? t : "NULL", st->svar ? "'" : "",
                 st->svar ? st->svar : "NULL", st->svar ? "'" : "", rid);
    reload();
    bkm_test_load(db, BKM_TEST_KONTO_PRINT, rid, pj);
}

/* The facts the state machine is given for @p e, read back. */
static void facts_of(const dbstate_t *st, bkm_de_e e, bkm_dfakta_t *f)
{
    memset(f, 0, sizeof(*f));
    f->tilstand = (bkm_ds_e)bkm_ds_parse(st->tilstand);
    f->frist = st->frist;
    f->levert = st->levert;
    f->oppfolging = f->tilstand == BKM_DS_AVVIST_PRINT;
    f->hentet = st->hentet;
    f->svar = !st->svar                         ? BKM_DA_INGEN
              : strcmp(st->svar, "feilet") == 0 ? BKM_DA_FEILET
                                                : BKM_DA_MOTTATT;
}

/* Apply @p e as httpd would; the answer as the state machine's. */
static bkm_du_e apply_event(bkm_de_e e, bkm_leveranse_t *pj)
{
    static const char *const handling[] = { "handtert", "tilbake", "print" };
    bkm_kvittering_in_t in;
    bkm_kvittering_t k;
    bkm_handling_t h;
    apr_time_t now = t0 + 100;
    apr_status_t rv;
    int n0, ordered;

    memset(&in, 0, sizeof(in));
    in.aktor = "test";
    switch (e) {
    case BKM_DE_HENTET:
    case BKM_DE_PRINT_HENTET:
        n0 = bkm_test_count(db, "SELECT 1 FROM bkm_hendelse");
        ck_assert_int_eq(bkm_levering_fetched(db,
                                              e == BKM_DE_HENTET ? &lev : pj,
                                              "test", now),
                         APR_SUCCESS);
        return bkm_test_count(db, "SELECT 1 FROM bkm_hendelse") > n0
                   ? BKM_DU_ANVENDT
                   : BKM_DU_GJENTATT;
    case BKM_DE_FRIST:
        ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
        /* the deadline has passed: a pass a year later */
        now = t0 + apr_time_from_sec(365 * 86400);
        ck_assert_int_eq(bkm_order_print(db, &pol, rid, now, now, "frist",
                                         "eskalering", "tekst", &ordered),
                         APR_SUCCESS);
        ck_assert_int_eq(bkm_db_end(db, APR_SUCCESS), APR_SUCCESS);
        return ordered ? BKM_DU_ANVENDT : BKM_DU_NEKTET;
    case BKM_DE_HANDTERT:
    case BKM_DE_TILBAKE:
    case BKM_DE_PRINT_PA_NYTT:
        rv = act(handling[e - BKM_DE_HANDTERT], &h, now);
        ck_assert(rv == APR_SUCCESS || rv == APR_EINVAL);
        return rv == APR_SUCCESS ? BKM_DU_ANVENDT : BKM_DU_NEKTET;
    default:
        in.print = e == BKM_DE_PRINT_MOTTATT || e == BKM_DE_PRINT_FEILET;
        in.svar = e == BKM_DE_FEILET || e == BKM_DE_PRINT_FEILET
                      ? BKM_SVAR_FEILET
                  : e == BKM_DE_LAGRET ? BKM_SVAR_LAGRET
                                       : BKM_SVAR_MOTTATT;
        in.arkivreferanse = e == BKM_DE_LAGRET ? "sak-9" : NULL;
        ck_assert_int_eq(bkm_levering_answer(db, &pol, in.print ? pj : &lev,
                                             &in, now, &k),
                         APR_SUCCESS);
        return k.utfall == BKM_KVITTERING_NY             ? BKM_DU_ANVENDT
               : k.utfall == BKM_KVITTERING_GJENTATT     ? BKM_DU_GJENTATT
               : k.utfall == BKM_KVITTERING_MOTSTRIDENDE ? BKM_DU_MOTSTRIDENDE
                                                         : BKM_DU_IKKE_HENTET;
    }
}

START_TEST(decision_table_in_the_database)
{
    const dbstate_t *st = &dbstates[_i / BKM_DE_COUNT];
    bkm_de_e e = (bkm_de_e)(_i % BKM_DE_COUNT);
    bkm_leveranse_t pj;
    bkm_dfakta_t f;
    bkm_dvalg_t v;
    const char *after;
    int events0, events1, levert;
    bkm_du_e got;

    set_state(st, &pj);
    facts_of(st, e, &f);
    bkm_levering_next(&f, e, &v);
    events0 = bkm_test_count(db,
                             "SELECT 1 FROM bkm_hendelse WHERE "
                             "melding_id = '%s'",
                             rid);
    got = apply_event(e, &pj);
    events1 = bkm_test_count(db,
                             "SELECT 1 FROM bkm_hendelse WHERE "
                             "melding_id = '%s'",
                             rid);
    after = bkm_test_state(db, rid);
    levert = bkm_test_sql(db,
                          "SELECT levert FROM bkm_melding WHERE id = "
                          "'%s'",
                          rid)
             != NULL;
    ck_assert_msg(got == v.utfall,
                  "%s x event %d: %s in the database, %s "
                  "decided",
                  st->tilstand, e, bkm_du_name(got), bkm_du_name(v.utfall));
    ck_assert_msg(strcmp(after,
                         bkm_ds_name(v.bestill_print ? BKM_DS_SENDT_PRINT
                                                     : v.tilstand))
                      == 0,
                  "%s x event %d: %s in the database, %s decided",
                  st->tilstand, e, after, bkm_ds_name(v.tilstand));
    ck_assert_int_eq(levert, v.levert);
    if (v.hendelse) {
        ck_assert_int_ge(bkm_test_events(db, rid, v.hendelse), 1);
        /* ordering print is an event of its own (SENDT_PRINT), unless
         * that is the event (the deadline) */
        ck_assert_int_eq(events1 - events0,
                         1
                             + (v.bestill_print
                                && strcmp(v.hendelse, "SENDT_PRINT") != 0));
    }
    else {
        ck_assert_int_eq(events1, events0);
    }
    ck_assert_int_eq(db->in_tx, 0);
}
END_TEST

Suite *bkm_suite_leveranse(void)
{
    Suite *s = suite_create("leveranse");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, load_is_the_accounts);
    tcase_add_test(tc, fetch_recorded_once);
    tcase_add_test(tc, ranges_cover);
    tcase_add_test(tc, receipt_new_then_repeat);
    tcase_add_test(tc, receipt_contradiction);
    tcase_add_test(tc, receipt_not_fetched);
    tcase_add_test(tc, feilet_orders_print);
    tcase_add_test(tc, stored_receipts);
    tcase_add_test(tc, stored_receipt_required);
    tcase_add_test(tc, order_print_once);
    tcase_add_test(tc, actions);
    tcase_add_test(tc, print_provider);
    tcase_add_test(tc, refused_is_recorded);
    tcase_add_loop_test(tc, decision_table_in_the_database, 0,
                        BKM_DS_COUNT * BKM_DE_COUNT);
    suite_add_tcase(s, tc);
    return s;
}
