/* SPDX-License-Identifier: Apache-2.0 */
/* The delivery state machine (bkm_levering_next) as a decision table:
 * every state with every event, under the facts that state has in
 * practice, plus the rows where a fact changes the answer; then every
 * combination of state, event and facts against the rules that must hold
 * whatever the table says.  And the byte ranges that make a fetch
 * complete. */
#include "unit.h"
#include "bkm_levering.h"

#include <string.h>

enum {
    A = BKM_DS_AKSEPTERT,
    SF = BKM_DS_SENDT_FAGSYSTEM,
    AF = BKM_DS_AVVIST_FAGSYSTEM,
    SP = BKM_DS_SENDT_PRINT,
    AP = BKM_DS_AVVIST_PRINT,
    L = BKM_DS_LEVERT
};
enum {
    NY = BKM_DU_ANVENDT,
    GJ = BKM_DU_GJENTATT,
    MOT = BKM_DU_MOTSTRIDENDE,
    IH = BKM_DU_IKKE_HENTET,
    NEI = BKM_DU_NEKTET
};

/* Facts by state as they are in practice (-1 in a row: the default). */
typedef struct {
    int frist, levert, hentet;
    bkm_da_e svar;
} defaults_t;

static const defaults_t by_state[BKM_DS_COUNT] = {
    /* A  */ { 1, 0, 0, BKM_DA_INGEN },
    /* SF */ { 1, 0, 1, BKM_DA_INGEN },
    /* AF */ { 0, 0, 1, BKM_DA_FEILET },
    /* SP */ { 0, 0, 1, BKM_DA_INGEN },
    /* AP */ { 0, 0, 1, BKM_DA_INGEN },
    /* L  */ { 0, 1, 1, BKM_DA_MOTTATT },
};

typedef struct {
    int state, event;
    int hentet, svar, samme, krev, manuell; /* -1: default */
    int utfall, after;
    const char *hendelse;
    int print;
} row_t;

#define D -1
#define R(s, e, u, a, h, p) \
    { \
        s, BKM_DE_##e, D, D, 0, 0, 0, u, a, h, p \
    }

