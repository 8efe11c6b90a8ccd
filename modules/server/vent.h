/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file server/vent.h
 * @brief Long-polls (?vent=N) counted per node in shared memory, so that
 *        waiting clients cannot take every worker (issue 15, item 6).
 */
#ifndef BKM_SERVER_VENT_H
#define BKM_SERVER_VENT_H

#include "mod_bekymring_private.h"

/** Defaults of BekymringLongPollLimit and BekymringLongPollShare. */
#define BKM_VENT_DEFAULT_LIMIT 4
#define BKM_VENT_DEFAULT_SHARE 25

int bkm_vent_pre_config(apr_pool_t *pconf);
/** One table per portal (servers that share a registry share it), made
 *  in the parent before the children fork. */
int bkm_vent_post_config(apr_pool_t *pconf, server_rec *s);
void bkm_vent_child_init(apr_pool_t *p, server_rec *s);
/**
 * Take a waiting place for integration @p id until @p until.  The place
 * is given back when the request's pool goes, however the request ends
 * (answered, timed out, the client gone, the child stopping).
 * @return OK, or DONE after answering 429 with Retry-After: the
 *         integration has BekymringLongPollLimit waiting already, or the
 *         node its share of MaxRequestWorkers.
 */
int bkm_vent_begin(request_rec *r, const char *id, apr_time_t until);
/** Requests waiting now on this server's table (for metrics and tests). */
int bkm_vent_count(server_rec *s);

#endif
