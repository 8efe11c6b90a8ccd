/* SPDX-License-Identifier: Apache-2.0 */
/* Transactions by explicit statements (bkm_dbtx) on a real SQLite file,
 * in WAL mode as the module runs it, through two connections of APR DBD:
 * what is committed is seen by the other, what is rolled back is not,
 * BEGIN takes the write lock at once (the other writer waits for it), and
 * an error that waiting cannot cure fails at once.  (PostgreSQL's plain
 * BEGIN is covered by the integration suite.) */
#include "unit.h"
#include "bkm_dbtx.h"

#include <stdio.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

static const apr_dbd_driver_t *drv;
static apr_dbd_t *a, *b; /* two connections to one file */

static apr_dbd_t *open_db(const char *path)
{
    apr_dbd_t *db = NULL;
    const char *err = NULL;

    ck_assert_int_eq(apr_dbd_open_ex(drv, bkm_test_pool, path, &db, &err), 0);
    return db;
}

static void query(apr_dbd_t *db, const char *sql)
{
    int n, rv = apr_dbd_query(drv, db, &n, sql);

    ck_assert_msg(rv == 0, "%s: %s", sql, apr_dbd_error(drv, db, rv));
}

/* The first column of the last row of a statement. */
static const char *value(apr_dbd_t *db, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;
    int rv = apr_dbd_select(drv, bkm_test_pool, db, &res, sql, 0);

    ck_assert_msg(rv == 0, "%s: %s", sql, apr_dbd_error(drv, db, rv));
    while (apr_dbd_get_row(drv, bkm_test_pool, res, &row, -1) == 0) {
        v = apr_pstrdup(bkm_test_pool, apr_dbd_get_entry(drv, row, 0));
    }
    ck_assert_ptr_nonnull(v);
    return v;
}

static int rows(apr_dbd_t *db)
{
    return atoi(value(db, "SELECT COUNT(*) FROM t"));
}

static void setup(void)
{
    static int made;
    const char *path;

    bkm_test_pool_setup();
    ck_assert_int_eq(apr_dbd_get_driver(bkm_test_pool, "sqlite3", &drv), 0);
    path = apr_psprintf(bkm_test_pool, "%s/dbtx-%d.sqlite", bkm_test_dir(),
                        ++made);
    a = open_db(path);
    b = open_db(path);
    ck_assert_str_eq(value(a, "PRAGMA journal_mode=WAL"), "wal");
    query(a, "CREATE TABLE t (x INTEGER)");
}

static void teardown(void)
{
    apr_dbd_close(drv, a);
    apr_dbd_close(drv, b);
    bkm_test_pool_teardown();
}

START_TEST(commit)
{
    ck_assert_int_eq(bkm_dbtx_begin(drv, a), 0);
    query(a, "INSERT INTO t VALUES (1)");
    query(a, "INSERT INTO t VALUES (2)");
    ck_assert_int_eq(rows(a), 2);
    ck_assert_int_eq(rows(b), 0); /* not yet */
    ck_assert_int_eq(bkm_dbtx_commit(drv, a), 0);
    ck_assert_int_eq(rows(b), 2);
    /* COMMIT with no transaction is an error, not a success. */
    ck_assert_int_ne(bkm_dbtx_commit(drv, a), 0);
}
END_TEST

START_TEST(rollback)
{
    query(a, "INSERT INTO t VALUES (1)");
    ck_assert_int_eq(bkm_dbtx_begin(drv, a), 0);
    query(a, "INSERT INTO t VALUES (2)");
    query(a, "DELETE FROM t WHERE x = 1");
    ck_assert_int_eq(rows(a), 1);
    bkm_dbtx_rollback(drv, a);
    ck_assert_int_eq(rows(a), 1);
    ck_assert_int_eq(rows(b), 1);
    /* Nothing to roll back: ignored, and the connection still works. */
    bkm_dbtx_rollback(drv, a);
    ck_assert_int_eq(bkm_dbtx_begin(drv, a), 0);
    query(a, "INSERT INTO t VALUES (3)");
    ck_assert_int_eq(bkm_dbtx_commit(drv, a), 0);
    ck_assert_int_eq(rows(b), 2);
}
END_TEST

static int holder_rv = -1;

/* The first writer: commits its transaction after 300 ms (no Check
 * assertions here, in another thread). */
static void *APR_THREAD_FUNC holder(apr_thread_t *t, void *data)
{
    int n;

    apr_sleep(apr_time_from_msec(300));
    holder_rv = apr_dbd_query(drv, a, &n, "INSERT INTO t VALUES (1)");
    if (holder_rv == 0) {
        holder_rv = bkm_dbtx_commit(drv, a);
    }
    return NULL;
}

/* BEGIN is BEGIN IMMEDIATE: a transaction that has written nothing yet
 * already keeps the other connection from beginning one, which waits for
 * it (ours, not SQLite's busy handler) instead of failing. */
START_TEST(second_writer_waits)
{
    apr_thread_t *t;
    apr_status_t rv;
    apr_time_t start;
    apr_interval_time_t waited;

    ck_assert_int_eq(bkm_dbtx_begin(drv, a), 0);
    ck_assert_int_eq(apr_thread_create(&t, NULL, holder, NULL, bkm_test_pool),
                     APR_SUCCESS);
    start = apr_time_now();
    ck_assert_int_eq(bkm_dbtx_begin(drv, b), 0);
    waited = apr_time_now() - start;
    ck_assert_int_eq(apr_thread_join(&rv, t), APR_SUCCESS);
    ck_assert_int_eq(holder_rv, 0);
    ck_assert_msg(waited >= apr_time_from_msec(250),
                  "the second BEGIN went through after %d ms: the first "
                  "did not take the write lock",
                  (int)apr_time_as_msec(waited));
    /* The second sees the first's row, and writes its own. */
    ck_assert_int_eq(rows(b), 1);
    query(b, "INSERT INTO t VALUES (2)");
    ck_assert_int_eq(bkm_dbtx_commit(drv, b), 0);
    ck_assert_int_eq(rows(a), 2);
}
END_TEST

/* An error that no wait will cure comes back at once: BEGIN inside a
 * transaction (a connection that a failed caller left open) used to spin
 * for the whole BKM_DBTX_WAIT, holding the module's SQLite writer mutex
 * and so every other writer of the server. */
START_TEST(hopeless_error_fails_at_once)
{
    apr_time_t start;
    apr_interval_time_t took;

    ck_assert_int_eq(bkm_dbtx_begin(drv, a), 0);
    start = apr_time_now();
    ck_assert_int_ne(bkm_dbtx_begin(drv, a), 0);
    took = apr_time_now() - start;
    ck_assert_msg(took < apr_time_from_sec(1), "failed after %d ms",
                  (int)apr_time_as_msec(took));
    /* The transaction that was open still is, and commits. */
    query(a, "INSERT INTO t VALUES (1)");
    ck_assert_int_eq(bkm_dbtx_commit(drv, a), 0);
    ck_assert_int_eq(rows(b), 1);
}
END_TEST

Suite *bkm_suite_dbtx(void)
{
    Suite *s = suite_create("dbtx");
    TCase *tc = tcase_create("sqlite");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, commit);
    tcase_add_test(tc, rollback);
    tcase_add_test(tc, second_writer_waits);
    tcase_add_test(tc, hopeless_error_fails_at_once);
    suite_add_tcase(s, tc);
    return s;
}
