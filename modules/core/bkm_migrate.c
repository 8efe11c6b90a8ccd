/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_migrate.h"
#include "bkm_dbtx.h"

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>

int bkm_migrations_latest(const bkm_migration_t *list)
{
    int v = 0;

    for (; list->version; list++) {
        v = list->version;
    }
    return v;
}

static const char *dbd_err(apr_pool_t *p, const apr_dbd_driver_t *drv,
                           apr_dbd_t *db, int rv)
{
    const char *e = apr_dbd_error(drv, db, rv);

    return apr_pstrdup(p, e ? e : "unknown database error");
}

const char *bkm_schema_version(apr_pool_t *p, const apr_dbd_driver_t *drv,
                               apr_dbd_t *db, int *version)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    int rv;

    *version = 0;
    /* Probe for the bookkeeping table in a way that fails cleanly on both
     * engines when it is missing; a fresh database is version 0. */
    rv = apr_dbd_select(drv, p, db, &res,
                        "SELECT MAX(version) FROM bkm_schema", 0);
    if (rv != 0) {
        return NULL;
    }
    while (apr_dbd_get_row(drv, p, res, &row, -1) == 0) {
        v = apr_dbd_get_entry(drv, row, 0);
        if (v && *v) {
            *version = atoi(v);
        }
    }
    return NULL;
}

/* Run each ";\n"-terminated statement of one migration. */
static int run_statements(apr_pool_t *p, const apr_dbd_driver_t *drv,
                          apr_dbd_t *db, const char *sql, const char **stmt)
{
    char *copy = apr_pstrdup(p, sql), *s = copy, *end;
    int nrows, rv;

    while (*s) {
        end = strstr(s, ";\n");
        if (end) {
            *end = '\0';
        }
        if (s[strspn(s, " \t\r\n")]) {
            *stmt = s;
            if ((rv = apr_dbd_query(drv, db, &nrows, s)) != 0) {
                return rv;
            }
        }
        if (!end) {
            break;
        }
        s = end + 2;
    }
    return 0;
}

static const char *apply_one(apr_pool_t *p, const apr_dbd_driver_t *drv,
                             apr_dbd_t *db, const bkm_migration_t *m,
                             int *applied)
{
    apr_dbd_prepared_t *ins = NULL;
    const char *err = NULL, *stmt = "BEGIN";
    int rv, nrows, current = 0;
    int pg = strcmp(apr_dbd_name(drv), "pgsql") == 0;

    *applied = 0;
    /* SQLite: BEGIN IMMEDIATE takes the write lock at once.  PostgreSQL:
     * lock the bookkeeping table explicitly (when it exists) so a second
     * node waits here and then sees the new version. */
    if ((rv = bkm_dbtx_begin(drv, db)) != 0) {
        return apr_psprintf(p, "cannot begin a transaction: %s",
                            dbd_err(p, drv, db, rv));
    }
    /* Before migration 1 there is no table to lock or read (and a failed
     * query would poison the transaction); racing nodes then collide on
     * CREATE TABLE, and bkm_migrate() sorts that out. */
    if (m->version > 1) {
        if (pg) {
            stmt = "LOCK TABLE bkm_schema IN EXCLUSIVE MODE";
            if ((rv = apr_dbd_query(drv, db, &nrows, stmt)) != 0) {
                goto failed;
            }
        }
        bkm_schema_version(p, drv, db, &current);
        if (current >= m->version) {
            bkm_dbtx_rollback(drv, db);
            return NULL;
        }
    }
    if ((rv = run_statements(p, drv, db, m->sql, &stmt)) != 0) {
        goto failed;
    }
    stmt = "INSERT INTO bkm_schema";
    rv = apr_dbd_prepare(drv, p, db,
                         "INSERT INTO bkm_schema (version, name, applied_at) "
                         "VALUES (%d, %s, %lld)",
                         NULL, &ins);
    if (rv == 0) {
        rv = apr_dbd_pvquery(drv, p, db, &nrows, ins, apr_itoa(p, m->version),
                             m->name, apr_off_t_toa(p, apr_time_now()), NULL);
    }
    if (rv != 0) {
        goto failed;
    }
    if ((rv = bkm_dbtx_commit(drv, db)) != 0) {
        bkm_dbtx_rollback(drv, db);
        return apr_psprintf(p, "migration %s: commit failed: %s", m->name,
                            dbd_err(p, drv, db, rv));
    }
    *applied = 1;
    return NULL;

failed:
    err = apr_psprintf(p, "migration %s failed at \"%.60s\": %s", m->name,
                       stmt, dbd_err(p, drv, db, rv));
    bkm_dbtx_rollback(drv, db);
    return err;
}

const char *bkm_migrate(apr_pool_t *p, const apr_dbd_driver_t *drv,
                        apr_dbd_t *db, const bkm_migration_t *list,
                        int *version)
{
    const bkm_migration_t *m;
    const char *err;
    int applied, now;

    bkm_schema_version(p, drv, db, version);
    for (m = list; m->version; m++) {
        if (m->version <= *version) {
            continue;
        }
        err = apply_one(p, drv, db, m, &applied);
        if (err) {
            /* Another node may have applied it while we tried (PostgreSQL
             * reports that as a failed CREATE); only a version still below
             * this migration is an error. */
            bkm_schema_version(p, drv, db, &now);
            if (now < m->version) {
                return err;
            }
        }
        *version = m->version;
    }
    bkm_schema_version(p, drv, db, version);
    return NULL;
}
