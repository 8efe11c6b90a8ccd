/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_buf.h
 * @brief A byte buffer that grows in a pool, for text written piece by
 * piece (a page, a JSON list, Prometheus' text, a template's literals).
 * httpd-free.
 *
 * It doubles when full; the old buffers stay in the pool until it is
 * cleared, which is right for what lives as long as one request or one
 * configuration.  The bytes are always followed by a NUL, not counted.
 */
#ifndef BKM_BUF_H
#define BKM_BUF_H

#include <apr_pools.h>

typedef struct {
    apr_pool_t *pool;
    char *buf;      /**< the bytes, NUL-terminated; NULL until the first */
    apr_size_t len; /**< bytes written */
    apr_size_t cap; /**< bytes allocated */
} bkm_buf_t;

/** An empty buffer in @p p whose first allocation is @p first bytes
 *  (0: a default), made when the first bytes come. */
void bkm_buf_init(bkm_buf_t *b, apr_pool_t *p, apr_size_t first);

/** Append @p n bytes of @p s. */
void bkm_buf_add(bkm_buf_t *b, const void *s, apr_size_t n);

#endif
