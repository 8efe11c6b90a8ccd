/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/kontroll.h
 * @brief Proof of possession and post-delivery challenges.
 */
#ifndef BKM_API_KONTROLL_H
#define BKM_API_KONTROLL_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_registry.h"
#include "server/routes.h"

/* api/kontroll.c: proof of possession (issue 12, items 4, 6) */
/** Whether a verified stored-receipt proves possession as the district
 *  requires (v2's besittelsesbevis; v1 where the district still takes
 *  it).  @return APR_SUCCESS if so; APR_EINVAL when it does not, *kode
 *  and *why then the API's error code and text; anything else when the
 *  database failed. */
apr_status_t bkm_kontroll_besittelse(bkm_db_t *db, const bkm_leveranse_t *l,
                                     const void *lk, const bkm_bydel_t *b,
                                     const char **kode, const char **why);
/** The pass's step: overdue challenges fail (their reports requeued),
 *  then accounts whose time has come are sampled.  APR_SUCCESS, or
 *  APR_EGENERAL on a database error. */
apr_status_t bkm_kontroll_pass(bkm_db_t *db, apr_time_t now, int *issued,
                               int *failed);

/* Handlers (the route table) */
int bkm_handle_kontroll_drift(request_rec *r, const bkm_req_t *q);
int bkm_handle_besittelse(request_rec *r, const bkm_req_t *q);
int bkm_handle_kontroller(request_rec *r, const bkm_req_t *q);
int bkm_handle_kontroll_svar(request_rec *r, const bkm_req_t *q);

#endif
