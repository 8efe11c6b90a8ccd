/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file report/paminnelse.h
 * @brief Reminders before letter post in httpd: the escalation pass's
 *        step that mails a district's contact (the rules are the core's,
 *        bkm_paminnelse.h).
 */
#ifndef BKM_REPORT_PAMINNELSE_H
#define BKM_REPORT_PAMINNELSE_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"
#include "bkm_eskalering.h"

/** The pass's step (a bkm_pass_step_fn): reminders with the server's
 *  BekymringReminderAt and BekymringSendmail.  Failed mails are logged and
 *  tried again next pass; only a database failure fails it. */
apr_status_t bkm_paminnelse_step(bkm_db_t *db, apr_time_t now,
                                 bkm_pass_t *out, void *baton);

#endif
