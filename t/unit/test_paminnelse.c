/* SPDX-License-Identifier: Apache-2.0 */
/* Reminders before letter post (bkm_paminnelse.c) on a real SQLite file,
 * with a fixed now and a sender that records what it was given: due at
 * the share of the deadline and not before, once per report and
 * deadline, claimed against another node, retried after a failed mail,
 * none for a district without a contact, and letter post unchanged. */
#include "unit.h"
#include "bkm_paminnelse.h"
#include "bkm_eskalering.h"

#include <string.h>
#include <apr_strings.h>

static bkm_db_t *db;
static bkm_bydel_t fag, uten;
static bkm_kommune_t kommune;
static bkm_registry_t reg;
static bkm_levering_policy_t dpol;
static bkm_paminnelse_policy_t pol;
static apr_time_t t0;

#define HOUR apr_time_from_sec(3600)

/* What the sender was asked, and what it answers. */
static int calls;
static apr_status_t answer;
static bkm_paminnelse_t last;

static apr_status_t record(void *baton, const bkm_paminnelse_t *p,
                           apr_pool_t *pool)
{
    calls++;
    last = *p;
    last.melding_id = apr_pstrdup(bkm_test_pool, p->melding_id);
    last.referanse = apr_pstrdup(bkm_test_pool, p->referanse);
    return answer;
}

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("paminnelse");
    bkm_test_bydel(&fag, BKM_KANAL_FAGSYSTEM);
    bkm_test_bydel(&uten, BKM_KANAL_MANUELL);
    memset(&kommune, 0, sizeof(kommune));
    kommune.nummer = "0301";
    kommune.navn = "Oslo";
    kommune.aktiv = 1;
    kommune.bydeler = apr_array_make(bkm_test_pool, 2,
                                     sizeof(const bkm_bydel_t *));
    fag.kommune = uten.kommune = &kommune;
    fag.kontakt_epost = "barnevern@oslo.example";
    uten.nummer = "02";
    APR_ARRAY_PUSH(kommune.bydeler, const bkm_bydel_t *) = &fag;
    APR_ARRAY_PUSH(kommune.bydeler, const bkm_bydel_t *) = &uten;
    memset(&reg, 0, sizeof(reg));
    reg.kommuner = apr_array_make(bkm_test_pool, 1,
                                  sizeof(const bkm_kommune_t *));
    APR_ARRAY_PUSH(reg.kommuner, const bkm_kommune_t *) = &kommune;
    reg.kommune_by_nr = apr_hash_make(bkm_test_pool);
    apr_hash_set(reg.kommune_by_nr, "0301", APR_HASH_KEY_STRING, &kommune);
    bkm_test_policy(&dpol);
    t0 = bkm_test_utc(2026, 3, 2, 9, 0); /* a Monday */
    memset(&pol, 0, sizeof(pol));
    pol.registry = &reg;
    pol.delivery = &dpol;
    pol.prosent = 75;
    pol.select_limit = BKM_PASS_SELECT;
    pol.send = record;
    calls = 0;
    answer = APR_SUCCESS;
    memset(&last, 0, sizeof(last));
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

static int run_at(apr_time_t now, int *feilet)
{
    int sendt = -1, f = -1;

    ck_assert_int_eq(bkm_paminnelse_run(db, &pol, now, &sendt, &f),
                     APR_SUCCESS);
    ck_assert_int_eq(db->in_tx, 0);
    if (feilet) {
        *feilet = f;
    }
    return sendt;
}

/* 40 business hours over whole working days: the last 10 are left at
 * 75 %; over a weekend the bound moves past it. */
