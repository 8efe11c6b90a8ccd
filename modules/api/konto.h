/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/konto.h
 * @brief What an account's resources share.
 */
#ifndef BKM_API_KONTO_H
#define BKM_API_KONTO_H

#include "mod_bekymring_private.h"
#include "bkm_db.h"
#include "bkm_leveranse.h"
#include "bkm_registry.h"

/* api/konto.c: what an account's resources share (the
 * handlers of every address: server/routes.h) */
/** Load message @p id of account @p k for a request: OK, or DONE after
 *  answering (404 for any id not the account's, 503). */
int bkm_konto_leveranse(request_rec *r, bkm_db_t **db, const bkm_konto_t *k,
                        const char *id, int with_content, bkm_leveranse_t *l);

#endif
