/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_dbtx.h"

#include <string.h>

int bkm_dbtx_begin(const apr_dbd_driver_t *drv, apr_dbd_t *db)
{
    int nrows;

    return apr_dbd_query(drv, db, &nrows,
                         strcmp(apr_dbd_name(drv), "sqlite3") == 0
                             ? "BEGIN IMMEDIATE" : "BEGIN");
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
