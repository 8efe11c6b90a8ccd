/* SPDX-License-Identifier: Apache-2.0 */
/* A real SQLite database for the core's tests: a fresh file with the
 * schema (the embedded migrations) and the core's statements prepared
 * from the same tables the glue hands mod_dbd (bkm_core_sql); the core's
 * log lines caught; a district, a policy and reports to work on. */
#include "unit.h"
#include "bkm_migrate.h"
#include "bkm_log.h"
#include "bkm_ids.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

/* ---- the log ------------------------------------------------------------ */

static char logged[65536];
static apr_size_t logged_len;

static void catch_line(const char *file, int line, int level, apr_status_t rv,
                       void *baton, const char *msg)
{
    int n = snprintf(logged + logged_len, sizeof(logged) - logged_len,
                     "[%d] %s\n", level, msg);

    if (n > 0 && logged_len + (apr_size_t)n < sizeof(logged)) {
        logged_len += (apr_size_t)n;
    }
}

void bkm_test_log_reset(void)
{
    bkm_log_set(catch_line);
    logged_len = 0;
    logged[0] = '\0';
}

const char *bkm_test_log(void)
{
    return logged;
}

/* ---- the database --------------------------------------------------------- */

static apr_status_t close_db(void *data)
{
    bkm_db_t *db = data;

    apr_dbd_close(db->drv, db->handle);
    return APR_SUCCESS;
}

bkm_db_t *bkm_test_db(const char *name)
{
    const apr_dbd_driver_t *drv = NULL;
    apr_dbd_t *handle = NULL;
    const char *err = NULL, *path, *failed = NULL;
    bkm_db_t *db;
    int version = 0;

    bkm_test_log_reset();
    ck_assert_int_eq(apr_dbd_get_driver(bkm_test_pool, "sqlite3", &drv), 0);
    path = apr_psprintf(bkm_test_pool, "%s/%s-%" APR_TIME_T_FMT ".sqlite",
                        bkm_test_dir(), name, apr_time_now());
    ck_assert_int_eq(apr_dbd_open_ex(drv, bkm_test_pool, path, &handle, &err),
                     0);
    err = bkm_migrate(bkm_test_pool, drv, handle, bkm_migrations, &version);
    ck_assert_msg(err == NULL, "%s", err);
    db = bkm_db_make(bkm_test_pool, drv, handle, NULL, bkm_test_pool,
                     bkm_core_sql, NULL);
    apr_pool_cleanup_register(bkm_test_pool, db, close_db,
                              apr_pool_cleanup_null);
    ck_assert_msg(bkm_db_prepare(db, &failed) == APR_SUCCESS,
                  "statement %s does not prepare on SQLite", failed);
    return db;
}

const char *bkm_test_sql(bkm_db_t *db, const char *fmt, ...)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *sql, *v = NULL;
    int first = 1;
    va_list ap;

    va_start(ap, fmt);
    sql = apr_pvsprintf(bkm_test_pool, fmt, ap);
    va_end(ap);
    ck_assert_msg(apr_dbd_select(db->drv, bkm_test_pool, db->handle, &res,
                                 sql, 0)
                      == 0,
                  "%s: %s", sql, apr_dbd_error(db->drv, db->handle, 1));
    while (apr_dbd_get_row(db->drv, bkm_test_pool, res, &row, -1) == 0) {
        if (first) {
            const char *e = apr_dbd_get_entry(db->drv, row, 0);
            v = e ? apr_pstrdup(bkm_test_pool, e) : NULL;
            first = 0;
        }
    }
    return v;
}

int bkm_test_count(bkm_db_t *db, const char *fmt, ...)
{
    const char *sql, *v;
    va_list ap;

    va_start(ap, fmt);
    sql = apr_pvsprintf(bkm_test_pool, fmt, ap);
    va_end(ap);
    v = bkm_test_sql(db, "SELECT COUNT(*) FROM (%s) q", sql);
    return v ? atoi(v) : -1;
}

