/* SPDX-License-Identifier: Apache-2.0 */
/* The core's database layer (bkm_db.c) on a real SQLite file: statements
 * by label, one status for every database failure, transactions that
 * commit or leave nothing, and what a failure logs. */
#include "unit.h"
#include "bkm_eskalering.h"

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

static bkm_db_t *db;

static void setup(void)
{
    bkm_test_pool_setup();
    db = bkm_test_db("db");
}

static void teardown(void)
{
    bkm_test_pool_teardown();
}

START_TEST(unknown_label)
{
    apr_dbd_results_t *res = NULL;

    ck_assert_int_eq(bkm_db_select(db, "no_such_label", &res, 0, NULL),
                     APR_EGENERAL);
    /* outside a transaction the statements are prepared again first */
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "[4] BKM00110: a query "
                                 "failed; prepared the statements again"));
    ck_assert_ptr_nonnull(strstr(bkm_test_log(),
                                 "[3] BKM00111: query "
                                 "no_such_label failed: statement not "
                                 "prepared"));
    ck_assert_int_eq(bkm_db_run(db, "no_such_label", NULL, 0, NULL),
                     APR_EGENERAL);
    /* inside one they are not: the transaction is lost anyway */
    bkm_test_log_reset();
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_select(db, "no_such_label", &res, 0, NULL),
                     APR_EGENERAL);
    ck_assert_ptr_null(strstr(bkm_test_log(), "BKM00110"));
    bkm_db_rollback(db);
    ck_assert_int_eq(db->in_tx, 0);
}
END_TEST

START_TEST(schema_version)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;

    ck_assert_int_eq(bkm_db_select(db, BKM_SQL_SCHEMA_VERSION, &res, 0, NULL),
                     APR_SUCCESS);
    while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
        v = bkm_db_value(db, row, 0);
    }
    ck_assert_ptr_nonnull(v);
    ck_assert_int_ge(atoi(v), 13);
}
END_TEST

/* The driver's own code is never handed out: a constraint broken is the
 * same APR_EGENERAL as a lost connection. */
START_TEST(driver_errors_are_one_status)
{
    const char *args[1] = { "x" };
    int n = -1;

    ck_assert_int_eq(bkm_db_run(db, BKM_SQL_CHIFFER_DELETE, &n, 1, args),
                     APR_SUCCESS);
    ck_assert_int_eq(n, 0);
    /* NOT NULL broken */
    ck_assert_int_eq(bkm_db_run(db, BKM_SQL_LEVERANSE_PRINT, NULL, 6,
                                (const char *[]){ NULL, NULL, NULL, NULL, "1",
                                                  NULL }),
                     APR_EGENERAL);
}
END_TEST

/* Every failure the database makes is counted once for the metrics; a
 * rollback the caller chose is none. */