static const row_t table[] = {
    /* AKSEPTERT: nothing fetched yet */
    R(A, HENTET, NY, SF, "HENTET", 0),
    R(A, MOTTATT, IH, A, "KVITTERING_AVVIST", 0),
    R(A, LAGRET, IH, A, "KVITTERING_AVVIST", 0),
    R(A, FEILET, NY, AF, "AVVIST_FAGSYSTEM", 1),
    R(A, FRIST, NY, SP, "SENDT_PRINT", 1),
    R(A, PRINT_HENTET, NY, A, "HENTET_PRINT", 0),
    R(A, PRINT_MOTTATT, NY, L, "LEVERT", 0),
    R(A, PRINT_FEILET, NY, AP, "AVVIST_PRINT", 0),
    R(A, HANDTERT, NY, L, "HANDTERT_MANUELT", 0),
    R(A, TILBAKE, NY, A, "LAGT_TILBAKE", 0),
    R(A, PRINT_PA_NYTT, NEI, A, NULL, 0),
    /* SENDT_FAGSYSTEM: fetched completely, no answer */
    R(SF, HENTET, GJ, SF, NULL, 0),
    R(SF, MOTTATT, NY, L, "KVITTERT", 0),
    R(SF, LAGRET, NY, L, "LAGRING_VERIFISERT", 0),
    R(SF, FEILET, NY, AF, "AVVIST_FAGSYSTEM", 1),
    R(SF, FRIST, NY, SP, "SENDT_PRINT", 1),
    R(SF, PRINT_HENTET, GJ, SF, NULL, 0),
    R(SF, PRINT_MOTTATT, NY, L, "LEVERT", 0),
    R(SF, PRINT_FEILET, NY, AP, "AVVIST_PRINT", 0),
    R(SF, HANDTERT, NY, L, "HANDTERT_MANUELT", 0),
    R(SF, TILBAKE, NY, A, "LAGT_TILBAKE", 0),
    R(SF, PRINT_PA_NYTT, NEI, SF, NULL, 0),
    /* AVVIST_FAGSYSTEM: answered feilet */
    R(AF, HENTET, GJ, AF, NULL, 0),
    R(AF, MOTTATT, MOT, AF, "KVITTERING_AVVIST", 0),
    R(AF, LAGRET, MOT, AF, "KVITTERING_AVVIST", 0),
    R(AF, FEILET, MOT, AF, "KVITTERING_AVVIST", 0),
    R(AF, FRIST, NEI, AF, NULL, 0),
    R(AF, PRINT_HENTET, GJ, AF, NULL, 0),
    R(AF, PRINT_MOTTATT, MOT, AF, "KVITTERING_AVVIST", 0),
    R(AF, PRINT_FEILET, MOT, AF, "KVITTERING_AVVIST", 0),
    R(AF, HANDTERT, NY, L, "HANDTERT_MANUELT", 0),
    R(AF, TILBAKE, NEI, AF, NULL, 0),
    R(AF, PRINT_PA_NYTT, NEI, AF, NULL, 0),
    /* SENDT_PRINT: the deadline passed, print ordered */
    R(SP, HENTET, GJ, SP, NULL, 0),
    R(SP, MOTTATT, NY, L, "SEN_KVITTERING", 0),
    R(SP, LAGRET, NY, L, "SEN_KVITTERING", 0),
    R(SP, FEILET, NY, SP, "AVVIST_FAGSYSTEM", 0),
    R(SP, FRIST, NEI, SP, NULL, 0),
    R(SP, PRINT_HENTET, GJ, SP, NULL, 0),
    R(SP, PRINT_MOTTATT, NY, L, "LEVERT", 0),
    R(SP, PRINT_FEILET, NY, AP, "AVVIST_PRINT", 0),
    R(SP, HANDTERT, NY, L, "HANDTERT_MANUELT", 0),
    R(SP, TILBAKE, NEI, SP, NULL, 0),
    R(SP, PRINT_PA_NYTT, NEI, SP, NULL, 0),
    /* AVVIST_PRINT: flagged for follow-up */
    R(AP, HENTET, GJ, AP, NULL, 0),
    R(AP, MOTTATT, NY, L, "SEN_KVITTERING", 0),
    R(AP, LAGRET, NY, L, "SEN_KVITTERING", 0),
    R(AP, FEILET, NY, AP, "AVVIST_FAGSYSTEM", 0),
    R(AP, FRIST, NEI, AP, NULL, 0),
    R(AP, PRINT_HENTET, GJ, AP, NULL, 0),
    R(AP, PRINT_MOTTATT, NY, L, "LEVERT", 0),
    R(AP, PRINT_FEILET, NY, AP, "AVVIST_PRINT", 0),
    R(AP, HANDTERT, NY, L, "HANDTERT_MANUELT", 0),
    R(AP, TILBAKE, NEI, AP, NULL, 0),
    R(AP, PRINT_PA_NYTT, NY, SP, "PRINT_PA_NYTT", 0),
    /* LEVERT: answered mottatt */
    R(L, HENTET, GJ, L, NULL, 0),
    R(L, MOTTATT, GJ, L, NULL, 0),
    R(L, LAGRET, NY, L, "SEN_KVITTERING", 0),
    R(L, FEILET, MOT, L, "KVITTERING_AVVIST", 0),
    R(L, FRIST, NEI, L, NULL, 0),
    R(L, PRINT_HENTET, GJ, L, NULL, 0),
    R(L, PRINT_MOTTATT, GJ, L, NULL, 0),
    R(L, PRINT_FEILET, MOT, L, "KVITTERING_AVVIST", 0),
    R(L, HANDTERT, NEI, L, NULL, 0),
    R(L, TILBAKE, NEI, L, NULL, 0),
    R(L, PRINT_PA_NYTT, NEI, L, NULL, 0),

    /* Where one fact changes the answer.  The attacks of issue 12: a
     * mottatt or stored-receipt without a complete fetch, also where the
     * district requires stored-receipts and on the manual channel. */
    { SF, BKM_DE_MOTTATT, 0, D, 0, 0, 0, IH, SF, "KVITTERING_AVVIST", 0 },
    { SF, BKM_DE_LAGRET, 0, D, 0, 0, 0, IH, SF, "KVITTERING_AVVIST", 0 },
    { A, BKM_DE_MOTTATT, D, D, 0, 1, 0, IH, A, "KVITTERING_AVVIST", 0 },
    { A, BKM_DE_MOTTATT, D, D, 0, 0, 1, IH, A, "KVITTERING_AVVIST", 0 },
    { SP, BKM_DE_MOTTATT, 0, D, 0, 0, 0, IH, SP, "KVITTERING_AVVIST", 0 },
    /* feilet needs no fetch: it only hastens letter post */
    { A, BKM_DE_FEILET, 0, D, 0, 0, 0, NY, AF, "AVVIST_FAGSYSTEM", 1 },
    /* the district requires stored-receipts: recorded, not delivered */
    { SF, BKM_DE_MOTTATT, D, D, 0, 1, 0, NY, SF, "KVITTERT", 0 },
    { SF, BKM_DE_LAGRET, D, D, 0, 1, 0, NY, L, "LAGRING_VERIFISERT", 0 },
    /* the manual channel: confirmed after a complete download */
    { SF, BKM_DE_MOTTATT, D, D, 0, 0, 1, NY, L, "KVITTERT", 0 },
    { A, BKM_DE_HENTET, D, D, 0, 0, 1, NY, SF, "HENTET", 0 },
    /* repeats and contradictions (issue 12, attack 4) */
    { SF, BKM_DE_LAGRET, D, BKM_DA_MOTTATT, 0, 0, 0, NY, L,
      "LAGRING_VERIFISERT", 0 },
    { L, BKM_DE_LAGRET, D, BKM_DA_LAGRET, 1, 0, 0, GJ, L, NULL, 0 },
    { L, BKM_DE_LAGRET, D, BKM_DA_LAGRET, 0, 0, 0, MOT, L,
      "KVITTERING_AVVIST", 0 },
    { L, BKM_DE_MOTTATT, D, BKM_DA_LAGRET, 0, 0, 0, GJ, L, NULL, 0 },
    { AF, BKM_DE_FEILET, D, D, 1, 0, 0, GJ, AF, NULL, 0 },
    { AF, BKM_DE_PRINT_FEILET, D, D, 1, 0, 0, GJ, AF, NULL, 0 },
    { SP, BKM_DE_MOTTATT, D, BKM_DA_FEILET, 0, 0, 0, MOT, SP,
      "KVITTERING_AVVIST", 0 },
    { SP, BKM_DE_PRINT_FEILET, D, BKM_DA_FEILET, 0, 0, 0, MOT, SP,
      "KVITTERING_AVVIST", 0 },
    /* a fetch not yet complete (print's copy fetched: its own fact) */
    { SF, BKM_DE_PRINT_HENTET, 0, D, 0, 0, 0, NY, SF, "HENTET_PRINT", 0 },
};

