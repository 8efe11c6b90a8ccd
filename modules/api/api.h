/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/api.h
 * @brief The machine API's handlers (the route table calls them).
 */
#ifndef BKM_API_API_H
#define BKM_API_API_H

#include "mod_bekymring_private.h"
#include "server/routes.h"

int bkm_handle_helse(request_rec *r, const bkm_req_t *q);
int bkm_handle_kommuner(request_rec *r, const bkm_req_t *q);
int bkm_handle_kommune(request_rec *r, const bkm_req_t *q);
int bkm_handle_bydeler(request_rec *r, const bkm_req_t *q);
int bkm_handle_bydel(request_rec *r, const bkm_req_t *q);
/** The municipality API's answers, written once per configuration
 *  generation (api/kommuner.c). */
int bkm_kommuner_post_config(apr_pool_t *pconf, server_rec *s);
int bkm_handle_kontoer(request_rec *r, const bkm_req_t *q);
int bkm_handle_konto(request_rec *r, const bkm_req_t *q);
int bkm_handle_meldinger(request_rec *r, const bkm_req_t *q);
int bkm_handle_melding(request_rec *r, const bkm_req_t *q);
int bkm_handle_manifest(request_rec *r, const bkm_req_t *q);
int bkm_handle_kvittering(request_rec *r, const bkm_req_t *q);
int bkm_handle_skjema_api(request_rec *r, const bkm_req_t *q);
int bkm_handle_produsent_nokler(request_rec *r, const bkm_req_t *q);
int bkm_handle_produsent_status(request_rec *r, const bkm_req_t *q);
int bkm_handle_produsent_post(request_rec *r, const bkm_req_t *q);
/** GET /bekymring-drift/metrics (api/metrikker.c). */
int bkm_handle_metrikker(request_rec *r, const bkm_req_t *q);
/** The API's ErrorDocument: httpd's own errors in our JSON shape
 *  (api/feil.c). */
int bkm_handle_error(request_rec *r, const bkm_req_t *q);

#endif
