/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bkm-kjede: check the tamper-evident trail from outside httpd (issue 16,
 * item 4), with the core's walk (modules/core/bkm_kjede.h), on the
 * database that DBDriver and DBDParams name:
 *
 *   build/out/bkm-kjede sqlite3 /var/lib/mod_bekymring/bekymring.sqlite
 *   build/out/bkm-kjede pgsql "host=db port=5432 dbname=bekymring ..."
 *   build/out/bkm-kjede DRIVER PARAMS NR:HASH   (a head kept earlier)
 *
 * Prints what it read and the audit chain's head, or the first broken
 * link.  Exit status 0 when every chain holds, 1 when one is broken, 2
 * when it could not check (usage, database).  It only reads.
 */
#include "bkm_db.h"
#include "bkm_kjede.h"
#include "bkm_log.h"

#include <stdio.h>
#include <apr_general.h>
#include <apr_dbd.h>

static void print_line(const char *file, int line, int level,
                       apr_status_t rv, void *baton, const char *msg)
{
    fprintf(stderr, "bkm-kjede: %s\n", msg);
}

int main(int argc, const char *const *argv)
{
    const apr_dbd_driver_t *drv = NULL;
    apr_dbd_t *handle = NULL;
    const char *err = NULL, *failed = NULL;
    bkm_kjede_sjekk_t s;
    apr_status_t rv;
    apr_pool_t *p;
    bkm_db_t *db;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s sqlite3|pgsql DBDPARAMS [NR:HASH]\n",
                argv[0]);
        return 2;
    }
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    bkm_log_set(print_line);
    if (apr_dbd_get_driver(p, argv[1], &drv)
        || apr_dbd_open_ex(drv, p, argv[2], &handle, &err)) {
        fprintf(stderr, "bkm-kjede: cannot open the database: %s\n",
                err ? err : "no such driver");
        return 2;
    }
    db = bkm_db_make(p, drv, handle, NULL, p, bkm_core_sql, NULL);
    if (bkm_db_prepare(db, &failed)) {
        fprintf(stderr, "bkm-kjede: statement %s does not prepare (schema "
                "older than 0014?)\n", failed);
        return 2;
    }
    rv = bkm_kjede_verify(db, argc == 4 ? argv[3] : NULL, &s);
    if (rv == APR_EINVAL) {
        fprintf(stderr, "bkm-kjede: write the anchor as NR:HASH\n");
        return 2;
    }
    if (rv) {
        fprintf(stderr, "bkm-kjede: the database failed\n");
        return 2;
    }
    printf("read: %" APR_INT64_T_FMT " events in %" APR_INT64_T_FMT
           " timelines, %" APR_INT64_T_FMT " audit rows, %" APR_INT64_T_FMT
           " anchors, %" APR_INT64_T_FMT " rows from before the chains\n",
           s.hendelser, s.meldinger, s.revisjoner, s.ankre, s.ukjedet);
    printf("head: %" APR_INT64_T_FMT ":%s\n", s.hode_nr, s.hode);
    if (!s.ok) {
        printf("BROKEN: %s%s%s nr %" APR_INT64_T_FMT ": %s\n", s.kjede,
               s.melding_id ? " " : "", s.melding_id ? s.melding_id : "",
               s.nr, s.grunn);
    }
    else {
        printf("OK\n");
    }
    apr_dbd_close(drv, handle);
    apr_pool_destroy(p);
    apr_terminate();
    return s.ok ? 0 : 1;
}
