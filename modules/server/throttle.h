/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/throttle.h
 * @brief Failed machine logins, counted per node in shared memory.
 */
#ifndef BKM_SERVER_THROTTLE_H
#define BKM_SERVER_THROTTLE_H

#include "mod_bekymring_private.h"

/* server/throttle.c: failed machine logins, counted per node in
 * shared memory (the file's comment says why there) */
/** Failures per client address, and per IntegrasjonId, in a window. */
#define BKM_THROTTLE_LIMIT 10
#define BKM_THROTTLE_WINDOW apr_time_from_sec(300)
int bkm_throttle_pre_config(apr_pool_t *pconf);
int bkm_throttle_post_config(apr_pool_t *pconf, server_rec *s);
void bkm_throttle_child_init(apr_pool_t *p, server_rec *s);
/** 0 when this client may log in as @p id; else the seconds until it may
 *  (answer 429 with Retry-After).  @p check: the password needs bcrypt
 *  (then call bkm_throttle_end with the outcome); 0 when it is one this
 *  process accepted lately (no guess: nothing is counted). */
int bkm_throttle_begin(request_rec *r, const char *id, int check);
/** The outcome of the check: @p failed for a wrong password or an unknown
 *  id (counted against the client and the id). */
void bkm_throttle_end(request_rec *r, const char *id, int failed);
/** Count a request of @p kind (e.g. "status") from this client address in
 *  the same table and windows (BKM_THROTTLE_WINDOW, per node): 0 while
 *  the address has made fewer than @p limit in its window (this one is
 *  counted), else the seconds until the window ends (answer 429 with
 *  Retry-After; a refused request is not counted). */
int bkm_throttle_hit(request_rec *r, const char *kind, int limit);

#endif
