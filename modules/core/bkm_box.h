/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_box.h
 * @brief Secrets the server keeps only as ciphertext under a key that only
 * the reporter's browser holds (a cookie): the PDF copy of a sent report
 * and the form typed when the login ran out.  AES-256-GCM with a random
 * nonce: nonce (12) || ciphertext || tag (16).  httpd-free.
 */
#ifndef BKM_BOX_H
#define BKM_BOX_H

#include <apr_pools.h>

#define BKM_BOX_KEY 32

/** Seal @p len bytes under @p key.  @return NULL or a message. */
const char *bkm_box_seal(apr_pool_t *p, const unsigned char *key,
                         const void *plain, apr_size_t len,
                         unsigned char **out, apr_size_t *out_len);

/** Open a box; fails on a wrong key or any change.  The plaintext is
 *  NUL-terminated.  @return NULL or a message. */
const char *bkm_box_open(apr_pool_t *p, const unsigned char *key,
                         const void *box, apr_size_t len,
                         unsigned char **plain, apr_size_t *plain_len);

/** @p n random bytes as 2n lower-case hex digits, or NULL. */
const char *bkm_random_hex(apr_pool_t *p, apr_size_t n);

/** Decode exactly 2n lower-case hex digits into @p out.  @return 0, or -1
 *  when @p hex is anything else. */
int bkm_unhex(const char *hex, unsigned char *out, apr_size_t n);

#endif
