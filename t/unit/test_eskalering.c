/* SPDX-License-Identifier: Apache-2.0 */
/* The escalation pass (bkm_eskalering.c) on a real SQLite file, with a
 * policy and a fixed now: letter post for what is due and nothing else,
 * retention for what was delivered long enough ago (and not for what a
 * reconciliation has yet to confirm), the counts that need a person, and
 * the caller's steps after the pass's own. */
#include "unit.h"
#include "bkm_eskalering.h"
#include "bkm_kjede.h"

#include <string.h>
#include <apr_strings.h>

static bkm_db_t *db;
static bkm_bydel_t fag, man;
static bkm_levering_policy_t dpol;
static bkm_pass_policy_t pol;
static apr_time_t t0;

#define DAY apr_time_from_sec(86400)

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("escalation");
    bkm_test_bydel(&fag, BKM_KANAL_FAGSYSTEM);
    bkm_test_bydel(&man, BKM_KANAL_MANUELL);
    bkm_test_policy(&dpol);
    t0 = bkm_test_utc(2026, 3, 2, 9, 0); /* a Monday */
    memset(&pol, 0, sizeof(pol));
    pol.delivery = &dpol;
    pol.retention = 30 * DAY;
    pol.select_limit = BKM_PASS_SELECT;
    pol.batch = BKM_PASS_BATCH;
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

static bkm_pass_t pass_at(apr_time_t now)
{
    bkm_pass_t out;

    pol.now = now;
    ck_assert_int_eq(bkm_eskalering_run(db, &pol, &out), APR_SUCCESS);
    ck_assert_int_eq(db->in_tx, 0);
    return out;
}

/* A report of @p b received at @p t and delivered (fetched, mottatt) at
 * @p levert. */
static const char *delivered(const bkm_bydel_t *b, apr_time_t t,
                             apr_time_t levert)
{
    const char *id = bkm_test_store(db, &dpol, b, t);
    bkm_kvittering_in_t in;
    bkm_kvittering_t k;
    bkm_leveranse_t l;

    bkm_test_load(db, b->konto_id, id, &l);
    ck_assert_int_eq(bkm_levering_fetched(db, &l, "mottaker", levert),
                     APR_SUCCESS);
    bkm_test_load(db, b->konto_id, id, &l);
    memset(&in, 0, sizeof(in));
    in.svar = BKM_SVAR_MOTTATT;
    in.aktor = "mottaker";
    ck_assert_int_eq(bkm_levering_answer(db, &dpol, &l, &in, levert, &k),
                     APR_SUCCESS);
    ck_assert_int_eq(k.utfall, BKM_KVITTERING_NY);
    ck_assert_str_eq(bkm_test_state(db, id), "LEVERT");
    return id;
}

START_TEST(due_and_not_due)
{
    const char *early = bkm_test_store(db, &dpol, &fag, t0);
    const char *late = bkm_test_store(db, &dpol, &fag, t0 + DAY);
    apr_time_t frist = bkm_levering_deadline(&dpol, &fag, t0);
    bkm_pass_t out;

    /* a moment before its deadline: nothing */
    out = pass_at(frist - 1);
    ck_assert_int_eq(out.eskalert, 0);
    ck_assert_str_eq(bkm_test_state(db, early), "AKSEPTERT");
    /* at its deadline: letter post, on the print account, once */
    bkm_test_log_reset();
    out = pass_at(frist);
    ck_assert_int_eq(out.eskalert, 1);
    ck_assert_str_eq(bkm_test_state(db, early), "SENDT_PRINT");
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT frist FROM bkm_melding "
                                    "WHERE id = '%s'",
                                    early));
    ck_assert_int_eq(bkm_test_events(db, early, "SENDT_PRINT"), 1);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT aktor FROM bkm_hendelse WHERE "
                                  "melding_id = '%s' AND hendelse = "
                                  "'SENDT_PRINT'",
                                  early),
                     "eskalering");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT arsak FROM bkm_leveranse "
                                  "WHERE melding_id = '%s' AND konto_id = "
                                  "'%s'",
                                  early, BKM_TEST_KONTO_PRINT),
                     "frist");
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "[5] BKM01202: escalation "
                                 "pass: 1 sent to letter post, 0 "
                                 "ciphertexts deleted after retention"));
    /* the later report is not due yet */
    ck_assert_str_eq(bkm_test_state(db, late), "AKSEPTERT");
    ck_assert_ptr_nonnull(bkm_test_sql(db,
                                       "SELECT frist FROM bkm_melding "
                                       "WHERE id = '%s'",
                                       late));
    /* again: nothing more */
    out = pass_at(frist + 1);
    ck_assert_int_eq(out.eskalert, 0);
    ck_assert_int_eq(bkm_test_events(db, early, "SENDT_PRINT"), 1);
}
END_TEST

