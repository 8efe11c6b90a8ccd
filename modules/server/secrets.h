/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/secrets.h
 * @brief Files that hold the portal's secrets are checked at start-up.
 */
#ifndef BKM_SERVER_SECRETS_H
#define BKM_SERVER_SECRETS_H

#include "mod_bekymring_private.h"

/** Every file that holds a secret of a portal server (README "Secret
 *  files"), readable by no one beyond root and httpd's User and Group:
 *  OK, or HTTP_INTERNAL_SERVER_ERROR after logging each one that is (also
 *  under `apachectl configtest`: the check_config hook). */
int bkm_secrets_check(apr_pool_t *ptemp, server_rec *s);

#endif
