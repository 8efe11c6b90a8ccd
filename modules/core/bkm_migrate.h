/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_migrate.h
 * @brief Versioned schema migrations over APR DBD (SQLite and PostgreSQL).
 *
 * mod_dbd prepares our statements when it opens a connection, and preparing
 * fails on a missing table, so the schema must exist before httpd's children
 * start: mod_bekymring runs these in post_config on a connection of its own
 * (DBDInitSQL runs after prepare and cannot do it).  Safe when several httpd
 * nodes start at once against one PostgreSQL: each migration runs in a
 * transaction that first locks the bookkeeping table and re-reads the
 * version.  httpd-free.
 */
#ifndef BKM_MIGRATE_H
#define BKM_MIGRATE_H

#include <apr_pools.h>
#include <apr_dbd.h>

typedef struct {
    int version;      /**< 1, 2, 3, ... without gaps; 0 ends the list */
    const char *name; /**< the file name without .sql */
    const char *sql;  /**< statements, each ending in ";\n" */
} bkm_migration_t;

/** The project's migrations, generated from schema/sql by build/embed-sql. */
extern const bkm_migration_t bkm_migrations[];

/** The highest version in @p list. */
int bkm_migrations_latest(const bkm_migration_t *list);

/**
 * The schema version of an open database: 0 when it has no schema yet.
 * @return NULL on success, else a message (no data, only the driver's error).
 */
const char *bkm_schema_version(apr_pool_t *p, const apr_dbd_driver_t *drv,
                               apr_dbd_t *db, int *version);

/**
 * Apply every migration of @p list that the database lacks, in order.
 * @param version  the schema version afterwards
 * @return NULL on success, else a message naming the failed migration.
 */
const char *bkm_migrate(apr_pool_t *p, const apr_dbd_driver_t *drv,
                        apr_dbd_t *db, const bkm_migration_t *list,
                        int *version);

#endif