static void facts(const row_t *t, bkm_dfakta_t *f)
{
    const defaults_t *d = &by_state[t->state];

    memset(f, 0, sizeof(*f));
    f->tilstand = (bkm_ds_e)t->state;
    f->frist = d->frist;
    f->levert = d->levert;
    f->oppfolging = t->state == AP;
    f->hentet = t->hentet == D ? d->hentet : t->hentet;
    f->svar = t->svar == D ? d->svar : (bkm_da_e)t->svar;
    f->samme = t->samme;
    f->krev_lagring = t->krev;
    f->manuell = t->manuell;
}

START_TEST(decision_table)
{
    const row_t *t = &table[_i];
    bkm_dfakta_t f;
    bkm_dvalg_t v;

    facts(t, &f);
    bkm_levering_next(&f, (bkm_de_e)t->event, &v);
    ck_assert_msg(v.utfall == (bkm_du_e)t->utfall,
                  "row %d (%s, event %d): %s, not %s", _i,
                  bkm_ds_name(f.tilstand), t->event, bkm_du_name(v.utfall),
                  bkm_du_name((bkm_du_e)t->utfall));
    ck_assert_msg(v.tilstand == (bkm_ds_e)t->after,
                  "row %d: state %s, not %s", _i, bkm_ds_name(v.tilstand),
                  bkm_ds_name((bkm_ds_e)t->after));
    if (t->hendelse) {
        ck_assert_msg(v.hendelse && strcmp(v.hendelse, t->hendelse) == 0,
                      "row %d: event %s, not %s", _i,
                      v.hendelse ? v.hendelse : "(none)", t->hendelse);
        ck_assert_ptr_nonnull(v.tekst);
    }
    else {
        ck_assert_msg(v.hendelse == NULL, "row %d: event %s, not none", _i,
                      v.hendelse);
    }
    ck_assert_int_eq(v.bestill_print, t->print);
}
END_TEST