START_TEST(bound)
{
    apr_time_t fri = bkm_test_utc(2026, 3, 6, 9, 0);

    ck_assert(bkm_paminnelse_bound(&dpol, &fag, 75, t0) == t0 + 10 * HOUR);
    ck_assert(bkm_paminnelse_bound(&dpol, &fag, 50, t0) == t0 + 20 * HOUR);
    /* Friday 10:00 in Oslo: 14 hours of Friday, then Monday */
    ck_assert(bkm_paminnelse_bound(&dpol, &fag, 75, fri) == fri + 10 * HOUR);
    ck_assert(bkm_paminnelse_bound(&dpol, &fag, 50, fri)
              == fri + 20 * HOUR + 48 * HOUR);
}
END_TEST

START_TEST(due_once)
{
    const char *id = bkm_test_store(db, &dpol, &fag, t0);
    apr_time_t frist = bkm_levering_deadline(&dpol, &fag, t0);
    bkm_pass_policy_t ep;
    bkm_pass_t out;
    int feilet;

    ck_assert(frist == t0 + 40 * HOUR);
    /* before 75 %: nothing */
    ck_assert_int_eq(run_at(t0 + 30 * HOUR - 1, NULL), 0);
    ck_assert_int_eq(calls, 0);
    /* at 75 %: one, with what the mail may name */
    bkm_test_log_reset();
    ck_assert_int_eq(run_at(t0 + 30 * HOUR, &feilet), 1);
    ck_assert_int_eq(feilet, 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(last.melding_id, id);
    ck_assert_str_eq(last.referanse,
                     bkm_test_sql(db,
                                  "SELECT referanse "
                                  "FROM bkm_melding WHERE id = '%s'",
                                  id));
    ck_assert(last.frist == frist);
    ck_assert_ptr_eq(last.bydel, &fag);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 1);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT beskrivelse FROM bkm_hendelse "
                                  "WHERE melding_id = '%s' AND hendelse = "
                                  "'PAMINNELSE_SENDT'",
                                  id),
                     "Påminnelse sendt på e-post til bydelens "
                     "kontaktadresse: ikke bekreftet mottatt, frist "
                     "04.03.2026 kl. 02:00");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT tilstand FROM bkm_hendelse "
                                  "WHERE melding_id = '%s' AND hendelse = "
                                  "'PAMINNELSE_SENDT'",
                                  id),
                     "AKSEPTERT");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT paminnelse_sendt FROM "
                                  "bkm_melding WHERE id = '%s'",
                                  id),
                     apr_off_t_toa(bkm_test_pool, t0 + 30 * HOUR));
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "BKM05401: reminders "
                                 "before letter post: 1 sent, 0 failed"));
    /* later passes: not again */
    ck_assert_int_eq(run_at(t0 + 31 * HOUR, NULL), 0);
    ck_assert_int_eq(run_at(frist - 1, NULL), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 1);
    ck_assert_str_eq(bkm_test_state(db, id), "AKSEPTERT");
    /* letter post at the deadline, as ever */
    memset(&ep, 0, sizeof(ep));
    ep.delivery = &dpol;
    ep.now = frist;
    ep.retention = apr_time_from_sec(30 * 86400);
    ep.select_limit = BKM_PASS_SELECT;
    ep.batch = BKM_PASS_BATCH;
    ck_assert_int_eq(bkm_eskalering_run(db, &ep, &out), APR_SUCCESS);
    ck_assert_int_eq(out.eskalert, 1);
    ck_assert_str_eq(bkm_test_state(db, id), "SENDT_PRINT");
    ck_assert_int_eq(run_at(frist + 1, NULL), 0);
}
END_TEST

/* A failed mail is not recorded and is tried again next pass. */
START_TEST(failed_mail_retried)
{
    const char *id = bkm_test_store(db, &dpol, &fag, t0);
    int feilet;

    answer = APR_EGENERAL;
    bkm_test_log_reset();
    ck_assert_int_eq(run_at(t0 + 30 * HOUR, &feilet), 0);
    ck_assert_int_eq(feilet, 1);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 0);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "BKM05400: reminder for "
                                 "report "));
    ck_assert_ptr_null(bkm_test_sql(db,
                                    "SELECT paminnelse FROM bkm_melding "
                                    "WHERE id = '%s'",
                                    id));
    answer = APR_SUCCESS;
    ck_assert_int_eq(run_at(t0 + 31 * HOUR, &feilet), 1);
    ck_assert_int_eq(feilet, 0);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 1);
}
END_TEST

