/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mod_bekymring_core.h
 * @brief The glue's side of the core (modules/bkm_*): what httpd's
 *        requests, servers and configuration become when the core is
 *        called, and back.
 *
 * The core has no httpd types.  A database handle (bkm_db_t) carries an
 * opaque log baton; here it is the glue's record of the server, the request
 * (NULL in the watchdog) and the connection mod_dbd lent, so a line the
 * core logs comes out through ap_log_rerror for a request (client and
 * request context kept) and through ap_log_error otherwise
 * (mod_bekymring_db.c wires the callback).
 */
#ifndef MOD_BEKYMRING_CORE_H
#define MOD_BEKYMRING_CORE_H

#include <httpd.h>

#include "bkm_db.h"
#include "bkm_delivery.h"

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

/** The delivery rules the server's configuration sets (deadlines, the
 *  print provider's account), for the core's functions that take them
 *  (mod_bekymring_config.c). */
void bkm_cfg_delivery(server_rec *s, bkm_delivery_policy_t *out);
/** bkm_delivery_deadline() with the server's policy. */
apr_time_t bkm_cfg_deadline(server_rec *s, const bkm_bydel_t *b,
                            apr_time_t from);

/* The glue's statements, one table in each file that runs them
 * (mod_bekymring_db.c hands them to mod_dbd with the core's,
 * bkm_core_sql). */
extern const bkm_sql_t bkm_admin_sql[];
extern const bkm_sql_t bkm_avstemming_sql[];
extern const bkm_sql_t bkm_bindings_sql[];
extern const bkm_sql_t bkm_kontroll_sql[];
extern const bkm_sql_t bkm_kontrollmelding_sql[];
extern const bkm_sql_t bkm_meldinger_sql[];
extern const bkm_sql_t bkm_mottak_sql[];
extern const bkm_sql_t bkm_receiver_sql[];
extern const bkm_sql_t bkm_sent_sql[];
extern const bkm_sql_t bkm_stats_sql[];
extern const bkm_sql_t bkm_status_sql[];
extern const bkm_sql_t bkm_webform_sql[];

#endif
