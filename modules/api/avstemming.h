/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/avstemming.h
 * @brief Automatic reconciliation.
 */
#ifndef BKM_API_AVSTEMMING_H
#define BKM_API_AVSTEMMING_H

#include "mod_bekymring_private.h"
#include <jansson.h>
#include "bkm_db.h"
#include "bkm_registry.h"
#include "server/routes.h"

/* api/avstemming.c: automatic reconciliation (issue 12) */
/** The pass's alert: *late counts the case-system accounts with a
 *  delivery not confirmed within BekymringReconcileWithin business days
 *  (each logged as an ALERT).  @return APR_SUCCESS, or APR_EGENERAL on
 *  a database error */
apr_status_t bkm_avstemming_alerts(bkm_db_t *db, apr_time_t now, int *late);
/** The administration's view: per case-system account of @p k (limited
 *  to @p bydeler unless NULL), its last automatic reconciliation with its
 *  differences, and its oldest delivery not yet confirmed.  NULL on a
 *  database error. */
json_t *bkm_avstemming_accounts(bkm_db_t *db, const bkm_kommune_t *k,
                                const apr_array_header_t *bydeler);

/* Handlers (the route table) */
int bkm_handle_avstemming(request_rec *r, const bkm_req_t *q);
int bkm_handle_avstemming_svar(request_rec *r, const bkm_req_t *q);

#endif