/* Every state and event appears in the first part of the table. */
START_TEST(table_is_complete)
{
    int s, e, i, found;

    for (s = 0; s < BKM_DS_COUNT; s++) {
        for (e = 0; e < BKM_DE_COUNT; e++) {
            found = 0;
            for (i = 0; i < (int)(sizeof(table) / sizeof(table[0])); i++) {
                found |= table[i].state == s && table[i].event == e
                         && table[i].hentet == D && table[i].svar == D;
            }
            ck_assert_msg(found, "no row for %s x event %d",
                          bkm_ds_name((bkm_ds_e)s), e);
        }
    }
}
END_TEST

/* The rules over every combination of state, event and facts. */
START_TEST(rules_hold_everywhere)
{
    int s, e, bits;

    for (s = 0; s < BKM_DS_COUNT; s++) {
        for (e = 0; e < BKM_DE_COUNT; e++) {
            for (bits = 0; bits < 512; bits++) {
                bkm_dfakta_t f;
                bkm_dvalg_t v;

                memset(&f, 0, sizeof(f));
                f.tilstand = (bkm_ds_e)s;
                f.frist = bits & 1;
                f.levert = (bits >> 1) & 1;
                f.oppfolging = (bits >> 2) & 1;
                f.hentet = (bits >> 3) & 1;
                f.manuell = (bits >> 4) & 1;
                f.krev_lagring = (bits >> 5) & 1;
                f.samme = (bits >> 6) & 1;
                f.svar = (bkm_da_e)((bits >> 7) & 3);
                bkm_levering_next(&f, (bkm_de_e)e, &v);

                /* No delivery by a receipt without a complete fetch. */
                if ((e == BKM_DE_MOTTATT || e == BKM_DE_LAGRET)
                    && !f.hentet) {
                    ck_assert(v.utfall != BKM_DU_ANVENDT);
                    ck_assert(v.levert == f.levert);
                }
                /* Only a stored-receipt delivers where it is required. */
                if (e == BKM_DE_MOTTATT && f.krev_lagring && !f.levert) {
                    ck_assert(!v.levert);
                }
                /* What is not applied writes nothing but, for refusals,
                 * its event. */
                if (v.utfall != BKM_DU_ANVENDT) {
                    ck_assert(v.tilstand == f.tilstand);
                    ck_assert(!v.skriv_tilstand && !v.bestill_print
                              && !v.ny_frist && v.svar == BKM_DA_INGEN);
                    ck_assert(v.levert == f.levert);
                    if (v.utfall == BKM_DU_GJENTATT
                        || v.utfall == BKM_DU_NEKTET) {
                        ck_assert(v.hendelse == NULL);
                    }
                    else {
                        ck_assert_str_eq(v.hendelse, "KVITTERING_AVVIST");
                    }
                }
                else {
                    ck_assert_ptr_nonnull(v.hendelse);
                    ck_assert_ptr_nonnull(v.tekst);
                }
                /* Print is ordered once, while a deadline runs. */
                if (v.bestill_print) {
                    ck_assert(f.frist && !f.levert);
                }
                /* Nothing undoes a delivery. */
                if (f.levert && e != BKM_DE_PRINT_PA_NYTT) {
                    ck_assert(v.levert);
                }
                /* What becomes LEVERT is delivered. */
                if (v.tilstand == BKM_DS_LEVERT
                    && f.tilstand != BKM_DS_LEVERT) {
                    ck_assert(v.levert);
                }
                ck_assert(bkm_ds_parse(bkm_ds_name(v.tilstand))
                          == (int)v.tilstand);
            }
        }
    }
}
END_TEST

