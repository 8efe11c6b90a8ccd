/* SPDX-License-Identifier: Apache-2.0 */
/* The store (bkm_lagring.c) on a real SQLite file: a report is stored whole
 * or not at all; an idempotency key answers the request it came with, and
 * only that one. */
#include "unit.h"
#include "bkm_digest.h"
#include "bkm_box.h"
#include "bkm_kjede.h"

#include <string.h>
#include <apr_strings.h>
#include <sqlite3.h>

static bkm_db_t *db;
static bkm_bydel_t bydel;
static bkm_levering_policy_t pol;
static apr_time_t t0;

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("store");
    bkm_test_bydel(&bydel, BKM_KANAL_FAGSYSTEM);
    bkm_test_policy(&pol);
    t0 = bkm_test_utc(2026, 3, 2, 9, 0); /* a Monday */
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

/* Every statement of the core prepares (bkm_test_db asserts it), and no
 * label is used twice: the glue hands them all to mod_dbd by label. */
START_TEST(statements_have_one_label_each)
{
    apr_hash_t *seen = apr_hash_make(bkm_test_pool);
    int i, j, n = 0;

    for (i = 0; bkm_core_sql[i]; i++) {
        for (j = 0; bkm_core_sql[i][j].label; j++) {
            const char *l = bkm_core_sql[i][j].label;
            ck_assert_msg(!apr_hash_get(seen, l, APR_HASH_KEY_STRING),
                          "label %s twice", l);
            apr_hash_set(seen, l, APR_HASH_KEY_STRING, l);
            ck_assert_ptr_nonnull(apr_hash_get(db->prepared, l,
                                               APR_HASH_KEY_STRING));
            n++;
        }
    }
    ck_assert_int_ge(n, 30);
}
END_TEST

START_TEST(stored_whole)
{
    bkm_sealed_t c[2];
    bkm_melding_t m;
    bkm_leveranse_t l;
    int n;

    bkm_test_melding(&m, &bydel, t0);
    bkm_test_sealed(c, &n);
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_state(db, m.id), "AKSEPTERT");
    /* its deadline is the policy's, in business time */
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT frist FROM bkm_melding WHERE "
                                  "id = '%s'",
                                  m.id),
                     apr_off_t_toa(bkm_test_pool,
                                   bkm_levering_deadline(&pol, &bydel, t0)));
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT kanal FROM bkm_melding WHERE "
                                  "id = '%s'",
                                  m.id),
                     "fagsystem");
    ck_assert_int_eq(bkm_test_events(db, m.id, "AKSEPTERT"), 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    m.id),
                     2);
    /* one message, for the district's account, its ciphertext intact */
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_leveranse WHERE "
                                    "melding_id = '%s'",
                                    m.id),
                     1);
    bkm_test_load(db, BKM_TEST_KONTO, m.id, &l);
    ck_assert_str_eq(l.mottaker, "fagsystem");
    ck_assert_str_eq(l.sha256,
                     bkm_sha256_hex(bkm_test_pool, c[0].data, c[0].len));
    ck_assert_int_eq((int)l.storrelse, (int)c[0].len);
    ck_assert_int_eq(bkm_leveranse_load(db, BKM_TEST_KONTO, l.id, 1, &l),
                     APR_SUCCESS);
    ck_assert_int_eq((int)l.innhold_len, (int)c[0].len);
    ck_assert(memcmp(l.innhold, c[0].data, c[0].len) == 0);
    ck_assert_int_eq(l.hentet, 0);
    ck_assert_ptr_null(l.svar);
}
END_TEST

/* The district's own svarfrist wins over the policy's. */
START_TEST(district_deadline)
{
    const char *id;

    bydel.svarfrist = apr_time_from_sec(4 * 3600);
    id = bkm_test_store(db, &pol, &bydel, t0);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT frist FROM bkm_melding WHERE "
                                  "id = '%s'",
                                  id),
                     apr_off_t_toa(bkm_test_pool, t0 + bydel.svarfrist));
}
END_TEST

static void keyed(bkm_melding_t *m, const char *body)
{
    bkm_test_melding(m, &bydel, t0);
    m->kilde = "produsent";
    m->integrasjon_id = "i0000000-0000-4000-8000-000000000001";
    m->idempotensnokkel = "nokkel-1";
    m->idempotens_fingeravtrykk =
        bkm_idempotency_fingerprint(bkm_test_pool, "POST",
                                    "/bekymringsmelding/api/v2/mottak",
                                    bkm_sha256_hex(bkm_test_pool, body,
                                                   strlen(body)));
}

START_TEST(idempotent_repeat)
{
    bkm_sealed_t c[2];
    bkm_melding_t m, again;
    int n;

    bkm_test_sealed(c, &n);
    keyed(&m, "the same body");
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    keyed(&again, "the same body");
    ck_assert_str_ne(again.id, m.id);
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &again, c, n), APR_EEXIST);
    /* answered with the first report, nothing stored again */
    ck_assert_str_eq(again.id, m.id);
    ck_assert_str_eq(again.referanse, m.referanse);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_melding"), 1);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT idempotens_utloper FROM "
                                  "bkm_melding WHERE id = '%s'",
                                  m.id),
                     apr_off_t_toa(bkm_test_pool, t0 + BKM_IDEMPOTENCY_TTL));
}
END_TEST

START_TEST(key_reused_for_another_request)
{
    bkm_sealed_t c[2];
    bkm_melding_t m, other;
    const char *mine;
    int n;

    bkm_test_sealed(c, &n);
    keyed(&m, "the first body");
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    keyed(&other, "another body");
    mine = other.id;
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &other, c, n),
                     APR_EMISMATCH);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_melding"), 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_melding WHERE "
                                    "id = '%s'",
                                    mine),
                     0);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    mine),
                     0);
}
END_TEST

