/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_statuskode.h
 * @brief The reporter's status code: the reference number and a short
 * secret, "7K4Q-9XHT-M3QD-8RWA", with which /status shows whether the
 * report arrived.  httpd-free.
 *
 * The secret is derived, not drawn: eight characters of the reference
 * numbers' alphabet from HMAC(status key, "status" || report id), the key
 * derived from BekymringSecretKey for this purpose alone (bkm_token.h).
 * So nothing is stored: the code can be shown again (the receipt page)
 * and checked by anyone holding the server's secret, and a database that
 * leaks gives no codes.  The price: a code cannot be revoked alone, only
 * all of them with the secret (a new BekymringSecretKey makes every old
 * code unknown).  Eight characters of 30 are about 39 bits; /status is
 * rate-limited, so guessing one report's code is out of reach.
 */
#ifndef BKM_STATUSKODE_H
#define BKM_STATUSKODE_H

#include <apr_pools.h>
#include "bkm_token.h"

/** Characters of the secret, and of the whole code as typed without
 *  separators (reference number 8 + secret 8). */
#define BKM_STATUSKODE_SECRET 8
#define BKM_STATUSKODE_CHARS 16

/** The code of report @p id with reference number @p referanse, as
 *  shown: "XXXX-XXXX-SSSS-SSSS".  NULL on an OpenSSL failure. */
const char *bkm_statuskode(apr_pool_t *p, const bkm_token_keys_t *k,
                           const char *referanse, const char *id);

/**
 * Read a code as a person types it: case, blanks and hyphens do not
 * matter; what is left must be exactly 16 characters of the alphabet.
 * @param ref gets the reference number "XXXX-XXXX" (upper case)
 * @param secret gets the secret's 8 characters (upper case)
 * @return 0, or -1 for anything else (nothing is looked up then)
 */
int bkm_statuskode_parse(const char *typed, char ref[10], char secret[9]);

/** Whether @p secret (8 characters, as parsed) is report @p id's, in
 *  constant time.  1 or 0. */
int bkm_statuskode_ok(const bkm_token_keys_t *k, const char *id,
                      const char *secret);

#endif