START_TEST(ranges)
{
    apr_off_t a = -1, b = -1;
    const char *d;

    ck_assert_int_eq(bkm_range_parse(NULL, 100, &a, &b), 0);
    ck_assert_int_eq(bkm_range_parse("bytes=0-0", 100, &a, &b), 1);
    ck_assert(a == 0 && b == 0);
    ck_assert_int_eq(bkm_range_parse("bytes=10-", 100, &a, &b), 1);
    ck_assert(a == 10 && b == 99);
    ck_assert_int_eq(bkm_range_parse("bytes=-10", 100, &a, &b), 1);
    ck_assert(a == 90 && b == 99);
    ck_assert_int_eq(bkm_range_parse("bytes=-1000", 100, &a, &b), 1);
    ck_assert(a == 0 && b == 99);
    ck_assert_int_eq(bkm_range_parse("bytes=50-1000", 100, &a, &b), 1);
    ck_assert(a == 50 && b == 99);
    ck_assert_int_eq(bkm_range_parse("bytes=100-", 100, &a, &b), -1);
    ck_assert_int_eq(bkm_range_parse("bytes=-0", 100, &a, &b), -1);
    /* several ranges, nonsense, overflow: the whole body */
    ck_assert_int_eq(bkm_range_parse("bytes=0-1,5-6", 100, &a, &b), 0);
    ck_assert_int_eq(bkm_range_parse("bytes=5-1", 100, &a, &b), 0);
    ck_assert_int_eq(bkm_range_parse("bytes=x-1", 100, &a, &b), 0);
    ck_assert_int_eq(bkm_range_parse("items=0-1", 100, &a, &b), 0);
    ck_assert_int_eq(bkm_range_parse("bytes=99999999999999999999-", 100, &a,
                                     &b),
                     0);

    /* One byte is not the message. */
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, NULL, 0, 0, 100, &d), 0);
    ck_assert_str_eq(d, "0-0");
    /* Out of order, overlapping, touching: together they are. */
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, "0-0", 50, 99, 100, &d),
                     0);
    ck_assert_str_eq(d, "0-0,50-99");
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, d, 10, 60, 100, &d), 0);
    ck_assert_str_eq(d, "0-0,10-99");
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, d, 1, 9, 100, &d), 1);
    ck_assert_str_eq(d, "0-99");
    /* A gap of one byte is a gap. */
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, "0-48", 50, 99, 100, &d),
                     0);
    /* Malformed history counts as none. */
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, "0-99x", 0, 9, 100, &d),
                     0);
    ck_assert_str_eq(d, "0-9");
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, "9-0", 0, 9, 100, &d), 0);
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, NULL, 0, 99, 100, &d), 1);
}
END_TEST

START_TEST(scattered_ranges_are_bounded)
{
    const char *d = NULL;
    int i;

    for (i = 0; i < 3 * BKM_RANGES_MAX; i++) {
        bkm_range_cover(bkm_test_pool, d, 2 * i, 2 * i, 1000, &d);
    }
    ck_assert_int_le((int)strlen(d), BKM_RANGES_MAX * 10);
    ck_assert_int_eq(bkm_range_cover(bkm_test_pool, d, 0, 999, 1000, &d), 1);
}
END_TEST

/* The receipt rules beside the state machine: a verified stored-receipt
 * must name this message, its report and the SHA-256 of exactly its
 * ciphertext, and the message must have gone out in full. */
START_TEST(stored_receipt_fits)
{
    bkm_lagringskvittering_t lk;
    const char *why;

    memset(&lk, 0, sizeof(lk));
    lk.melding_id = "m1";
    lk.bekymringsmelding_id = "r1";
    lk.sha256 = "aa";
    lk.arkivreferanse = "sak";
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m1", "r1", "aa", 1, &why),
                     BKM_DU_ANVENDT);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m2", "r1", "aa", 1, &why),
                     BKM_DU_NEKTET);
    ck_assert_str_eq(why, "the stored-receipt names another message");
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m1", "r2", "aa", 1, &why),
                     BKM_DU_NEKTET);
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m1", "r1", "bb", 1, &why),
                     BKM_DU_NEKTET);
    ck_assert_ptr_nonnull(strstr(why, "sha256"));
    /* retention deleted the ciphertext: nothing to match */
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m1", "r1", NULL, 1, &why),
                     BKM_DU_NEKTET);
    /* a wrong one is refused as wrong even when never fetched */
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m2", "r1", "aa", 0, &why),
                     BKM_DU_NEKTET);
    ck_assert_int_eq(bkm_kvittering_fits(&lk, "m1", "r1", "aa", 0, &why),
                     BKM_DU_IKKE_HENTET);
    ck_assert_str_eq(why,
                     "a stored-receipt for content this account never "
                     "fetched");
}
END_TEST

