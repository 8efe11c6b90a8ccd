/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_dbtx.h"

#include <string.h>
#include <apr_general.h>
#include <apr_time.h>

int bkm_dbtx_begin(const apr_dbd_driver_t *drv, apr_dbd_t *db)
{
    apr_time_t deadline = apr_time_now() + BKM_DBTX_WAIT;
    unsigned char r;
    int nrows, rv;

    if (strcmp(apr_dbd_name(drv), "sqlite3") != 0) {
        return apr_dbd_query(drv, db, &nrows, "BEGIN");
    }
    /* SQLite: another connection may hold the write lock.  Wait here, not
     * in SQLite's busy handler: apr-util's sqlite3 driver holds a
     * process-wide mutex while a statement runs, so a writer sleeping in
     * the busy handler keeps the lock holder (in another thread of the same
     * process) from finishing -- a deadlock until the timeout (measured:
     * 3 reports/s instead of hundreds).  So connections run with
     * busy_timeout 0 and this loop sleeps with the mutex released. */
    while ((rv = apr_dbd_query(drv, db, &nrows, "BEGIN IMMEDIATE")) != 0
           && apr_time_now() < deadline) {
        apr_generate_random_bytes(&r, 1);
        apr_sleep(500 + 10 * (apr_interval_time_t)r);  /* 0.5-3 ms, jitter */
    }
    return rv;
}

int bkm_dbtx_commit(const apr_dbd_driver_t *drv, apr_dbd_t *db)
{
    int nrows;

    return apr_dbd_query(drv, db, &nrows, "COMMIT");
}

void bkm_dbtx_rollback(const apr_dbd_driver_t *drv, apr_dbd_t *db)
{
    int nrows;

    (void)apr_dbd_query(drv, db, &nrows, "ROLLBACK");
}
