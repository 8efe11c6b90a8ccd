/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_dbtx.h
 * @brief Database transactions by explicit statements.
 *
 * apr_dbd_transaction_start() is not used anywhere in mod_bekymring:
 * apr-util 1.6.3's pgsql driver dereferences a NULL transaction when BEGIN
 * fails with a result (as it does on a connection whose server went away),
 * which crashed an httpd child in t/intake.t.  Plain BEGIN / COMMIT /
 * ROLLBACK through apr_dbd_query() behave the same on both engines and fail
 * cleanly.  httpd-free.
 */
#ifndef BKM_DBTX_H
#define BKM_DBTX_H

#include <apr_dbd.h>

/** How long BEGIN waits for SQLite's write lock before giving up. */
#define BKM_DBTX_WAIT apr_time_from_sec(10)

/** BEGIN (on SQLite BEGIN IMMEDIATE, which takes the write lock at once,
 *  so two writers wait instead of deadlocking on a lock upgrade; the wait
 *  is ours, up to BKM_DBTX_WAIT, because SQLite connections must run with
 *  busy_timeout 0 -- see bkm_dbtx.c).
 *  @return 0 or the driver's error */
int bkm_dbtx_begin(const apr_dbd_driver_t *drv, apr_dbd_t *db);

/** COMMIT; @return 0 or the driver's error (then nothing was committed) */
int bkm_dbtx_commit(const apr_dbd_driver_t *drv, apr_dbd_t *db);

/** ROLLBACK, ignoring errors (the connection may be gone). */
void bkm_dbtx_rollback(const apr_dbd_driver_t *drv, apr_dbd_t *db);

#endif
