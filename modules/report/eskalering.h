/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file report/eskalering.h
 * @brief The escalation pass in the watchdog and on demand.
 */
#ifndef BKM_REPORT_ESKALERING_H
#define BKM_REPORT_ESKALERING_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"
#include "bkm_eskalering.h"
#include "server/routes.h"

/* report/eskalering.c: the pass, in the watchdog and on demand */
/** One pass with the server's policy (bkm_eskalering_run).  @return
 *  APR_SUCCESS, or the core's status for a database error. */
apr_status_t bkm_eskalering_pass(bkm_db_t *db, apr_time_t now,
                                 bkm_pass_t *out);
int bkm_eskalering_post_config(apr_pool_t *pconf, server_rec *s);

int bkm_handle_eskalering(request_rec *r, const bkm_req_t *q);

#endif
