/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_ids.h
 * @brief Identifiers: random UUIDs, and short reference numbers that a
 * person can read out on the phone.  httpd-free.
 */
#ifndef BKM_IDS_H
#define BKM_IDS_H

#include <apr_pools.h>

/** A random (version 4) UUID in lower case, or NULL if the system's random
 *  source fails. */
const char *bkm_uuid(apr_pool_t *p);

/**
 * A reference number such as "7K4Q-9XHT": eight characters from an
 * alphabet without the look-alikes 0/O, 1/I/L and U (Crockford's base 32
 * less U), about 40 bits of randomness.  Uniqueness is the database's job
 * (a UNIQUE column; draw again on conflict).
 */
const char *bkm_reference(apr_pool_t *p);

/** Whether @p s is a UUID in canonical form (8-4-4-4-12 hex digits), in
 *  lower case only unless @p any_case: the ids we issue and store are
 *  lower case, and one id in two spellings would be two ids to anyone who
 *  compares strings. */
int bkm_uuid_valid(const char *s, int any_case);

/** Whether @p s has the shape of a reference number (case-insensitive). */
int bkm_reference_valid(const char *s);

#endif
