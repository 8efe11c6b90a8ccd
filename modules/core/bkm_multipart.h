/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bkm_multipart.h
 * @brief A strict multipart/form-data parser (RFC 7578) for bodies held in
 * memory, for the producer API's two binary parts.
 *
 * Written here because Debian 12 no longer ships libapreq2, and GMime
 * (an e-mail MIME library) would bring line-ending conversions we must not
 * have on binary CMS data.  It accepts only what a form-data body is:
 * CRLF line ends, a Content-Disposition: form-data with a name on every
 * part, bounded headers, and the closing delimiter.  httpd-free.
 */
#ifndef BKM_MULTIPART_H
#define BKM_MULTIPART_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct {
    const char *name;         /**< the form field name */
    const char *filename;     /**< NULL when not given */
    const char *content_type; /**< NULL when not given */
    const char *data;         /**< points into the body; not copied */
    apr_size_t len;
} bkm_part_t;

/**
 * The boundary parameter of a multipart/form-data Content-Type.
 * @return NULL, or why the header is not usable
 */
const char *bkm_multipart_boundary(apr_pool_t *p, const char *content_type,
                                   const char **boundary);

/**
 * Split @p body into parts (array of bkm_part_t), at most @p max_parts.
 * @return NULL, or a short reason fit for a 400 answer
 */
const char *bkm_multipart_parse(apr_pool_t *p, const char *boundary,
                                const char *body, apr_size_t len,
                                int max_parts, apr_array_header_t **parts);

/** The part named @p name, or NULL. */
const bkm_part_t *bkm_multipart_get(const apr_array_header_t *parts,
                                    const char *name);

#endif
