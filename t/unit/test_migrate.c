/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Migrations on a real SQLite database through APR DBD (PostgreSQL is
 * covered by the integration suite, which runs against a real cluster).
 */
#include "unit.h"
#include "bkm_migrate.h"

#include <string.h>
#include <apr_strings.h>
#include <apr_dbd.h>

static const apr_dbd_driver_t *drv;
static apr_dbd_t *db;

static void open_db(const char *name)
{
    const char *err = NULL, *path;

    ck_assert_int_eq(apr_dbd_get_driver(bkm_test_pool, "sqlite3", &drv), 0);
    path = apr_pstrcat(bkm_test_pool, bkm_test_dir(), "/", name, NULL);
    ck_assert_int_eq(apr_dbd_open_ex(drv, bkm_test_pool, path, &db, &err), 0);
}

static int table_exists(const char *table)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int n = 0;

    ck_assert_int_eq(
        apr_dbd_select(drv, bkm_test_pool, db, &res,
                       apr_psprintf(bkm_test_pool,
                                    "SELECT name FROM sqlite_master WHERE "
                                    "type = 'table' AND name = '%s'",
                                    table),
                       0),
        0);
    while (apr_dbd_get_row(drv, bkm_test_pool, res, &row, -1) == 0) {
        n++;
    }
    return n;
}

START_TEST(fresh_then_idempotent)
{
    int v = -1, latest = bkm_migrations_latest(bkm_migrations);
    const char *err;

    open_db("fresh.sqlite");
    ck_assert_ptr_null(bkm_schema_version(bkm_test_pool, drv, db, &v));
    ck_assert_int_eq(v, 0);
    err = bkm_migrate(bkm_test_pool, drv, db, bkm_migrations, &v);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_ge(latest, 1);
    ck_assert_int_eq(v, latest);
    ck_assert(table_exists("bkm_schema"));
    /* again: nothing to do, same version */
    err = bkm_migrate(bkm_test_pool, drv, db, bkm_migrations, &v);
    ck_assert_msg(err == NULL, "%s", err);
    ck_assert_int_eq(v, latest);
    apr_dbd_close(drv, db);
}
END_TEST

/* A failing migration leaves nothing of itself behind and the version
 * where it was; the ones before it stay applied. */
START_TEST(failure_rolls_back)
{
    static const bkm_migration_t list[] = {
        { 1, "0001_schema",
          "CREATE TABLE bkm_schema (version INTEGER PRIMARY KEY, "
          "name VARCHAR(100) NOT NULL, applied_at BIGINT NOT NULL);\n" },
        { 2, "0002_ok", "CREATE TABLE t_ok (id INTEGER);\n" },
        { 3, "0003_broken",
          "CREATE TABLE t_half (id INTEGER);\n"
          "CREATE TABLE t_ok (id INTEGER);\n" }, /* already exists */
        { 0, NULL, NULL }
    };
    int v = -1;
    const char *err;

    open_db("broken.sqlite");
    err = bkm_migrate(bkm_test_pool, drv, db, list, &v);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "0003_broken") != NULL, "%s", err);
    ck_assert_ptr_null(bkm_schema_version(bkm_test_pool, drv, db, &v));
    ck_assert_int_eq(v, 2);
    ck_assert(table_exists("t_ok"));
    ck_assert(!table_exists("t_half"));
    apr_dbd_close(drv, db);
}
END_TEST

START_TEST(latest)
{
    static const bkm_migration_t list[] = { { 1, "a", "" },
                                            { 2, "b", "" },
                                            { 0, NULL, NULL } };
    ck_assert_int_eq(bkm_migrations_latest(list), 2);
    ck_assert_int_eq(bkm_migrations_latest(list + 2), 0);
}
END_TEST

Suite *bkm_suite_migrate(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, bkm_test_pool_setup,
                              bkm_test_pool_teardown);
    tcase_add_test(tc, fresh_then_idempotent);
    tcase_add_test(tc, failure_rolls_back);
    tcase_add_test(tc, latest);
    suite_add_tcase(s, tc);
    return s;
}