/* A delivered report is never sent to letter post, whatever the time. */
START_TEST(delivered_is_not_escalated)
{
    const char *id = delivered(&fag, t0, t0 + 1);
    bkm_pass_t out = pass_at(t0 + 10 * DAY);

    ck_assert_int_eq(out.eskalert, 0);
    ck_assert_str_eq(bkm_test_state(db, id), "LEVERT");
    ck_assert_int_eq(bkm_test_events(db, id, "SENDT_PRINT"), 0);
}
END_TEST

/* Many due reports, read two at a time and written one a transaction:
 * every one of them. */
START_TEST(in_batches)
{
    apr_time_t frist = bkm_levering_deadline(&dpol, &fag, t0 + 4);
    bkm_pass_t out;
    int i;

    for (i = 0; i < 5; i++) {
        bkm_test_store(db, &dpol, &fag, t0 + i);
    }
    pol.select_limit = 2;
    pol.batch = 1;
    out = pass_at(frist);
    ck_assert_int_eq(out.eskalert, 5);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_melding WHERE "
                                    "tilstand = 'SENDT_PRINT'"),
                     5);
}
END_TEST

/* Issue 17: the pass orders print as sets, across several transactions
 * (batch 2 of 5); a report printed before and put back in the queue is
 * ordered again through its old job; every timeline chain holds. */
START_TEST(sets_chain_and_order_again)
{
    apr_time_t frist = bkm_levering_deadline(&dpol, &fag, t0 + 4);
    const char *first = NULL;
    bkm_kjede_sjekk_t sjekk;
    bkm_pass_t out;
    int i;

    for (i = 0; i < 5; i++) {
        const char *id = bkm_test_store(db, &dpol, &fag, t0 + i);
        first = first ? first : id;
    }
    pol.batch = 2;
    out = pass_at(frist);
    ck_assert_int_eq(out.eskalert, 5);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_hendelse WHERE "
                                    "hendelse = 'SENDT_PRINT' AND nr = 2"),
                     5);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "konto_id = '%s' AND arsak = 'frist'",
                                    BKM_TEST_KONTO_PRINT),
                     5);
    /* printed, then back in the queue (as a failed check does) */
    bkm_test_sql(db,
                 "UPDATE bkm_leveranse SET svar = 'mottatt', svar_tid = 1 "
                 "WHERE melding_id = '%s' AND mottaker = 'print'",
                 first);
    bkm_test_sql(db,
                 "UPDATE bkm_melding SET tilstand = 'AKSEPTERT', frist = "
                 "%" APR_TIME_T_FMT " WHERE id = '%s'",
                 frist + 1, first);
    out = pass_at(frist + 2);
    ck_assert_int_eq(out.eskalert, 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "melding_id = '%s' AND mottaker = "
                                    "'print' AND svar IS NULL",
                                    first),
                     1);
    ck_assert_int_eq(bkm_test_events(db, first, "SENDT_PRINT"), 2);
    ck_assert_int_eq(bkm_kjede_verify(db, NULL, &sjekk), APR_SUCCESS);
    ck_assert_msg(sjekk.ok, "chain broken: %s", sjekk.grunn);
    ck_assert_int_eq(sjekk.hendelser, 5 * 2 + 1);
}
END_TEST

/* Issue 17: retention as sets, one report to a transaction: the hold
 * looks at the oldest due one, the claim takes the oldest not held -- it
 * must check the hold's condition itself, or it would delete a report
 * beyond the hold's look that a reconciliation has not confirmed. */
