/* SPDX-License-Identifier: Apache-2.0 */
/* The tamper-evident trail (bkm_kjede.c) on a real SQLite file: the hash
 * is the documented bytes' (known answers from Python's hashlib), events
 * and audit rows are chained, the walk names the first row edited or
 * deleted with SQL, anchors catch a timeline rewritten consistently, and
 * a head kept outside catches a rewrite of everything. */
#include "unit.h"
#include "bkm_kjede.h"

#include <string.h>
#include <apr_strings.h>

static bkm_db_t *db;
static bkm_bydel_t bydel;
static bkm_levering_policy_t pol;
static apr_time_t t0;
static const char *a, *b; /* two reports */

static void event(const char *id, const char *hendelse, const char *tekst)
{
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_end(db, bkm_event(db, id, t0 + 1000, hendelse,
                                              "AKSEPTERT", "test", tekst)),
                     APR_SUCCESS);
}

static void audit(const char *why)
{
    ck_assert_int_eq(bkm_kjede_revisjon(db, t0, "operator: Ola", "rolle",
                                        "0301", NULL, why),
                     APR_SUCCESS);
}

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("kjede");
    bkm_test_bydel(&bydel, BKM_KANAL_FAGSYSTEM);
    bkm_test_policy(&pol);
    t0 = bkm_test_utc(2026, 3, 2, 9, 0);
    a = bkm_test_store(db, &pol, &bydel, t0);
    b = bkm_test_store(db, &pol, &bydel, t0);
    event(a, "NOTAT", "første");
    event(a, "NOTAT", NULL);
    event(b, "NOTAT", "b");
    audit("én");
    audit("to");
    audit("tre");
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

static bkm_kjede_sjekk_t verify(const char *anker)
{
    bkm_kjede_sjekk_t s;

    ck_assert_int_eq(bkm_kjede_verify(db, anker, &s), APR_SUCCESS);
    return s;
}

START_TEST(hash_is_the_documented_bytes)
{
    const char *f[7] = { "m-1",       "1",    "1718000000000000", "AKSEPTERT",
                         "AKSEPTERT", "test", "Bl\xc3\xa5" };

    ck_assert_str_eq(bkm_kjede_hash(bkm_test_pool, "hendelse", f, 7,
                                    BKM_KJEDE_START),
                     "f52f0efabee0282ae731e6d717a20484"
                     "a1a57a7fab3e95e012f6305add43d8b9");
    f[6] = NULL;
    ck_assert_str_eq(bkm_kjede_hash(bkm_test_pool, "hendelse", f, 7,
                                    BKM_KJEDE_START),
                     "95a04bd47c0bdea21895183ee6175763"
                     "d9e763b229462e46ed2806ffc9823241");
    f[6] = ""; /* empty is NULL: pgsql gives "" for NULL */
    ck_assert_str_eq(bkm_kjede_hash(bkm_test_pool, "hendelse", f, 7,
                                    BKM_KJEDE_START),
                     "95a04bd47c0bdea21895183ee6175763"
                     "d9e763b229462e46ed2806ffc9823241");
}
END_TEST

START_TEST(chains_hold)
{
    bkm_kjede_sjekk_t s = verify(NULL);

    ck_assert_int_eq(s.ok, 1);
    ck_assert_int_eq(s.meldinger, 2);
    ck_assert_int_eq(s.hendelser, 5); /* AKSEPTERT + 2, AKSEPTERT + 1 */
    ck_assert_int_eq(s.revisjoner, 3);
    ck_assert_int_eq(s.hode_nr, 3);
    ck_assert_int_eq(s.ukjedet, 0);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_hendelse WHERE "
                                    "kjede IS NULL"),
                     0);
    /* each links to its predecessor */
    ck_assert_str_eq(bkm_test_sql(db,
                                  "SELECT kjede FROM bkm_revisjon "
                                  "WHERE nr = 3"),
                     bkm_test_sql(db, "SELECT hode FROM bkm_kjede"));
}
END_TEST

START_TEST(edited_event_is_named)
{
    bkm_kjede_sjekk_t s;

    bkm_test_sql(db,
                 "UPDATE bkm_hendelse SET beskrivelse = 'annet' WHERE "
                 "melding_id = '%s' AND nr = 2",
                 a);
    s = verify(NULL);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_str_eq(s.kjede, "hendelse");
    ck_assert_str_eq(s.melding_id, a);
    ck_assert_int_eq(s.nr, 2);
    ck_assert_ptr_nonnull(strstr(s.grunn, "changed"));
}
END_TEST

START_TEST(deleted_event_is_named)
{
    bkm_kjede_sjekk_t s;

    bkm_test_sql(db,
                 "DELETE FROM bkm_hendelse WHERE melding_id = '%s' "
                 "AND nr = 2",
                 a);
    s = verify(NULL);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_str_eq(s.melding_id, a);
    ck_assert_int_eq(s.nr, 2);
    ck_assert_ptr_nonnull(strstr(s.grunn, "missing"));
}
END_TEST

START_TEST(edited_and_deleted_audit_named)
{
    bkm_kjede_sjekk_t s;

    bkm_test_sql(db, "UPDATE bkm_revisjon SET aktor = 'noen' WHERE nr = 2");
    s = verify(NULL);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_str_eq(s.kjede, "revisjon");
    ck_assert_int_eq(s.nr, 2);
    bkm_test_sql(db,
                 "UPDATE bkm_revisjon SET aktor = 'operator: Ola' "
                 "WHERE nr = 2");
    ck_assert_int_eq(verify(NULL).ok, 1);
    /* the last row: the head says it was there */
    bkm_test_sql(db, "DELETE FROM bkm_revisjon WHERE nr = 3");
    s = verify(NULL);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_int_eq(s.nr, 3);
    ck_assert_ptr_nonnull(strstr(s.grunn, "head"));
}
END_TEST

