/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/db.h
 * @brief Database connections from mod_dbd, lent to the core's handle.
 *
 * The core owns the database: its handle, statements by label,
 * transactions and what they return (bkm_db.h: APR_SUCCESS, APR_NOTFOUND
 * for what does not exist, APR_EGENERAL for every failure of the
 * database, which the caller answers with 503 and never retries inside a
 * transaction).  This file only lends mod_dbd's pooled connection to a
 * request (bkm_db_acquire) or a connection to the watchdog (bkm_db_open),
 * prepares every feature's statements with mod_dbd at start-up and runs
 * the migrations.  The glue follows the convention of server/http.h.
 */
#ifndef BKM_SERVER_DB_H
#define BKM_SERVER_DB_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"

/* server/db.c: schema at start-up, connections per request */
int bkm_db_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s);
/** Register our mutex and take the glue's statement tables (NULL-ended;
 *  prepared with the core's on every connection). */
int bkm_db_pre_config(apr_pool_t *pconf, const bkm_sql_t *const *glue);
void bkm_db_child_init(apr_pool_t *p, server_rec *s);
/** The database a server's mod_dbd configuration names ("driver\n
 *  params", as the server or the main server sets DBDriver/DBDParams), or
 *  NULL: one escalation pass per database (post_config only). */
const char *bkm_db_identity(apr_pool_t *p, server_rec *s);
/** The request's pooled connection, or NULL (then answer 503). */
bkm_db_t *bkm_db_acquire(request_rec *r);
/** A connection outside requests (the watchdog); give it back with
 *  bkm_db_close.  NULL when the database does not answer. */
bkm_db_t *bkm_db_open(server_rec *s, apr_pool_t *p);
void bkm_db_close(bkm_db_t *db);

/** 1 when this node's code and the database's schema disagree (logged):
 *  the request must not write (README "Upgrades"); @p found is the
 *  database's version, @p expected this module's.  0 otherwise, also when
 *  the database does not answer (the handler's to say). */
int bkm_db_outdated(request_rec *r, int *found, int *expected);

/** The server of a handle from bkm_db_acquire or bkm_db_open. */
server_rec *bkm_db_server(const bkm_db_t *db);
/** Its request, or NULL outside one. */
request_rec *bkm_db_request(const bkm_db_t *db);
/** Log a handle's lines in the context of @p r (a connection opened for a
 *  request with bkm_db_open). */
void bkm_db_set_request(bkm_db_t *db, request_rec *r);
/** A log baton for the core (bkm_log.h): lines in @p r's context when it
 *  is not NULL, else in @p s's. */
void *bkm_log_baton(apr_pool_t *p, server_rec *s, request_rec *r);

/* The glue's statements, one table in each file that runs them
 * (server/db.c hands them to mod_dbd with the core's,
 * bkm_core_sql). */
extern const bkm_sql_t bkm_forvaltning_sql[];
extern const bkm_sql_t bkm_avstemming_sql[];
extern const bkm_sql_t bkm_roller_sql[];
extern const bkm_sql_t bkm_kontroll_sql[];
extern const bkm_sql_t bkm_kontrollmelding_sql[];
extern const bkm_sql_t bkm_meldinger_sql[];
extern const bkm_sql_t bkm_produsent_sql[];
extern const bkm_sql_t bkm_nedlasting_sql[];
extern const bkm_sql_t bkm_sendt_sql[];
extern const bkm_sql_t bkm_statistikk_sql[];
extern const bkm_sql_t bkm_status_sql[];
extern const bkm_sql_t bkm_skjema_side_sql[];
extern const bkm_sql_t bkm_metrikker_sql[];

#endif
