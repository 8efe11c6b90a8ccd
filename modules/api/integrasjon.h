/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file api/integrasjon.h
 * @brief Machine clients (integrations).
 */
#ifndef BKM_API_INTEGRASJON_H
#define BKM_API_INTEGRASJON_H

#include "mod_bekymring_private.h"
#include "bkm_registry.h"

/* api/integrasjon.c: machine clients */
/** The integration making this request (bearer token checked by
 *  mod_auth_openidc, then IntegrasjonId/IntegrasjonPassord and the token's
 *  consumer organisation checked here): OK with it in *out, or DONE after
 *  answering 401 (429 while the client's logins are throttled). */
int bkm_integrasjon_authenticate(request_rec *r,
                                 const bkm_integrasjon_t **out);
/** The per-process memory of accepted passwords (child_init). */
void bkm_integrasjon_child_init(apr_pool_t *p);

#endif