/* ---- a district, a policy, reports ---------------------------------------- */

static bkm_kommune_t oslo = { .nummer = "0301", .navn = "Oslo", .aktiv = 1 };

void bkm_test_bydel(bkm_bydel_t *b, bkm_kanal_e kanal)
{
    memset(b, 0, sizeof(*b));
    b->kommune = &oslo;
    b->nummer = "01";
    b->navn = "Gamle Oslo";
    b->standard_mottaker = 1;
    b->kanal = kanal;
    b->versjon = 2;
    b->konto_id = kanal == BKM_KANAL_FAGSYSTEM ? BKM_TEST_KONTO
                                               : BKM_TEST_KONTO_MANUELL;
    b->kontortid.from_min = 0;
    b->kontortid.to_min = 1440;
}

void bkm_test_policy(bkm_levering_policy_t *pol)
{
    pol->receipt_deadline = apr_time_from_sec(40 * 3600);
    pol->manual_deadline = apr_time_from_sec(2 * 86400);
    pol->print_konto_id = BKM_TEST_KONTO_PRINT;
}

/* Bytes with NULs in them, as ciphertext has. */
static const unsigned char chiffer[] = { 0x30, 0x82, 0x00, 0x10, 0x06,
                                         0x09, 0x00, 0x00, 0x2a, 0x86,
                                         0x48, 0x86, 0xf7, 0x0d, 0x01,
                                         0x07, 0x03, 0xa0, 0x00, 0xff };

void bkm_test_melding(bkm_melding_t *m, const bkm_bydel_t *b,
                      apr_time_t mottatt)
{
    memset(m, 0, sizeof(*m));
    m->id = bkm_uuid(bkm_test_pool);
    m->referanse = bkm_reference(bkm_test_pool);
    m->meldingstype = "no.ks.fiks.bekymringsmelding.privat.v2";
    m->versjon = 2;
    m->kilde = "skjema";
    m->bydel = b;
    m->mottatt = mottatt;
    m->aktor = "test";
}

void bkm_test_sealed(bkm_sealed_t *c, int *n)
{
    c[0].mottaker = "fagsystem";
    c[0].innholdstype = "application/vnd.etsi.asic-e+zip";
    c[0].data = chiffer;
    c[0].len = sizeof(chiffer);
    c[1].mottaker = "print";
    c[1].innholdstype = "application/pdf";
    c[1].data = chiffer + 2;
    c[1].len = sizeof(chiffer) - 2;
    *n = 2;
}

const char *bkm_test_store(bkm_db_t *db, const bkm_levering_policy_t *pol,
                           const bkm_bydel_t *b, apr_time_t mottatt)
{
    bkm_sealed_t c[2];
    bkm_melding_t m;
    int n;

    bkm_test_melding(&m, b, mottatt);
    bkm_test_sealed(c, &n);
    ck_assert_int_eq(bkm_lagring_melding(db, pol, &m, c, n), APR_SUCCESS);
    return m.id;
}

void bkm_test_load(bkm_db_t *db, const char *konto_id, const char *melding_id,
                   bkm_leveranse_t *l)
{
    const char *id = bkm_test_sql(db,
                                  "SELECT id FROM bkm_leveranse WHERE "
                                  "melding_id = '%s' AND konto_id = '%s'",
                                  melding_id, konto_id);

    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(bkm_leveranse_load(db, konto_id, id, 0, l), APR_SUCCESS);
}

const char *bkm_test_state(bkm_db_t *db, const char *melding_id)
{
    return bkm_test_sql(db,
                        "SELECT tilstand FROM bkm_melding WHERE id = "
                        "'%s'",
                        melding_id);
}

int bkm_test_events(bkm_db_t *db, const char *melding_id,
                    const char *hendelse)
{
    return bkm_test_count(db,
                          "SELECT 1 FROM bkm_hendelse WHERE melding_id "
                          "= '%s' AND hendelse = '%s'",
                          melding_id, hendelse);
}
