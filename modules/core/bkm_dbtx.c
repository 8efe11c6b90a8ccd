/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_dbtx.h"

#include <string.h>
#include <apr_general.h>
#include <apr_time.h>

/* SQLite's result codes SQLITE_BUSY and SQLITE_LOCKED, which apr-util's
 * sqlite3 driver returns as they are (the low byte: an extended code
 * keeps its primary code there).  Fixed by SQLite's stable interface, so
 * spelt here rather than taking sqlite3.h for two numbers. */
#define BKM_SQLITE_BUSY 5
#define BKM_SQLITE_LOCKED 6

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
     * busy_timeout 0 and this loop sleeps with the mutex released.
     * Only a lock is waited for: any other error (BEGIN inside an open
     * transaction, a read-only or broken file) stays what it is, and
     * waiting for it would only hold the caller -- and the module's
     * SQLite writer mutex, every writer of the server -- for the whole
     * BKM_DBTX_WAIT. */
    while ((rv = apr_dbd_query(drv, db, &nrows, "BEGIN IMMEDIATE")) != 0
           && ((rv & 0xff) == BKM_SQLITE_BUSY
               || (rv & 0xff) == BKM_SQLITE_LOCKED)
           && apr_time_now() < deadline) {
        apr_generate_random_bytes(&r, 1);
        apr_sleep(500 + 10 * (apr_interval_time_t)r); /* 0.5-3 ms, jitter */
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