/* How each outcome is answered: 200 for new and repeat, 409 with its
 * errorId for the refusals. */
START_TEST(receipt_refusals)
{
    bkm_kvittering_t k;
    const char *why;

    memset(&k, 0, sizeof(k));
    k.utfall = BKM_KVITTERING_NY;
    ck_assert_ptr_null(bkm_kvittering_refusal(&k, &why));
    k.utfall = BKM_KVITTERING_GJENTATT;
    ck_assert_ptr_null(bkm_kvittering_refusal(&k, &why));
    k.utfall = BKM_KVITTERING_MOTSTRIDENDE;
    k.hvorfor = "this message was already answered mottatt";
    ck_assert_str_eq(bkm_kvittering_refusal(&k, &why),
                     "motstridende-kvittering");
    ck_assert_str_eq(why, k.hvorfor);
    k.utfall = BKM_KVITTERING_IKKE_HENTET;
    ck_assert_str_eq(bkm_kvittering_refusal(&k, &why), "ikke-hentet");
    ck_assert_ptr_nonnull(strstr(why, "the deadline keeps running"));
}
END_TEST

/* Deadlines from the policy and the district, never from httpd. */
START_TEST(deadlines_by_policy)
{
    bkm_levering_policy_t pol = { apr_time_from_sec(40 * 3600),
                                  apr_time_from_sec(2 * 86400), "p" };
    bkm_kommune_t k = { .nummer = "0301", .navn = "Oslo", .aktiv = 1 };
    bkm_bydel_t b;
    apr_time_t mon = bkm_test_utc(2026, 3, 2, 8, 0); /* 09:00 in Oslo */

    memset(&b, 0, sizeof(b));
    b.kommune = &k;
    b.kanal = BKM_KANAL_FAGSYSTEM;
    b.kontortid.from_min = 0;
    b.kontortid.to_min = 1440;
    /* 40 business hours from Monday 09:00: Wednesday 01:00 in Oslo */
    ck_assert(bkm_levering_deadline(&pol, &b, mon)
              == mon + apr_time_from_sec(40 * 3600));
    /* the manual channel: two working days */
    b.kanal = BKM_KANAL_MANUELL;
    ck_assert(bkm_levering_deadline(&pol, &b, mon)
              == mon + apr_time_from_sec(2 * 86400));
    /* office hours: two working days of 08:00-16:00, Monday 09:00 ->
     * Wednesday 09:00 */
    b.kontortid.from_min = 8 * 60;
    b.kontortid.to_min = 16 * 60;
    ck_assert(bkm_levering_deadline(&pol, &b, mon)
              == mon + apr_time_from_sec(2 * 86400));
    /* the district's own svarfrist wins: 4 hours */
    b.svarfrist = apr_time_from_sec(4 * 3600);
    ck_assert(bkm_levering_deadline(&pol, &b, mon)
              == mon + apr_time_from_sec(4 * 3600));
    pol.manual_deadline = apr_time_from_sec(3600);
    ck_assert(bkm_levering_deadline(&pol, &b, mon)
              == mon + apr_time_from_sec(4 * 3600));
    ck_assert_str_eq(bkm_kanal_name(BKM_KANAL_FAGSYSTEM), "fagsystem");
    ck_assert_str_eq(bkm_kanal_name(BKM_KANAL_MANUELL), "manuell");
}
END_TEST

Suite *bkm_suite_levering(void)
{
    Suite *s = suite_create("delivery");
    TCase *tc = tcase_create("delivery");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_loop_test(tc, decision_table, 0,
                        (int)(sizeof(table) / sizeof(table[0])));
    tcase_add_test(tc, table_is_complete);
    tcase_add_test(tc, rules_hold_everywhere);
    tcase_add_test(tc, ranges);
    tcase_add_test(tc, scattered_ranges_are_bounded);
    tcase_add_test(tc, stored_receipt_fits);
    tcase_add_test(tc, receipt_refusals);
    tcase_add_test(tc, deadlines_by_policy);
    suite_add_tcase(s, tc);
    return s;
}