START_TEST(retention_in_sets_holds_unconfirmed)
{
    apr_time_t now = t0 + 60 * DAY;
    const char *a = delivered(&fag, t0, t0 + 1); /* unconfirmed */
    const char *c = delivered(&fag, t0, t0 + 2); /* unconfirmed */
    const char *b = delivered(&man, t0, t0 + 3);
    const char *d = delivered(&man, t0, t0 + 4);
    bkm_kjede_sjekk_t sjekk;
    bkm_pass_t out;

    pol.batch = 1;
    out = pass_at(now);
    ck_assert_int_eq(out.slettet, 2);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id IN ('%s', '%s')",
                                    a, c),
                     4);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id IN ('%s', '%s')",
                                    b, d),
                     0);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_melding WHERE "
                                    "avstemming = 1 AND slettet IS NULL"),
                     2);
    ck_assert_int_eq(bkm_test_events(db, b, "SLETTET"), 1);
    ck_assert_int_eq(bkm_test_events(db, d, "SLETTET"), 1);
    ck_assert_int_eq(bkm_test_events(db, a, "SLETTET"), 0);
    ck_assert_int_eq(bkm_kjede_verify(db, NULL, &sjekk), APR_SUCCESS);
    ck_assert_msg(sjekk.ok, "chain broken: %s", sjekk.grunn);
}
END_TEST

/* Retention: ciphertexts of what was delivered more than the period ago
 * go (metadata and timeline stay); younger ones stay. */
START_TEST(retention)
{
    apr_time_t now = t0 + 60 * DAY;
    const char *old = delivered(&man, t0, now - pol.retention - 1);
    const char *young = delivered(&man, t0, now - pol.retention + DAY);
    bkm_pass_t out;

    bkm_test_log_reset();
    out = pass_at(now);
    ck_assert_int_eq(out.slettet, 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    old),
                     0);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT slettet FROM bkm_melding "
                                  "WHERE id = '%s'",
                                  old),
                     apr_off_t_toa(bkm_test_pool, now));
    ck_assert_int_eq(bkm_test_events(db, old, "SLETTET"), 1);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT beskrivelse FROM bkm_hendelse "
                                  "WHERE melding_id = '%s' AND hendelse = "
                                  "'SLETTET'",
                                  old),
                     "Chiffertekst slettet 30 dager etter levering");
    ck_assert_str_eq(bkm_test_state(db, old), "LEVERT");
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    young),
                     2);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "BKM01202: escalation "
                                 "pass: 0 sent to letter post, 1 "
                                 "ciphertexts deleted"));
    /* not twice */
    out = pass_at(now + 1);
    ck_assert_int_eq(out.slettet, 0);
    ck_assert_int_eq(bkm_test_events(db, old, "SLETTET"), 1);
}
END_TEST

/* A case system's delivery stays until a reconciliation confirmed it
 * (issue 12): held past its retention, then deleted once confirmed. */
START_TEST(retention_waits_for_reconciliation)
{
    apr_time_t now = t0 + 60 * DAY;
    const char *id = delivered(&fag, t0, t0 + 1);
    bkm_pass_t out;

    out = pass_at(now);
    ck_assert_int_eq(out.slettet, 0);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    id),
                     2);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT avstemming FROM bkm_melding "
                                  "WHERE id = '%s'",
                                  id),
                     "1");
    /* the account confirms it: released, then deleted */
    bkm_test_sql(db,
                 "INSERT INTO bkm_avstemt (konto_id, til) VALUES "
                 "('%s', %" APR_TIME_T_FMT ")",
                 BKM_TEST_KONTO, t0 + DAY);
    bkm_test_sql(db, "UPDATE bkm_melding SET avstemming = 0 WHERE id = '%s'",
                 id);
    out = pass_at(now + 1);
    ck_assert_int_eq(out.slettet, 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    id),
                     0);
}
END_TEST

/* What needs a person is counted and said every pass: reports flagged
 * for follow-up, and reports undelivered after the retention period. */