/* Every hash of report @p id's timeline recomputed after an edit. */
static void rehash(const char *id)
{
    const char *prev = BKM_KJEDE_START;
    int nr, n = bkm_test_count(db,
                               "SELECT 1 FROM bkm_hendelse WHERE "
                               "melding_id = '%s'",
                               id);

    for (nr = 1; nr <= n; nr++) {
        const char *f[7], *h;
        int i;

        for (i = 0; i < 7; i++) {
            static const char *cols[7] = { "melding_id", "nr",
                                           "tidspunkt",  "tilstand",
                                           "hendelse",   "aktor",
                                           "beskrivelse" };
            f[i] = bkm_test_sql(db,
                                "SELECT %s FROM bkm_hendelse WHERE "
                                "melding_id = '%s' AND nr = %d",
                                cols[i], id, nr);
        }
        h = bkm_kjede_hash(bkm_test_pool, "hendelse", f, 7, prev);
        bkm_test_sql(db,
                     "UPDATE bkm_hendelse SET kjede = '%s' WHERE "
                     "melding_id = '%s' AND nr = %d",
                     h, id, nr);
        prev = h;
    }
}

START_TEST(anchor_catches_a_rewritten_timeline)
{
    bkm_kjede_sjekk_t s;
    apr_int64_t nr;
    const char *hode, *kept;
    int n;

    ck_assert_int_eq(bkm_kjede_anchor(db, t0, &n, &nr, &hode), APR_SUCCESS);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(nr, 4);
    ck_assert_int_eq(bkm_test_count(db,
                                    "SELECT 1 FROM bkm_revisjon WHERE "
                                    "handling = 'KJEDEANKER'"),
                     1);
    /* nothing new: nothing written */
    ck_assert_int_eq(bkm_kjede_anchor(db, t0, &n, &nr, &hode), APR_SUCCESS);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(nr, 4);
    kept = apr_psprintf(bkm_test_pool, "%d:%s", (int)nr, hode);
    s = verify(kept);
    ck_assert_int_eq(s.ok, 1);
    ck_assert_int_eq(s.ankre, 1);

    /* a timeline edited and its chain rewritten to match */
    bkm_test_sql(db,
                 "UPDATE bkm_hendelse SET beskrivelse = 'annet' WHERE "
                 "melding_id = '%s' AND nr = 2",
                 a);
    rehash(a);
    s = verify(NULL);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_str_eq(s.kjede, "revisjon");
    ck_assert_int_eq(s.nr, 4);
    ck_assert_ptr_nonnull(strstr(s.grunn, "anchor"));
    /* malformed anchors kept outside */
    ck_assert_int_eq(bkm_kjede_verify(db, "4", &s), APR_EINVAL);
    ck_assert_int_eq(bkm_kjede_verify(db, "x:00", &s), APR_EINVAL);
}
END_TEST

START_TEST(outside_head_catches_a_rewritten_audit)
{
    bkm_kjede_sjekk_t s;
    const char *kept, *f[8], *prev = BKM_KJEDE_START, *h = NULL;
    int nr, i;

    kept = apr_psprintf(
        bkm_test_pool, "2:%s",
        bkm_test_sql(db, "SELECT kjede FROM bkm_revisjon WHERE nr = 2"));
    ck_assert_int_eq(verify(kept).ok, 1);
    /* row 1 changed and every hash after it recomputed, the head too */
    bkm_test_sql(db,
                 "UPDATE bkm_revisjon SET begrunnelse = 'x' WHERE "
                 "nr = 1");
    for (nr = 1; nr <= 3; nr++) {
        static const char *cols[8] = { "nr",         "id",
                                       "tidspunkt",  "aktor",
                                       "handling",   "kommunenummer",
                                       "melding_id", "begrunnelse" };
        for (i = 0; i < 8; i++) {
            f[i] = bkm_test_sql(db,
                                "SELECT %s FROM bkm_revisjon WHERE "
                                "nr = %d",
                                cols[i], nr);
        }
        h = bkm_kjede_hash(bkm_test_pool, "revisjon", f, 8, prev);
        bkm_test_sql(db,
                     "UPDATE bkm_revisjon SET kjede = '%s' WHERE "
                     "nr = %d",
                     h, nr);
        prev = h;
    }
    bkm_test_sql(db, "UPDATE bkm_kjede SET hode = '%s'", h);
    ck_assert_int_eq(verify(NULL).ok, 1); /* consistent inside */
    s = verify(kept);
    ck_assert_int_eq(s.ok, 0);
    ck_assert_int_eq(s.nr, 2);
    ck_assert_ptr_nonnull(strstr(s.grunn, "outside"));
}
END_TEST

Suite *bkm_suite_kjede(void)
{
    Suite *s = suite_create("kjede");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hash_is_the_documented_bytes);
    tcase_add_test(tc, chains_hold);
    tcase_add_test(tc, edited_event_is_named);
    tcase_add_test(tc, deleted_event_is_named);
    tcase_add_test(tc, edited_and_deleted_audit_named);
    tcase_add_test(tc, anchor_catches_a_rewritten_timeline);
    tcase_add_test(tc, outside_head_catches_a_rewritten_audit);
    suite_add_tcase(s, tc);
    return s;
}
