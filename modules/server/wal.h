/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQLite's write-ahead log, checkpointed off the request path (issue 17,
 * item 4; README "SQLite's write-ahead log").  See wal.c.
 */
#ifndef BKM_SERVER_WAL_H
#define BKM_SERVER_WAL_H

#include <httpd.h>
#include <apr_dbd.h>
#include <apr_global_mutex.h>
#include <mod_dbd.h>
#include "bkm_prom.h"

/** post_config, once for each SQLite file of a portal server: the
 *  checkpointer (a mod_watchdog job in one process of the node) takes
 *  @p file; first with @p file NULL (forget the last generation's).
 *  @p writer is where server/db.c keeps the node's SQLite writer mutex
 *  (attached in each child): held while the log is started over.
 *  @return OK or an HTTP status (500: start-up fails) */
int bkm_wal_register(apr_pool_t *pconf, server_rec *s, const char *file,
                     apr_global_mutex_t **writer);

/** A pooled SQLite connection, the first time the module is lent it:
 *  set its checkpoint and journal limits (once per connection). */
void bkm_wal_connection(ap_dbd_t *dbd);

/** The metrics page: the log's size and the checkpointer's counters. */
void bkm_wal_metrics(request_rec *r, bkm_prom_t *m);

#endif
