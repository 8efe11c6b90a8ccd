/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_digest.h
 * @brief SHA-256 digests in hex, as stored and sent with ciphertexts.
 */
#ifndef BKM_DIGEST_H
#define BKM_DIGEST_H

#include <apr_pools.h>

/** @p n bytes as lower-case hex, allocated from @p p. */
char *bkm_hex(apr_pool_t *p, const unsigned char *bytes, apr_size_t n);

/** The SHA-256 of @p data as 64 lower-case hex digits. */
const char *bkm_sha256_hex(apr_pool_t *p, const void *data, apr_size_t len);

/** Whether the @p n bytes at @p s are 64 lower-case hex digits: the one
 *  spelling of a digest we store and compare as a string. */
int bkm_sha256_hex_valid(const char *s, apr_size_t n);

/** HMAC-SHA256 of @p data under @p key, as 64 lower-case hex digits (a
 *  national id number the database may hold only as such; NULL on an
 *  OpenSSL failure). */
const char *bkm_hmac_sha256_hex(apr_pool_t *p, const void *key,
                                apr_size_t keylen, const void *data,
                                apr_size_t len);

#endif
