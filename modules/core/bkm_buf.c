/* SPDX-License-Identifier: Apache-2.0 */
#include "bkm_buf.h"

#include <string.h>

void bkm_buf_init(bkm_buf_t *b, apr_pool_t *p, apr_size_t first)
{
    b->pool = p;
    b->buf = NULL;
    b->len = 0;
    b->cap = first;
}

void bkm_buf_add(bkm_buf_t *b, const void *s, apr_size_t n)
{
    if (!b->buf || b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap ? b->cap : 1024;
        char *grown;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        grown = apr_palloc(b->pool, cap);
        if (b->len) {
            memcpy(grown, b->buf, b->len);
        }
        b->buf = grown;
        b->cap = cap;
    }
    if (n) {
        memcpy(b->buf + b->len, s, n);
    }
    b->len += n;
    b->buf[b->len] = '\0';
}