START_TEST(errors_counted)
{
    apr_uint32_t n = 0;
    apr_dbd_results_t *res = NULL;

    bkm_db_count_errors(&n);
    ck_assert_int_eq(bkm_db_run(db, BKM_SQL_LEVERANSE_PRINT, NULL, 6,
                                (const char *[]){ NULL, NULL, NULL, NULL, "1",
                                                  NULL }),
                     APR_EGENERAL);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(bkm_db_select(db, "no_such_label", &res, 0, NULL),
                     APR_EGENERAL);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(bkm_db_select(db, BKM_SQL_SCHEMA_VERSION, &res, 0, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_end(db, APR_EEXIST), APR_EEXIST);
    ck_assert_uint_eq(n, 2);
    bkm_db_count_errors(NULL);
    ck_assert_int_eq(bkm_db_run(db, "no_such_label", NULL, 0, NULL),
                     APR_EGENERAL);
    ck_assert_uint_eq(n, 2);
}
END_TEST

/* COMMIT when all went well; otherwise nothing is left, the caller's
 * status comes back and the driver's message is kept. */
START_TEST(transactions)
{
    static const char *ins =
        "INSERT INTO bkm_utkast (id, innhold, utloper, eier) "
        "VALUES ('%s', X'00', 1, 'e')";

    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(db->in_tx, 1);
    bkm_test_sql(db, ins, "a");
    ck_assert_int_eq(bkm_db_end(db, APR_SUCCESS), APR_SUCCESS);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_utkast"), 1);
    ck_assert_ptr_null(db->error);

    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    bkm_test_sql(db, ins, "b");
    ck_assert_int_eq(bkm_db_end(db, APR_EINVAL), APR_EINVAL);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_utkast"), 1);
    ck_assert_ptr_nonnull(db->error);
    ck_assert_int_eq(db->in_tx, 0);

    db->error = NULL;
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    bkm_test_sql(db, ins, "c");
    bkm_db_rollback(db);
    ck_assert_int_eq(bkm_test_count(db, "SELECT 1 FROM bkm_utkast"), 1);
    ck_assert_ptr_null(db->error);
}
END_TEST

/* Safe upgrades: a handle that knows its schema version refuses to write
 * (a transaction, a statement outside one) when the database's is
 * another, says why in db->error and the log, and writes again once they
 * agree; 0 (the unit tests' handles) never asks. */
START_TEST(schema_guard)
{
    const char *args[1] = { "x" };

    /* The database's version, as the module's build names it. */
    {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        ck_assert_int_eq(bkm_db_select(db, BKM_SQL_SCHEMA_VERSION, &res, 0,
                                       NULL),
                         APR_SUCCESS);
        while (apr_dbd_get_row(db->drv, db->pool, res, &row, -1) == 0) {
            db->schema = atoi(bkm_db_value(db, row, 0));
        }
    }
    ck_assert_int_eq(bkm_db_schema_check(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    bkm_db_rollback(db);

    /* A newer node migrated the database. */
    bkm_test_sql(db,
                 "INSERT INTO bkm_schema (version, name, applied_at) "
                 "VALUES (%d, 'nyere', 0)",
                 db->schema + 1);
    bkm_test_log_reset();
    ck_assert_int_eq(bkm_db_schema_check(db), APR_EMISMATCH);
    ck_assert_int_eq(db->schema_found, db->schema + 1);
    ck_assert_int_eq(bkm_db_begin(db), APR_EGENERAL);
    ck_assert_int_eq(db->in_tx, 0);
    ck_assert_ptr_nonnull(strstr(db->error, "upgrade this node"));
    ck_assert_int_eq(bkm_db_run(db, BKM_SQL_CHIFFER_DELETE, NULL, 1, args),
                     APR_EGENERAL);
    ck_assert_ptr_nonnull(strstr(bkm_test_log(), "BKM06600"));

    /* A handle that does not know its version writes as before. */
    {
        int mine = db->schema;
        db->schema = 0;
        ck_assert_int_eq(bkm_db_run(db, BKM_SQL_CHIFFER_DELETE, NULL, 1,
                                    args),
                         APR_SUCCESS);
        db->schema = mine;
    }
    bkm_test_sql(db, "DELETE FROM bkm_schema WHERE version = %d",
                 db->schema + 1);
    ck_assert_int_eq(bkm_db_begin(db), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_end(db, APR_SUCCESS), APR_SUCCESS);
}
END_TEST

/* Binary in and out, NULs included; SQL NULL reads as NULL. */
START_TEST(blobs_and_nulls)
{
    static const char data[] = { 'a', 0, 'b', 0, 0, 'c' };
    apr_size_t size = sizeof(data), len = 0;
    apr_int64_t utloper = 5;
    const void *v[7] = { "d1",      data,     &size, "bkm_utkast",
                         "innhold", &utloper, "eier" };
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *got = NULL;
    bkm_db_t *copy;
    int rows = 0;

    /* the web form's draft statement is the glue's: prepared here on its
     * own, the way bkm_db_prepare does */
    static const bkm_sql_t own[] = {
        { "t_utkast_insert",
          "INSERT INTO bkm_utkast (id, innhold, utloper, "
          "eier) VALUES (%s, %pDb, %lld, %s)" },
        { "t_utkast_get",
          "SELECT innhold, eier, NULL FROM bkm_utkast "
          "WHERE id = %s" },
        { NULL, NULL }
    };
    static const bkm_sql_t *const list[] = { own, NULL };

    copy = bkm_db_make(bkm_test_pool, db->drv, db->handle, NULL,
                       bkm_test_pool, list, NULL);
    ck_assert_int_eq(bkm_db_prepare(copy, NULL), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_run_binary(copy, "t_utkast_insert", v),
                     APR_SUCCESS);
    ck_assert_int_eq(bkm_db_select(copy, "t_utkast_get", &res, 1,
                                   (const char *[]){ "d1" }),
                     APR_SUCCESS);
    while (apr_dbd_get_row(copy->drv, copy->pool, res, &row, -1) == 0) {
        ck_assert_int_eq(bkm_db_blob(copy, row, 0, &got, &len), APR_SUCCESS);
        ck_assert_str_eq(bkm_db_value(copy, row, 1), "eier");
        ck_assert_ptr_null(bkm_db_value(copy, row, 2));
        rows++;
    }
    ck_assert_int_eq(rows, 1);
    ck_assert_int_eq((int)len, (int)sizeof(data));
    ck_assert(memcmp(got, data, len) == 0);
}
END_TEST

/* Rows read as stored (bkm_db_select_rows): on SQLite every byte value
 * of a blob, NUL and backslash among them, comes back as it went in and
 * needs no copy of its own; text and NULL read as bkm_db_value reads
 * them; an unknown statement fails as bkm_db_select does. */
START_TEST(rows_as_stored)
{
    char data[512];
    apr_size_t size = sizeof(data), len = 0;
    apr_int64_t utloper = 7;
    const void *v[7] = { "d2",      data,     &size, "bkm_utkast",
                         "innhold", &utloper, "eier" };
    static const bkm_sql_t own[] = {
        { "t_utkast_insert2",
          "INSERT INTO bkm_utkast (id, innhold, utloper, "
          "eier) VALUES (%s, %pDb, %lld, %s)" },
        { "t_utkast_rows",
          "SELECT innhold, eier, NULL, utloper FROM bkm_utkast "
          "WHERE id = %s" },
        { NULL, NULL }
    };
    static const bkm_sql_t *const list[] = { own, NULL };
    bkm_db_rows_t *rows = NULL;
    const char *got = NULL;
    bkm_db_t *copy;
    int i, n = 0;

    for (i = 0; i < (int)sizeof(data); i++) {
        data[i] = (char)(255 - i % 256); /* 255 .. 0, twice: '\\', NUL */
    }
    copy = bkm_db_make(bkm_test_pool, db->drv, db->handle, NULL,
                       bkm_test_pool, list, NULL);
    ck_assert_int_eq(bkm_db_prepare(copy, NULL), APR_SUCCESS);
    ck_assert_int_eq(bkm_db_run_binary(copy, "t_utkast_insert2", v),
                     APR_SUCCESS);
    ck_assert_int_eq(bkm_db_select_rows(copy, "t_utkast_rows", 1,
                                        (const char *[]){ "d2" }, &rows),
                     APR_SUCCESS);
    while (bkm_db_rows_next(rows)) {
        ck_assert_int_eq(bkm_db_rows_blob(rows, 0, &got, &len), APR_SUCCESS);
        ck_assert_str_eq(bkm_db_rows_value(rows, 1), "eier");
        ck_assert_ptr_null(bkm_db_rows_value(rows, 2));
        ck_assert_str_eq(bkm_db_rows_value(rows, 3), "7");
        ck_assert_int_eq(bkm_db_rows_blob(rows, 2, &got, &len),
                         APR_EGENERAL); /* NULL is no blob */
        ck_assert_int_eq(bkm_db_rows_blob(rows, 0, &got, &len), APR_SUCCESS);
        n++;
    }
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq((int)len, (int)sizeof(data));
    ck_assert(memcmp(got, data, len) == 0);
    ck_assert_int_eq(bkm_db_select_rows(copy, "t_no_such_label", 0, NULL,
                                        &rows),
                     APR_EGENERAL);
    ck_assert_int_eq(bkm_db_rows_next(rows), 0);
}
END_TEST

/* PostgreSQL's binary integers and booleans read as pgsql's text would
 * give them: network order, two's complement, each width; anything else
 * is refused rather than misread. */
START_TEST(pg_binary_text)
{
    static const unsigned char i8[] = { 0x00, 0x06, 0x2a, 0x3b,
                                        0x4c, 0x5d, 0x6e, 0x7f };
    static const unsigned char m8[] = { 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xfe };
    static const unsigned char min8[] = { 0x80, 0, 0, 0, 0, 0, 0, 0 };
    static const unsigned char i4[] = { 0xff, 0xff, 0xff, 0x85 };
    static const unsigned char i2[] = { 0x01, 0x00 };
    static const unsigned char t[] = { 1 }, f[] = { 0 };
    apr_pool_t *p = bkm_test_pool;

    ck_assert_str_eq(bkm_db_pg_binary_text(p, 20, i8, 8), "1735284032892543");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 20, m8, 8), "-2");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 20, min8, 8),
                     "-9223372036854775808");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 23, i4, 4), "-123");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 21, i2, 2), "256");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 16, t, 1), "t");
    ck_assert_str_eq(bkm_db_pg_binary_text(p, 16, f, 1), "f");
    /* a width that is not the type's, or a type not read */
    ck_assert_ptr_null(bkm_db_pg_binary_text(p, 20, i4, 4));
    ck_assert_ptr_null(bkm_db_pg_binary_text(p, 23, i8, 8));
    ck_assert_ptr_null(bkm_db_pg_binary_text(p, 1700, i8, 8));
    ck_assert_ptr_null(bkm_db_pg_binary_text(p, 16, i2, 2));
}
END_TEST

Suite *bkm_suite_db(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_label);
    tcase_add_test(tc, schema_version);
    tcase_add_test(tc, driver_errors_are_one_status);
    tcase_add_test(tc, errors_counted);
    tcase_add_test(tc, transactions);
    tcase_add_test(tc, schema_guard);
    tcase_add_test(tc, blobs_and_nulls);
    tcase_add_test(tc, rows_as_stored);
    tcase_add_test(tc, pg_binary_text);
    suite_add_tcase(s, tc);
    return s;
}