/* Another node's claim holds: this one sends nothing, until the claim's
 * node would have had to be dead for the lease. */
START_TEST(claimed_elsewhere)
{
    const char *id = bkm_test_store(db, &dpol, &fag, t0);
    apr_time_t t = t0 + 30 * HOUR;

    bkm_test_sql(db,
                 "UPDATE bkm_melding SET paminnelse = frist, "
                 "paminnelse_tid = %" APR_TIME_T_FMT " WHERE id = '%s'",
                 t, id);
    ck_assert_int_eq(run_at(t, NULL), 0);
    ck_assert_int_eq(run_at(t + BKM_PAMINNELSE_LEASE - 1, NULL), 0);
    ck_assert_int_eq(calls, 0);
    ck_assert_int_eq(run_at(t + BKM_PAMINNELSE_LEASE, NULL), 1);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 1);
}
END_TEST

/* A new deadline (put back in the queue) gets a reminder of its own. */
START_TEST(new_deadline)
{
    const char *id = bkm_test_store(db, &dpol, &fag, t0);
    apr_time_t ny = t0 + 80 * HOUR;

    ck_assert_int_eq(run_at(t0 + 30 * HOUR, NULL), 1);
    bkm_test_sql(db,
                 "UPDATE bkm_melding SET frist = %" APR_TIME_T_FMT
                 " WHERE id = '%s'",
                 ny, id);
    ck_assert_int_eq(run_at(ny - 10 * HOUR - 1, NULL), 0);
    ck_assert_int_eq(run_at(ny - 10 * HOUR, NULL), 1);
    ck_assert(last.frist == ny);
    ck_assert_int_eq(bkm_test_events(db, id, BKM_PAMINNELSE_EVENT), 2);
}
END_TEST

/* No contact, no reminder; off, none at all; delivered, none. */
START_TEST(none)
{
    const char *a = bkm_test_store(db, &dpol, &uten, t0);
    const char *b;

    ck_assert_int_eq(run_at(t0 + 47 * HOUR, NULL), 0);
    ck_assert_int_eq(bkm_test_events(db, a, BKM_PAMINNELSE_EVENT), 0);
    pol.prosent = 0;
    b = bkm_test_store(db, &dpol, &fag, t0);
    ck_assert_int_eq(run_at(t0 + 39 * HOUR, NULL), 0);
    pol.prosent = 75;
    bkm_test_sql(db, "UPDATE bkm_melding SET levert = 1 WHERE id = '%s'", b);
    ck_assert_int_eq(run_at(t0 + 39 * HOUR, NULL), 0);
    ck_assert_int_eq(calls, 0);
}
END_TEST

/* Many due, read two at a time: every one, once. */
START_TEST(pages)
{
    int i;

    for (i = 0; i < 5; i++) {
        bkm_test_store(db, &dpol, &fag, t0 + (i % 2));
    }
    pol.select_limit = 2;
    ck_assert_int_eq(run_at(t0 + 31 * HOUR, NULL), 5);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_hendelse WHERE "
                                    "hendelse = 'PAMINNELSE_SENDT'"),
                     5);
    ck_assert_int_eq(run_at(t0 + 32 * HOUR, NULL), 0);
}
END_TEST

Suite *bkm_suite_paminnelse(void)
{
    Suite *s = suite_create("paminnelse");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bound);
    tcase_add_test(tc, due_once);
    tcase_add_test(tc, failed_mail_retried);
    tcase_add_test(tc, claimed_elsewhere);
    tcase_add_test(tc, new_deadline);
    tcase_add_test(tc, none);
    tcase_add_test(tc, pages);
    suite_add_tcase(s, tc);
    return s;
}
