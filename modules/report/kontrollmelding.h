/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file report/kontrollmelding.h
 * @brief Control messages.
 */
#ifndef BKM_REPORT_KONTROLLMELDING_H
#define BKM_REPORT_KONTROLLMELDING_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"

/* report/kontrollmelding.c: control messages (issue 12) */
/** The message type of control messages (schema/kontrollmelding). */
#define BKM_TYPE_KONTROLL "no.ks.fiks.bekymringsmelding.kontroll.v1"
/** The pass's part: make the control messages that are due (claimed, so
 *  two nodes never make two), and judge those whose deadline passed.
 *  @return APR_SUCCESS, or APR_EGENERAL on a database error */
apr_status_t bkm_kontrollmelding_pass(bkm_db_t *db, apr_time_t now,
                                      int *laget, int *feilet);

#endif