START_TEST(alerts)
{
    apr_time_t now = t0 + 60 * DAY;
    const char *id = bkm_test_store(db, &dpol, &fag, t0);
    bkm_pass_t out;

    bkm_test_store(db, &dpol, &fag, now - DAY); /* young, undelivered */
    bkm_test_sql(db, "UPDATE bkm_melding SET oppfolging = 1 WHERE id = '%s'",
                 id);
    bkm_test_log_reset();
    out = pass_at(now);
    ck_assert_int_eq(out.oppfolging, 1);
    ck_assert_int_eq(out.uavklart, 1);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "[4] BKM01203: ALERT: 1 "
                                 "reports need manual follow-up (the print "
                                 "provider could not print them); 1 reports "
                                 "are still undelivered after the retention "
                                 "period"));
    bkm_test_log_reset();
    out = pass_at(now + 1);
    ck_assert_int_eq(out.uavklart, 1);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(), "BKM01203: ALERT"));
}
END_TEST

/* Receipt copies and drafts past their hour, and integrations' expired
 * idempotency keys, are gone. */
START_TEST(expired_web_and_keys)
{
    static const unsigned char key[32] = { 7 };
    bkm_sealed_t c[2];
    bkm_melding_t m;
    bkm_pass_t out;
    int n;

    bkm_test_sealed(c, &n);
    bkm_test_melding(&m, &fag, t0);
    m.kopi_nokkel = key;
    m.kopi_utloper = t0 + 3600;
    m.integrasjon_id = "i0000000-0000-4000-8000-000000000001";
    m.idempotensnokkel = "k";
    m.idempotens_fingeravtrykk = "fp";
    ck_assert_int_eq(bkm_lagring_melding(db, &dpol, &m, c, n), APR_SUCCESS);
    bkm_test_sql(db,
                 "INSERT INTO bkm_utkast (id, innhold, utloper, eier) "
                 "VALUES ('u1', X'00', %" APR_TIME_T_FMT ", 'e')",
                 t0 + 1);
    out = pass_at(t0 + apr_time_from_sec(7200));
    ck_assert_int_eq(out.utlopt, 2);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_kopi"), 0);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_utkast"), 0);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT idempotensnokkel FROM "
                                  "bkm_melding WHERE id = '%s'",
                                  m.id),
                     "k");
    pass_at(t0 + BKM_IDEMPOTENCY_TTL + 1);
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT idempotensnokkel FROM "
                                    "bkm_melding WHERE id = '%s'",
                                    m.id));
}
END_TEST

static int order[4], norder;

static apr_status_t step(bkm_db_t *d, apr_time_t now, bkm_pass_t *out,
                         void *baton)
{
    order[norder++] = (int)(apr_uintptr_t)baton;
    out->kontroller += 1;
    return (apr_uintptr_t)baton == 9 ? APR_EGENERAL : APR_SUCCESS;
}

/* The caller's steps run after the pass's own, in order; one that fails
 * fails the pass, which says so. */
START_TEST(steps)
{
    bkm_pass_step_t steps[3] = { { step, (void *)1 },
                                 { step, (void *)2 },
                                 { step, (void *)9 } };
    bkm_pass_t out;

    norder = 0;
    pol.steps = steps;
    pol.nsteps = 2;
    out = pass_at(t0);
    ck_assert_int_eq(norder, 2);
    ck_assert(order[0] == 1 && order[1] == 2);
    ck_assert_int_eq(out.kontroller, 2);
    norder = 0;
    pol.nsteps = 3;
    pol.now = t0;
    bkm_test_log_reset();
    ck_assert_int_eq(bkm_eskalering_run(db, &pol, &out), APR_EGENERAL);
    ck_assert_int_eq(norder, 3);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "[3] BKM01201: escalation "
                                 "pass failed"));
}
END_TEST

Suite *bkm_suite_eskalering(void)
{
    Suite *s = suite_create("escalation");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, due_and_not_due);
    tcase_add_test(tc, delivered_is_not_escalated);
    tcase_add_test(tc, in_batches);
    tcase_add_test(tc, sets_chain_and_order_again);
    tcase_add_test(tc, retention_in_sets_holds_unconfirmed);
    tcase_add_test(tc, retention);
    tcase_add_test(tc, retention_waits_for_reconciliation);
    tcase_add_test(tc, alerts);
    tcase_add_test(tc, expired_web_and_keys);
    tcase_add_test(tc, steps);
    suite_add_tcase(s, tc);
    return s;
}