/* The web form's one-time token: the same form twice is one report. */
START_TEST(form_token_repeat)
{
    bkm_sealed_t c[2];
    bkm_melding_t m, again;
    int n;

    bkm_test_sealed(c, &n);
    bkm_test_melding(&m, &bydel, t0);
    m.idempotensnokkel = "skjema-token";
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    bkm_test_melding(&again, &bydel, t0);
    again.idempotensnokkel = "skjema-token";
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &again, c, n), APR_EEXIST);
    ck_assert_str_eq(again.id, m.id);
}
END_TEST

/* A reference number already taken fails the insert like any error: the
 * database failure is the documented status, nothing is kept, and the
 * store said so in the log (the caller draws a new number). */
START_TEST(nothing_kept_on_failure)
{
    bkm_sealed_t c[2];
    bkm_melding_t m, clash;
    int n;

    bkm_test_sealed(c, &n);
    bkm_test_melding(&m, &bydel, t0);
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    bkm_test_melding(&clash, &bydel, t0);
    clash.referanse = m.referanse;
    bkm_test_log_reset();
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &clash, c, n),
                     APR_EGENERAL);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_melding"), 1);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_chiffer WHERE "
                                    "melding_id = '%s'",
                                    clash.id),
                     0);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_hendelse WHERE "
                                    "melding_id = '%s'",
                                    clash.id),
                     0);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(), "BKM00601: storing report"));
    ck_assert_ptr_nonnull(strstr(bkm_test_log(), "BKM00602: report"));
    ck_assert_int_eq(db->in_tx, 0);
}
END_TEST

/* The reporter's receipt: the key's hash and the sealed PDF; the proof
 * of possession's secret. */
START_TEST(copy_and_secret)
{
    static const unsigned char key[BKM_BOX_KEY] = { 1, 2, 3 };
    bkm_sealed_t c[2];
    bkm_melding_t m;
    int n;

    bkm_test_sealed(c, &n);
    bkm_test_melding(&m, &bydel, t0);
    m.kopi_nokkel = key;
    m.kopi_pdf = 1;
    m.kopi = (const unsigned char *)"sealed\0pdf";
    m.kopi_len = 10;
    m.kopi_utloper = t0 + apr_time_from_sec(3600);
    m.besittelse = "ab";
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, &m, c, n), APR_SUCCESS);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT nokkel_sha256 FROM bkm_kopi "
                                  "WHERE melding_id = '%s'",
                                  m.id),
                     bkm_sha256_hex(bkm_test_pool, key, BKM_BOX_KEY));
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT length(innhold) FROM bkm_kopi "
                                  "WHERE melding_id = '%s'",
                                  m.id),
                     "10");
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT hemmelighet FROM "
                                  "bkm_besittelse WHERE melding_id = '%s'",
                                  m.id),
                     "ab");
}
END_TEST

/* Issue 17, item 5: the round trips of one stored report.  Counted by
 * SQLite itself (each statement run, as the connection sees it): the
 * intake's own transaction, nothing more. */
static int trace_count(unsigned type, void *ctx, void *stmt, void *sql)
{
    const char *text = sqlite3_sql(stmt);

    if (text && strncmp(text, "--", 2) != 0) { /* not a trigger's line */
        (*(int *)ctx)++;
    }
    return 0;
}

static int statements_of(bkm_melding_t *m, bkm_sealed_t *c, int n)
{
    sqlite3 *h = apr_dbd_native_handle(db->drv, db->handle);
    int count = 0;

    sqlite3_trace_v2(h, SQLITE_TRACE_STMT, trace_count, &count);
    ck_assert_int_eq(bkm_lagring_melding(db, &pol, m, c, n), APR_SUCCESS);
    sqlite3_trace_v2(h, 0, NULL, NULL);
    return count;
}

START_TEST(statements_per_report)
{
    bkm_sealed_t c[2];
    bkm_melding_t m, k;
    bkm_kjede_sjekk_t s;
    int n;

    bkm_test_sealed(c, &n);
    ck_assert_int_eq(n, 2);
    /* BEGIN, the report, its two ciphertexts, its delivery, its first
     * event, COMMIT: no query for the chain's last event (a new report
     * has none). */
    bkm_test_melding(&m, &bydel, t0);
    m.besittelse = NULL;
    ck_assert_int_eq(statements_of(&m, c, n), 7);
    /* With an idempotency key: the look-up first, and the key's
     * fingerprint and expiry in the report's own INSERT (no UPDATE). */
    keyed(&k, "a body");
    k.besittelse = NULL;
    ck_assert_int_eq(statements_of(&k, c, n), 8);
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT idempotens_fingeravtrykk FROM "
                                  "bkm_melding WHERE id = '%s'",
                                  k.id),
                     k.idempotens_fingeravtrykk);
    /* and each report's chain starts as a chain must */
    ck_assert_int_eq(bkm_kjede_verify(db, NULL, &s), APR_SUCCESS);
    ck_assert_int_eq(s.ok, 1);
    ck_assert_int_eq(s.meldinger, 2);
}
END_TEST

Suite *bkm_suite_lagring(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, statements_have_one_label_each);
    tcase_add_test(tc, stored_whole);
    tcase_add_test(tc, district_deadline);
    tcase_add_test(tc, idempotent_repeat);
    tcase_add_test(tc, key_reused_for_another_request);
    tcase_add_test(tc, form_token_repeat);
    tcase_add_test(tc, nothing_kept_on_failure);
    tcase_add_test(tc, copy_and_secret);
    tcase_add_test(tc, statements_per_report);
    suite_add_tcase(s, tc);
    return s;
}
