/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the httpd-free core, with Check. */
#ifndef BKM_UNIT_H
#define BKM_UNIT_H

#include <check.h>
#include <apr_pools.h>
#include <apr_time.h>

/* Every suite, one a component: each test_*.c defines one, and main.c runs
 * them all from one table.  Plain declarations, on purpose: a suite whose
 * file is missing or misnamed fails the link instead of being skipped, and
 * `make unit` refuses a suite defined but left out of the table. */
Suite *bkm_suite_duration(void);
Suite *bkm_suite_registry(void);
Suite *bkm_suite_migrate(void);
Suite *bkm_suite_time(void);
Suite *bkm_suite_format(void);
Suite *bkm_suite_multipart(void);
Suite *bkm_suite_calendar(void);
Suite *bkm_suite_token(void);
Suite *bkm_suite_levering(void);
Suite *bkm_suite_jsonschema(void);
Suite *bkm_suite_pdf(void);
Suite *bkm_suite_cms(void);
Suite *bkm_suite_asice(void);
Suite *bkm_suite_printjob(void);
Suite *bkm_suite_lagringskvittering(void);
Suite *bkm_suite_besittelse(void);
Suite *bkm_suite_html(void);
Suite *bkm_suite_skjema(void);
Suite *bkm_suite_roles(void);
Suite *bkm_suite_statuskode(void);
Suite *bkm_suite_box(void);
Suite *bkm_suite_dbtx(void);
Suite *bkm_suite_digest(void);
Suite *bkm_suite_i18n(void);
Suite *bkm_suite_ids(void);
Suite *bkm_suite_seal(void);
Suite *bkm_suite_utf8(void);
Suite *bkm_suite_xml(void);
Suite *bkm_suite_db(void);
Suite *bkm_suite_lagring(void);
Suite *bkm_suite_leveranse(void);
Suite *bkm_suite_eskalering(void);
Suite *bkm_suite_paminnelse(void);
Suite *bkm_suite_route(void);
Suite *bkm_suite_sertifikat(void);
Suite *bkm_suite_kjede(void);
Suite *bkm_suite_prom(void);
Suite *bkm_suite_felt(void);
Suite *bkm_suite_static(void);

/** A pool for one test, destroyed by the fixture. */
extern apr_pool_t *bkm_test_pool;
void bkm_test_pool_setup(void);
void bkm_test_pool_teardown(void);

/** A fresh temporary directory for this test run (made once). */
const char *bkm_test_dir(void);

/* files.c: for tests that check output with command-line tools */
/** system() of a formatted command; its exit status. */
int bkm_test_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** In @p dir (made if need be), a self-signed RSA certificate NAME.pem
 *  and its key NAME.key for each of the NULL-terminated @p names. */
void bkm_test_make_certs(const char *dir, const char *const *names);
void bkm_test_put(const char *dir, const char *name, const void *data,
                  apr_size_t len);
/** A whole file, NUL-terminated, from bkm_test_pool. */
char *bkm_test_slurp(const char *dir, const char *name, apr_size_t *len);
/** A UTC date and time as apr_time_t. */
apr_time_t bkm_test_utc(int y, int mo, int d, int h, int mi);
/** Assert that a file holds exactly these bytes. */
void bkm_test_same_as(const char *dir, const char *name, const void *data,
                      apr_size_t len);

/* db.c: the core on a real SQLite file */
#include "bkm_db.h"
#include "bkm_lagring.h"
#include "bkm_leveranse.h"

#define BKM_TEST_KONTO "c0000000-0000-4000-8000-000000000001"
#define BKM_TEST_KONTO_MANUELL "c0000000-0000-4000-8000-000000000002"
#define BKM_TEST_KONTO_PRINT "c0000000-0000-4000-8000-00000000000f"
/** A fresh database file @p name (made unique) with the schema and the
 *  core's statements prepared (it fails the test when one does not);
 *  closed with the test's pool.  The core's log is caught from here. */
bkm_db_t *bkm_test_db(const char *name);
/** The core's log lines since bkm_test_db (or the last reset), each
 *  "[level] text\n". */
const char *bkm_test_log(void);
void bkm_test_log_reset(void);
/** The first column of the first row of an ad-hoc SELECT, or NULL. */
const char *bkm_test_sql(bkm_db_t *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** How many rows an ad-hoc SELECT gives. */
int bkm_test_count(bkm_db_t *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** District 0301/01 (Gamle Oslo) on @p kanal, all day, no svarfrist. */
void bkm_test_bydel(bkm_bydel_t *b, bkm_kanal_e kanal);
/** 40h for case systems, 2d for manual download, BKM_TEST_KONTO_PRINT. */
void bkm_test_policy(bkm_levering_policy_t *pol);
/** A web form report to @p b, received at @p mottatt (no key). */
void bkm_test_melding(bkm_melding_t *m, const bkm_bydel_t *b,
                      apr_time_t mottatt);
/** Its two ciphertexts (fagsystem, print; bytes with NULs). */
void bkm_test_sealed(bkm_sealed_t *c, int *n);
/** Store one report (asserting success): its id. */
const char *bkm_test_store(bkm_db_t *db, const bkm_levering_policy_t *pol,
                           const bkm_bydel_t *b, apr_time_t mottatt);
/** The message of report @p melding_id on account @p konto_id. */
void bkm_test_load(bkm_db_t *db, const char *konto_id, const char *melding_id,
                   bkm_leveranse_t *l);
/** The report's state (bkm_melding.tilstand). */
const char *bkm_test_state(bkm_db_t *db, const char *melding_id);
/** How many events @p hendelse the report's timeline has. */
int bkm_test_events(bkm_db_t *db, const char *melding_id,
                    const char *hendelse);

#endif
